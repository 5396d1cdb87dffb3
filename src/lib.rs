//! irinfo: patient information about interventional radiology, served as a website.
//!
//! Content is read from Markdown files once, checked, rendered to bytes and kept in memory as a
//! [`web::Site`]. Handlers only look pages up; a new Site is built whole and swapped in whole.

// The documentation is for the people who work on the site, so it is built with
// `--document-private-items` (scripts/test does) and may link to crate-private modules.
#![allow(rustdoc::private_intra_doc_links)]

pub mod check;
pub mod config;
pub(crate) mod connections;
pub mod content;
pub mod export;
pub mod feedback;
pub mod finder;
pub mod leaflet;
pub mod logging;
pub mod mail;
pub mod radiation;
pub mod reviews;
pub mod scaffold;
pub mod search;
pub mod watch;
pub mod web;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use config::SiteConfig;
use content::{Diagnostics, Library, LoadOptions, PageKind};
use web::Site;
pub use web::site::BuildError;
pub use web::{App, AppState};

/// Everything read from the content folder and checked together: the pages, and the finder's
/// places and directory of services (whose entries name procedure sheets).
#[derive(Debug)]
pub struct Content {
    pub library: Library,
    pub finder: finder::Finder,
}

/// What loading content produced: the content when there were no errors, and every problem.
#[derive(Debug)]
pub struct ContentOutcome {
    pub content: Option<Content>,
    pub diagnostics: Diagnostics,
}

/// Reads, parses and checks the pages and the finder's data under `options.content_dir`.
pub fn load_content(options: &LoadOptions) -> ContentOutcome {
    let mut diagnostics = Diagnostics::default();
    let library = Library::read(options, &mut diagnostics);
    let procedures: HashSet<&str> = library
        .pages(PageKind::Procedure)
        .iter()
        .map(|p| p.slug.as_str())
        .collect();
    let finder = finder::load(
        &options.content_dir,
        options.postcode_districts.as_deref(),
        &procedures,
        &mut diagnostics,
    );
    drop(procedures);
    let complete = library.check(options, &mut diagnostics);
    let content = (complete && !diagnostics.has_errors()).then_some(Content { library, finder });
    ContentOutcome {
        content,
        diagnostics,
    }
}

/// "31 procedures, 34 conditions, ..., 12 directory entries" for `check`'s summary line.
pub fn counts(library: &Library, finder: &finder::Finder) -> String {
    let directory = &finder.directory;
    library
        .counts()
        .into_iter()
        .chain((!directory.is_empty()).then(|| format!("{} directory entries", directory.len())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The options for loading content with these settings, as of today.
pub fn load_options(config: &SiteConfig) -> LoadOptions {
    LoadOptions {
        content_dir: config.paths.content.clone(),
        static_dir: config.paths.static_files.clone(),
        include_drafts: config.server.drafts,
        today: jiff::ZonedDateTime::now().date(),
        postcode_districts: config.finder.postcode_districts.clone(),
        generated_paths: web::GENERATED_PATHS,
    }
}

/// Loads, checks and renders all content, with the search index and the brotli copies.
/// Warnings are returned alongside the Site.
pub fn build_site(config: &SiteConfig) -> Result<(Site, Diagnostics), BuildError> {
    let (site, diagnostics) = build_servable_site(config)?;
    if let Err(error) = site.build_search_index() {
        return Err(BuildError::Search(error.clone()));
    }
    site.make_brotli_copies();
    Ok((site, diagnostics))
}

/// Like [`build_site`], but returns as soon as the pages can be served: the search index and
/// the brotli copies are left to [`finish_site_in_background`].
pub fn build_servable_site(config: &SiteConfig) -> Result<(Site, Diagnostics), BuildError> {
    let started = std::time::Instant::now();
    let outcome = load_content(&load_options(config));
    let Some(content) = outcome.content else {
        return Err(BuildError::Content(outcome.diagnostics));
    };
    let site = Site::build(content.library, content.finder, config)?;
    web::ops::record_build(started.elapsed(), site.page_count());
    Ok((site, outcome.diagnostics))
}

/// Builds a served Site's search index, then its brotli copies, then its leaflets, in rayon's
/// pool. Meanwhile searches wait for the index, brotli clients get gzip, and a leaflet asked
/// for is typeset for that request.
pub fn finish_site_in_background(site: Arc<Site>) {
    rayon::spawn(move || {
        let started = std::time::Instant::now();
        match site.build_search_index() {
            Ok(index) => tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                pages = index.len(),
                "search index built"
            ),
            // Pages still serve; searches get the error page, and this is in the log.
            Err(error) => tracing::error!("{error}"),
        }
        let started = std::time::Instant::now();
        site.make_brotli_copies();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "brotli copies made"
        );
        let started = std::time::Instant::now();
        site.make_leaflets_in_background();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            leaflets = site.leaflets.len(),
            kept = site.leaflets.kept_count(),
            "leaflets made"
        );
        release_freed_memory();
    });
}

