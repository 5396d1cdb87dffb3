//! The `Site`: a Library together with every page rendered from it, ready to serve.
//!
//! Built whole from a Library and swapped in whole, so a request sees one consistent site.
//!
//! # Memory
//!
//! What a Site keeps for each page is what requests need, once (issue 22, benches/README.md
//! "Memory at scale"): the page's compressed copies ([`CachedPage`] keeps no uncompressed body),
//! its API document the same way, its entry in the search index, and the Library's metadata and
//! front matter, which the finder, the dose comparison and the search suggestions read per
//! request. The Markdown source and the rendered body (HTML, plain text, headings, links) are
//! dropped as soon as every page is rendered ([`Library::take_plain_texts`]): the plain text
//! goes to the search index, which is built from it in the background and then drops it too.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use askama::{DynTemplate, Template};
use axum::http::StatusCode;
use rayon::prelude::*;
use tokio::sync::Notify;

use super::assets::StaticAssets;
use super::authority::AuthorityView;
use super::cached::{CachedPage, http_date};
pub use super::error::RenderError;
use super::leaflets::Leaflets;
use super::open_data::OpenData;
use super::open_data::json_ld::PageFacts;
use super::views::*;
use crate::config::SiteConfig;
use crate::content::front_matter::{
    ProcedureFrontMatter, SlugRef, StatementFrontMatter, StatementStatus, StoryFrontMatter,
};
use crate::content::kinds::KindFiles;
use crate::content::{KINDS, Library, Page, PageKind, TypedPage};
use crate::finder::Finder;
use crate::search::{SearchDocument, SearchError, SearchIndex};

/// The stylesheet under `static/` that every page links to.
const STYLESHEET: &str = "site.css";

/// A Library and its rendered pages.
#[derive(Debug)]
pub struct Site {
    /// The content's metadata and front matter. Its pages' Markdown sources and rendered bodies
    /// are gone once the Site is built ([`Library::take_plain_texts`]): read bodies from a
    /// Library of your own ([`crate::load_content`]).
    pub library: Library,
    /// The finder's places and directory of services.
    pub finder: Finder,
    /// The search index of this Site's pages. It is built after the pages, by
    /// [`Site::build_search_index`], so that a server can start serving pages sooner; a search
    /// that arrives before it is ready waits for it ([`Site::search_index`]).
    search: OnceLock<Result<SearchIndex, SearchError>>,
    /// What the index is built from, until it is built.
    search_documents: Mutex<Vec<SearchDocument>>,
    /// Wakes the searches waiting for the index.
    search_built: Notify,
    /// The files under `static/`, by plain and fingerprinted address.
    pub assets: StaticAssets,
    pages: HashMap<String, CachedPage>,
    /// The sitemap, robots file, feed and API documents (see [`super::open_data`]).
    pub open_data: OpenData,
    /// Every sheet's printable leaflet (see [`super::leaflets`]).
    pub leaflets: Leaflets,
    /// The fingerprinted address of the stylesheet every page links to.
    stylesheet: String,
    not_found: CachedPage,
    server_error: CachedPage,
}

/// Why a Site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the content has {count} error(s):\n{diagnostics}", count = .0.error_count(), diagnostics = .0)]
    Content(crate::content::Diagnostics),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Assets(#[from] super::assets::AssetError),
    /// Every page links the stylesheet by its fingerprinted address, so it must be there.
    #[error("{} is missing: every page links to it", .0.display())]
    NoStylesheet(std::path::PathBuf),
}

