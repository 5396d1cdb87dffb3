//! Live reload: watches the content folder and rebuilds the Site when a change settles, and
//! rebuilds it when the process receives SIGHUP (how a host reloads content it has deployed).
//!
//! A rebuild reads and checks all content, as at start-up, on a blocking thread. A Site that
//! builds is swapped in whole ([`crate::App::replace_site`]), so a request sees the old site or
//! the new one, never a mix. Content with errors is refused: the last good Site stays, and every
//! error is logged as `path:line:col: message`, so an editor can save a half-finished file without
//! taking the site down.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::content::Diagnostics;
use crate::content::proofread::{self, ReadabilityLimits};
use crate::web::Site;
use crate::{AppState, load_options};

/// How long the content must be quiet before a rebuild starts. Editors save in bursts (a
/// temporary file, a rename, a change of permissions); one rebuild per save is enough.
pub const QUIET_PERIOD: Duration = Duration::from_millis(100);

/// The longest a rebuild waits for quiet, so that a file written continuously still shows.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// Watching in progress. Dropping it stops watching.
#[derive(Debug)]
pub struct LiveReload {
    _watcher: RecommendedWatcher,
    task: JoinHandle<()>,
}

impl Drop for LiveReload {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one rebuild did.
#[derive(Debug)]
pub enum Rebuild {
    /// The new Site is being served. Warnings did not stop it.
    Swapped {
        elapsed: Duration,
        pages: usize,
        warnings: Diagnostics,
    },
    /// The content has errors; the last good Site is still being served.
    Refused {
        elapsed: Duration,
        diagnostics: Diagnostics,
    },
    /// The content was fine but a page would not render: a bug, not an editor's mistake.
    Failed { elapsed: Duration, error: String },
}

/// Starts watching the content folder of `state`'s settings. Must be called inside a Tokio
/// runtime; rebuilds run on its blocking pool.
pub fn watch_content(state: AppState) -> anyhow::Result<LiveReload> {
    let content_dir = state.0.config.paths.content.clone();
    let (events, mut changes) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // The receiver only goes away when watching stops.
        let _ = events.send(event);
    })
    .context("cannot start watching for changes")?;
    watcher
        .watch(&content_dir, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", content_dir.display()))?;
    tracing::info!(
        "watching {} for changes: saved edits are shown at once",
        content_dir.display()
    );
    let task = tokio::spawn(async move {
        while let Some(first) = changes.recv().await {
            if !is_content_change(&first) {
                continue;
            }
            let mut changed = BTreeSet::new();
            note_paths(&first, &mut changed);
            settle(&mut changes, &mut changed).await;
            let state = state.clone();
            let rebuilt = tokio::task::spawn_blocking(move || {
                let outcome = rebuild(&state);
                log(&outcome);
                if matches!(outcome, Rebuild::Swapped { .. }) {
                    log_readability(&state, &changed);
                }
            })
            .await;
            if let Err(e) = rebuilt {
                tracing::error!("the rebuild stopped unexpectedly: {e}");
            }
        }
    });
    Ok(LiveReload {
        _watcher: watcher,
        task,
    })
}

/// Rebuilds the content each time the process receives SIGHUP, one rebuild at a time, exactly
/// as a change seen by [`watch_content`] does: a Site that builds is swapped in whole, and content
/// with errors leaves the last good Site serving, with every problem logged. The handler is
/// installed when this is called (SIGHUP would otherwise end the process), so call it before the
/// server listens, inside the runtime that is to run the rebuilds.
#[cfg(unix)]
pub fn reload_on_hangup(state: AppState) -> std::io::Result<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: rebuilding the content");
            let state = state.clone();
            let rebuilt = tokio::task::spawn_blocking(move || log(&rebuild(&state))).await;
            if let Err(e) = rebuilt {
                tracing::error!("the rebuild stopped unexpectedly: {e}");
            }
        }
    }))
}

/// Waits until no change has arrived for [`QUIET_PERIOD`], or [`MAX_WAIT`] has passed, noting
/// the paths that changed meanwhile.
async fn settle(
    changes: &mut mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
    changed: &mut BTreeSet<PathBuf>,
) {
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    loop {
        let quiet_until = (tokio::time::Instant::now() + QUIET_PERIOD).min(deadline);
        match tokio::time::timeout_at(quiet_until, changes.recv()).await {
            Ok(Some(event)) => {
                note_paths(&event, changed);
                if tokio::time::Instant::now() >= deadline {
                    return;
                }
            }
            _ => return,
        }
    }
}

