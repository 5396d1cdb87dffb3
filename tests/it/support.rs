//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use irinfo::config::SiteConfig;
use irinfo::{App, AppState};
use tower::ServiceExt;

/// Runs the `irinfo` binary with `args` on the content in `content`, without colour.
pub fn run_irinfo(args: &[&str], content: &Path) -> std::process::Output {
    std::process::Command::new(binary())
        .args(args)
        .arg("--content")
        .arg(content)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The repository root, where the shipped content lives.
pub fn repo() -> PathBuf {
    irinfo::crate_dir()
}

/// Ends the whole test run with one line when a real peer the tests use is not installed, rather
/// than a panic trace in every test that needs it. The run fails: nothing is skipped in silence.
pub fn require_installed(marker: &str, what: &str, packages: &str) {
    if !Path::new(marker).exists() {
        end_run(&format!(
            "{what} is not installed ({marker} is missing): run scripts/test, which installs it, or apt-get install -y {packages}"
        ));
    }
}

/// A tool of the Python venv `scripts/test` makes in `target/open-data-venv` (extruct,
/// openapi-spec-validator, schemathesis, pdfminer.six); like [`require_installed`], a missing one
/// ends the run with one line saying how to get it.
pub fn venv_tool(name: &str) -> PathBuf {
    let tool = repo().join("target/open-data-venv/bin").join(name);
    if !tool.exists() {
        end_run(&format!(
            "{} is missing: run scripts/test, which installs extruct, openapi-spec-validator, schemathesis and pdfminer.six into target/open-data-venv",
            tool.display()
        ));
    }
    tool
}

/// Ends the whole test run with `irinfo tests: <why>` on stderr. Written to stderr directly, not
/// with `eprintln!`, which the test harness captures and would lose at the exit.
pub fn end_run(why: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\nirinfo tests: {why}");
    std::process::exit(2);
}

/// Loads `dir` as published content on a fixed day, knowing the paths the web layer serves.
pub fn load_published(dir: &Path) -> irinfo::content::LoadOutcome {
    irinfo::content::Library::load(
        &irinfo::content::LoadOptions::published(
            dir.to_path_buf(),
            repo().join("static"),
            jiff::civil::date(2026, 6, 1),
        )
        .serving(irinfo::web::GENERATED_PATHS),
    )
}

/// A page of each pre-rendered kind (home, list, sheet) and a static file: for tests of what
/// every response does.
pub const SAMPLE_PATHS: [&str; 4] = [
    "/",
    "/procedures",
    "/procedures/angioplasty",
    "/static/site.css",
];

/// Settings that read the shipped content and static files.
pub fn shipped_config() -> SiteConfig {
    let mut config = SiteConfig::default();
    config.paths.content = repo().join("content");
    config.paths.static_files = repo().join("static");
    config
}

/// Settings that read a fixture folder under `tests/fixtures/`.
pub fn fixture_config(name: &str) -> SiteConfig {
    let mut config = shipped_config();
    config.paths.content = repo().join("tests/fixtures").join(name);
    config
}

/// State for the shipped content, built once per test binary: the content does not change.
pub fn shipped_state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| state_for(shipped_config())).clone()
}

/// State for any settings; panics with the content's errors if it does not build.
pub fn state_for(config: SiteConfig) -> AppState {
    let (site, _) = irinfo::build_site(&config).unwrap_or_else(|e| panic!("{e}"));
    AppState::new(App::new(config, site).expect("random source"))
}

/// The router for the shipped content.
pub fn shipped_router() -> Router {
    irinfo::web::router(shipped_state())
}

/// The shipped state and a router on it, for tests that look at both.
pub fn shipped_state_and_router() -> (AppState, Router) {
    let state = shipped_state();
    let router = irinfo::web::router(state.clone());
    (state, router)
}

