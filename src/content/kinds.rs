//! The kinds of page, as data: one row of [`KINDS`] per kind says where its files live, the
//! address it is served at, its templates, its labels, how its list is ordered, its front-matter
//! type and what `irinfo new` writes for it. Loading, rendering, routing, navigation,
//! scaffolding, `check` and search all iterate this table instead of naming kinds one by one.
//!
//! The [`Library`](super::Library) keeps every page as a [`Page`], keyed by kind and slug, with
//! its front matter behind a trait object; [`TypedPage`] is the typed view of a page whose kind
//! has fields of its own (a procedure's category, a story's date).
//!
//! # Adding a kind
//!
//! 1. A front-matter struct in `front_matter.rs`, declared with the `front_matter!` macro, and an
//!    `impl PageFrontMatter` for it (its list date and its own checks, both optional) beside the
//!    others in `library.rs`.
//! 2. A variant of [`PageKind`] and its row in [`KINDS`] (in the same order as the variants).
//! 3. Its templates in `templates/` (the names in its row), the askama structs for them in
//!    `web/views.rs`, and the arm that fills them in `web/site.rs` (`Renderer::list_template` and
//!    `Renderer::page_template`; the compiler points at both).
//!
//! Routes, the navigation (when the row has a `nav_position`), breadcrumbs, link checking,
//! `irinfo new`, `check`'s counts and the search index follow from the row.

use std::any::Any;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::de::DeserializeOwned;

use super::diagnostics::Diagnostics;
use super::front_matter::{
    Category, ConditionFrontMatter, ContentDate, FrontMatterMeta, PageMeta, PlainFrontMatter,
    ProcedureFrontMatter, StatementFrontMatter, StoryFrontMatter,
};
use super::markdown::RenderedMarkdown;

/// The kinds of Markdown page. Each has one row in [`KINDS`], at the index of its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PageKind {
    Home,
    Procedure,
    Condition,
    Story,
    Radiation,
    Statement,
    About,
}

/// How the pages of a kind are ordered in its list (and everywhere else they are listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// By title, ignoring case.
    ByTitle,
    /// By [`PageFrontMatter::list_date`], newest first, then by slug.
    NewestFirst,
}

/// Where a kind's files are under `content/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFiles {
    /// Exactly one page, from this file; its slug is the file's stem.
    One(&'static str),
    /// Every `.md` file below this folder (README files excepted), one page each.
    Folder(&'static str),
}

/// What `irinfo new` writes for a kind, besides the fields every page has.
#[derive(Debug, Clone, Copy)]
pub struct NewPageText {
    /// What the TODO in the title asks for.
    pub title_hint: &'static str,
    /// The kind's own front-matter lines, before the common ones; given today's date.
    pub fields: fn(Date) -> String,
    /// TOML tables written after the common fields.
    pub tables: &'static str,
    /// Whether the page starts marked as sample content.
    pub sample: bool,
    /// The `##` sections of the body, each with what to write under it.
    pub sections: &'static [(&'static str, &'static str)],
}

/// The parsed front matter of one page: its common fields, its date for ordering, and the whole
/// typed struct behind a trait object.
#[derive(Debug)]
pub struct ParsedFrontMatter {
    pub meta: PageMeta,
    pub list_date: Option<ContentDate>,
    pub front: Box<dyn AnyFrontMatter>,
}

/// Parses one page's front matter as a kind's type.
pub type FrontMatterParser = fn(toml: &str) -> Result<ParsedFrontMatter, toml::de::Error>;

/// One kind of page: everything the rest of the crate needs to know about it.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    pub kind: PageKind,
    /// The name `irinfo new` takes, such as `procedure`.
    pub name: &'static str,
    pub files: KindFiles,
    /// The site path of the list page, which is also the prefix of each page's path.
    pub route: &'static str,
    /// The template of one page, under `templates/`.
    pub template: &'static str,
    /// The template of the list page, if the kind has one.
    pub list_template: Option<&'static str>,
    /// A short name for the kind, as shown beside search results.
    pub label: &'static str,
    /// The plural name, as used in counts.
    pub plural: &'static str,
    /// The list page's heading and `<title>`.
    pub list_title: &'static str,
    /// The list page's meta description.
    pub list_description: &'static str,
    /// The list page's name in breadcrumbs and in the main navigation.
    pub crumb: &'static str,
    /// Where the kind's list sits in the main navigation, counted from 0, if it is there.
    pub nav_position: Option<usize>,
    pub order: ListOrder,
    /// Parses the kind's front-matter type.
    pub parse: FrontMatterParser,
    /// What `irinfo new` writes; `None` when editors cannot start one (the home page).
    pub new_page: Option<NewPageText>,
}

