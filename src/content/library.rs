//! The `Library`: every page of content, parsed, rendered and cross-checked, built once and then
//! only read. A new Library is built whole and swapped in whole; it is never edited in place.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::de::DeserializeOwned;

use super::diagnostics::Diagnostics;
use super::doses::DoseTable;
use super::front_matter::{
    self, ConditionFrontMatter, FrontMatterMeta, PageMeta, PlainFrontMatter, ProcedureFrontMatter,
    SlugRef, StatementFrontMatter, StatementStatus, StoryFrontMatter,
};
use super::markdown::{self, RenderedMarkdown};
use super::sources::Bibliography;

/// The `##` headings every procedure sheet must have, in this order.
pub const PROCEDURE_SECTIONS: [&str; 9] = [
    "What is it?",
    "Why do I need it?",
    "Are there alternatives?",
    "Before the procedure",
    "What happens during the procedure?",
    "Afterwards",
    "Risks and how common they are",
    "Radiation",
    "Questions to ask your doctor",
];

/// Site paths that are not Markdown pages but are always served; internal links may point at them.
pub const GENERATED_PATHS: &[&str] = &[
    "/",
    "/procedures",
    "/conditions",
    "/stories",
    "/statements",
    "/radiation",
    "/radiation/doses",
    "/radiation/compare",
    "/about",
    "/contact",
    "/find",
    "/search",
    "/a-z",
];

/// The longest summary that fits a search engine's description without being cut.
pub const SUMMARY_LIMIT: usize = 160;

/// Where content comes from and what to include.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub content_dir: PathBuf,
    /// Used to check links to `/static/...` files.
    pub static_dir: PathBuf,
    /// Serve pages marked `draft = true` (for previews only).
    pub include_drafts: bool,
    /// The date review warnings are measured against.
    pub today: Date,
    /// The operator's CSV of postcode districts for the finder (site.toml `[finder]`), if any.
    pub postcode_districts: Option<PathBuf>,
}

impl LoadOptions {
    /// Published content only, no district table: what tests and benchmarks load.
    pub fn published(
        content_dir: impl Into<PathBuf>,
        static_dir: impl Into<PathBuf>,
        today: Date,
    ) -> Self {
        Self {
            content_dir: content_dir.into(),
            static_dir: static_dir.into(),
            include_drafts: false,
            today,
            postcode_districts: None,
        }
    }
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

/// A page of any kind: its slug, common fields, kind-specific front matter and rendered body.
#[derive(Debug)]
pub struct Page<F> {
    pub slug: String,
    pub meta: PageMeta,
    pub front: F,
    pub body: RenderedMarkdown,
    pub source: SourceFile,
}

pub type HomePage = Page<PlainFrontMatter>;
pub type ProcedureSheet = Page<ProcedureFrontMatter>;
pub type Condition = Page<ConditionFrontMatter>;
pub type PatientStory = Page<StoryFrontMatter>;
pub type RadiationGuide = Page<PlainFrontMatter>;
pub type PositionStatement = Page<StatementFrontMatter>;
pub type AboutPage = Page<PlainFrontMatter>;

/// The kinds of Markdown page, with the folder each lives in and the URL prefix it is served at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageKind {
    Home,
    Procedure,
    Condition,
    Story,
    Radiation,
    Statement,
    About,
}

impl PageKind {
    pub const ALL: [PageKind; 7] = [
        Self::Home,
        Self::Procedure,
        Self::Condition,
        Self::Story,
        Self::Radiation,
        Self::Statement,
        Self::About,
    ];