/// Hands memory that building freed back to the operating system. Building a Site allocates
/// far more than the Site keeps (a brotli window per page, the index writer's buffers), and
/// glibc's allocator keeps freed memory for reuse: for the shipped content that is about 30 MB
/// of a 60 MB server, which this returns.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only releases free pages of the heap.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The folder the binary was built from; tests use it to find the shipped content.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The mail side of a running server: the lock on the spool, held until this is dropped, and
/// the delivery worker, when a relay is configured.
#[derive(Debug)]
pub struct RunningMail {
    /// The delivery worker; it stops when the `stop` given to [`start_mail`] turns true.
    pub worker: Option<tokio::task::JoinHandle<()>>,
    _spool_lock: Option<mail::SpoolLock>,
}

/// Locks the spool, tidies it after a crash and starts the delivery worker, if a relay is
/// configured. A spool that another server holds is an error (two workers on one spool would
/// send every message twice); a spool that cannot be used at all does not stop the site: the
/// form answers 503 until it is fixed.
pub fn start_mail(
    app: &App,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<RunningMail, mail::QueueError> {
    let queue = app.contact.queue.clone();
    let spool = queue.root().display().to_string();
    let spool_lock = match queue.lock() {
        Ok(lock) => lock,
        Err(e @ mail::QueueError::InUse { .. }) => return Err(e),
        Err(e) => {
            tracing::error!(
                "the mail spool {spool} cannot be used: {e}; the contact form will answer 503"
            );
            return Ok(RunningMail {
                worker: None,
                _spool_lock: None,
            });
        }
    };
    let running = |worker| RunningMail {
        worker,
        _spool_lock: Some(spool_lock),
    };
    match queue.prepare() {
        Ok(recovery) => {
            if recovery.removed_from_tmp > 0 {
                tracing::warn!(
                    "removed {} incomplete file(s) left in {spool}/tmp by a crash",
                    recovery.removed_from_tmp
                );
            }
            if recovery.quarantined > 0 {
                tracing::warn!(
                    "moved {} file(s) not named like queue entries from {spool}/queue to {spool}/corrupt",
                    recovery.quarantined
                );
            }
            if recovery.waiting > 0 {
                tracing::info!("{} message(s) waiting in the mail queue", recovery.waiting);
            }
        }
        Err(e) => tracing::error!(
            "the mail spool {spool} cannot be used: {e}; the contact form will answer 503"
        ),
    }
    let worker = match mail::DeliveryWorker::from_settings(
        &app.config.mail,
        queue,
        app.contact.clock().clone(),
    ) {
        Ok(Some(worker)) => worker,
        Ok(None) => {
            tracing::warn!(
                "no SMTP relay configured (mail.relay_host): contact messages wait in {spool}/queue until one is"
            );
            return Ok(running(None));
        }
        Err(e) => {
            // The error with its causes, as anyhow writes them.
            let e = anyhow::Error::new(e);
            tracing::error!(
                "the SMTP relay settings cannot be used: {e:#}; contact messages wait in {spool}/queue"
            );
            return Ok(running(None));
        }
    };
    Ok(running(Some(tokio::spawn(
        worker.run(app.contact.new_mail.clone(), stop),
    ))))
}

/// How often the server deletes answers past their keeping time and checks for due digests.
const FEEDBACK_TICK: std::time::Duration = std::time::Duration::from_secs(3600);

/// Opens the feedback store (creating and migrating it), then at once and every hour deletes
/// answers older than `feedback.keep_months` and queues the review digests that are due. A store
/// that cannot be opened does not stop the site: it is logged, the feedback forms answer 503,
/// and the next hour tries again. The task ends when `stop` turns true.
pub fn start_feedback(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut announced = false;
        loop {
            let app = state.0.clone();
            match tokio::task::spawn_blocking(move || feedback_tick(&app)).await {
                Ok(Ok((description, queued))) => {
                    if !announced {
                        tracing::info!("feedback answers are kept in {description}");
                        announced = true;
                    }
                    if queued > 0 {
                        state.0.contact.new_mail.notify_one();
                    }
                }
                Ok(Err(e)) => tracing::error!(
                    "feedback upkeep: {e:#}; the feedback forms answer 503 until the store works"
                ),
                Err(e) => tracing::error!("feedback upkeep task: {e}"),
            }
            tokio::select! {
                () = tokio::time::sleep(FEEDBACK_TICK) => {}
                _ = stop.wait_for(|stop| *stop) => break,
            }
        }
    })
}