/// Every kind, in the order of [`PageKind`]'s variants.
pub const KINDS: [KindSpec; 7] = [
    KindSpec {
        kind: PageKind::Home,
        name: "home",
        files: KindFiles::One("index.md"),
        route: "/",
        template: "home.html",
        list_template: None,
        label: "Home",
        plural: "home page",
        list_title: "",
        list_description: "",
        crumb: "Home",
        nav_position: None,
        order: ListOrder::ByTitle,
        parse: parse_as::<PlainFrontMatter>,
        new_page: None,
    },
    KindSpec {
        kind: PageKind::Procedure,
        name: "procedure",
        files: KindFiles::Folder("procedures"),
        route: "/procedures",
        template: "procedure.html",
        list_template: Some("procedure_list.html"),
        label: "Procedure",
        plural: "procedures",
        list_title: "Procedures",
        list_description: "Information sheets about interventional radiology procedures, by body system and from A to Z.",
        crumb: "Procedures",
        nav_position: Some(0),
        order: ListOrder::ByTitle,
        parse: parse_as::<ProcedureFrontMatter>,
        new_page: Some(NewPageText {
            title_hint: "the name of the procedure that patients know",
            fields: procedure_fields,
            tables: "\n[professional]  # the section for healthcare professionals\n\
                     indications = []\n\
                     contraindications = []\n\
                     referral = \"TODO: how to refer a patient\"\n\
                     guidance = []  # such as { title = \"NICE IPG367: ...\", url = \"https://www.nice.org.uk/guidance/ipg367\" }\n\
                     \n\
                     # One [[risks]] block per risk, most common first. Never write a band word such as\n\
                     # \"rare\": the site works it out from the number. See content/README.md.\n\
                     [[risks]]\n\
                     what = \"TODO: what happens, in plain words\"\n\
                     # frequency = \"1 in 100\"  # \"N in M\", \"N to N2 in M\" or \"fewer than N in M\", as the source you read gives it\n\
                     # sources = [\"source-id\"]  # needed with a frequency\n\
                     frequency_unknown = \"TODO: why no published figure is known (remove this when you give a frequency)\"\n\
                     # treatment = \"what is done about it\"\n\
                     \n\
                     # [get_help]  # the care cards shown at the end of \"Afterwards\"\n\
                     # call_999 = [\"you have chest pain\"]  # \"Call 999 or go to A&E now if\"\n\
                     # same_day = [\"you have a high temperature\"]  # \"Get help the same day if\"\n\
                     # non_urgent = [\"your wound is still sore after a week\"]  # \"Contact your team or GP if\"\n",
            sample: false,
            sections: &PROCEDURE_SECTION_HINTS,
        }),
    },
    KindSpec {
        kind: PageKind::Condition,
        name: "condition",
        files: KindFiles::Folder("conditions"),
        route: "/conditions",
        template: "condition.html",
        list_template: Some("condition_list.html"),
        label: "Condition",
        plural: "conditions",
        list_title: "Conditions",
        list_description: "Conditions that interventional radiology can help with, and the procedures that treat them.",
        crumb: "Conditions",
        nav_position: Some(1),
        order: ListOrder::ByTitle,
        parse: parse_as::<ConditionFrontMatter>,
        new_page: Some(NewPageText {
            title_hint: "the name of the condition that patients use",
            fields: |_| {
                "medical_name = \"TODO: the medical name\"\n\
                 also_known_as = []  # other names patients use\n\
                 other_treatments = \"TODO: one line on treatments that are not IR\"\n\
                 # nhs_url = \"https://www.nhs.uk/conditions/...\"\n\
                 # nice_url = \"https://www.nice.org.uk/guidance/...\"\n"
                    .to_string()
            },
            tables: "",
            sample: false,
            sections: &[
                (
                    "What is it?",
                    "what the condition is, in two or three short sentences",
                ),
                ("Symptoms", "what people notice"),
                (
                    "How interventional radiology can help",
                    "which procedures help, with links such as [angioplasty](/procedures/angioplasty)",
                ),
                ("Other treatments", "the treatments that are not IR"),
            ],
        }),
    },
    KindSpec {
        kind: PageKind::Story,
        name: "story",
        files: KindFiles::Folder("stories"),
        route: "/stories",
        template: "story.html",
        list_template: Some("story_list.html"),
        label: "Patient story",
        plural: "stories",
        list_title: "Patient stories",
        list_description: "What having an interventional radiology procedure can be like, told in the first person.",
        crumb: "Patient stories",
        nav_position: Some(4),
        order: ListOrder::NewestFirst,
        parse: parse_as::<StoryFrontMatter>,
        new_page: Some(NewPageText {
            title_hint: "a short headline in the patient's words",
            fields: |today| {
                format!(
                    "procedures = [\"TODO\"]  # slugs of the procedure sheets the story is about\n\
                     published = {today}\n"
                )
            },
            tables: "",
            sample: true,
            sections: &[
                ("Before", "what was wrong, in the patient's own words"),
                ("The procedure", "what it was like on the day"),
                ("Afterwards", "how things went after"),
            ],
        }),
    },
    KindSpec {
        kind: PageKind::Radiation,
        name: "radiation",
        files: KindFiles::Folder("radiation"),
        route: "/radiation",
        template: "article.html",
        list_template: Some("radiation_list.html"),
        label: "Radiation",
        plural: "radiation pages",
        list_title: "Radiation and your procedure",
        list_description: "How much radiation X-ray, CT and interventional radiology procedures use, and what that means.",
        crumb: "Radiation",
        nav_position: Some(3),
        order: ListOrder::ByTitle,
        parse: parse_as::<PlainFrontMatter>,
        new_page: Some(PLAIN_NEW_PAGE),
    },
    KindSpec {
        kind: PageKind::Statement,
        name: "statement",
        files: KindFiles::Folder("statements"),
        route: "/statements",
        template: "statement.html",
        list_template: Some("statement_list.html"),
        label: "Position statement",
        plural: "statements",
        list_title: "Position statements",
        list_description: "The society's position statements, newest first, with whether each still stands.",
        crumb: "Position statements",
        nav_position: None,
        order: ListOrder::NewestFirst,
        parse: parse_as::<StatementFrontMatter>,
        new_page: Some(NewPageText {
            title_hint: "the statement's title",
            fields: |today| {
                format!(
                    "issued = {today}\n\
                     status = \"current\"  # \"current\", \"superseded\" or \"withdrawn\"\n\
                     # superseded_by = \"slug-of-the-newer-statement\"  # only when status = \"superseded\"\n"
                )
            },
            tables: "",
            sample: false,
            sections: &[
                ("Background", "why the society is making this statement"),
                ("Our position", "what the society's position is"),
                ("What this means for patients", "what changes for patients"),
            ],
        }),
    },
    KindSpec {
        kind: PageKind::About,
        name: "about",
        files: KindFiles::Folder("pages"),
        route: "/about",
        template: "article.html",
        list_template: Some("about_list.html"),
        label: "About",
        plural: "about pages",
        list_title: "About interventional radiology and this site",
        list_description: "What interventional radiology is, how doctors train in it, and how this site's information is written.",
        crumb: "About",
        nav_position: Some(5),
        order: ListOrder::ByTitle,
        parse: parse_as::<PlainFrontMatter>,
        new_page: Some(PLAIN_NEW_PAGE),
    },
];