    /// The folder under `content/`.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Home => "",
            Self::Procedure => "procedures",
            Self::Condition => "conditions",
            Self::Story => "stories",
            Self::Radiation => "radiation",
            Self::Statement => "statements",
            Self::About => "pages",
        }
    }

    /// The site path of the list page, which is also the prefix of each page's path.
    pub fn list_path(self) -> &'static str {
        match self {
            Self::Home => "/",
            Self::Procedure => "/procedures",
            Self::Condition => "/conditions",
            Self::Story => "/stories",
            Self::Radiation => "/radiation",
            Self::Statement => "/statements",
            Self::About => "/about",
        }
    }

    /// The site path of one page of this kind.
    pub fn page_path(self, slug: &str) -> String {
        match self {
            Self::Home => "/".to_string(),
            _ => format!("{}/{slug}", self.list_path()),
        }
    }

    /// A short name for the kind, as shown beside search results.
    pub fn label(self) -> &'static str {
        match self {
            Self::Home => "Home",
            Self::Procedure => "Procedure",
            Self::Condition => "Condition",
            Self::Story => "Patient story",
            Self::Radiation => "Radiation",
            Self::Statement => "Position statement",
            Self::About => "About",
        }
    }

    /// The plural name, as used in counts and list pages.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Home => "home page",
            Self::Procedure => "procedures",
            Self::Condition => "conditions",
            Self::Story => "stories",
            Self::Radiation => "radiation pages",
            Self::Statement => "statements",
            Self::About => "about pages",
        }
    }
}

/// Every published page of content, parsed and checked.
#[derive(Debug)]
pub struct Library {
    pub home: HomePage,
    /// Sorted by title.
    pub procedures: Vec<ProcedureSheet>,
    /// Sorted by title.
    pub conditions: Vec<Condition>,
    /// Newest first.
    pub stories: Vec<PatientStory>,
    /// Sorted by title.
    pub radiation: Vec<RadiationGuide>,
    /// Newest first.
    pub statements: Vec<PositionStatement>,
    /// Sorted by title.
    pub about: Vec<AboutPage>,
    /// The typical radiation doses from `radiation/doses.toml`.
    pub doses: DoseTable,
    /// Every source pages, risks and doses cite, from `sources/*.toml`.
    pub bibliography: Bibliography,
    /// Whether drafts were included when this Library was built.
    pub includes_drafts: bool,
    /// The finder's places and directory of services.
    pub finder: crate::finder::Finder,
    /// Positions by slug, so that following a link is a hash lookup rather than a scan.
    index: SlugIndex,
}

/// Where each slug sits in the Library's lists.
#[derive(Debug, Default)]
struct SlugIndex {
    procedures: HashMap<String, usize>,
    conditions: HashMap<String, usize>,
    statements: HashMap<String, usize>,
}

impl SlugIndex {
    fn positions<F>(pages: &[Page<F>]) -> HashMap<String, usize> {
        pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.slug.clone(), i))
            .collect()
    }
}

/// What loading produced: the Library when there were no errors, and every problem found.
#[derive(Debug)]
pub struct LoadOutcome {
    pub library: Option<Library>,
    pub diagnostics: Diagnostics,
}

/// A reference to any page, for lookups that span kinds.
#[derive(Debug, Clone, Copy)]
pub struct PageRef<'a> {
    pub kind: PageKind,
    pub slug: &'a str,
    pub meta: &'a PageMeta,
    pub body: &'a RenderedMarkdown,
    pub source: &'a SourceFile,
}

impl PageRef<'_> {
    pub fn path(&self) -> String {
        self.kind.page_path(self.slug)
    }
}

