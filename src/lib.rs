//! irinfo: patient information about interventional radiology, served as a website.
//!
//! Content is read from Markdown files once, checked, rendered to bytes and kept in memory as a
//! [`web::Site`]. Handlers only look pages up; a new Site is built whole and swapped in whole.

pub mod config;
pub mod content;
pub mod export;
pub mod parallel;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

use config::SiteConfig;
use content::{Diagnostics, Library, LoadOptions};
use web::Site;

/// Everything a request handler may use. Shared by all requests; the Site inside is replaced
/// whole when content is rebuilt.
#[derive(Debug)]
pub struct App {
    pub config: SiteConfig,
    site: ArcSwap<Site>,
}

impl App {
    pub fn new(config: SiteConfig, site: Site) -> Self {
        Self {
            config,
            site: ArcSwap::from_pointee(site),
        }
    }

    /// The current Site. Hold the returned handle for the whole request, so that the request
    /// sees one consistent site even if a rebuild lands meanwhile.
    pub fn site(&self) -> Arc<Site> {
        self.site.load_full()
    }

    /// Replaces the Site with a newly built one.
    pub fn replace_site(&self, site: Site) {
        self.site.store(Arc::new(site));
    }
}

/// The state handed to every handler.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }

    pub fn site(&self) -> Arc<Site> {
        self.0.site()
    }
}

/// Why a Site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the content has {count} error(s):\n{diagnostics}", count = .0.error_count(), diagnostics = .0)]
    Content(Diagnostics),
    #[error(transparent)]
    Render(#[from] web::site::RenderError),
    #[error(transparent)]
    Assets(#[from] web::assets::AssetError),
}

/// The options for loading content with these settings, as of today.
pub fn load_options(config: &SiteConfig) -> LoadOptions {
    LoadOptions {
        content_dir: config.paths.content.clone(),
        static_dir: config.paths.static_files.clone(),
        include_drafts: config.server.drafts,
        today: jiff::ZonedDateTime::now().date(),
    }
}

/// Loads, checks and renders all content, brotli copies included. Warnings are returned
/// alongside the Site.
pub fn build_site(config: &SiteConfig) -> Result<(Site, Diagnostics), BuildError> {
    let (site, diagnostics) = build_servable_site(config)?;
    site.make_brotli_copies();
    Ok((site, diagnostics))
}

/// Like [`build_site`], but returns as soon as the Site can be served: the brotli copies are
/// left to [`make_brotli_copies_in_background`].
pub fn build_servable_site(config: &SiteConfig) -> Result<(Site, Diagnostics), BuildError> {
    let outcome = Library::load(&load_options(config));
    let Some(library) = outcome.library else {
        return Err(BuildError::Content(outcome.diagnostics));
    };
    let site = Site::build(library, config)?;
    Ok((site, outcome.diagnostics))
}

/// Makes the brotli copies of a served Site on another thread; the Site serves gzip to brotli
/// clients meanwhile.
pub fn make_brotli_copies_in_background(site: Arc<Site>) {
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        site.make_brotli_copies();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "brotli copies made"
        );
    });
}

/// The folder the binary was built from; tests use it to find the shipped content.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Listens on the configured address and serves until SIGINT or SIGTERM, then finishes the
/// requests in flight before returning.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    use anyhow::Context;
    let addr = state.0.config.server.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    serve_on(listener, state, shutdown_signal()).await
}

/// Serves on an already bound listener until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = web::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| anyhow::anyhow!("server error: {e}"))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