/// A response read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The text of the first `<title>`.
    pub fn title(&self) -> &str {
        between(&self.body, "<title>", "</title>").unwrap_or("")
    }

    /// The text of the first `<h1>`.
    pub fn h1(&self) -> &str {
        between(&self.body, "<h1>", "</h1>").unwrap_or("")
    }
}

pub fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// The text after each `start` in `text`, in order, each up to the next `end`; where no `end`
/// comes before the next `start`, up to that `start` (or to the end of the text).
pub fn each_between<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    text.split(start)
        .skip(1)
        .map(|part| part.split_once(end).map_or(part, |(inside, _)| inside))
        .collect()
}

/// Sends one request through the router in-process: the status, the headers and the body as
/// raw bytes (compressed bodies are not text).
pub async fn send_bytes(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, bytes.to_vec())
}

/// Sends one request through the router in-process.
pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let (status, headers, bytes) = send_bytes(router, request).await;
    TestResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// GET `path` with no special headers.
pub async fn get(router: &Router, path: &str) -> TestResponse {
    send(router, request(Method::GET, path)).await
}

/// GET `path`, which must answer 200 OK.
pub async fn get_ok(router: &Router, path: &str) -> TestResponse {
    let response = get(router, path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}");
    response
}

/// GET `path`, which must answer 404 with the site's "Page not found" page.
pub async fn get_not_found(router: &Router, path: &str) -> TestResponse {
    let response = get(router, path).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    assert_eq!(response.h1(), "Page not found", "{path}");
    response
}

pub fn request(method: Method, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("valid request")
}

/// A copy of the content in `tests/fixtures/minimal`, for a test to break.
pub fn minimal_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/minimal"), dir.path());
    dir
}

/// Replaces the first `from` with `to` in `file` of the content folder `dir`; the text must be
/// there, so that a fixture that changed shape fails here rather than testing something else.
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The report of loading content that must be refused; fails, naming `what` was loaded and
/// showing the report, if the content built.
pub fn refused_report(outcome: &irinfo::content::LoadOutcome, what: &str) -> String {
    let report = outcome.diagnostics.to_string();
    assert!(outcome.library.is_none(), "{what} built: {report}");
    report
}

/// As [`refused_report`], checking too that the report has exactly `errors` errors.
pub fn refused_with(outcome: &irinfo::content::LoadOutcome, errors: usize, what: &str) -> String {
    let report = refused_report(outcome, what);
    let found = outcome.diagnostics.error_count();
    assert_eq!(found, errors, "{what}: {report}");
    report
}

/// Asserts that one line of the report has both `location` and `message`; else shows the report.
pub fn assert_reported(report: &str, location: &str, message: &str) {
    let found = report
        .lines()
        .any(|line| line.contains(location) && line.contains(message));
    assert!(
        found,
        "expected `{location}` with `{message}` in:\n{report}"
    );
}

/// Writes `request` as it is over a real socket to `addr` and reads the answer to its end,
/// waiting 10 s at most for each read.
pub fn http_exchange(addr: impl std::net::ToSocketAddrs, request: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    raw
}

/// One HTTP/1.1 exchange over a fresh connection, for servers that may be starting or dying:
/// the status and the whole answer, or the I/O error (refused, reset, timed out after 20 s).
pub fn try_http(address: std::net::SocketAddr, request: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let timeout = std::time::Duration::from_secs(2);
    let mut stream = std::net::TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    Ok((status, text))
}

