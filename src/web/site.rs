//! The `Site`: a Library together with every page rendered from it, ready to serve.
//!
//! Built whole from a Library and swapped in whole, so a request sees one consistent site.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::SystemTime;

use askama::Template;
use axum::http::StatusCode;
use tokio::sync::Notify;

use super::assets::StaticAssets;
use super::authority::AuthorityView;
use super::cached::{CachedPage, http_date};
use super::views::*;
use crate::config::SiteConfig;
use crate::content::front_matter::StatementStatus;
use crate::content::{Library, Page, PageKind};
use crate::search::{SearchError, SearchIndex};

/// A Library and its rendered pages.
#[derive(Debug)]
pub struct Site {
    pub library: Library,
    /// The search index of this Site's pages. It is built after the pages, by
    /// [`Site::build_search_index`], so that a server can start serving pages sooner; a search
    /// that arrives before it is ready waits for it ([`Site::search_index`]).
    search: OnceLock<Result<SearchIndex, SearchError>>,
    /// Wakes the searches waiting for the index.
    search_built: Notify,
    /// The files under `static/`, by plain and fingerprinted address.
    pub assets: StaticAssets,
    pages: HashMap<String, CachedPage>,
    not_found: CachedPage,
    server_error: CachedPage,
}

/// A template failed to render: a bug in a template or its data, never the visitor's doing.
#[derive(Debug, thiserror::Error)]
#[error("rendering {path}: {source}")]
pub struct RenderError {
    pub path: String,
    #[source]
    pub source: askama::Error,
}

impl Site {
    /// Reads the static files and renders every page of `library`. The search index is built
    /// separately, by [`Site::build_search_index`].
    pub fn build(library: Library, config: &SiteConfig) -> Result<Self, crate::BuildError> {
        let assets = StaticAssets::load(&config.paths.static_files)?;
        let stylesheet = assets.url("site.css");
        // Compressing is most of the build. Pages go to one compressing thread per core as soon
        // as they are rendered, so rendering (one thread) overlaps with compressing.
        let (sender, receiver) = mpsc::channel::<RenderedPage>();
        let receiver = Mutex::new(receiver);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let (rendering, compressed) = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(|| compress_pages(&receiver)))
                .collect();
            let mut renderer = Renderer {
                config,
                library: &library,
                stylesheet: &stylesheet,
                pages: HashMap::new(),
                rendered: sender,
            };
            let result = renderer.render_all();
            let Renderer {
                pages, rendered, ..
            } = renderer;
            // Closing the queue lets the compressing threads finish.
            drop(rendered);
            let rendering = result.map(|()| pages);
            let compressed: Vec<Vec<(String, CachedPage)>> = workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect();
            (rendering, compressed)
        });
        let mut pages = rendering?;
        pages.extend(compressed.into_iter().flatten());
        pages.extend(super::finder::prerender(config, &library, &stylesheet)?);
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
        Ok(Self {
            library,
            search: OnceLock::new(),
            search_built: Notify::new(),
            assets,
            pages,
            not_found,
            server_error,
        })
    }

    /// Builds the search index of this Site's pages, unless it is built already. It takes a
    /// few hundred milliseconds for a thousand pages, so call it where blocking is fine.
    pub fn build_search_index(&self) -> &Result<SearchIndex, SearchError> {
        let built = self
            .search
            .get_or_init(|| SearchIndex::build(&self.library));
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

    /// Every rendered path, sorted; used by the export and by tests.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.pages.keys().map(String::as_str).collect();
        paths.sort_unstable();
        paths
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
        let pages: Vec<&CachedPage> = self.pages.values().collect();
        crate::parallel::map(pages, CachedPage::make_brotli);
    }

    /// The address of the stylesheet, fingerprinted; for layouts of pages rendered per request.
    pub fn stylesheet(&self) -> String {
        self.assets.url("site.css")
    }

    /// The address of the file `name` under `static/`, fingerprinted; for scripts of pages
    /// rendered per request.
    pub fn asset_url(&self, name: &str) -> String {
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
        render_error_page_with(config, &self.stylesheet(), status, heading, message)
    }
}