impl Library {
    /// Reads, parses, renders and checks everything under `options.content_dir`.
    pub fn load(options: &LoadOptions) -> LoadOutcome {
        let mut diagnostics = Diagnostics::default();
        let mut loader = Loader {
            options,
            diagnostics: &mut diagnostics,
        };
        let home_path = options.content_dir.join("index.md");
        let home = loader.parse_file::<PlainFrontMatter>(&home_path, "index".to_string());
        let mut procedures = loader.load_kind::<ProcedureFrontMatter>(PageKind::Procedure);
        let mut conditions = loader.load_kind::<ConditionFrontMatter>(PageKind::Condition);
        let mut stories = loader.load_kind::<StoryFrontMatter>(PageKind::Story);
        let mut radiation = loader.load_kind::<PlainFrontMatter>(PageKind::Radiation);
        let mut statements = loader.load_kind::<StatementFrontMatter>(PageKind::Statement);
        let mut about = loader.load_kind::<PlainFrontMatter>(PageKind::About);
        let bibliography =
            Bibliography::load(&options.content_dir, options.today, &mut diagnostics);
        let doses = DoseTable::load(
            &options.content_dir,
            options.today,
            &bibliography,
            &mut diagnostics,
        );

        let by_title =
            |a: &PageMeta, b: &PageMeta| a.title.to_lowercase().cmp(&b.title.to_lowercase());
        procedures.sort_by(|a, b| by_title(&a.meta, &b.meta));
        conditions.sort_by(|a, b| by_title(&a.meta, &b.meta));
        radiation.sort_by(|a, b| by_title(&a.meta, &b.meta));
        about.sort_by(|a, b| by_title(&a.meta, &b.meta));
        stories.sort_by(|a, b| {
            b.front
                .published
                .cmp(&a.front.published)
                .then(a.slug.cmp(&b.slug))
        });
        statements.sort_by(|a, b| {
            b.front
                .issued
                .cmp(&a.front.issued)
                .then(a.slug.cmp(&b.slug))
        });

        let procedure_slugs: HashSet<&str> = procedures.iter().map(|p| p.slug.as_str()).collect();
        let finder = crate::finder::load(
            &options.content_dir,
            options.postcode_districts.as_deref(),
            &procedure_slugs,
            &mut diagnostics,
        );

        let Some(home) = home else {
            return LoadOutcome {
                library: None,
                diagnostics,
            };
        };
        let index = SlugIndex {
            procedures: SlugIndex::positions(&procedures),
            conditions: SlugIndex::positions(&conditions),
            statements: SlugIndex::positions(&statements),
        };
        let library = Library {
            home,
            procedures,
            conditions,
            stories,
            radiation,
            statements,
            index,
            about,
            doses,
            bibliography,
            includes_drafts: options.include_drafts,
            finder,
        };
        library.check_references(options, &mut diagnostics);
        super::authority::check_library(&library, &mut diagnostics);
        library
            .doses
            .check_against(&library.procedures, &library.radiation, &mut diagnostics);
        super::proofread::check_library(&library, options.today, &mut diagnostics);
        let library = (!diagnostics.has_errors()).then_some(library);
        LoadOutcome {
            library,
            diagnostics,
        }
    }

