//! Splits a content file into its TOML front matter and Markdown body, and defines the typed
//! front matter of each kind of page.
//!
//! Every struct denies unknown fields, so a misspelt key is an error rather than a silent no-op.
//! Fields that point at other pages keep their source span, so a broken reference can be reported
//! at the exact line and column where it was written.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

pub use super::values::{ContentDate, SlugRef};

use super::review::{
    ClinicalReviewRow, HistoryRow, ReviewFields, ReviewStatus, written_review_fields,
};
use super::risks::{GetHelp, Risk};

/// A content file cut into its parts. Offsets are byte offsets into the whole file.
#[derive(Debug)]
pub struct SplitFile<'a> {
    pub front_matter: &'a str,
    /// Where `front_matter` starts in the file.
    pub front_matter_offset: usize,
    pub body: &'a str,
    /// Where `body` starts in the file.
    pub body_offset: usize,
}

/// Why a file could not be split, with the byte offset to report it at.
#[derive(Debug, PartialEq, Eq)]
pub struct SplitError {
    pub offset: usize,
    pub message: &'static str,
}

/// Cuts `source` at its `+++` fences. The opening fence must be the first line.
pub fn split(source: &str) -> Result<SplitFile<'_>, SplitError> {
    let source_no_bom = source.strip_prefix('\u{feff}').unwrap_or(source);
    let bom = source.len() - source_no_bom.len();
    let first_line_end = source_no_bom.find('\n').unwrap_or(source_no_bom.len());
    if source_no_bom[..first_line_end].trim_end() != "+++" {
        return Err(SplitError {
            offset: bom,
            message: "expected front matter: the file must start with a line of `+++`",
        });
    }
    let fm_start = bom + (first_line_end + 1).min(source_no_bom.len());
    let mut line_start = fm_start;
    while line_start < source.len() {
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |i| line_start + i);
        if source[line_start..line_end].trim_end() == "+++" {
            let body_offset = (line_end + 1).min(source.len());
            return Ok(SplitFile {
                front_matter: &source[fm_start..line_start],
                front_matter_offset: fm_start,
                body: &source[body_offset..],
                body_offset,
            });
        }
        line_start = line_end + 1;
    }
    Err(SplitError {
        offset: bom,
        message: "front matter is not closed: add a line of `+++` after it",
    })
}

/// The fields every kind of page has.
#[derive(Debug, Clone)]
pub struct PageMeta {
    pub title: String,
    pub title_span: Range<usize>,
    pub summary: String,
    pub summary_span: Range<usize>,
    pub draft: bool,
    pub sample: bool,
    pub next_review: ContentDate,
    pub next_review_span: Range<usize>,
    /// Who will review the page, its clinical review if it has had one, and its history; filled
    /// in when the page is loaded and its review fields checked (see [`super::review`]).
    pub review: ReviewStatus,
    /// Bibliography ids the page cites as a whole (see [`super::sources`]).
    pub sources: Vec<SlugRef>,
    /// Words a searcher might type that are not shown on the page, such as US spellings.
    pub search_terms: Vec<String>,
}

/// Gives the common fields of any kind's front matter, in the form every page keeps.
pub trait FrontMatterMeta {
    fn meta(&self) -> PageMeta;
    /// The review fields as written, to be checked with [`super::review::check`].
    fn review_fields(&self) -> ReviewFields<'_>;
}

/// Declares a front-matter struct with the common fields plus its own. serde's `flatten` cannot be
/// combined with `deny_unknown_fields`, so the shared fields are written out by this macro instead.
macro_rules! front_matter {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub title: Spanned<String>,
            pub summary: Spanned<String>,
            #[serde(default)]
            pub draft: bool,
            #[serde(default)]
            pub sample: bool,
            pub next_review: Spanned<ContentDate>,
            // Review and sources (see `super::review` and `super::sources`).
            pub review_group: Option<Spanned<String>>,
            pub clinical_review: Option<Spanned<ClinicalReviewRow>>,
            #[serde(default)]
            pub history: Vec<Spanned<HistoryRow>>,
            #[serde(default)]
            pub sources: Vec<SlugRef>,
            #[serde(default)]
            pub search_terms: Vec<String>,
            /// Removed; kept only to explain what replaces it.
            pub last_reviewed: Option<Spanned<toml::Value>>,
            /// Removed; kept only to explain what replaces it.
            pub reviewed_by: Option<Spanned<toml::Value>>,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl FrontMatterMeta for $name {
            fn meta(&self) -> PageMeta {
                PageMeta {
                    title: self.title.get_ref().trim().to_string(),
                    title_span: self.title.span(),
                    summary: self.summary.get_ref().trim().to_string(),
                    summary_span: self.summary.span(),
                    draft: self.draft,
                    sample: self.sample,
                    next_review: *self.next_review.get_ref(),
                    next_review_span: self.next_review.span(),
                    review: ReviewStatus::default(),
                    sources: self.sources.clone(),
                    search_terms: self
                        .search_terms
                        .iter()
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect(),
                }
            }

            fn review_fields(&self) -> ReviewFields<'_> {
                written_review_fields!(self)
            }
        }
    };
}

front_matter!(
    /// Front matter of the home page, radiation guidance and about pages.
    PlainFrontMatter {}
);

