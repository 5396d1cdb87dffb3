//! Content: Markdown files with TOML front matter, read once into an immutable [`Library`].

pub(crate) mod authority;
pub(crate) mod citations;
pub(crate) mod codes;
pub mod deflated;
pub(crate) mod diagnostics;
pub(crate) mod diagrams;
pub(crate) mod doses;
pub mod front_matter;
pub(crate) mod kinds;
pub mod library;
pub mod markdown;
pub(crate) mod proofread;
pub mod review;
pub mod risks;
pub(crate) mod sources;
pub(crate) mod values;
pub mod versions;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use doses::{DoseEntry, DoseGroup, DoseSource, DoseTable};
pub use kinds::{
    Condition, HomePage, KINDS, KindSpec, Page, PageKind, PageRef, PatientStory, PositionStatement,
    ProcedureSheet, TypedPage,
};
pub use library::{Library, LoadOptions, LoadOutcome};
