//! The `Library`: every page of content, parsed, rendered and cross-checked, built once and then
//! only read. A new Library is built whole and swapped in whole; it is never edited in place,
//! with one exception: a Site, once it has rendered every page, takes the plain texts out and
//! drops the Markdown sources and rendered bodies ([`Library::take_plain_texts`]). Nothing that
//! answers a request reads them, and at 10,000 sheets they were 300 MB (issue 22).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use rayon::prelude::*;

use super::codes::CodeSystem;
use super::diagnostics::Diagnostics;
use super::doses::DoseTable;
use super::front_matter::{
    self, ConditionFrontMatter, ContentDate, PageMeta, PlainFrontMatter, ProcedureFrontMatter,
    SlugRef, StatementFrontMatter, StatementStatus, StoryFrontMatter,
};
use super::kinds::{
    Condition, HomePage, KINDS, KindFiles, KindSpec, ListOrder, Page, PageFrontMatter, PageKind,
    PageRef, PatientStory, PositionStatement, ProcedureSheet, TypedPage,
};
pub use super::kinds::{SourceFile, is_valid_slug};
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
    /// The site paths served that are neither a Markdown page nor a kind's list (the web layer's
    /// `GENERATED_PATHS`): links may point at them, and no page may take one.
    pub generated_paths: &'static [&'static str],
}

impl LoadOptions {
    /// Published content only, no district table, and no paths served besides the pages (add
    /// them with [`LoadOptions::serving`]): what tests and benchmarks load.
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
            generated_paths: &[],
        }
    }

    /// These options, knowing that the site also serves `paths`.
    pub fn serving(self, paths: &'static [&'static str]) -> Self {
        Self {
            generated_paths: paths,
            ..self
        }
    }
}

/// Every published page of content, parsed and checked: the pages of each kind in that kind's
/// list order, found by kind and slug.
#[derive(Debug)]
pub struct Library {
    /// One section per kind, at the index of its [`PageKind`].
    sections: Vec<Section>,
    /// The typical radiation doses from `radiation/doses.toml`.
    pub doses: DoseTable,
    /// Every source pages, risks and doses cite, from `sources/*.toml`.
    pub bibliography: Bibliography,
    /// Whether drafts were included when this Library was built.
    pub includes_drafts: bool,
    /// Whether [`Library::take_plain_texts`] has emptied the pages' sources and bodies.
    texts_taken: bool,
}

/// The pages of one kind, in list order, with their positions by slug so that following a link
/// is a hash lookup rather than a scan.
#[derive(Debug, Default)]
struct Section {
    pages: Vec<Page>,
    by_slug: HashMap<String, usize>,
}

impl Section {
    fn new(kind: PageKind, mut pages: Vec<Page>) -> Self {
        match kind.spec().order {
            ListOrder::ByTitle => {
                pages.sort_by_cached_key(|p| p.meta.title.to_lowercase());
            }
            ListOrder::NewestFirst => pages.sort_by(|a, b| {
                b.list_date
                    .cmp(&a.list_date)
                    .then_with(|| a.slug.cmp(&b.slug))
            }),
        }
        let by_slug = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.slug.clone(), i))
            .collect();
        Self { pages, by_slug }
    }
}

/// What loading produced: the Library when there were no errors, and every problem found.
#[derive(Debug)]
pub struct LoadOutcome {
    pub library: Option<Library>,
    pub diagnostics: Diagnostics,
}

impl Library {
    /// Reads, parses, renders and checks everything under `options.content_dir`. (The finder's
    /// places and directory, also under it, are read by `irinfo::load_content`.)
    pub fn load(options: &LoadOptions) -> LoadOutcome {
        let mut diagnostics = Diagnostics::default();
        let library = Self::read(options, &mut diagnostics);
        let library = library
            .check(options, &mut diagnostics)
            .then_some(library)
            .filter(|_| !diagnostics.has_errors());
        LoadOutcome {
            library,
            diagnostics,
        }
    }

    /// Reads and parses every page and the table of doses, each file on its own; the checks that
    /// span files are [`Library::check`]'s. What fails to parse is left out and reported.
    pub fn read(options: &LoadOptions, diagnostics: &mut Diagnostics) -> Library {
        let mut loader = Loader {
            options,
            diagnostics,
        };
        let sections: Vec<Section> = KINDS
            .iter()
            .map(|spec| Section::new(spec.kind, loader.load_kind(spec)))
            .collect();
        let bibliography = Bibliography::load(&options.content_dir, options.today, diagnostics);
        let doses = DoseTable::load(
            &options.content_dir,
            options.today,
            &bibliography,
            diagnostics,
        );
        Library {
            sections,
            doses,
            bibliography,
            includes_drafts: options.include_drafts,
            texts_taken: false,
        }
    }