/// One round of upkeep: the store's description and how many digests were queued.
fn feedback_tick(app: &App) -> anyhow::Result<(String, usize)> {
    let store = app.feedback.store()?;
    let now = app.contact.clock().now();
    let cutoff = reviews::retention_cutoff(now, app.config.feedback.keep_months);
    let removed = store.purge_before(cutoff)?;
    if removed > 0 {
        tracing::info!(
            removed,
            "deleted feedback answers older than {} months",
            app.config.feedback.keep_months
        );
    }
    let site = app.site();
    let post = reviews::DigestPost {
        config: &app.config,
        library: &site.library,
        store: &store,
        queue: &app.contact.queue,
    };
    let queued = post.send_due(now)?;
    Ok((store.description().to_string(), queued.len()))
}

/// Listens on the configured address and serves with one single-threaded runtime per core until
/// SIGINT or SIGTERM, then finishes the requests in flight before returning. SIGHUP rebuilds
/// the content and swaps it in whole, as `--watch` does after an edit.
///
/// Each runtime has its own socket on the address (SO_REUSEPORT), the kernel spreads new
/// connections evenly over them, and a connection stays on its runtime: a request never moves
/// between threads and no thread wakes another, the way nginx's worker processes work. On two
/// cores this serves pages about twice as fast as one runtime whose threads share the work.
pub fn serve_per_core(state: AppState) -> anyhow::Result<()> {
    use anyhow::Context;
    let wanted = state.0.config.server.addr;
    // An ordinary bind first, so that an address in use (by anything, another irinfo included)
    // is an error, and so that port 0 becomes one real port that every runtime shares.
    let addr = std::net::TcpListener::bind(wanted)
        .and_then(|probe| probe.local_addr())
        .with_context(|| format!("cannot listen on {wanted}"))?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // One more runtime, on this thread, for what is not serving: signals, the mail delivery
    // worker and the content watcher. Signal handlers are registered before any socket listens,
    // so a SIGTERM that arrives early still shuts down gracefully.
    let background = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the background runtime")?;
    let (signal, _reload) = {
        let _inside = background.enter();
        (shutdown_signal(), reload_on_hangup(&state))
    };
    let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
    let mail = background.block_on(async { start_mail(&state.0, mail_stopped.clone()) })?;
    // Spawned on the background runtime, which runs it while it waits for a signal.
    let _feedback = {
        let _inside = background.enter();
        start_feedback(state.clone(), mail_stopped)
    };
    // Kept until the server stops; dropping it stops watching.
    let _live_reload = if state.0.config.server.watch {
        Some(background.block_on(async { watch::watch_content(state.clone()) })?)
    } else {
        None
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    serve_admin(&state, &background, stopped.clone())?;
    // One cap on open connections for the whole server, whichever runtime they land on.
    let gate = connections::ConnectionGate::new(state.0.config.server.max_connections);
    let (exited, mut any_exited) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (bound_sender, bound) = std::sync::mpsc::channel::<bool>();
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(cores);
        for _ in 0..cores {
            let state = state.clone();
            let gate = gate.clone();
            let mut stopped = stopped.clone();
            let exited = exited.clone();
            let bound = bound_sender.clone();
            workers.push(scope.spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("starting a runtime")?;
                let outcome = runtime.block_on(async move {
                    let listener = reuse_port_listener(addr)
                        .with_context(|| format!("cannot listen on {addr}"));
                    // Whatever the outcome, the main thread hears of it, so that "serving on" is
                    // logged only once every runtime listens.
                    let _ = bound.send(listener.is_ok());
                    let listener = listener?;
                    let shutdown = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    };
                    serve_through_gate(listener, state, gate, shutdown).await
                });
                // If one runtime fails, the others are stopped rather than left serving alone.
                let _ = exited.send(());
                outcome
            }));
        }
        drop(exited);
        drop(bound_sender);
        // Every runtime reports once; the iterator ends early if one failed before reporting.
        if bound
            .iter()
            .take(cores)
            .filter(|listening| *listening)
            .count()
            == cores
        {
            tracing::info!("serving on http://{addr}");
        }
        background.block_on(async {
            tokio::select! {
                () = signal => {},
                _ = any_exited.recv() => {},
            }
        });
        let _ = stop.send(true);
        let _ = stop_mail.send(true);
        if let Some(delivery) = mail.worker {
            // The worker finishes or abandons its send within its grace period; either way the
            // message is safe in the queue.
            background.block_on(async {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(10), delivery).await;
            });
        }
        let mut outcome = Ok(());
        for worker in workers {
            let result = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    })
}