/// What `irinfo new` writes for a plain article (a radiation guide or an about page).
pub const PLAIN_NEW_PAGE: NewPageText = NewPageText {
    title_hint: "the page title",
    fields: |_| String::new(),
    tables: "",
    sample: false,
    sections: &[("TODO: a heading", "the first part of the page")],
};

/// The sections every procedure sheet must have (`library::PROCEDURE_SECTIONS`), with what to
/// write under each.
const PROCEDURE_SECTION_HINTS: [(&str, &str); 9] = [
    (
        "What is it?",
        "say what the procedure is in two or three short sentences",
    ),
    (
        "Why do I need it?",
        "say what it treats or finds, and link to the condition pages",
    ),
    (
        "Are there alternatives?",
        "list the other choices, such as surgery or medicines",
    ),
    (
        "Before the procedure",
        "tests, medicines to stop, eating and drinking, consent",
    ),
    (
        "What happens during the procedure?",
        "step by step, from arriving to leaving the room",
    ),
    (
        "Afterwards",
        "recovery and going home; when to get help goes in [get_help], which the site adds here",
    ),
    (
        "Risks and how common they are",
        "a short introduction only: the risks go in [[risks]], which the site lists here",
    ),
    (
        "Radiation",
        "whether X-rays are used; the site adds the dose panel itself",
    ),
    ("Questions to ask your doctor", "what to ask, as a list"),
];