    /// Every page of every kind, home first.
    pub fn all_pages(&self) -> Vec<PageRef<'_>> {
        fn refs<F>(kind: PageKind, pages: &[Page<F>]) -> impl Iterator<Item = PageRef<'_>> {
            pages.iter().map(move |p| PageRef {
                kind,
                slug: &p.slug,
                meta: &p.meta,
                body: &p.body,
                source: &p.source,
            })
        }
        let mut all = vec![PageRef {
            kind: PageKind::Home,
            slug: &self.home.slug,
            meta: &self.home.meta,
            body: &self.home.body,
            source: &self.home.source,
        }];
        all.extend(refs(PageKind::Procedure, &self.procedures));
        all.extend(refs(PageKind::Condition, &self.conditions));
        all.extend(refs(PageKind::Story, &self.stories));
        all.extend(refs(PageKind::Radiation, &self.radiation));
        all.extend(refs(PageKind::Statement, &self.statements));
        all.extend(refs(PageKind::About, &self.about));
        all
    }

    pub fn procedure(&self, slug: &str) -> Option<&ProcedureSheet> {
        self.index
            .procedures
            .get(slug)
            .and_then(|&i| self.procedures.get(i))
    }

    pub fn condition(&self, slug: &str) -> Option<&Condition> {
        self.index
            .conditions
            .get(slug)
            .and_then(|&i| self.conditions.get(i))
    }

    pub fn statement(&self, slug: &str) -> Option<&PositionStatement> {
        self.index
            .statements
            .get(slug)
            .and_then(|&i| self.statements.get(i))
    }

    /// The procedures whose `conditions` name this condition: the one place that link is written.
    pub fn treatments_for(&self, condition_slug: &str) -> Vec<&ProcedureSheet> {
        self.procedures
            .iter()
            .filter(|p| {
                p.front
                    .conditions
                    .iter()
                    .any(|c| c.get_ref() == condition_slug)
            })
            .collect()
    }

    /// The stories that mention this procedure.
    pub fn stories_about(&self, procedure_slug: &str) -> Vec<&PatientStory> {
        self.stories
            .iter()
            .filter(|s| {
                s.front
                    .procedures
                    .iter()
                    .any(|p| p.get_ref() == procedure_slug)
            })
            .collect()
    }

    /// "31 procedures, 34 conditions, ..." for `check`'s summary line.
    pub fn counts(&self) -> String {
        [
            (self.procedures.len(), PageKind::Procedure),
            (self.conditions.len(), PageKind::Condition),
            (self.stories.len(), PageKind::Story),
            (self.radiation.len(), PageKind::Radiation),
            (self.statements.len(), PageKind::Statement),
            (self.about.len(), PageKind::About),
        ]
        .iter()
        .map(|(n, kind)| format!("{n} {}", kind.plural()))
        .chain(
            (!self.finder.directory.is_empty())
                .then(|| format!("{} directory entries", self.finder.directory.len())),
        )
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Checks everything that spans files: slugs named in front matter and links in bodies.
    fn check_references(&self, options: &LoadOptions, diagnostics: &mut Diagnostics) {
        let procedures: HashSet<&str> = self.procedures.iter().map(|p| p.slug.as_str()).collect();
        let conditions: HashSet<&str> = self.conditions.iter().map(|p| p.slug.as_str()).collect();
        let statements: HashSet<&str> = self.statements.iter().map(|p| p.slug.as_str()).collect();

        let mut check_slugs =
            |source: &SourceFile, refs: &[SlugRef], set: &HashSet<&str>, what: &str| {
                for r in refs {
                    if !set.contains(r.get_ref().as_str()) {
                        diagnostics.error(
                            &source.path,
                            &source.text,
                            front_offset(source, r.span().start),
                            format!("there is no {what} with the slug `{}`", r.get_ref()),
                        );
                    }
                }
            };
        for p in &self.procedures {
            check_slugs(&p.source, &p.front.related, &procedures, "procedure sheet");
            check_slugs(&p.source, &p.front.conditions, &conditions, "condition");
        }
        for s in &self.stories {
            check_slugs(
                &s.source,
                &s.front.procedures,
                &procedures,
                "procedure sheet",
            );
        }
        for s in &self.statements {
            if let Some(successor) = &s.front.superseded_by {
                check_slugs(
                    &s.source,
                    std::slice::from_ref(successor),
                    &statements,
                    "statement",
                );
            }
        }

        for c in &self.conditions {
            let systems = [
                (super::codes::CodeSystem::SnomedCt, &c.front.snomed_ct),
                (super::codes::CodeSystem::Icd10, &c.front.icd10),
            ];
            for (system, codes) in systems {
                for code in codes {
                    if system.normalise(code.get_ref()).is_none() {
                        diagnostics.error(
                            &c.source.path,
                            &c.source.text,
                            front_offset(&c.source, code.span().start),
                            format!(
                                "`{}` is not a {} code: expected {}",
                                code.get_ref(),
                                system.label(),
                                system.expected()
                            ),
                        );
                    }
                }
            }
        }

        // Links in bodies: the target page must exist, and so must its #anchor.
        let pages = self.all_pages();
        let anchors: HashMap<String, HashSet<&str>> = pages
            .iter()
            .map(|p| {
                (
                    p.path(),
                    p.body.headings.iter().map(|h| h.id.as_str()).collect(),
                )
            })
            .collect();
        for page in &pages {
            for link in &page.body.links {
                let Some(problem) = link_problem(&link.destination, page, &anchors, options) else {
                    continue;
                };
                diagnostics.error(
                    &page.source.path,
                    &page.source.text,
                    page.source.body_offset + link.span.start,
                    problem,
                );
            }
        }
    }
}

/// Why an internal link is broken, if it is. External links are not followed.
fn link_problem(
    destination: &str,
    from: &PageRef<'_>,
    anchors: &HashMap<String, HashSet<&str>>,
    options: &LoadOptions,
) -> Option<String> {
    if destination.starts_with("//") || destination.contains("://") || destination.contains(':') {
        return None;
    }
    let (path_and_query, fragment) = match destination.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (destination, None),
    };
    let path = path_and_query.split('?').next().unwrap_or_default();
    let own_path = from.path();
    let target = if path.is_empty() {
        own_path.as_str()
    } else {
        path
    };
    if !target.starts_with('/') {
        return Some(format!(
            "link `{destination}` is relative: write the site path, such as `/procedures/angioplasty`"
        ));
    }
    if let Some(file) = target.strip_prefix("/static/") {
        let on_disk = options.static_dir.join(file);
        let inside = !file
            .split('/')
            .any(|part| part == ".." || part.starts_with('.'));
        return (!inside || !on_disk.is_file())
            .then(|| format!("link `{destination}` points to a static file that does not exist"));
    }
    let target = if target.len() > 1 {
        target.trim_end_matches('/')
    } else {
        target
    };
    match anchors.get(target) {
        Some(ids) => match fragment {
            Some(id) if !id.is_empty() && !ids.contains(id) => Some(format!(
                "link `{destination}` points to `#{id}`, which is not a heading on {target}"
            )),
            _ => None,
        },
        None if GENERATED_PATHS.contains(&target) => None,
        None => Some(format!(
            "link `{destination}` points to a page that does not exist"
        )),
    }
}