front_matter!(
    /// Front matter of a procedure information sheet.
    ProcedureFrontMatter {
        #[serde(default)]
        also_known_as: Vec<String>,
        #[serde(default)]
        conditions: Vec<SlugRef>,
        category: Spanned<Category>,
        x_rays: XRays,
        /// Removed (the dose table is the one place a dose is written); kept to explain that.
        typical_dose_msv: Option<Spanned<toml::Value>>,
        /// The risks, most common first (see [`super::risks`]).
        #[serde(default)]
        risks: Vec<Spanned<Risk>>,
        /// The care cards shown at the end of "Afterwards".
        get_help: Option<GetHelp>,
        /// The illustration shown with the sheet: a name from [`super::diagrams::DIAGRAMS`].
        diagram: Option<Spanned<String>>,
        #[serde(default)]
        related: Vec<SlugRef>,
        #[serde(default)]
        professional: Option<ProfessionalNotes>,
    }
);

front_matter!(
    /// Front matter of a condition page.
    ConditionFrontMatter {
        medical_name: String,
        #[serde(default)]
        also_known_as: Vec<String>,
        other_treatments: String,
        nhs_url: Option<Spanned<String>>,
        nice_url: Option<Spanned<String>>,
        /// SNOMED CT concept ids for the condition (see [`super::codes`]); only codes read in a
        /// public source.
        #[serde(default)]
        snomed_ct: Vec<Spanned<String>>,
        /// ICD-10 codes for the condition, such as "I71.4" (see [`super::codes`]).
        #[serde(default)]
        icd10: Vec<Spanned<String>>,
    }
);

front_matter!(
    /// Front matter of a patient story.
    StoryFrontMatter {
        procedures: Vec<SlugRef>,
        published: ContentDate,
    }
);

front_matter!(
    /// Front matter of a position statement.
    StatementFrontMatter {
        issued: ContentDate,
        status: StatementStatus,
        superseded_by: Option<SlugRef>,
    }
);

/// The section of a procedure sheet written for healthcare professionals.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfessionalNotes {
    #[serde(default)]
    pub indications: Vec<String>,
    #[serde(default)]
    pub contraindications: Vec<String>,
    #[serde(default)]
    pub referral: String,
    #[serde(default)]
    pub guidance: Vec<GuidanceLink>,
}

/// A published guideline, such as NICE interventional procedures guidance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidanceLink {
    pub title: String,
    pub url: String,
}

/// Whether a procedure uses X-rays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum XRays {
    Yes,
    Sometimes,
    No,
}

/// Whether a position statement still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementStatus {
    Current,
    Superseded,
    Withdrawn,
}

impl StatementStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Current => "Current",
            Self::Superseded => "Superseded",
            Self::Withdrawn => "Withdrawn",
        }
    }
}

/// The body system a procedure belongs to; the list of sheets is grouped by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    BloodVessels,
    Brain,
    WomensHealth,
    MensHealth,
    KidneysAndBladder,
    LiverAndDigestion,
    Cancer,
    LinesAndAccess,
    BonesAndSpine,
    DiagnosisAndDrainage,
}

impl Category {
    /// Every category, in the order the procedures list shows them.
    pub const ALL: [Category; 10] = [
        Self::BloodVessels,
        Self::Brain,
        Self::WomensHealth,
        Self::MensHealth,
        Self::KidneysAndBladder,
        Self::LiverAndDigestion,
        Self::Cancer,
        Self::LinesAndAccess,
        Self::BonesAndSpine,
        Self::DiagnosisAndDrainage,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::BloodVessels => "Arteries and veins",
            Self::Brain => "Brain",
            Self::WomensHealth => "Women's health",
            Self::MensHealth => "Men's health",
            Self::KidneysAndBladder => "Kidneys and bladder",
            Self::LiverAndDigestion => "Liver, bile ducts and digestion",
            Self::Cancer => "Cancer treatments",
            Self::LinesAndAccess => "Lines, ports and dialysis access",
            Self::BonesAndSpine => "Bones and spine",
            Self::DiagnosisAndDrainage => "Biopsies and drains",
        }
    }

    /// The id used for the category's section on the list page.
    pub fn anchor(self) -> &'static str {
        match self {
            Self::BloodVessels => "blood-vessels",
            Self::Brain => "brain",
            Self::WomensHealth => "womens-health",
            Self::MensHealth => "mens-health",
            Self::KidneysAndBladder => "kidneys-and-bladder",
            Self::LiverAndDigestion => "liver-and-digestion",
            Self::Cancer => "cancer",
            Self::LinesAndAccess => "lines-and-access",
            Self::BonesAndSpine => "bones-and-spine",
            Self::DiagnosisAndDrainage => "diagnosis-and-drainage",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_both_fences() {
        let file = "+++\ntitle = \"A\"\n+++\nBody\n";
        let split = split(file).unwrap();
        assert_eq!(split.front_matter, "title = \"A\"\n");
        assert_eq!(split.front_matter_offset, 4);
        assert_eq!(split.body, "Body\n");
        assert_eq!(&file[split.body_offset..], "Body\n");
    }

    #[test]
    fn split_errors() {
        let cases = [
            ("title = 1\n", "expected front matter"),
            ("+++\ntitle = 1\n", "not closed"),
            ("", "expected front matter"),
        ];
        for (input, expected) in cases {
            let err = split(input).unwrap_err();
            assert!(err.message.contains(expected), "{input:?}: {}", err.message);
        }
    }

    #[test]
    fn dates_must_be_bare_dates() {
        #[derive(Deserialize)]
        struct T {
            #[allow(dead_code)]
            d: ContentDate,
        }
        assert!(toml::from_str::<T>("d = 2026-01-31").is_ok());
        for bad in [
            "d = \"2026-01-31\"",
            "d = 2026-01-31T10:00:00",
            "d = 2026-02-30",
        ] {
            assert!(toml::from_str::<T>(bad).is_err(), "{bad}");
        }
    }
}