/// A procedure sheet's own front-matter lines for `irinfo new`.
fn procedure_fields(_today: Date) -> String {
    format!(
        "also_known_as = []  # other names and abbreviations, such as [\"PTA\", \"balloon angioplasty\"]\n\
         conditions = []  # slugs of the conditions it treats, from content/conditions/\n\
         category = \"TODO\"  # one of: {}\n\
         x_rays = \"TODO\"  # \"yes\", \"sometimes\" or \"no\"\n\
         related = []  # slugs of other procedure sheets worth reading\n\
         # The dose, if any, is written once, in radiation/doses.toml (`procedure = \"<slug>\"`).\n\
         sources = [\"TODO\"]  # at least 3 ids from content/sources/*.toml, besides [@id] in the text\n\
         search_terms = []  # words searchers type that are not shown, such as US spellings\n",
        Category::ALL
            .iter()
            .map(|c| c.anchor())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl PageKind {
    /// Every kind, in table order.
    pub const ALL: [PageKind; 7] = [
        Self::Home,
        Self::Procedure,
        Self::Condition,
        Self::Story,
        Self::Radiation,
        Self::Statement,
        Self::About,
    ];

    /// This kind's row of [`KINDS`].
    pub fn spec(self) -> &'static KindSpec {
        &KINDS[self as usize]
    }

    /// The kind `irinfo new` calls `name`, such as `procedure`.
    pub fn named(name: &str) -> Option<PageKind> {
        KINDS.iter().find(|s| s.name == name).map(|s| s.kind)
    }

    /// The folder under `content/`; empty for a kind with a single file.
    pub fn folder(self) -> &'static str {
        match self.spec().files {
            KindFiles::Folder(folder) => folder,
            KindFiles::One(_) => "",
        }
    }

    /// The site path of the list page, which is also the prefix of each page's path.
    pub fn list_path(self) -> &'static str {
        self.spec().route
    }

    /// The site path of one page of this kind.
    pub fn page_path(self, slug: &str) -> String {
        match self.spec().files {
            KindFiles::One(_) => self.spec().route.to_string(),
            KindFiles::Folder(_) => format!("{}/{slug}", self.spec().route),
        }
    }

    /// A short name for the kind, as shown beside search results.
    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// The plural name, as used in counts and list pages.
    pub fn plural(self) -> &'static str {
        self.spec().plural
    }
}

/// What a front-matter struct must be to be a kind's type: parsed from TOML, giving the common
/// fields, and optionally a date to order by and checks of its own.
pub trait PageFrontMatter:
    DeserializeOwned + FrontMatterMeta + Debug + Send + Sync + 'static
{
    /// The date a [`ListOrder::NewestFirst`] list orders by.
    fn list_date(&self) -> Option<ContentDate> {
        None
    }

    /// Checks only this kind can make, reported into `d`.
    fn check(&self, _source: &SourceFile, _body: &RenderedMarkdown, _d: &mut Diagnostics) {}
}

/// A kind's front matter behind a trait object, so that pages of every kind share one type.
pub trait AnyFrontMatter: Any + Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;

    /// [`PageFrontMatter::check`] of the type behind the trait object.
    fn check_kind(&self, source: &SourceFile, body: &RenderedMarkdown, d: &mut Diagnostics);

    /// [`FrontMatterMeta::review_fields`] of the type behind the trait object.
    fn review_fields_of(&self) -> super::review::ReviewFields<'_>;
}

impl<F: PageFrontMatter> AnyFrontMatter for F {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn check_kind(&self, source: &SourceFile, body: &RenderedMarkdown, d: &mut Diagnostics) {
        self.check(source, body, d);
    }