    /// Checks what spans files (references, links, doses against sheets, proof-reading), if
    /// every kind kept in one file (the home page) is there, and says whether it was; a missing
    /// one is reported already.
    pub fn check(&self, options: &LoadOptions, diagnostics: &mut Diagnostics) -> bool {
        let complete = KINDS.iter().all(|spec| {
            !matches!(spec.files, KindFiles::One(_)) || !self.pages(spec.kind).is_empty()
        });
        if complete {
            self.check_references(options, diagnostics);
            for page in self.all_pages() {
                let path = page.path();
                if options.generated_paths.contains(&path.as_str()) {
                    diagnostics.file_error(
                        &page.source.path,
                        format!(
                            "the slug `{}` is taken by a page the site makes itself ({path}); rename the file",
                            page.slug
                        ),
                    );
                }
            }
            super::authority::check_library(
                &self.all_pages(),
                &self.bibliography,
                &self.doses,
                diagnostics,
            );
            self.doses.check_against(self.procedures(), diagnostics);
            super::proofread::check_pages(&self.all_pages(), options.today, diagnostics);
        }
        complete
    }

    /// Drops each page's Markdown source, which only loading and checking read (to point at a
    /// line): a Site calls this before it renders, to lower its peak (see
    /// [`Library::take_plain_texts`]).
    pub fn drop_sources(&mut self) {
        self.texts_taken = true;
        for page in self
            .sections
            .iter_mut()
            .flat_map(|section| &mut section.pages)
        {
            page.source.text = String::new();
        }
    }

    /// Takes each page's plain text out (for the search index), in the order of
    /// [`Library::all_pages`], and drops what only loading, checking and rendering use: each
    /// page's Markdown source and the rest of its rendered body (HTML, headings, links). A Site
    /// calls this once every page is rendered: nothing answered per request reads them, and
    /// they were a third of the memory a page held (issue 22). Metadata, front matter, the
    /// doses and the bibliography stay. Afterwards [`Library::has_texts`] is false, and
    /// every page's `body` and `source.text` are empty.
    pub fn take_plain_texts(&mut self) -> Vec<String> {
        self.texts_taken = true;
        self.sections
            .iter_mut()
            .flat_map(|section| &mut section.pages)
            .map(|page| {
                page.source.text = String::new();
                std::mem::take(&mut page.body).plain_text
            })
            .collect()
    }

    /// Whether the pages still have their Markdown source and rendered bodies (see
    /// [`Library::take_plain_texts`]).
    pub fn has_texts(&self) -> bool {
        !self.texts_taken
    }

    /// The pages of one kind, in its list order.
    pub fn pages(&self, kind: PageKind) -> &[Page] {
        &self.sections[kind as usize].pages
    }

    /// The page of this kind and slug, if there is one.
    pub fn page(&self, kind: PageKind, slug: &str) -> Option<&Page> {
        let section = &self.sections[kind as usize];
        section.by_slug.get(slug).map(|&i| &section.pages[i])
    }

