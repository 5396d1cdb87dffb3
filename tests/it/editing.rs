//! Staff editing: live reload that never breaks the site, `irinfo check` as a proof-reader, and
//! `irinfo new`. Most tests run the real binary on a copy of content in a temporary folder.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use irinfo::content::PageKind;
use irinfo::watch::Rebuild;

use crate::support::{
    ADMIN_ON_ANY_PORT, binary, copy_dir, fixture_config, get, http_exchange, minimal_copy, repo,
    run_irinfo, send_signal, shipped_settings_with_spool_in, state_for,
};

/// The date the check tests are run as of, so review warnings do not depend on the calendar.
const TODAY: &str = "2026-06-01";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `irinfo serve --watch` on a port of its own, with its log collected. Killed when dropped.
struct WatchedServer {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
    /// The settings and spool of a server started without `--config`.
    _settings: Option<tempfile::TempDir>,
}

impl WatchedServer {
    fn start(content: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--watch", "--content", content.to_str().unwrap()];
        args.extend(extra);
        Self::start_with(&args)
    }

    /// `irinfo serve` with these arguments, on a free port; without `--config`, with the shipped
    /// settings and a spool of its own.
    fn start_with(args: &[&str]) -> Self {
        let settings = (!args.contains(&"--config")).then(|| tempfile::tempdir().unwrap());
        let own_config = settings
            .as_ref()
            .map(|dir| shipped_settings_with_spool_in(dir.path()));
        let mut child = Command::new(binary())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(ADMIN_ON_ANY_PORT)
            .args(args)
            .args(
                own_config
                    .iter()
                    .flat_map(|path| [OsStr::new("--config"), path.as_os_str()]),
            )
            .current_dir(repo())
            .env("RUST_LOG", "irinfo=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        // The log goes to stdout; start-up errors to stderr. Both are kept.
        let outputs: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for output in outputs {
            let sink = Arc::clone(&log);
            let port_tx = port_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    let line = strip_ansi(&line);
                    if let Some(address) = line.split("serving on http://").nth(1) {
                        let port = address.trim().rsplit(':').next().unwrap().parse::<u16>();
                        let _ = port_tx.send(port.unwrap());
                    }
                    let mut log = sink.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not start:\n{}", log.lock().unwrap()));
        Self {
            child,
            port,
            log,
            _settings: settings,
        }
    }

    /// GET over a real socket: (status, body).
    fn get(&self, path: &str) -> (u16, String) {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let response =
            String::from_utf8(http_exchange(("127.0.0.1", self.port), &request)).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Polls until `done` holds, or panics after `limit`. Returns how long it took.
    fn wait_for(&self, limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
        let started = Instant::now();
        while started.elapsed() < limit {
            if done() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{what} within {limit:?}; the log:\n{}", self.log());
    }

    /// Polls until the page at `path` has a title starting with `title`, or panics after
    /// `limit`. Returns how long it took.
    fn wait_for_title(&self, limit: Duration, path: &str, title: &str) -> Duration {
        let what = format!("{path} was not served with the title {title:?}");
        self.wait_for(limit, &what, || {
            title_of(&self.get(path).1).starts_with(title)
        })
    }

    /// Polls until the log has `text`, or panics after `limit` saying `what` did not happen.
    fn wait_for_log(&self, limit: Duration, what: &str, text: &str) -> Duration {
        self.wait_for(limit, what, || self.log().contains(text))
    }
}

impl Drop for WatchedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn title_of(body: &str) -> &str {
    crate::support::between(body, "<title>", "</title>").unwrap_or("")
}

fn set_title(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let old = format!("title = \"{from}\"");
    assert!(text.contains(&old), "{old} in {}", path.display());
    std::fs::write(path, text.replacen(&old, &format!("title = \"{to}\""), 1)).unwrap();
}

#[test]
fn with_watch_an_edited_title_is_served_without_a_restart() {
    let dir = minimal_copy();
    let server = WatchedServer::start(dir.path(), &[]);
    let (status, body) = server.get("/procedures/balloon");
    assert_eq!(status, 200);
    assert!(title_of(&body).starts_with("Balloon procedure"), "{body}");

    set_title(
        &dir.path().join("procedures/balloon.md"),
        "Balloon procedure",
        "Balloon widening",
    );
    // Usually well under a second (the watcher waits for 100 ms of quiet after the last save);
    // the limit leaves room for a loaded machine, as speed is measured, not asserted here.
    let took = server.wait_for_title(
        Duration::from_secs(10),
        "/procedures/balloon",
        "Balloon widening",
    );
    // The list pages are rebuilt with it: one consistent site.
    assert!(server.get("/procedures").1.contains("Balloon widening"));
    server.wait_for_log(
        Duration::from_secs(5),
        "the rebuild time was not logged",
        "rebuild_ms=",
    );
    eprintln!("the new title was served {took:?} after the save");
}

#[test]
fn with_watch_broken_front_matter_keeps_the_last_good_page_and_logs_the_line() {
    let dir = minimal_copy();
    let server = WatchedServer::start(dir.path(), &[]);
    let sheet = dir.path().join("procedures/coil.md");
    let good = std::fs::read_to_string(&sheet).unwrap();
    // The title loses its quotes: a TOML error on line 2, the kind of slip an editor makes.
    let broken = good.replacen("title = \"Coil procedure\"", "title = Coil procedure", 1);
    assert_ne!(broken, good);
    std::fs::write(&sheet, &broken).unwrap();
    let location = format!("{}:", sheet.display());
    server.wait_for_log(
        Duration::from_secs(20),
        "the refused rebuild was not logged",
        "still serving the last good version",
    );
    let log = server.log();
    let error_line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains(&location))
        .unwrap_or_else(|| panic!("no error for {location} in:\n{log}"));
    assert!(
        error_line.contains(&format!("{location}2:9: string values must be quoted")),
        "the error names line 2: {error_line}"
    );
    let (status, body) = server.get("/procedures/coil");
    assert_eq!(status, 200, "the last good page is still served");
    assert!(title_of(&body).starts_with("Coil procedure"), "{body}");

    // Fixing the file publishes the fix.
    std::fs::write(&sheet, good.replacen("Coil procedure", "Coil fixed", 1)).unwrap();
    server.wait_for_title(Duration::from_secs(20), "/procedures/coil", "Coil fixed");
}

#[test]
fn with_watch_a_hard_to_read_page_is_published_with_a_readability_warning() {
    let dir = minimal_copy();
    let server = WatchedServer::start(dir.path(), &[]);
    let page = dir.path().join("pages/hard-to-read.md");
    std::fs::copy(repo().join("tests/fixtures/check/hard-to-read.md"), &page).unwrap();
    let warning = format!("{}:11:1: this page is hard to read", page.display());
    server.wait_for_log(
        Duration::from_secs(20),
        "the readability warning was not logged",
        &warning,
    );
    assert_eq!(
        server.get("/about/hard-to-read").0,
        200,
        "a warning does not block"
    );
}

#[test]
fn watch_can_be_switched_on_in_site_toml() {
    let dir = minimal_copy();
    let settings = dir.path().join("site.toml");
    std::fs::write(
        &settings,
        format!(
            "[server]\nwatch = true\n\n[paths]\ncontent = {:?}\n\n[mail]\nspool = {:?}\n",
            dir.path().display().to_string(),
            dir.path().join("spool").display().to_string()
        ),
    )
    .unwrap();
    let server = WatchedServer::start_with(&["--config", settings.to_str().unwrap()]);
    set_title(
        &dir.path().join("procedures/coil.md"),
        "Coil procedure",
        "Coil from settings",
    );
    server.wait_for_title(
        Duration::from_secs(10),
        "/procedures/coil",
        "Coil from settings",
    );
}

#[test]
fn with_watch_an_edit_to_the_shipped_content_is_served_and_its_rebuild_time_logged() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("content"), dir.path());
    let server = WatchedServer::start(dir.path(), &[]);
    set_title(
        &dir.path().join("procedures/angioplasty.md"),
        "Angioplasty",
        "Angioplasty (edited)",
    );
    // How soon an edit is served is measured on the release build (benches/README.md has the
    // numbers): a debug build of all the shipped content takes about 300 ms alone but over a
    // second while the other tests run in parallel, so the limit here only catches a rebuild
    // that never comes.
    let took = server.wait_for_title(
        Duration::from_secs(30),
        "/procedures/angioplasty",
        "Angioplasty (edited)",
    );
    eprintln!("the new title was served {took:?} after the save");
    // The log line follows the swap by a moment.
    server.wait_for_log(
        Duration::from_secs(5),
        "the rebuild time was not logged",
        "content rebuilt in ",
    );
    let log = server.log();
    let rebuilt = log
        .lines()
        .find(|l| l.contains("content rebuilt in "))
        .unwrap();
    assert!(rebuilt.contains("rebuild_ms="), "{rebuilt}");
    eprintln!("{rebuilt}");
}

#[test]
fn serve_with_drafts_shows_them_with_a_banner_and_noindex_and_never_without() {
    let dir = minimal_copy();
    let plain = WatchedServer::start(dir.path(), &[]);
    assert_eq!(plain.get("/procedures/secret-draft").0, 404);
    assert!(!plain.get("/procedures").1.contains("secret-draft"));
    drop(plain);

    let drafts = WatchedServer::start(dir.path(), &["--drafts"]);
    let (status, body) = drafts.get("/procedures/secret-draft");
    assert_eq!(status, 200);
    assert!(body.contains("<strong>DRAFT.</strong>"), "{body}");
    assert!(body.contains("<meta name=\"robots\" content=\"noindex\">"));
    // A published page is not marked.
    let (_, published) = drafts.get("/procedures/balloon");
    assert!(!published.contains("DRAFT."));
    assert!(!published.contains("noindex"));
    assert!(drafts.log().contains("serving drafts"), "{}", drafts.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_during_rebuilds_always_get_one_whole_version_of_a_page() {
    let dir = minimal_copy();
    let mut config = fixture_config("minimal");
    config.paths.content = dir.path().to_path_buf();
    let state = state_for(config);
    let router = irinfo::web::router(state.clone());
    let sheet = dir.path().join("procedures/balloon.md");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let reader = {
        let stop = Arc::clone(&stop);
        let router = router.clone();
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let page = get(&router, "/procedures/balloon").await;
                assert_eq!(page.status, StatusCode::OK, "never an error mid-rebuild");
                let title = page.title().trim_end_matches(" - IR Info").to_string();
                assert_eq!(page.h1(), title, "title and heading from one version");
                seen.insert(title);
            }
            seen
        })
    };
    let mut title = "Balloon procedure".to_string();
    for version in 1..=5 {
        let next = format!("Balloon version {version}");
        set_title(&sheet, &title, &next);
        let state = state.clone();
        let outcome = tokio::task::spawn_blocking(move || irinfo::watch::rebuild(&state))
            .await
            .unwrap();
        assert!(matches!(outcome, Rebuild::Swapped { .. }), "{outcome:?}");
        title = next;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = reader.await.unwrap();
    assert!(
        seen.contains("Balloon version 5") || seen.len() > 1,
        "{seen:?}"
    );
    assert_eq!(
        get(&router, "/procedures/balloon").await.h1(),
        "Balloon version 5"
    );
}

#[test]
fn a_refused_rebuild_keeps_the_site_and_a_good_one_replaces_it() {
    let dir = minimal_copy();
    let mut config = fixture_config("minimal");
    config.paths.content = dir.path().to_path_buf();
    let state = state_for(config);
    let before = state.site();

    std::fs::write(
        dir.path().join("pages/disclaimer.md"),
        "+++\ntitle = \"Disclaimer\"\nsummary = 42\n+++\n",
    )
    .unwrap();
    match irinfo::watch::rebuild(&state) {
        Rebuild::Refused { diagnostics, .. } => {
            let report = diagnostics.to_string();
            assert!(
                report.contains("pages/disclaimer.md:3:11: error: invalid type"),
                "{report}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        Arc::ptr_eq(&before, &state.site()),
        "the old Site is still served"
    );

    copy_dir(
        &repo().join("tests/fixtures/minimal/pages"),
        &dir.path().join("pages"),
    );
    set_title(
        &dir.path().join("procedures/coil.md"),
        "Coil procedure",
        "Coil renamed",
    );
    assert!(matches!(
        irinfo::watch::rebuild(&state),
        Rebuild::Swapped { .. }
    ));
    let after = state.site();
    assert!(!Arc::ptr_eq(&before, &after), "the new Site is served");
    let changed = |site: &irinfo::web::Site| site.page("/procedures/coil").unwrap().etag.clone();
    assert_ne!(changed(&before), changed(&after));
}

/// One fixture under tests/fixtures/check/ per problem: where it is reported and what it says.
const CHECK_PROBLEMS: &[(&str, &str, &str, &str)] = &[
    (
        "missing-page.md",
        "9:5",
        "error",
        "link `/procedures/no-such-sheet` points to a page that does not exist",
    ),
    (
        "missing-anchor.md",
        "9:5",
        "error",
        "points to `#no-such-heading`, which is not a heading on /procedures/balloon",
    ),
    (
        "missing-image.md",
        "9:1",
        "error",
        "`/static/no-such-image.png` points to a static file that does not exist",
    ),
    (
        "missing-static-file.md",
        "9:10",
        "error",
        "`/static/no-such-leaflet.pdf` points to a static file that does not exist",
    ),
    (
        "image-without-alt.md",
        "9:1",
        "error",
        "the image `/static/favicon.svg` has no alt text",
    ),
    (
        "placeholder.md",
        "9:1",
        "error",
        "a `TODO` placeholder is still here",
    ),
    (
        "skipped-heading.md",
        "13:1",
        "warning",
        "the heading `#### Much too deep` skips a level: it follows a level-2 heading, so use `###`",
    ),
    (
        "duplicate-title.md",
        "2:9",
        "warning",
        "the title `Balloon procedure` is also the title of",
    ),
    (
        "review-due-soon.md",
        "5:15",
        "warning",
        "the review is due on 20 June 2026, in 19 days",
    ),
    (
        "review-overdue.md",
        "5:15",
        "warning",
        "the review was due on 1 May 2026: the page is overdue",
    ),
    (
        "hard-to-read.md",
        "11:1",
        "warning",
        "this page is hard to read: its reading ease is",
    ),
];

/// A copy of the minimal fixture with one problem fixture added as an about page.
fn with_problem(fixture: &str) -> tempfile::TempDir {
    let dir = minimal_copy();
    std::fs::copy(
        repo().join("tests/fixtures/check").join(fixture),
        dir.path().join("pages").join(fixture),
    )
    .unwrap();
    dir
}

#[test]
fn check_reports_each_problem_kind_like_a_compiler() {
    for (fixture, at, severity, message) in CHECK_PROBLEMS {
        let dir = with_problem(fixture);
        let output = run_irinfo(&["check", "--today", TODAY], dir.path());
        let out = stdout(&output);
        let location = format!(
            "{}:{at}: {severity}: ",
            dir.path().join("pages").join(fixture).display()
        );
        let first_line = out
            .lines()
            .position(|l| l.starts_with(&location) && l.contains(message))
            .unwrap_or_else(|| panic!("{fixture}: no `{location}…{message}` in:\n{out}"));
        // The offending line follows, numbered, with a caret under the place.
        let line_number = at.split(':').next().unwrap();
        let snippet: Vec<&str> = out.lines().skip(first_line + 1).take(3).collect();
        assert!(
            snippet
                .iter()
                .any(|l| l.starts_with(&format!("{line_number} | "))),
            "{fixture}: {snippet:?}"
        );
        assert!(
            snippet.iter().any(|l| l.contains('^')),
            "{fixture}: {snippet:?}"
        );
        assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
        // Only this problem: the fixture holds one.
        let problems = out
            .lines()
            .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
            .count();
        assert_eq!(problems, 1, "{fixture}:\n{out}");

        let expected_exit = if *severity == "error" { 1 } else { 0 };
        assert_eq!(
            output.status.code(),
            Some(expected_exit),
            "{fixture}:\n{out}"
        );
        let strict = run_irinfo(&["check", "--strict", "--today", TODAY], dir.path());
        assert_eq!(strict.status.code(), Some(1), "{fixture} --strict");
        assert!(
            stdout(&strict).contains(&format!(
                "{}:{at}: error: ",
                dir.path().join("pages").join(fixture).display()
            )),
            "{fixture}: --strict makes it an error:\n{}",
            stdout(&strict)
        );
    }
}

#[test]
fn check_json_lists_every_problem_for_tools() {
    let dir = minimal_copy();
    for (fixture, _, _, _) in CHECK_PROBLEMS {
        std::fs::copy(
            repo().join("tests/fixtures/check").join(fixture),
            dir.path().join("pages").join(fixture),
        )
        .unwrap();
    }
    let output = run_irinfo(&["check", "--format", "json", "--today", TODAY], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    for (fixture, at, severity, message) in CHECK_PROBLEMS {
        let (line, col) = at.split_once(':').unwrap();
        let found = diagnostics.iter().any(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("pages/{fixture}"))
                && d["line"] == line.parse::<u64>().unwrap()
                && d["col"] == col.parse::<u64>().unwrap()
                && d["severity"] == *severity
                && d["message"].as_str().unwrap().contains(message)
        });
        assert!(found, "{fixture} in {report:#}");
    }
    assert_eq!(report["errors"], 6);
    assert_eq!(report["warnings"], 5);
    let hard = report["readability"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("hard-to-read.md"))
        .unwrap();
    assert!(hard["reading_ease"].as_f64().unwrap() < 60.0, "{hard}");
}

#[test]
fn the_shipped_content_is_clean_and_readable() {
    let output = Command::new(binary())
        .args(["check", "--strict", "--format", "json"])
        .current_dir(repo())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // No warning at all: every sheet has risks as data, at least three sources, its get-help
    // advice as care cards, and every source is cited somewhere (issue 15).
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let sheets = std::fs::read_dir(repo().join("content/procedures"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("md".as_ref()))
        .count();
    assert!(
        sheets >= 46,
        "the site promises at least 46 sheets, has {sheets}"
    );
    let scores = report["readability"].as_array().unwrap();
    assert!(scores.len() > 80, "most pages are long enough to score");
    for score in scores {
        assert!(score["reading_ease"].as_f64().unwrap() >= 60.0, "{score}");
    }
}

#[test]
fn check_usage_errors_exit_two() {
    let dir = minimal_copy();
    for args in [
        &["check", "--format", "xml"][..],
        &["check", "--no-such-flag"],
        &["check", "--today", "tomorrow"],
        &["new", "leaflet", "x"],
        &["new", "procedure", "Not_A_Slug"],
        &["new", "procedure", "../escape"],
    ] {
        let output = run_irinfo(args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let bad_settings = dir.path().join("site.toml");
    std::fs::write(&bad_settings, "[check]\nmin_reading_ease = \"high\"\n").unwrap();
    let output = Command::new(binary())
        .args(["check", "--config"])
        .arg(&bad_settings)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("2:20:"));
}

#[test]
fn the_reading_ease_threshold_comes_from_site_toml() {
    let dir = with_problem("hard-to-read.md");
    let settings = dir.path().join("site.toml");
    let content = dir.path().display().to_string();
    // A threshold nobody's writing could miss, and sentences of any length.
    std::fs::write(
        &settings,
        format!(
            "[paths]\ncontent = {content:?}\n\n[check]\nmin_reading_ease = 0\nmax_sentence_words = 100\n"
        ),
    )
    .unwrap();
    let relaxed = Command::new(binary())
        .args(["check", "--today", TODAY, "--config"])
        .arg(&settings)
        .current_dir(repo())
        .output()
        .unwrap();
    // The fixture scores below 0, so it is still reported, but only for its reading ease.
    let out = stdout(&relaxed);
    assert!(out.contains("its reading ease is"), "{out}");
    assert!(!out.contains("its sentences average"), "{out}");

    std::fs::write(
        &settings,
        format!("[paths]\ncontent = {content:?}\n\n[check]\nmax_sentence_words = 100\n"),
    )
    .unwrap();
    let default_ease = Command::new(binary())
        .args(["check", "--today", TODAY, "--config"])
        .arg(&settings)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(stdout(&default_ease).contains("(at least 60 is wanted)"));
}

#[test]
fn review_schedule_lists_overdue_first_grouped_by_reviewer() {
    let dir = minimal_copy();
    let page = |reviewer: &str, next: &str| {
        format!(
            "+++\ntitle = \"Page due {next} for {reviewer}\"\nsummary = \"S.\"\nreview_group = \"{reviewer}\"\nnext_review = {next}\n[[history]]\nversion = \"1.0\"\ndate = 2025-01-01\nchange = \"First published.\"\n+++\n\nText.\n"
        )
    };
    for (slug, reviewer, next) in [
        ("a-late", "Alpha team", "2026-05-01"),
        ("b-late", "Beta team", "2026-04-01"),
        ("a-soon", "Alpha team", "2026-06-10"),
        ("b-later", "Beta team", "2027-01-01"),
    ] {
        std::fs::write(
            dir.path().join(format!("pages/{slug}.md")),
            page(reviewer, next),
        )
        .unwrap();
    }
    let output = run_irinfo(&["check", "--reviews", "--today", TODAY], dir.path());
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` in:\n{out}"))
    };
    assert!(out.starts_with("Review schedule on 1 June 2026:"), "{out}");
    assert!(out.contains("2 overdue, 1 due within 30 days"), "{out}");
    // Sections in order; within Overdue, Beta's older review comes first.
    assert!(at("Overdue (2)") < at("Due within 30 days (1)"));
    assert!(at("Due within 30 days (1)") < at("Later ("));
    let overdue = &out[at("Overdue (2)")..at("Due within 30 days")];
    assert!(
        overdue.find("Beta team (1)").unwrap() < overdue.find("Alpha team (1)").unwrap(),
        "{overdue}"
    );
    assert!(overdue.contains("2026-04-01  61 days overdue"), "{overdue}");
    let soon = &out[at("Due within 30 days")..at("Later (")];
    assert!(
        soon.contains("Alpha team (1)") && soon.contains("in 9 days"),
        "{soon}"
    );
    // The draft is in the schedule too, marked.
    assert!(out.contains("(draft)"), "{out}");

    let json = run_irinfo(
        &["check", "--reviews", "--format", "json", "--today", TODAY],
        dir.path(),
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let reviews = value["reviews"].as_array().unwrap();
    assert_eq!(reviews[0]["status"], "overdue");
    assert_eq!(reviews[0]["reviewer"], "Beta team");
    assert_eq!(reviews[0]["days"], -61);
}

/// Fills in what `irinfo new` left blank, the way an editor would.
fn fill_in(text: &str) -> String {
    let prose = "You will lie on a bed. A nurse will stay with you. The doctor will tell you what is happening. Most people go home the same day.";
    text.lines()
        .map(|line| {
            // `new` dates the page today; `check` runs as of TODAY, so the dates follow it.
            if line.starts_with("date = ") {
                return format!("date = {TODAY}");
            }
            if line.starts_with("next_review = ") {
                return "next_review = 2028-06-01".to_string();
            }
            if !line.contains("TODO") {
                return line.to_string();
            }
            if line.starts_with("## ") {
                return "## A part of the page".to_string();
            }
            let Some((key, _)) = line.split_once(" = ") else {
                return prose.to_string();
            };
            let value = match key {
                "category" => "\"brain\"".to_string(),
                "x_rays" => "\"no\"".to_string(),
                "procedures" => "[\"balloon\"]".to_string(),
                "sources" => "[\"test-survey\", \"test-guideline\", \"test-study\"]".to_string(),
                "title" => "\"A new page for the test\"".to_string(),
                other => format!("\"Filled-in {other}.\""),
            };
            format!("{key} = {value}")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn new_writes_a_page_that_passes_check_once_filled_in_and_never_overwrites() {
    for (kind, folder) in [
        ("procedure", PageKind::Procedure),
        ("story", PageKind::Story),
        ("statement", PageKind::Statement),
        ("condition", PageKind::Condition),
        ("radiation", PageKind::Radiation),
        ("about", PageKind::About),
    ] {
        let dir = minimal_copy();
        let created = run_irinfo(&["new", kind, "brand-new-page"], dir.path());
        assert_eq!(created.status.code(), Some(0), "{kind}: {created:?}");
        let path: PathBuf = dir.path().join(folder.folder()).join("brand-new-page.md");
        let text = std::fs::read_to_string(&path).unwrap();

        // As written, it is a draft whose blanks are errors.
        let unfilled = run_irinfo(&["check", "--today", TODAY], dir.path());
        assert_eq!(unfilled.status.code(), Some(1), "{kind}");
        assert!(
            stdout(&unfilled).contains("a `TODO` placeholder is still here")
                || stdout(&unfilled).contains("unknown variant `TODO`"),
            "{kind}: {}",
            stdout(&unfilled)
        );

        // Filled in, it passes, as a draft and once published.
        std::fs::write(&path, fill_in(&text)).unwrap();
        let filled = run_irinfo(&["check", "--strict", "--today", TODAY], dir.path());
        assert_eq!(
            filled.status.code(),
            Some(0),
            "{kind}:\n{}\n{}",
            fill_in(&text),
            stdout(&filled)
        );
        let published = fill_in(&text).replace("draft = true", "draft = false");
        std::fs::write(&path, &published).unwrap();
        let live = run_irinfo(&["check", "--strict", "--today", TODAY], dir.path());
        assert_eq!(live.status.code(), Some(0), "{kind}:\n{}", stdout(&live));

        // A second `new` with the same slug changes nothing.
        let again = run_irinfo(&["new", kind, "brand-new-page"], dir.path());
        assert_eq!(again.status.code(), Some(1), "{kind}");
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), published);
    }
}

#[test]
fn a_procedure_from_new_has_every_required_section_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = irinfo::scaffold::create(
        dir.path(),
        PageKind::Procedure,
        "picc-line",
        jiff::civil::date(2026, 11, 28),
    )
    .unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let headings: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert_eq!(headings, irinfo::content::library::PROCEDURE_SECTIONS);
    assert!(matches!(
        irinfo::scaffold::create(
            dir.path(),
            PageKind::Procedure,
            "Bad Slug",
            jiff::civil::date(2026, 1, 1)
        ),
        Err(irinfo::scaffold::ScaffoldError::BadSlug(_))
    ));
}

/// Front-matter field names, read from the types themselves: a Deserializer that records the
/// names a type asks for and then stops.
mod field_names {
    use std::fmt;

    use serde::Deserializer;
    use serde::de::{self, DeserializeOwned, Visitor};

    #[derive(Debug)]
    pub struct Stop;

    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("recorded")
        }
    }

    impl std::error::Error for Stop {}

    impl de::Error for Stop {
        fn custom<T: fmt::Display>(_: T) -> Self {
            Stop
        }
    }

    struct Recorder<'a>(&'a mut Vec<&'static str>);

    impl<'de> Deserializer<'de> for Recorder<'_> {
        type Error = Stop;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.extend(fields);
            Err(Stop)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.extend(variants);
            Err(Stop)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
        }
    }

    /// The field names of a struct, or the variant names of an enum, as written in TOML.
    pub fn of<T: DeserializeOwned>() -> Vec<&'static str> {
        let mut names = Vec::new();
        let _ = T::deserialize(Recorder(&mut names));
        names
    }
}

#[test]
fn the_content_guide_documents_every_front_matter_field() {
    use irinfo::content::front_matter::*;

    let common = field_names::of::<PlainFrontMatter>();
    // The recorder itself works: it sees the common fields, in order.
    assert_eq!(
        common,
        [
            "title",
            "summary",
            "draft",
            "sample",
            "next_review",
            "review_group",
            "clinical_review",
            "history",
            "sources",
            "search_terms",
            "last_reviewed",
            "reviewed_by"
        ]
    );
    let own = |mut names: Vec<&'static str>| {
        names.retain(|n| !common.contains(n));
        names
    };
    let guide = std::fs::read_to_string(repo().join("content/README.md")).unwrap();
    // The guide's `## ` sections, by heading.
    let sections: Vec<(&str, &str)> = guide
        .split("\n## ")
        .skip(1)
        .map(|s| s.split_once('\n').unwrap_or((s, "")))
        .collect();
    let section = |heading_part: &str| -> String {
        sections
            .iter()
            .filter(|(heading, _)| heading.contains(heading_part))
            .map(|(_, text)| *text)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let documents = |text: &str, name: &str| {
        [
            format!("`{name}`"),
            format!("`[{name}]`"),
            format!("{name} = "),
            format!("`\"{name}\"`"),
        ]
        .iter()
        .any(|form| text.contains(form.as_str()))
    };
    let cases: Vec<(&str, Vec<&'static str>)> = vec![
        (
            "Fields every page has",
            [
                common.clone(),
                field_names::of::<irinfo::content::review::HistoryRow>(),
                field_names::of::<irinfo::content::review::ClinicalReviewRow>(),
            ]
            .concat(),
        ),
        (
            "`procedures/`",
            [
                own(field_names::of::<ProcedureFrontMatter>()),
                field_names::of::<ProfessionalNotes>(),
                field_names::of::<GuidanceLink>(),
                field_names::of::<Category>(),
                field_names::of::<XRays>(),
                field_names::of::<irinfo::content::risks::Risk>(),
                field_names::of::<irinfo::content::risks::GetHelp>(),
            ]
            .concat(),
        ),
        (
            "`conditions/`",
            own(field_names::of::<ConditionFrontMatter>()),
        ),
        ("`stories/`", own(field_names::of::<StoryFrontMatter>())),
        (
            "`statements/`",
            [
                own(field_names::of::<StatementFrontMatter>()),
                field_names::of::<StatementStatus>(),
            ]
            .concat(),
        ),
    ];
    let mut missing = Vec::new();
    for (heading, names) in &cases {
        let text = section(heading);
        assert!(!text.is_empty(), "the guide has no section `{heading}`");
        assert!(!names.is_empty(), "{heading}");
        for name in names {
            if !documents(&text, name) {
                missing.push(format!("`{name}` under \"{heading}\""));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "content/README.md does not document: {}",
        missing.join(", ")
    );
}

/// Sends SIGHUP to the server, as `systemctl reload` or `kill -HUP` does.
fn hang_up(server: &WatchedServer) {
    send_signal(&server.child, "-HUP");
}

#[test]
fn sighup_publishes_an_edit_without_watching_or_restarting() {
    let dir = minimal_copy();
    let mut server = WatchedServer::start_with(&["--content", dir.path().to_str().unwrap()]);
    set_title(
        &dir.path().join("procedures/balloon.md"),
        "Balloon procedure",
        "Balloon widening",
    );
    // Not watching: the edit waits for the signal.
    std::thread::sleep(Duration::from_millis(500));
    assert!(title_of(&server.get("/procedures/balloon").1).starts_with("Balloon procedure"));

    hang_up(&server);
    server.wait_for_title(
        Duration::from_secs(20),
        "/procedures/balloon",
        "Balloon widening",
    );
    assert!(server.get("/procedures").1.contains("Balloon widening"));
    assert!(server.log().contains("SIGHUP: rebuilding the content"));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "SIGHUP must not stop the server"
    );
}

#[test]
fn sighup_with_broken_content_keeps_the_old_site_and_logs_every_problem() {
    let dir = minimal_copy();
    let mut server = WatchedServer::start_with(&["--content", dir.path().to_str().unwrap()]);
    let coil = dir.path().join("procedures/coil.md");
    let good = std::fs::read_to_string(&coil).unwrap();
    std::fs::write(
        &coil,
        good.replacen("title = \"Coil procedure\"", "title = Coil procedure", 1),
    )
    .unwrap();
    // A second broken file: every problem is logged, not only the first.
    let balloon = dir.path().join("procedures/balloon.md");
    let text = std::fs::read_to_string(&balloon).unwrap();
    std::fs::write(&balloon, text.replacen("title = ", "titel = ", 1)).unwrap();

    hang_up(&server);
    server.wait_for_log(
        Duration::from_secs(20),
        "the refused rebuild was not logged",
        "still serving the last good version",
    );
    let log = server.log();
    for (file, position) in [(&coil, "2:9:"), (&balloon, "")] {
        let location = format!("{}:{position}", file.display());
        assert!(
            log.lines()
                .any(|l| l.contains("ERROR") && l.contains(&location)),
            "no error at {location} in:\n{log}"
        );
    }
    let (status, body) = server.get("/procedures/coil");
    assert_eq!(status, 200, "the last good site is still served");
    assert!(title_of(&body).starts_with("Coil procedure"), "{body}");
    assert!(server.child.try_wait().unwrap().is_none());

    // Fixed, and signalled again: the fix is published.
    std::fs::write(&coil, good.replacen("Coil procedure", "Coil fixed", 1)).unwrap();
    std::fs::write(&balloon, text).unwrap();
    hang_up(&server);
    server.wait_for_title(Duration::from_secs(20), "/procedures/coil", "Coil fixed");
}