    fn review_fields_of(&self) -> super::review::ReviewFields<'_> {
        self.review_fields()
    }
}

/// Parses `toml` as `F`: the `parse` of a kind's row.
fn parse_as<F: PageFrontMatter>(toml: &str) -> Result<ParsedFrontMatter, toml::de::Error> {
    let front: F = toml::from_str(toml)?;
    Ok(ParsedFrontMatter {
        meta: front.meta(),
        list_date: front.list_date(),
        front: Box::new(front),
    })
}

/// One content file as read from disk, kept so that later checks can point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Where the front matter starts in `text`; spans from TOML are relative to it.
    pub front_matter_offset: usize,
    pub body_offset: usize,
    /// When the file was last changed, for `Last-Modified`.
    pub modified: Option<std::time::SystemTime>,
}

/// Lower-case ASCII letters and digits in groups joined by single hyphens.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A page of any kind: its kind and slug, common fields, front matter and rendered body.
#[derive(Debug)]
pub struct Page {
    pub kind: PageKind,
    pub slug: String,
    pub meta: PageMeta,
    /// The kind's own front-matter struct; read it through [`Page::front`] or a [`TypedPage`].
    pub front: Box<dyn AnyFrontMatter>,
    /// The date the kind's list is ordered by, if it is ordered by date.
    pub list_date: Option<ContentDate>,
    pub body: RenderedMarkdown,
    pub source: SourceFile,
}

impl Page {
    /// The site path of this page.
    pub fn path(&self) -> String {
        self.kind.page_path(&self.slug)
    }

    /// The front matter as `F`, if that is this page's kind's type.
    pub fn front<F: PageFrontMatter>(&self) -> Option<&F> {
        self.front.as_any().downcast_ref::<F>()
    }

    /// The file this page was read from.
    pub fn file(&self) -> &Path {
        &self.source.path
    }
}

/// A reference to any page, for lookups that span kinds.
pub type PageRef<'a> = &'a Page;

/// A page seen with its kind's own front-matter type: `page.front` is the typed struct, and every
/// other field of [`Page`] reads through.
#[derive(Debug)]
pub struct TypedPage<'a, F> {
    pub page: &'a Page,
    pub front: &'a F,
}

impl<F> Clone for TypedPage<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for TypedPage<'_, F> {}

impl<'a, F: PageFrontMatter> TypedPage<'a, F> {
    /// The typed view of `page`, if `F` is its front-matter type.
    pub fn of(page: &'a Page) -> Option<Self> {
        page.front::<F>().map(|front| Self { page, front })
    }
}

impl<F> std::ops::Deref for TypedPage<'_, F> {
    type Target = Page;

    fn deref(&self) -> &Page {
        self.page
    }
}

/// The home page.
pub type HomePage<'a> = TypedPage<'a, PlainFrontMatter>;
/// A procedure information sheet.
pub type ProcedureSheet<'a> = TypedPage<'a, ProcedureFrontMatter>;
/// A condition page.
pub type Condition<'a> = TypedPage<'a, ConditionFrontMatter>;
/// A patient story.
pub type PatientStory<'a> = TypedPage<'a, StoryFrontMatter>;
/// A position statement.
pub type PositionStatement<'a> = TypedPage<'a, StatementFrontMatter>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_variant_order() {
        for (i, kind) in PageKind::ALL.iter().enumerate() {
            assert_eq!(KINDS[i].kind, *kind, "row {i}");
            assert_eq!(kind.spec().kind, *kind);
        }
    }

    #[test]
    fn names_and_routes_are_unique() {
        for (i, a) in KINDS.iter().enumerate() {
            for b in &KINDS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.route, b.route);
                assert_ne!(a.files, b.files);
            }
        }
    }

    #[test]
    fn procedure_hints_follow_the_required_sections() {
        let headings: Vec<&str> = PROCEDURE_SECTION_HINTS.iter().map(|(h, _)| *h).collect();
        assert_eq!(headings, super::super::library::PROCEDURE_SECTIONS);
    }

    #[test]
    fn kinds_by_name() {
        let cases = [
            ("story", Some(PageKind::Story)),
            ("procedure", Some(PageKind::Procedure)),
            ("stories", None),
        ];
        for (name, kind) in cases {
            assert_eq!(PageKind::named(name), kind, "{name}");
        }
    }
}
