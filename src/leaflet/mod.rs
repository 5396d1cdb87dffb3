//! The printable leaflet of every procedure sheet: an A4, tagged (PDF/UA-1) PDF that hospitals
//! hand out, typeset in the process by typst from `templates/leaflet.typ`.
//!
//! # Why typst, used as a library
//!
//! The issue asks for a PDF made in the process, never by an external program or a browser at
//! run time, that a screen reader can read. typst is a typesetting engine written in Rust; with
//! its PDF exporter (typst-pdf, built on krilla) it writes tagged PDF with the document's
//! language, title, headings, lists and tables marked, checks PDF/UA-1 conformance itself, and
//! embeds (subsets of) the fonts it is given. Its template language keeps the layout in a file
//! an editor can read, beside the HTML templates. The alternatives: printpdf and genpdf lay out
//! no paragraphs, tables or page numbers and write no tags; a headless browser is an external
//! program. The cost is compile time and binary size (benches/README.md, "Leaflets").
//!
//! # Inputs, and nothing else
//!
//! The engine sees a virtual file system of four files: the template, `/sheet.json` (a
//! [`Leaflet`], made once per sheet when the site is built), `/local.json` (a hospital's
//! [`LocalDetails`], or `null`) and `/qr.svg` (the QR code of the sheet's public address). The
//! template reads the text as data, so no sheet or visitor can inject markup (see [`markup`]).
//! Fonts are Noto Sans Regular and Bold (SIL Open Font License, `templates/fonts/OFL.txt`), compiled into
//! the binary: no system font is ever read, so a leaflet looks the same on every machine.
//!
//! # Memory
//!
//! typst memoises its work across compilations (comemo), which is what makes typesetting the
//! second leaflet cheaper than the first; [`Typesetter::typeset`] evicts what has not been used
//! in the last few compilations, so the cache stays a few megabytes whatever is asked for.

pub mod local;
pub mod markup;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

pub use local::LocalDetails;
pub use markup::{Block, Part, Run};

/// The leaflet template, read into the binary when it is compiled (like the HTML templates).
const TEMPLATE: &str = include_str!("../../templates/leaflet.typ");

/// The fonts every leaflet uses: a clear sans-serif, regular and bold.
const FONTS: [&[u8]; 2] = [
    include_bytes!("../../templates/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../templates/fonts/NotoSans-Bold.ttf"),
];

/// How many compilations typst's memo cache keeps unused entries for.
const CACHE_AGE: usize = 4;

/// Everything a leaflet shows of one sheet, as the template reads it from `/sheet.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Leaflet {
    pub title: String,
    pub summary: String,
    pub also_known_as: Vec<String>,
    /// The newest version ("2.0") and its date ("1 December 2026").
    pub version: String,
    pub version_date: String,
    /// Every version, newest first.
    pub history: Vec<HistoryLine>,
    /// "20 November 2028".
    pub next_review: String,
    /// "This page has not yet been checked by a clinical reviewer." or who checked it.
    pub review_notice: String,
    /// The site's "general information only" notice.
    pub disclaimer: String,
    pub publisher: String,
    /// The sheet's public address, which the QR code holds.
    pub url: String,
    pub blocks: Vec<Block>,
    pub risks: Vec<RiskLine>,
    /// The fixed scale of words for how common a risk is.
    pub scale: Vec<ScaleLine>,
    pub get_help: Option<GetHelpLines>,
    pub radiation: RadiationLines,
    pub sources: Vec<SourceLine>,
}

/// One version of a sheet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryLine {
    pub version: String,
    pub date: String,
    pub change: String,
}

/// One risk with how common it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskLine {
    pub what: String,
    /// "Common: about 3 in 100 people", or "Not known: why".
    pub how_common: String,
    pub treatment: Option<String>,
    /// The numbers of its sources, "2, 5".
    pub cites: Option<String>,
}

/// One word of the scale and what it means.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleLine {
    pub word: String,
    pub meaning: String,
}

/// When to get help, as the sheet's care cards say.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetHelpLines {
    pub call_999: Vec<String>,
    pub same_day: Vec<String>,
    pub non_urgent: Vec<String>,
}

/// The radiation panel: paragraphs before and after its facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RadiationLines {
    pub before: Vec<String>,
    pub facts: Vec<Fact>,
    pub after: Vec<String>,
}

/// A term and its value, such as "Typical dose" and "12 mSv (millisieverts)".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fact {
    pub term: String,
    pub value: String,
}

/// One numbered source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceLine {
    pub number: usize,
    pub citation: String,
    /// "Guideline", "Patient leaflet".
    pub kind: String,
    pub url: String,
}

/// The media type of a leaflet.
pub const MEDIA_TYPE: &str = "application/pdf";

impl Leaflet {
    /// The leaflet as the template reads it.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a leaflet is plain data")
    }

    /// A leaflet from what [`Leaflet::to_json`] wrote.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }

    /// Typesets this leaflet, with a hospital's details if given, with the process's one
    /// [`Typesetter`]. It blocks for tens of milliseconds: call it where blocking is fine.
    pub fn typeset(&self, local: Option<&LocalDetails>) -> Result<Vec<u8>, LeafletError> {
        Typesetter::shared().typeset(&self.to_json(), &self.url, local)
    }
}