fn note_paths(event: &notify::Result<notify::Event>, changed: &mut BTreeSet<PathBuf>) {
    if let Ok(event) = event {
        changed.extend(event.paths.iter().cloned());
    }
}

/// Tells the editor at once when a page they just saved is hard to read; `irinfo check` scores
/// every page, this only the ones that changed, so the log stays about the edit in hand.
fn log_readability(state: &AppState, changed: &BTreeSet<PathBuf>) {
    let pages: Vec<PathBuf> = changed
        .iter()
        .filter(|p| proofread::is_page_file(p) && p.is_file())
        .cloned()
        .collect();
    let (warnings, _) =
        proofread::readability_of(&pages, ReadabilityLimits::from(&state.0.config.check));
    for w in warnings.sorted() {
        tracing::warn!("{}:{}:{}: {}", w.path.display(), w.line, w.col, w.message);
    }
}

/// Whether an event can change what the site shows: not a read, nor an editor's swap or backup
/// file.
fn is_content_change(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Err(e) => {
            tracing::warn!("watching for changes: {e}");
            // Something was missed; a rebuild is the safe answer.
            true
        }
        Ok(event) => {
            !matches!(event.kind, EventKind::Access(_))
                && (event.paths.is_empty() || event.paths.iter().any(|p| !is_editor_noise(p)))
        }
    }
}

/// Files editors write beside the one being edited: `.file.swp`, `file~`, `#file#`, vim's `4913`.
fn is_editor_noise(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with(['.', '#'])
        || ["~", ".swp", ".swx", ".tmp"]
            .iter()
            .any(|end| name.ends_with(end))
        || name == "4913"
}

/// Reads all content again and swaps the new Site in if it has no errors. Blocking.
pub fn rebuild(state: &AppState) -> Rebuild {
    let started = Instant::now();
    let config = &state.0.config;
    let outcome = crate::load_content(&load_options(config));
    let Some(content) = outcome.content else {
        return Rebuild::Refused {
            elapsed: started.elapsed(),
            diagnostics: outcome.diagnostics,
        };
    };
    match Site::build(content.library, content.finder, config) {
        Ok(site) => {
            let pages = site.paths().len();
            crate::web::ops::record_build(started.elapsed(), pages);
            state.0.replace_site(site);
            // Searches wait for the new Site's index; brotli clients get gzip until its brotli
            // copies are made.
            crate::finish_site_in_background(state.site());
            Rebuild::Swapped {
                elapsed: started.elapsed(),
                pages,
                warnings: outcome.diagnostics,
            }
        }
        Err(e) => Rebuild::Failed {
            elapsed: started.elapsed(),
            error: e.to_string(),
        },
    }
}

/// Writes what a rebuild did to the log, each problem on its own line as `path:line:col: message`.
pub fn log(outcome: &Rebuild) {
    match outcome {
        Rebuild::Swapped {
            elapsed,
            pages,
            warnings,
        } => {
            for w in warnings.sorted() {
                tracing::warn!("{}:{}:{}: {}", w.path.display(), w.line, w.col, w.message);
            }
            tracing::info!(
                rebuild_ms = millis(*elapsed),
                pages,
                "content rebuilt in {} ms: now serving the new version",
                millis(*elapsed)
            );
        }
        Rebuild::Refused {
            elapsed,
            diagnostics,
        } => {
            for d in diagnostics.sorted() {
                let line = format!("{}:{}:{}: {}", d.path.display(), d.line, d.col, d.message);
                match d.severity {
                    crate::content::Severity::Error => tracing::error!("{line}"),
                    crate::content::Severity::Warning => tracing::warn!("{line}"),
                }
            }
            tracing::error!(
                rebuild_ms = millis(*elapsed),
                "the content has {} error(s), so it was not published: still serving the last good version",
                diagnostics.error_count()
            );
        }
        Rebuild::Failed { elapsed, error } => tracing::error!(
            rebuild_ms = millis(*elapsed),
            "the site could not be rebuilt, so the last good version is still served: {error}"
        ),
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_noise_is_ignored() {
        let cases = [
            ("content/procedures/tips.md", false),
            ("content/procedures/.tips.md.swp", true),
            ("content/procedures/tips.md~", true),
            ("content/procedures/#tips.md#", true),
            ("content/procedures/4913", true),
            ("content/procedures/new-folder", false),
        ];
        for (path, noise) in cases {
            assert_eq!(is_editor_noise(Path::new(path)), noise, "{path}");
        }
    }
}