impl Site {
    /// Reads the static files and renders every page of `library`. The search index is built
    /// separately, by [`Site::build_search_index`].
    pub fn build(
        mut library: Library,
        finder: Finder,
        config: &SiteConfig,
    ) -> Result<Self, BuildError> {
        // The leaflets read the sheets' Markdown (as blocks for the typesetter), so they are
        // gathered first. Rendering reads bodies, never sources: they go next, to lower the
        // peak.
        let leaflets = super::leaflets::prepare(config, &library);
        library.drop_sources();
        let assets = StaticAssets::load(&config.paths.static_files)?;
        let stylesheet = assets
            .url(STYLESHEET)
            .ok_or_else(|| BuildError::NoStylesheet(config.paths.static_files.join(STYLESHEET)))?
            .to_string();
        // Compressing is most of the build. Each page goes to rayon's pool as soon as it is
        // rendered, so rendering (one task) overlaps with compressing (the other threads).
        let compressed = Mutex::new(Vec::new());
        rayon::scope(|scope| {
            let compress = |(path, html, modified): RenderedPage| {
                let compressed = &compressed;
                scope.spawn(move |_| {
                    let page = CachedPage::html_brotli_later(html)
                        .with_last_modified(modified.and_then(http_date));
                    compressed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((path, page));
                });
            };
            Renderer {
                config,
                library: &library,
                stylesheet: &stylesheet,
                rendered: &compress,
            }
            .render_all()
        })?;
        let mut pages: HashMap<String, CachedPage> = compressed
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .collect();
        pages.extend(super::finder::prerender(
            config,
            &library,
            &finder,
            &stylesheet,
            assets.url(super::finder::LOCATION_SCRIPT),
        )?);
        let html_paths: Vec<&str> = pages.keys().map(String::as_str).collect();
        let open_data = OpenData::build(config, &library, &finder, &html_paths);
        let not_found = render_error_page_with(
            config,
            &stylesheet,
            StatusCode::NOT_FOUND,
            "Page not found",
            "We could not find the page you asked for. It may have moved, or the address may be mistyped.",
        )?;
        let server_error = render_error_page_with(
            config,
            &stylesheet,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, something went wrong",
            "There is a problem with this website. Please try again in a few minutes.",
        )?;
        let bodies = library.take_plain_texts();
        let search_documents = Mutex::new(SearchDocument::with_bodies(&library, bodies));
        Ok(Self {
            library,
            finder,
            search: OnceLock::new(),
            search_documents,
            search_built: Notify::new(),
            assets,
            pages,
            open_data,
            leaflets,
            stylesheet,
            not_found,
            server_error,
        })
    }

    /// Builds the search index of this Site's pages, unless it is built already. It takes a
    /// few hundred milliseconds for a thousand pages, so call it where blocking is fine.
    pub fn build_search_index(&self) -> &Result<SearchIndex, SearchError> {
        let built = self.search.get_or_init(|| {
            let documents = std::mem::take(
                &mut *self
                    .search_documents
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            SearchIndex::from_documents(documents)
        });
        self.search_built.notify_waiters();
        built
    }

    /// The search index, waiting for [`Site::build_search_index`] if it has not finished.
    pub async fn search_index(&self) -> &Result<SearchIndex, SearchError> {
        loop {
            // Registered before the check, so a notification between the two is not missed.
            let built = self.search_built.notified();
            let mut built = std::pin::pin!(built);
            built.as_mut().enable();
            if let Some(index) = self.search.get() {
                return index;
            }
            built.await;
        }
    }

    /// The search index, if it is built.
    pub fn search_index_if_built(&self) -> Option<&Result<SearchIndex, SearchError>> {
        self.search.get()
    }

    /// The rendered page at `path`, if there is one.
    pub fn page(&self, path: &str) -> Option<&CachedPage> {
        self.pages.get(path)
    }

    /// How many pages are rendered.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Every rendered path, sorted; used by the export and by tests.
    pub fn paths(&self) -> Vec<&str> {
        super::cached::sorted_keys(&self.pages)
    }

    pub fn not_found(&self) -> &CachedPage {
        &self.not_found
    }

    pub fn server_error(&self) -> &CachedPage {
        &self.server_error
    }

    /// Makes the brotli copy of every page that does not have one yet, on every core. Until
    /// then those pages are sent to brotli clients gzipped. `build_site` calls this before it
    /// returns; the server calls it in the background, so that it can start sooner.
    pub fn make_brotli_copies(&self) {
        self.pages
            .par_iter()
            .for_each(|(_, page)| page.make_brotli());
        self.open_data.make_brotli_copies();
    }

    /// Typesets every sheet's leaflet that is not kept, on every core, keeping as many as fit
    /// in [`super::leaflets::KEPT_BYTES`]; the benchmark times this. A leaflet asked for that
    /// is not kept is typeset for that request.
    pub fn make_leaflets(&self) {
        self.leaflets.make_all();
    }

    /// Like [`Site::make_leaflets`], at the lowest priority in a pool of its own, so that
    /// nothing else waits for it, and only until the leaflets kept are at their budget: the
    /// server calls this in the background, after the brotli copies.
    pub fn make_leaflets_in_background(&self) {
        self.leaflets.make_all_in_background();
    }

    /// The address of the stylesheet, fingerprinted; for layouts of pages rendered per request.
    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// The address of the file `name` under `static/`, fingerprinted, if the site has it; for
    /// scripts of pages rendered per request.
    pub fn asset_url(&self, name: &str) -> Option<&str> {
        self.assets.url(name)
    }

    /// The error page with this heading and message, linking this site's stylesheet.
    pub fn render_error_page(
        &self,
        config: &SiteConfig,
        status: StatusCode,
        heading: &str,
        message: &str,
    ) -> Result<CachedPage, RenderError> {
        render_error_page_with(config, &self.stylesheet, status, heading, message)
    }
}

fn render_error_page_with(
    config: &SiteConfig,
    stylesheet: &str,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Result<CachedPage, RenderError> {
    let template = ErrorTemplate {
        layout: Layout::new(config, stylesheet, "/", heading).noindex(),
        heading: heading.to_string(),
        message: message.to_string(),
        status: status.as_u16(),
    };
    let html = template.render().map_err(|source| RenderError {
        path: format!("error page {status}"),
        source,
    })?;
    Ok(CachedPage::html(html).with_cache_control("no-store"))
}

struct Renderer<'a> {
    config: &'a SiteConfig,
    library: &'a Library,
    /// The fingerprinted stylesheet address every page links to.
    stylesheet: &'a str,
    /// Where rendered pages go to be compressed.
    rendered: &'a (dyn Fn(RenderedPage) + Sync),
}

/// A page rendered but not yet compressed: path, HTML and when its content last changed.
type RenderedPage = (String, String, Option<SystemTime>);

impl<'a> Renderer<'a> {
    fn add(
        &mut self,
        path: String,
        template: &dyn askama::DynTemplate,
        modified: Option<SystemTime>,
    ) -> Result<(), RenderError> {
        let html = template.dyn_render().map_err(|source| RenderError {
            path: path.clone(),
            source,
        })?;
        (self.rendered)((path, html, modified));
        Ok(())
    }