/// Why a leaflet could not be made. Either is a fault of the template or of this module, never
/// of a visitor's input: the server logs it and answers with its error page.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LeafletError {
    #[error("typesetting the leaflet failed: {0}")]
    Typeset(String),
    #[error("writing the leaflet's PDF failed: {0}")]
    Export(String),
}

fn describe(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let hints: String = d
                .hints
                .iter()
                .map(|h| format!(" (hint: {})", h.v))
                .collect();
            format!("{}{hints}", d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// typst's standard library, the font book and the template: made once, shared by every
/// leaflet.
pub struct Typesetter {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    template: Source,
    ids: Ids,
}

impl std::fmt::Debug for Typesetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typesetter")
            .field("fonts", &self.fonts.len())
            .finish_non_exhaustive()
    }
}

/// The virtual files' ids. typst interns file ids for the life of the process (at most 2^16),
/// so every leaflet uses these same four.
struct Ids {
    template: FileId,
    sheet: FileId,
    local: FileId,
    qr: FileId,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a fixed, valid path"),
    )
    .intern()
}

static TYPESETTER: LazyLock<Typesetter> = LazyLock::new(Typesetter::new);

impl Typesetter {
    /// The one typesetter of the process, made on first use (about a millisecond: the fonts
    /// are parsed, not read).
    pub fn shared() -> &'static Typesetter {
        &TYPESETTER
    }

    fn new() -> Self {
        let fonts: Vec<Font> = FONTS
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        assert_eq!(fonts.len(), FONTS.len(), "each shipped font parses");
        let ids = Ids {
            template: file_id("/leaflet.typ"),
            sheet: file_id("/sheet.json"),
            local: file_id("/local.json"),
            qr: file_id("/qr.svg"),
        };
        Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            template: Source::new(ids.template, TEMPLATE.to_string()),
            fonts,
            ids,
        }
    }

    /// Typesets a leaflet: `sheet` is [`Leaflet::to_json`], `url` the address the QR code
    /// holds, `local` a hospital's details. Returns the PDF's bytes.
    pub fn typeset(
        &self,
        sheet: &[u8],
        url: &str,
        local: Option<&LocalDetails>,
    ) -> Result<Vec<u8>, LeafletError> {
        let world = LeafletWorld {
            typesetter: self,
            sheet: Bytes::new(sheet.to_vec()),
            local: Bytes::new(serde_json::to_vec(&local).expect("plain data")),
            qr: Bytes::new(qr_svg(url).into_bytes()),
        };
        let compiled = typst::compile::<PagedDocument>(&world);
        let pdf = compiled
            .output
            .map_err(|errors| LeafletError::Typeset(describe(errors.as_slice())))
            .and_then(|document| {
                let options = typst_pdf::PdfOptions {
                    // Stable across builds, so an unchanged leaflet keeps its bytes and ETag.
                    ident: Smart::Custom(url.to_string()),
                    creator: Smart::Custom(Some("irinfo".to_string())),
                    standards: typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::Ua_1])
                        .expect("PDF/UA-1 alone is a valid choice"),
                    ..typst_pdf::PdfOptions::default()
                };
                typst_pdf::pdf(&document, &options)
                    .map_err(|errors| LeafletError::Export(describe(errors.as_slice())))
            });
        typst::comemo::evict(CACHE_AGE);
        pdf
    }
}

/// Empties typst's memo cache. [`Typesetter::typeset`] keeps what the last few compilations
/// used, which after a run of them is tens of megabytes (about 90 MB resident more, after the
/// shipped content's 50 leaflets); call this when a run is over and no leaflet is expected soon.
/// The next leaflet costs what the first one did.
pub fn forget_memoised_work() {
    typst::comemo::evict(0);
}

/// The QR code of `url` as SVG: black on white, with the quiet zone the standard asks for.
fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        // Only an address longer than a QR code holds (thousands of characters) fails; an
        // empty drawing is then better than no leaflet.
        Err(_) => r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#.to_string(),
    }
}

/// The files one leaflet's compilation can see.
struct LeafletWorld<'a> {
    typesetter: &'a Typesetter,
    sheet: Bytes,
    local: Bytes,
    qr: Bytes,
}

impl World for LeafletWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.typesetter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.typesetter.book
    }

    fn main(&self) -> FileId {
        self.typesetter.ids.template
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.typesetter.ids.template {
            Ok(self.typesetter.template.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let ids = &self.typesetter.ids;
        if id == ids.sheet {
            Ok(self.sheet.clone())
        } else if id == ids.local {
            Ok(self.local.clone())
        } else if id == ids.qr {
            Ok(self.qr.clone())
        } else if id == ids.template {
            Ok(Bytes::from_string(self.typesetter.template.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.typesetter.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}