/// Maps an offset inside the front-matter block to an offset in the file.
fn front_offset(source: &SourceFile, offset_in_front_matter: usize) -> usize {
    source.front_matter_offset + offset_in_front_matter
}

struct Loader<'a> {
    options: &'a LoadOptions,
    diagnostics: &'a mut Diagnostics,
}

/// Each kind's front matter can say things about itself that only it can check.
trait KindChecks {
    fn check(&self, _source: &SourceFile, _body: &RenderedMarkdown, _d: &mut Diagnostics) {}
}

impl KindChecks for PlainFrontMatter {}
impl KindChecks for ConditionFrontMatter {}
impl KindChecks for StoryFrontMatter {}

impl KindChecks for StatementFrontMatter {
    fn check(&self, source: &SourceFile, _body: &RenderedMarkdown, d: &mut Diagnostics) {
        match (self.status, &self.superseded_by) {
            (StatementStatus::Superseded, None) => d.error(
                &source.path,
                &source.text,
                0,
                "a superseded statement needs `superseded_by`, the slug of the statement that replaced it",
            ),
            (StatementStatus::Current | StatementStatus::Withdrawn, Some(r)) => d.error(
                &source.path,
                &source.text,
                front_offset(source, r.span().start),
                "`superseded_by` is only for statements whose status is \"superseded\"",
            ),
            _ => {}
        }
    }
}

impl KindChecks for ProcedureFrontMatter {
    fn check(&self, source: &SourceFile, body: &RenderedMarkdown, d: &mut Diagnostics) {
        let found: Vec<&str> = body.sections().map(|h| h.text.as_str()).collect();
        let mut next = 0;
        for required in PROCEDURE_SECTIONS {
            match found[next..].iter().position(|h| *h == required) {
                Some(i) => next += i + 1,
                None if found.contains(&required) => d.error(
                    &source.path,
                    &source.text,
                    source.body_offset,
                    format!("the section `## {required}` is out of order; see content/README.md"),
                ),
                None => d.error(
                    &source.path,
                    &source.text,
                    source.body_offset,
                    format!("a procedure sheet needs the section `## {required}`"),
                ),
            }
        }
        super::authority::check_sheet(self, source, body, d);
    }
}