/// Copies a folder tree, for tests that break a copy of some content.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Writes the shipped `site.toml` into `dir` with its mail spool moved to `dir/spool` and its
/// feedback database to `dir/feedback.sqlite3`, and returns its path: for tests that run
/// `irinfo serve`, since only one server at a time may use a spool, and test mail and answers
/// have no place in the repository's `var/`.
pub fn shipped_settings_with_spool_in(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(repo().join("site.toml")).unwrap();
    let spool = format!("spool = {:?}", dir.join("spool").display().to_string());
    let database = format!(
        "database = {:?}",
        dir.join("feedback.sqlite3").display().to_string()
    );
    // No review digests: the shipped settings would queue one when the server starts, and these
    // servers' mail queues must hold only what their tests send (tests/it/feedback/digest.rs
    // starts its own).
    let no_digests = "digest_every_days = 0";
    let settings = shipped
        .replace("spool = \"var/spool\"", &spool)
        .replace("database = \"var/feedback/answers.sqlite3\"", &database)
        .replace("digest_every_days = 7", no_digests);
    assert!(settings.contains(&spool), "site.toml names its spool");
    assert!(settings.contains(&database), "site.toml names its database");
    assert!(
        settings.contains(no_digests),
        "site.toml sets the digests' period"
    );
    let path = dir.join("site.toml");
    std::fs::write(&path, settings).unwrap();
    path
}

/// Arguments for `irinfo serve` in a test: the admin address (metrics) on a port of the
/// system's choosing, so that servers started at once never collide on the default 3001.
pub const ADMIN_ON_ANY_PORT: [&str; 2] = ["--admin-addr", "127.0.0.1:0"];

/// Path of the built `irinfo` binary, for tests that run it as a process.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_irinfo"))
}

/// A real nginx on loopback, in a folder of its own; stopped when dropped.
pub struct Nginx {
    child: std::process::Child,
    /// The port the test talks to.
    pub port: u16,
    /// Holds nginx.conf, its logs and whatever the test put beside them.
    pub dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with `http_block` inside `http { }` (after the MIME types and temp paths),
    /// `main` before it (such as `load_module`), and `files` (name, text) written beside
    /// nginx.conf, where relative `include`s find them; waits until `port` answers.
    pub fn start(main: &str, http_block: &str, files: &[(&str, &str)], port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let prefix = dir.path().display().to_string();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n\
             error_log {prefix}/error.log warn;\n{main}\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n\
               client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n\
               fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n\
               scgi_temp_path {prefix}/scgi;\n{http_block}\n}}\n"
        );
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let mut child = std::process::Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start nginx");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited with {status}: {log}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "nginx did not start on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Self { child, port, dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's nginx; a missing one ends the run with one line saying how to install it.
pub fn nginx_binary() -> PathBuf {
    const PACKAGES: &str = "nginx libnginx-mod-http-brotli-static";
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            require_installed("/usr/sbin/nginx", "nginx", PACKAGES);
            PathBuf::from("/usr/sbin/nginx")
        })
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// An `irinfo serve` process, killed if the test fails before it stops it.
pub struct ServerProcess(pub std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `irinfo --config settings serve` (admin port of the system's choosing), its output in
/// `log`, and waits up to 60 s until `ready` says it serves; panics if it exits first.
pub fn start_server_until(settings: &Path, log: &Path, ready: impl Fn() -> bool) -> ServerProcess {
    let log = std::fs::File::create(log).unwrap();
    let child = std::process::Command::new(binary())
        .arg("--config")
        .arg(settings)
        .arg("serve")
        .args(ADMIN_ON_ANY_PORT)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the irinfo binary starts");
    let mut server = ServerProcess(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("irinfo exited early with {status}");
        }
        assert!(std::time::Instant::now() < deadline, "irinfo did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server
}

/// Sends `signal` (such as `-HUP`) to `child`, as `kill` does.
pub fn send_signal(child: &std::process::Child, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success(), "kill {signal} failed");
}

/// Sends SIGTERM to `child` and waits up to `within` for it to stop; how it exited.
pub fn stop_on_sigterm(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> std::process::ExitStatus {
    send_signal(child, "-TERM");
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "irinfo did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Kills the server with SIGKILL, then tells the client threads to stop and waits for them.
pub fn kill_without_warning(
    server: &mut ServerProcess,
    stop: &std::sync::atomic::AtomicBool,
    clients: Vec<std::thread::JoinHandle<()>>,
) {
    server.0.kill().expect("SIGKILL");
    server.0.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.join().expect("a client thread failed");
    }
}