    /// The pages of one kind seen with its front-matter type `F`.
    ///
    /// # Panics
    /// If `F` is not the type in `kind`'s row of [`KINDS`]: a bug, caught by any test that loads.
    pub fn typed<F: PageFrontMatter>(
        &self,
        kind: PageKind,
    ) -> impl ExactSizeIterator<Item = TypedPage<'_, F>> + Clone {
        self.pages(kind).iter().map(typed_page)
    }

    /// Every page of every kind, home first, each kind in list order.
    pub fn all_pages(&self) -> Vec<PageRef<'_>> {
        self.sections.iter().flat_map(|s| &s.pages).collect()
    }

    /// The home page.
    pub fn home(&self) -> HomePage<'_> {
        typed_page(&self.pages(PageKind::Home)[0])
    }

    /// Every procedure sheet, by title.
    pub fn procedures(&self) -> impl ExactSizeIterator<Item = ProcedureSheet<'_>> + Clone {
        self.typed(PageKind::Procedure)
    }

    /// Every condition, by title.
    pub fn conditions(&self) -> impl ExactSizeIterator<Item = Condition<'_>> + Clone {
        self.typed(PageKind::Condition)
    }

    /// Every patient story, newest first.
    pub fn stories(&self) -> impl ExactSizeIterator<Item = PatientStory<'_>> + Clone {
        self.typed(PageKind::Story)
    }

    /// Every position statement, newest first.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = PositionStatement<'_>> + Clone {
        self.typed(PageKind::Statement)
    }

    pub fn procedure(&self, slug: &str) -> Option<ProcedureSheet<'_>> {
        self.page(PageKind::Procedure, slug).map(typed_page)
    }

    pub fn condition(&self, slug: &str) -> Option<Condition<'_>> {
        self.page(PageKind::Condition, slug).map(typed_page)
    }

    pub fn statement(&self, slug: &str) -> Option<PositionStatement<'_>> {
        self.page(PageKind::Statement, slug).map(typed_page)
    }

    /// The procedures whose `conditions` name this condition: the one place that link is written.
    pub fn treatments_for(&self, condition_slug: &str) -> Vec<ProcedureSheet<'_>> {
        self.procedures()
            .filter(|p| {
                p.front
                    .conditions
                    .iter()
                    .any(|c| c.get_ref() == condition_slug)
            })
            .collect()
    }

    /// The stories that mention this procedure.
    pub fn stories_about(&self, procedure_slug: &str) -> Vec<PatientStory<'_>> {
        self.stories()
            .filter(|s| {
                s.front
                    .procedures
                    .iter()
                    .any(|p| p.get_ref() == procedure_slug)
            })
            .collect()
    }

    /// "31 procedures, 34 conditions, ..." for `check`'s summary line.
    pub fn counts(&self) -> Vec<String> {
        KINDS
            .iter()
            .filter(|spec| matches!(spec.files, KindFiles::Folder(_)))
            .map(|spec| format!("{} {}", self.pages(spec.kind).len(), spec.plural))
            .collect()
    }

    /// Checks everything that spans files: slugs named in front matter and links in bodies.
    fn check_references(&self, options: &LoadOptions, diagnostics: &mut Diagnostics) {
        let mut check_slugs = |source: &SourceFile, refs: &[SlugRef], kind: PageKind| {
            for r in refs {
                if self.page(kind, r.get_ref()).is_none() {
                    let what = match kind {
                        PageKind::Procedure => "procedure sheet",
                        _ => kind.spec().name,
                    };
                    diagnostics.error(
                        &source.path,
                        &source.text,
                        front_offset(source, r.span().start),
                        format!("there is no {what} with the slug `{}`", r.get_ref()),
                    );
                }
            }
        };
        for p in self.procedures() {
            check_slugs(&p.source, &p.front.related, PageKind::Procedure);
            check_slugs(&p.source, &p.front.conditions, PageKind::Condition);
        }
        for s in self.stories() {
            check_slugs(&s.source, &s.front.procedures, PageKind::Procedure);
        }
        for s in self.statements() {
            if let Some(successor) = &s.front.superseded_by {
                check_slugs(
                    &s.source,
                    std::slice::from_ref(successor),
                    PageKind::Statement,
                );
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

/// The typed view of a page whose kind's row names `F` as its type.
fn typed_page<F: PageFrontMatter>(page: &Page) -> TypedPage<'_, F> {
    TypedPage::of(page).unwrap_or_else(|| {
        panic!(
            "{} pages do not have the front matter {}",
            page.kind.label(),
            std::any::type_name::<F>()
        )
    })
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
        None if options.generated_paths.contains(&target)
            || KINDS.iter().any(|k| k.route == target) =>
        {
            None
        }
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

// Each kind's front matter can give the date its list is ordered by, and say things about itself
// that only it can check.

impl PageFrontMatter for PlainFrontMatter {}

impl PageFrontMatter for ConditionFrontMatter {
    /// Each clinical code must have its system's form (see [`super::codes`]).
    fn check(&self, source: &SourceFile, _body: &RenderedMarkdown, d: &mut Diagnostics) {
        let systems = [
            (CodeSystem::SnomedCt, &self.snomed_ct),
            (CodeSystem::Icd10, &self.icd10),
        ];
        for (system, codes) in systems {
            for code in codes {
                if system.normalise(code.get_ref()).is_none() {
                    d.error(
                        &source.path,
                        &source.text,
                        front_offset(source, code.span().start),
                        format!(
                            "`{}` is not a valid {} code: expected {}",
                            code.get_ref(),
                            system.label(),
                            system.expected()
                        ),
                    );
                }
            }
        }
    }
}

impl PageFrontMatter for StoryFrontMatter {
    fn list_date(&self) -> Option<ContentDate> {
        Some(self.published)
    }
}

impl PageFrontMatter for StatementFrontMatter {
    fn list_date(&self) -> Option<ContentDate> {
        Some(self.issued)
    }

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

impl PageFrontMatter for ProcedureFrontMatter {
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
    /// Every page of one kind, drafts left out unless included; problems go to diagnostics.
    fn load_kind(&mut self, spec: &KindSpec) -> Vec<Page> {
        let dir = match spec.files {
            KindFiles::One(file) => {
                let path = self.options.content_dir.join(file);
                let slug = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                return self.parse_file(spec, &path, slug).into_iter().collect();
            }
            KindFiles::Folder(folder) => self.options.content_dir.join(folder),
        };
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
        let parsed: Vec<_> = to_parse
            .into_par_iter()
            .map(|(path, slug)| {
                let mut diagnostics = Diagnostics::default();
                let page = Loader {
                    options,
                    diagnostics: &mut diagnostics,
                }
                .parse_file(spec, &path, slug);
                (page, diagnostics)
            })
            .collect();
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

    fn parse_file(&mut self, spec: &KindSpec, path: &Path, slug: String) -> Option<Page> {
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
        let parsed = match (spec.parse)(split.front_matter) {
            Ok(parsed) => parsed,
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
        let mut parsed = parsed;
        let (review, problems) =
            super::review::check(&parsed.front.review_fields_of(), self.options.today);
        for problem in problems {
            self.diagnostics.at_offset(
                problem.severity,
                path,
                &text,
                front_offset(&source, problem.offset),
                problem.message,
            );
        }
        parsed.meta.review = review;
        self.check_meta(&parsed.meta, &source);
        parsed.front.check_kind(&source, &body, self.diagnostics);
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
            kind: spec.kind,
            slug,
            meta: parsed.meta,
            front: parsed.front,
            list_date: parsed.list_date,
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
