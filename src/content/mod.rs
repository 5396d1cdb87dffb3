//! Content: Markdown files with TOML front matter, read once into an immutable [`Library`].

pub mod authority;
pub mod citations;
pub mod diagnostics;
pub mod diagrams;
pub mod doses;
pub mod front_matter;
pub mod kinds;
pub mod library;
pub mod markdown;
pub mod proofread;
pub mod review;
pub mod risks;
pub mod sources;
pub mod values;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use doses::{DoseEntry, DoseGroup, DoseSource, DoseTable};
pub use kinds::{
    Condition, HomePage, KINDS, KindSpec, Page, PageKind, PageRef, PatientStory, PositionStatement,
    ProcedureSheet, TypedPage,
};
pub use library::{Library, LoadOptions, LoadOutcome};