    /// The layout for the page at `path`, linking the fingerprinted stylesheet.
    fn frame(&self, path: &str, title: &str) -> Layout {
        Layout::new(self.config, self.stylesheet, path, title)
    }

    fn layout(&self, page: &Page) -> Layout {
        self.frame(&page.path(), &page.meta.title)
            .describe(&page.meta.summary)
            .flags(page.meta.draft, page.meta.sample)
            .structured(PageFacts::new(self.config, self.library, page))
    }

    /// A link to a page, with its summary.
    fn item(page: &Page) -> ListItem {
        ListItem::new(&page.meta.title, page.path(), &page.meta.summary)
    }

    fn render_all(&mut self) -> Result<(), RenderError> {
        let lib = self.library;
        for spec in &KINDS {
            let pages = lib.pages(spec.kind);
            if spec.list_template.is_some() {
                let layout = self
                    .frame(spec.route, spec.list_title)
                    .describe(spec.list_description)
                    .crumbs([]);
                if let Some(list) = self.list_template(spec.kind, layout) {
                    self.add(spec.route.into(), &*list, newest(pages))?;
                }
            }
            for page in pages {
                let layout = match spec.files {
                    KindFiles::One(_) => self
                        .frame(spec.route, &page.meta.title)
                        .describe(&page.meta.summary)
                        .structured(PageFacts::new(self.config, lib, page)),
                    KindFiles::Folder(_) => self
                        .layout(page)
                        .crumbs([Crumb::new(spec.crumb, spec.route)]),
                };
                let template = self.page_template(page, layout.ask_feedback(page.path()));
                self.add(page.path(), &*template, page.source.modified)?;
            }
        }

        // The table and chart of doses.
        let doses = super::radiation::doses_page(lib, self.config, self.stylesheet);
        self.add("/radiation/doses".into(), &doses, lib.doses.modified())?;

        // The A to Z of procedures and conditions.
        let a_to_z = super::a_to_z::AToZTemplate::new(
            self.frame("/a-z", "A to Z of procedures and conditions")
                .describe("Every procedure and condition on this site, and the other names they go by, from A to Z.")
                .crumbs([]),
            lib,
        );
        let listed = [PageKind::Procedure, PageKind::Condition].map(|kind| newest(lib.pages(kind)));
        self.add("/a-z".into(), &a_to_z, listed.into_iter().flatten().max())?;

        // The page about open data and the API.
        let open_data = OpenDataTemplate::new(
            self.frame(super::open_data::PAGE_PATH, "Open data and our API")
                .describe("How other services can use and follow this site's information: the feed, the sitemap and the API.")
                .crumbs([]),
        );
        self.add(super::open_data::PAGE_PATH.into(), &open_data, None)?;
        Ok(())
    }