/// Starts rebuilding the content on SIGHUP ([`watch::reload_on_hangup`]); the task ends with
/// the runtime. A server that cannot listen for SIGHUP still serves, and says so.
fn reload_on_hangup(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    #[cfg(unix)]
    match watch::reload_on_hangup(state.clone()) {
        Ok(task) => return Some(task),
        Err(e) => tracing::error!("cannot listen for SIGHUP, so it will not reload content: {e}"),
    }
    #[cfg(not(unix))]
    let _ = state;
    None
}

/// Serves `/metrics` on `server.admin_addr`, if it is set, from the background runtime until
/// `stopped` turns true. An address that cannot be bound stops the server, like the public one.
fn serve_admin(
    state: &AppState,
    background: &tokio::runtime::Runtime,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let Some(wanted) = state.0.config.server.admin_addr else {
        return Ok(());
    };
    let Some(handle) = web::ops::install_recorder() else {
        return Ok(());
    };
    let context = || format!("cannot listen on the admin address {wanted} (server.admin_addr)");
    let listener = std::net::TcpListener::bind(wanted).with_context(context)?;
    listener.set_nonblocking(true).with_context(context)?;
    let addr = listener.local_addr().with_context(context)?;
    let _inside = background.enter();
    let listener = tokio::net::TcpListener::from_std(listener).with_context(context)?;
    let limits = connections::ConnectionLimits::from_settings(&state.0.config.server);
    let app = web::ops::admin_router(state.clone(), handle.clone());
    background.spawn(web::ops::upkeep(handle));
    background.spawn(connections::serve(
        listener,
        app,
        limits,
        connections::ConnectionGate::new(16),
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        },
    ));
    tracing::info!("admin (metrics) on http://{addr}");
    Ok(())
}

/// A listener that shares its address with the other runtimes' listeners.
#[cfg(unix)]
fn reuse_port_listener(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Without SO_REUSEPORT only one runtime can listen; the others' binds fail and stop the server.
#[cfg(not(unix))]
fn reuse_port_listener(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(listener)
}

/// Serves on an already bound listener until `shutdown` completes, with the timeouts and the
/// connection cap in `[server]` (see [`connections`]).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let gate = connections::ConnectionGate::new(state.0.config.server.max_connections);
    serve_through_gate(listener, state, gate, shutdown).await
}

/// Like [`serve_on`], counting connections against a cap shared with other listeners.
async fn serve_through_gate(
    listener: tokio::net::TcpListener,
    state: AppState,
    gate: connections::ConnectionGate,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = connections::ConnectionLimits::from_settings(&state.0.config.server);
    let app = web::router(state);
    connections::serve(listener, app, limits, gate, shutdown).await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled, so a SIGTERM that arrives while the server starts still stops it
/// gracefully instead of killing it. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |listener: std::io::Result<tokio::signal::unix::Signal>, name: &str| {
                let name = name.to_string();
                async move {
                    match listener {
                        Ok(mut signal) => {
                            signal.recv().await;
                        }
                        Err(e) => {
                            tracing::error!("cannot listen for {name}: {e}");
                            std::future::pending::<()>().await;
                        }
                    }
                }
            };
            tokio::select! {
                () = wait(interrupt, "SIGINT") => {},
                () = wait(terminate, "SIGTERM") => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