/// Renders the error page with a heading and a message; used for 404, 500 and errors from handlers.
pub fn render_error_page(
    config: &SiteConfig,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Result<CachedPage, RenderError> {
    render_error_page_with(config, "/static/site.css", status, heading, message)
}

fn render_error_page_with(
    config: &SiteConfig,
    stylesheet: &str,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Result<CachedPage, RenderError> {
    let template = ErrorTemplate {
        layout: Layout::new(config, "/", heading)
            .noindex()
            .with_stylesheet(stylesheet),
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
    pages: HashMap<String, CachedPage>,
    /// Where rendered pages go to be compressed.
    rendered: mpsc::Sender<RenderedPage>,
}

/// A page rendered but not yet compressed: path, HTML and when its content last changed.
type RenderedPage = (String, String, Option<SystemTime>);

/// Compresses pages from the queue until it is closed and empty.
fn compress_pages(queue: &Mutex<mpsc::Receiver<RenderedPage>>) -> Vec<(String, CachedPage)> {
    let mut done = Vec::new();
    loop {
        // The lock is held only to take the next page, not while compressing it.
        let next = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((path, html, modified)) = next else {
            return done;
        };
        let page =
            CachedPage::html_brotli_later(html).with_last_modified(modified.and_then(http_date));
        done.push((path, page));
    }
}

impl Renderer<'_> {
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
        // The receivers live until every page is sent; if one is gone it panicked, and
        // joining it reports that.
        let _ = self.rendered.send((path, html, modified));
        Ok(())
    }

    /// The layout for the page at `path`, linking the fingerprinted stylesheet.
    fn frame(&self, path: &str, title: &str) -> Layout {
        Layout::new(self.config, path, title).with_stylesheet(self.stylesheet)
    }

    fn layout<F>(&self, kind: PageKind, page: &Page<F>) -> Layout {
        let path = kind.page_path(&page.slug);
        self.frame(&path, &page.meta.title)
            .describe(&page.meta.summary)
            .flags(page.meta.draft, page.meta.sample)
    }

    fn list_layout(&self, kind: PageKind, title: &str, description: &str) -> Layout {
        self.frame(kind.list_path(), title)
            .describe(description)
            .crumbs([])
    }

    fn render_all(&mut self) -> Result<(), RenderError> {
        let lib = self.library;
        let newest = |pages: &mut dyn Iterator<Item = Option<SystemTime>>| pages.flatten().max();

        // Home.
        let home = HomeTemplate {
            layout: self
                .frame("/", &lib.home.meta.title)
                .describe(&lib.home.meta.summary),
            home: &lib.home,
            authority: AuthorityView::for_page(&lib.home.meta, &lib.home.body, lib),
            procedure_count: lib.procedures.len(),
            condition_count: lib.conditions.len(),
        };
        self.add("/".into(), &home, modified(&lib.home))?;

        // Procedures.
        let items: Vec<ListItem> = lib
            .procedures
            .iter()
            .map(|s| {
                ListItem::new(
                    &s.meta.title,
                    PageKind::Procedure.page_path(&s.slug),
                    &s.meta.summary,
                )
            })
            .collect();
        let list = ProcedureListTemplate {
            layout: self.list_layout(
                PageKind::Procedure,
                "Procedures",
                "Information sheets about interventional radiology procedures, by body system and from A to Z.",
            ),
            by_category: category_groups(&lib.procedures),
            by_letter: group_by_letter(items),
        };
        self.add(
            "/procedures".into(),
            &list,
            newest(&mut lib.procedures.iter().map(modified)),
        )?;
        for sheet in &lib.procedures {
            let category = *sheet.front.category.get_ref();
            let link = |kind: PageKind, slug: &str| -> Option<ListItem> {
                let meta = match kind {
                    PageKind::Condition => lib.condition(slug).map(|p| &p.meta),
                    _ => lib.procedure(slug).map(|p| &p.meta),
                }?;
                Some(ListItem::new(
                    &meta.title,
                    kind.page_path(slug),
                    &meta.summary,
                ))
            };
            let template = ProcedureTemplate {
                layout: self.layout(PageKind::Procedure, sheet).crumbs([
                    Crumb::new("Procedures", "/procedures"),
                    Crumb::new(
                        category.label(),
                        format!("/procedures#{}", category.anchor()),
                    ),
                ]),
                sheet,
                authority: AuthorityView::for_sheet(sheet, lib),
                category_label: category.label(),
                category_anchor: category.anchor(),
                radiation: super::radiation::panel(sheet, lib, self.config),
                treats: sheet
                    .front
                    .conditions
                    .iter()
                    .filter_map(|c| link(PageKind::Condition, c.get_ref()))
                    .collect(),
                related: sheet
                    .front
                    .related
                    .iter()
                    .filter_map(|r| link(PageKind::Procedure, r.get_ref()))
                    .collect(),
                stories: lib
                    .stories_about(&sheet.slug)
                    .into_iter()
                    .map(|s| {
                        ListItem::new(
                            &s.meta.title,
                            PageKind::Story.page_path(&s.slug),
                            &s.meta.summary,
                        )
                    })
                    .collect(),
            };
            self.add(
                PageKind::Procedure.page_path(&sheet.slug),
                &template,
                modified(sheet),
            )?;
        }

        // Conditions.
        let items: Vec<ListItem> = lib
            .conditions
            .iter()
            .map(|c| {
                ListItem::new(
                    &c.meta.title,
                    PageKind::Condition.page_path(&c.slug),
                    &c.meta.summary,
                )
            })
            .collect();
        let list = ConditionListTemplate {
            layout: self.list_layout(
                PageKind::Condition,
                "Conditions",
                "Conditions that interventional radiology can help with, and the procedures that treat them.",
            ),
            groups: group_by_letter(items),
        };
        self.add(
            "/conditions".into(),
            &list,
            newest(&mut lib.conditions.iter().map(modified)),
        )?;
        for condition in &lib.conditions {
            let template = ConditionTemplate {
                layout: self
                    .layout(PageKind::Condition, condition)
                    .crumbs([Crumb::new("Conditions", "/conditions")]),
                condition,
                authority: AuthorityView::for_page(&condition.meta, &condition.body, lib),
                treatments: lib
                    .treatments_for(&condition.slug)
                    .into_iter()
                    .map(|p| {
                        ListItem::new(
                            &p.meta.title,
                            PageKind::Procedure.page_path(&p.slug),
                            &p.meta.summary,
                        )
                    })
                    .collect(),
            };
            self.add(
                PageKind::Condition.page_path(&condition.slug),
                &template,
                modified(condition),
            )?;
        }

        // Stories.
        let list = StoryListTemplate {
            layout: self.list_layout(
                PageKind::Story,
                "Patient stories",
                "What having an interventional radiology procedure can be like, told in the first person.",
            ),
            stories: &lib.stories,
        };
        self.add(
            "/stories".into(),
            &list,
            newest(&mut lib.stories.iter().map(modified)),
        )?;
        for story in &lib.stories {
            let template = StoryTemplate {
                layout: self
                    .layout(PageKind::Story, story)
                    .crumbs([Crumb::new("Patient stories", "/stories")]),
                story,
                authority: AuthorityView::for_page(&story.meta, &story.body, lib),
                procedures: story
                    .front
                    .procedures
                    .iter()
                    .filter_map(|slug| lib.procedure(slug.get_ref()))
                    .map(|p| {
                        ListItem::new(
                            &p.meta.title,
                            PageKind::Procedure.page_path(&p.slug),
                            &p.meta.summary,
                        )
                    })
                    .collect(),
            };
            self.add(
                PageKind::Story.page_path(&story.slug),
                &template,
                modified(story),
            )?;
        }

        // Statements.
        let list = StatementListTemplate {
            layout: self.list_layout(
                PageKind::Statement,
                "Position statements",
                "The society's position statements, newest first, with whether each still stands.",
            ),
            statements: &lib.statements,
        };
        self.add(
            "/statements".into(),
            &list,
            newest(&mut lib.statements.iter().map(modified)),
        )?;
        for statement in &lib.statements {
            let successor = statement
                .front
                .superseded_by
                .as_ref()
                .and_then(|s| lib.statement(s.get_ref()))
                .map(|s| {
                    ListItem::new(
                        &s.meta.title,
                        PageKind::Statement.page_path(&s.slug),
                        &s.meta.summary,
                    )
                });
            let predecessors = lib
                .statements
                .iter()
                .filter(|s| {
                    s.front.status == StatementStatus::Superseded
                        && s.front
                            .superseded_by
                            .as_ref()
                            .is_some_and(|r| *r.get_ref() == statement.slug)
                })
                .map(|s| {
                    ListItem::new(
                        &s.meta.title,
                        PageKind::Statement.page_path(&s.slug),
                        &s.meta.summary,
                    )
                })
                .collect();
            let template = StatementTemplate {
                layout: self
                    .layout(PageKind::Statement, statement)
                    .crumbs([Crumb::new("Position statements", "/statements")]),
                statement,
                authority: AuthorityView::for_page(&statement.meta, &statement.body, lib),
                successor,
                predecessors,
            };
            self.add(
                PageKind::Statement.page_path(&statement.slug),
                &template,
                modified(statement),
            )?;
        }

        // Radiation guides.
        let list = RadiationListTemplate {
            layout: self.list_layout(
                PageKind::Radiation,
                "Radiation and your procedure",
                "How much radiation X-ray, CT and interventional radiology procedures use, and what that means.",
            ),
            guides: &lib.radiation,
        };
        self.add(
            "/radiation".into(),
            &list,
            newest(&mut lib.radiation.iter().map(modified)),
        )?;
        for page in &lib.radiation {
            let template = ArticleTemplate {
                layout: self
                    .layout(PageKind::Radiation, page)
                    .crumbs([Crumb::new("Radiation", "/radiation")]),
                authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                page,
            };
            self.add(
                PageKind::Radiation.page_path(&page.slug),
                &template,
                modified(page),
            )?;
        }

        // The table and chart of doses.
        let doses = super::radiation::doses_page(lib, self.config, self.stylesheet);
        self.add("/radiation/doses".into(), &doses, lib.doses.modified())?;

        // About pages.
        let list = AboutListTemplate {
            layout: self.list_layout(
                PageKind::About,
                "About interventional radiology and this site",
                "What interventional radiology is, how doctors train in it, and how this site's information is written.",
            ),
            pages: &lib.about,
        };
        self.add(
            "/about".into(),
            &list,
            newest(&mut lib.about.iter().map(modified)),
        )?;
        for page in &lib.about {
            let template = ArticleTemplate {
                layout: self
                    .layout(PageKind::About, page)
                    .crumbs([Crumb::new("About", "/about")]),
                authority: AuthorityView::for_page(&page.meta, &page.body, lib),
                page,
            };
            self.add(
                PageKind::About.page_path(&page.slug),
                &template,
                modified(page),
            )?;
        }

        // The A to Z of procedures and conditions.
        let a_to_z = super::a_to_z::AToZTemplate::new(
            self.frame("/a-z", "A to Z of procedures and conditions")
                .describe("Every procedure and condition on this site, and the other names they go by, from A to Z.")
                .crumbs([]),
            lib,
        );
        self.add(
            "/a-z".into(),
            &a_to_z,
            newest(
                &mut lib
                    .procedures
                    .iter()
                    .map(modified)
                    .chain(lib.conditions.iter().map(modified)),
            ),
        )?;
        Ok(())
    }
}

fn modified<F>(page: &Page<F>) -> Option<SystemTime> {
    page.source.modified
}