    /// The list page of a kind, given its layout; `None` for a kind without one.
    fn list_template(&self, kind: PageKind, layout: Layout) -> Option<Box<dyn DynTemplate + 'a>> {
        let lib = self.library;
        Some(match kind {
            PageKind::Home => return None,
            PageKind::Procedure => {
                let sheets: Vec<_> = lib.procedures().collect();
                Box::new(ProcedureListTemplate {
                    layout,
                    by_category: category_groups(&sheets),
                    by_letter: group_by_letter(sheets.iter().map(|s| Self::item(s)).collect()),
                })
            }
            PageKind::Condition => Box::new(ConditionListTemplate {
                layout,
                groups: group_by_letter(lib.conditions().map(|c| Self::item(&c)).collect()),
            }),
            PageKind::Story => Box::new(StoryListTemplate {
                layout,
                items: lib.stories().map(|s| Self::item(&s)).collect(),
            }),
            PageKind::Statement => Box::new(StatementListTemplate {
                layout,
                statements: lib.statements().collect(),
            }),
            PageKind::Radiation => Box::new(RadiationListTemplate {
                layout,
                items: lib
                    .pages(PageKind::Radiation)
                    .iter()
                    .map(Self::item)
                    .collect(),
            }),
            PageKind::About => Box::new(AboutListTemplate {
                layout,
                items: lib.pages(PageKind::About).iter().map(Self::item).collect(),
            }),
        })
    }

    /// The template of one page, with what it links to, given its layout.
    fn page_template(&self, page: &'a Page, layout: Layout) -> Box<dyn DynTemplate + 'a> {
        let lib = self.library;
        let items = |pages: Vec<&Page>| pages.into_iter().map(Self::item).collect();
        match page.kind {
            PageKind::Home => Box::new(HomeTemplate {
                layout,
                authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                home: lib.home(),
                procedure_count: lib.procedures().len(),
                condition_count: lib.conditions().len(),
            }),
            PageKind::Procedure => {
                let sheet = typed::<ProcedureFrontMatter>(page);
                let category = *sheet.front.category.get_ref();
                let links = |kind: PageKind, slugs: &[SlugRef]| {
                    items(
                        slugs
                            .iter()
                            .filter_map(|s| lib.page(kind, s.get_ref()))
                            .collect(),
                    )
                };
                Box::new(ProcedureTemplate {
                    layout: layout.crumb(Crumb::new(
                        category.label(),
                        format!("{}#{}", PageKind::Procedure.list_path(), category.anchor()),
                    )),
                    sheet,
                    authority: AuthorityView::for_sheet(&sheet, lib),
                    category_label: category.label(),
                    category_anchor: category.anchor(),
                    radiation: super::radiation::panel(&sheet, lib, self.config),
                    treats: links(PageKind::Condition, &sheet.front.conditions),
                    related: links(PageKind::Procedure, &sheet.front.related),
                    stories: items(
                        lib.stories_about(&sheet.slug)
                            .iter()
                            .map(|s| s.page)
                            .collect(),
                    ),
                })
            }
            PageKind::Condition => Box::new(ConditionTemplate {
                layout,
                authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                condition: typed(page),
                treatments: items(
                    lib.treatments_for(&page.slug)
                        .iter()
                        .map(|p| p.page)
                        .collect(),
                ),
            }),
            PageKind::Story => {
                let story = typed::<StoryFrontMatter>(page);
                Box::new(StoryTemplate {
                    layout,
                    authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                    story,
                    procedures: items(
                        story
                            .front
                            .procedures
                            .iter()
                            .filter_map(|slug| lib.page(PageKind::Procedure, slug.get_ref()))
                            .collect(),
                    ),
                })
            }
            PageKind::Statement => {
                let statement = typed::<StatementFrontMatter>(page);
                let successor = statement
                    .front
                    .superseded_by
                    .as_ref()
                    .and_then(|s| lib.page(PageKind::Statement, s.get_ref()))
                    .map(Self::item);
                let predecessors = lib
                    .statements()
                    .filter(|s| {
                        s.front.status == StatementStatus::Superseded
                            && s.front
                                .superseded_by
                                .as_ref()
                                .is_some_and(|r| *r.get_ref() == statement.slug)
                    })
                    .map(|s| Self::item(&s))
                    .collect();
                Box::new(StatementTemplate {
                    layout,
                    authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                    statement,
                    successor,
                    predecessors,
                })
            }
            PageKind::Radiation | PageKind::About => Box::new(ArticleTemplate {
                layout,
                authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                page,
            }),
        }
    }
}

/// The typed view of a page the table says has front matter `F`.
fn typed<F: crate::content::kinds::PageFrontMatter>(page: &Page) -> TypedPage<'_, F> {
    TypedPage::of(page).expect("a page's front matter is its kind's type")
}

/// When the newest of these pages last changed.
fn newest(pages: &[Page]) -> Option<SystemTime> {
    pages.iter().filter_map(|p| p.source.modified).max()
}