impl Loader<'_> {
    fn load_kind<F: DeserializeOwned + FrontMatterMeta + KindChecks + Send>(
        &mut self,
        kind: PageKind,
    ) -> Vec<Page<F>> {
        let dir = self.options.content_dir.join(kind.folder());
        let mut files = Vec::new();
        if let Err(e) = collect_markdown(&dir, &mut files) {
            self.diagnostics
                .file_error(&dir, format!("cannot read the folder: {e}"));
        }
        files.sort();
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        let mut to_parse = Vec::new();
        for path in files {
            let slug = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            if !is_valid_slug(&slug) {
                self.diagnostics.file_error(
                    &path,
                    format!(
                        "the file name `{slug}` is not a valid slug: use lower-case letters, digits and single hyphens"
                    ),
                );
                continue;
            }
            if let Some(first) = seen.get(&slug) {
                self.diagnostics.file_error(
                    &path,
                    format!(
                        "duplicate slug `{slug}`: {} has it already",
                        first.display()
                    ),
                );
                continue;
            }
            seen.insert(slug.clone(), path.clone());
            to_parse.push((path, slug));
        }
        // Files are independent, so they are parsed on every core; each keeps its own problems,
        // merged back in file order so that the report reads the same every time.
        let options = self.options;
        let parsed = crate::parallel::map(to_parse, |(path, slug)| {
            let mut diagnostics = Diagnostics::default();
            let page = Loader {
                options,
                diagnostics: &mut diagnostics,
            }
            .parse_file::<F>(&path, slug);
            (page, diagnostics)
        });
        let mut pages = Vec::new();
        for (page, diagnostics) in parsed {
            self.diagnostics.extend(diagnostics);
            if let Some(page) = page {
                if !page.meta.draft || self.options.include_drafts {
                    pages.push(page);
                }
            }
        }
        pages
    }

    fn parse_file<F: DeserializeOwned + FrontMatterMeta + KindChecks>(
        &mut self,
        path: &Path,
        slug: String,
    ) -> Option<Page<F>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                self.diagnostics
                    .file_error(path, format!("cannot read the file: {e}"));
                return None;
            }
        };
        let split = match front_matter::split(&text) {
            Ok(split) => split,
            Err(e) => {
                self.diagnostics.error(path, &text, e.offset, e.message);
                return None;
            }
        };
        let front: F = match toml::from_str(split.front_matter) {
            Ok(front) => front,
            Err(e) => {
                let offset = split.front_matter_offset + e.span().map_or(0, |s| s.start);
                self.diagnostics
                    .error(path, &text, offset, e.message().trim().to_string());
                return None;
            }
        };
        let body = markdown::render(split.body);
        let source = SourceFile {
            path: path.to_path_buf(),
            front_matter_offset: split.front_matter_offset,
            body_offset: split.body_offset,
            modified: fs::metadata(path).and_then(|m| m.modified()).ok(),
            text: text.clone(),
        };
        let mut meta = front.meta();
        let (review, problems) = super::review::check(&front.review_fields(), self.options.today);
        for problem in problems {
            self.diagnostics.at_offset(
                problem.severity,
                path,
                &text,
                front_offset(&source, problem.offset),
                problem.message,
            );
        }
        meta.review = review;
        self.check_meta(&meta, &source);
        front.check(&source, &body, self.diagnostics);
        if body.headings.iter().any(|h| h.level == 1) {
            let h1 = body
                .headings
                .iter()
                .find(|h| h.level == 1)
                .expect("found above");
            self.diagnostics.error(
                path,
                &text,
                split.body_offset + h1.span.start,
                "use `##` for headings in the body: the page title is the only `#` heading",
            );
        }
        Some(Page {
            slug,
            meta,
            front,
            body,
            source,
        })
    }

    fn check_meta(&mut self, meta: &PageMeta, source: &SourceFile) {
        let at = |span: &std::ops::Range<usize>| front_offset(source, span.start);
        if meta.title.is_empty() {
            self.diagnostics.error(
                &source.path,
                &source.text,
                at(&meta.title_span),
                "the title is empty",
            );
        }
        let summary_chars = meta.summary.chars().count();
        if summary_chars == 0 {
            self.diagnostics.error(
                &source.path,
                &source.text,
                at(&meta.summary_span),
                "the summary is empty: write one plain sentence",
            );
        } else if summary_chars > SUMMARY_LIMIT {
            self.diagnostics.warning(
                &source.path,
                &source.text,
                at(&meta.summary_span),
                format!(
                    "the summary is {summary_chars} characters; keep it to {SUMMARY_LIMIT} so search engines show all of it"
                ),
            );
        }
        let next = meta.next_review.0;
        if next < self.options.today {
            self.diagnostics.warning(
                &source.path,
                &source.text,
                at(&meta.next_review_span),
                format!(
                    "the review was due on {}: the page is overdue for review",
                    meta.next_review
                ),
            );
        }
    }
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

/// Every `.md` file below `dir`, except README files, which are guides for editors.
fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_markdown(&path, out)?;
        } else if name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_rules() {
        let cases = [
            ("angioplasty", true),
            ("picc-line", true),
            ("24-7-cover", true),
            ("", false),
            ("Angioplasty", false),
            ("picc--line", false),
            ("-picc", false),
            ("picc_line", false),
            ("pícc", false),
        ];
        for (slug, ok) in cases {
            assert_eq!(is_valid_slug(slug), ok, "{slug}");
        }
    }

    #[test]
    fn kind_paths() {
        assert_eq!(PageKind::Procedure.page_path("tips"), "/procedures/tips");
        assert_eq!(PageKind::About.page_path("privacy"), "/about/privacy");
        assert_eq!(PageKind::Home.page_path("index"), "/");
    }
}
