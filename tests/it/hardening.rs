//! The server tried as an attacker would (issue 23): slow and silent clients, two servers on one
//! spool, links and odd names under `/static/`, HSTS, validators per encoding, stray spool files.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method, StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

/// A server on its own single-threaded runtime and thread, as `serve` runs each core's share,
/// so that the clients in the test do not share its thread. Stops when dropped.
struct ThreadServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadServer {
    fn start(state: irinfo::AppState) -> Self {
        // The backlog `serve` uses; std's default of 128 would drop the connections of the
        // tests that open hundreds at once.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = {
            let _inside = runtime.enter();
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(1024).unwrap()
        };
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                irinfo::serve_on(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One GET over a fresh connection; the status line's code and the time the whole answer took.
async fn timed_get(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// How a test client misbehaves.
#[derive(Debug, Clone, Copy)]
enum Slow {
    /// Connects and sends nothing.
    Silent,
    /// Sends a request header one byte at a time, a byte every 250 ms, never finishing it.
    Dribble,
    /// Sends one whole request, reads the answer, then keeps the connection open and sends
    /// nothing more.
    IdleKeepAlive,
    /// Opens an HTTP/2 connection (the preface and its settings) and then says nothing: no
    /// header timeout applies, only the idle timeout.
    Http2Silent,
}

/// Runs one misbehaving client; returns how long after connecting the server closed on it, or
/// `None` if it was still open after `give_up`.
async fn slow_client(addr: SocketAddr, kind: Slow, give_up: Duration) -> Option<Duration> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        match kind {
            Slow::Silent => {}
            Slow::Dribble => {
                for byte in b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: "
                    .iter()
                    .cycle()
                {
                    if writer.write_all(&[*byte]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
            Slow::IdleKeepAlive => {
                let _ = writer
                    .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .await;
            }
            Slow::Http2Silent => {
                // The client preface, then an empty SETTINGS frame.
                let _ = writer
                    .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
                    .await;
            }
        }
        // Keeps the writing half open until the test ends.
        std::future::pending::<()>().await;
        drop(writer);
    });
    let mut buffer = [0u8; 16 * 1024];
    let closed = tokio::time::timeout(give_up, async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    sending.abort();
    closed.ok().map(|()| started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_silent_and_idle_connections_are_closed_while_others_are_served() {
    let mut config = fixture_config("minimal");
    config.server.header_read_timeout_secs = 1;
    config.server.request_timeout_secs = 2;
    config.server.idle_timeout_secs = 2;
    let server = ThreadServer::start(state_for(config));
    let addr = server.addr;
    assert_eq!(timed_get(addr, "/").await.0, 200);

    // 600 misbehaving clients, 150 of each kind, all open at once.
    let give_up = Duration::from_secs(8);
    let mut clients = Vec::new();
    for n in 0..600 {
        let kind = [
            Slow::Silent,
            Slow::Dribble,
            Slow::IdleKeepAlive,
            Slow::Http2Silent,
        ][n % 4];
        clients.push((kind, tokio::spawn(slow_client(addr, kind, give_up))));
    }
    // Meanwhile ordinary visitors are served at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let (status, took) = timed_get(addr, "/").await;
        assert_eq!(status, 200);
        latencies.push(took);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let slowest = latencies[latencies.len() - 1];
    eprintln!("with 600 slow connections open: median {median:?}, slowest {slowest:?}");
    // The issue asks for under 50 ms. Measured on the 2-core test machine: a median of 1 to 5 ms,
    // and a slowest of 5 to 550 ms when other builds load it (load average 11). So the median
    // is held to 50 ms, and the slowest only to what starvation would break.
    assert!(median < Duration::from_millis(50), "median {median:?}");
    assert!(slowest < Duration::from_secs(2), "slowest {slowest:?}");

    for (kind, client) in clients {
        let closed_after = client.await.unwrap();
        let closed_after =
            closed_after.unwrap_or_else(|| panic!("a {kind:?} client was still connected"));
        // The header timeout is 1 s (the dribbling and idle keep-alive clients) and the idle
        // timeout 2 s (the silent and HTTP/2 clients, which no header timer covers).
        assert!(
            closed_after < Duration::from_secs(4),
            "a {kind:?} client was closed only after {closed_after:?}"
        );
    }
    drop(server);
}

/// A real `irinfo serve` process on the minimal content, killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl ServerProcess {
    /// Writes settings (the spool, the port, and `server_settings` under `[server]`) and starts
    /// the binary, without waiting for it.
    fn spawn(dir: &Path, name: &str, spool: &Path, server_settings: &str) -> Self {
        let port = free_port();
        let settings = dir.join(format!("{name}.toml"));
        std::fs::write(
            &settings,
            format!(
                "[server]\naddr = \"127.0.0.1:{port}\"\n{server_settings}\n\n[paths]\ncontent = {content:?}\nstatic = {static_dir:?}\n\n[mail]\nspool = {spool:?}\n",
                content = repo().join("tests/fixtures/minimal"),
                static_dir = repo().join("static"),
            ),
        )
        .unwrap();
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary())
            .arg("--config")
            .arg(&settings)
            .arg("serve")
            .args(ADMIN_ON_ANY_PORT)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the irinfo binary starts");
        Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    /// Starts the binary and waits until it answers.
    fn start(dir: &Path, name: &str, spool: &Path, server_settings: &str) -> Self {
        let mut server = Self::spawn(dir, name, spool, server_settings);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !server.answers() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("irinfo exited early with {status}: {}", server.log_text());
            }
            assert!(Instant::now() < deadline, "irinfo did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn answers(&self) -> bool {
        blocking_get(self.addr, Duration::from_secs(5)).is_ok_and(|status| status == 200)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET / over a fresh blocking connection; the status code.
fn blocking_get(addr: SocketAddr, wait: Duration) -> std::io::Result<u16> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(wait))?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

#[test]
fn at_the_connection_cap_new_clients_wait_and_one_line_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        dir.path(),
        "capped",
        &dir.path().join("spool"),
        "max_connections = 6\nheader_read_timeout_secs = 2\nrequest_timeout_secs = 2\nidle_timeout_secs = 2",
    );
    // Six clients that say nothing take every place.
    let silent: Vec<_> = (0..6)
        .map(|_| std::net::TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Three visitors come meanwhile: they wait for a place, and get one when the silent
    // clients are cut off after two seconds.
    let started = Instant::now();
    let visitors: Vec<_> = (0..3)
        .map(|_| {
            let addr = server.addr;
            std::thread::spawn(move || blocking_get(addr, Duration::from_secs(15)))
        })
        .collect();
    for visitor in visitors {
        assert_eq!(visitor.join().unwrap().unwrap(), 200);
    }
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_millis(1000) && waited < Duration::from_secs(8),
        "the visitors waited {waited:?}"
    );
    drop(silent);
    let log = server.log_text();
    assert_eq!(
        log.matches("the most server.max_connections allows")
            .count(),
        1,
        "{log}"
    );
}

#[test]
fn a_second_server_on_the_same_spool_refuses_to_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let first = ServerProcess::start(dir.path(), "first", &spool, "");
    let mut second = ServerProcess::spawn(dir.path(), "second", &spool, "");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = second.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            !second.answers(),
            "the second server serves on the same spool: {}",
            second.log_text()
        );
        assert!(
            Instant::now() < deadline,
            "the second server neither served nor stopped"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let log = second.log_text();
    assert!(
        log.contains(&format!(
            "the mail spool {} is in use by another irinfo server (process {})",
            spool.display(),
            first.child.id()
        )),
        "{log}"
    );
    assert!(first.answers(), "the first server goes on serving");
    // Once the first has stopped, however it stopped, the spool is free again.
    drop(first);
    let again = ServerProcess::start(dir.path(), "again", &spool, "");
    assert!(again.answers());
}

#[cfg(unix)]
#[tokio::test]
async fn static_files_stay_in_their_folder_and_odd_names_are_a_quiet_404() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let static_dir = dir.path().join("static");
    copy_dir(&repo().join("static"), &static_dir);
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET, outside the static folder").unwrap();
    std::fs::create_dir(dir.path().join("private")).unwrap();
    std::fs::write(dir.path().join("private/notes.txt"), "TOP SECRET notes").unwrap();
    // Links made before the site is built (the files held in memory) ...
    symlink("/etc/passwd", static_dir.join("passwd")).unwrap();
    symlink(&secret, static_dir.join("secret.css")).unwrap();
    symlink(dir.path().join("private"), static_dir.join("private")).unwrap();
    std::fs::write(static_dir.join(".env"), "TOP SECRET=1").unwrap();
    let mut config = shipped_config();
    config.paths.static_files = static_dir.clone();
    let state = state_for(config);
    // ... and after it (the files served from disk).
    symlink(&secret, static_dir.join("late-secret.txt")).unwrap();
    symlink(static_dir.join(".env"), static_dir.join("late-env.txt")).unwrap();
    std::fs::write(static_dir.join("late.txt"), "added after the build").unwrap();
    symlink(
        static_dir.join("late.txt"),
        static_dir.join("late-link.txt"),
    )
    .unwrap();
    let router = irinfo::web::router(state);

    let long_name = format!("/static/{}.css", "a".repeat(252));
    let refused = [
        "/static/passwd",
        "/static/secret.css",
        "/static/private/notes.txt",
        "/static/late-secret.txt",
        "/static/late-env.txt",
        "/static/.env",
        "/static/%2Eenv",
        "/static/site.css%00",
        "/static/%C0%AE%C0%AE/secret.txt",
        "/static/%ff%fe",
        long_name.as_str(),
    ];
    for path in refused {
        let response = get(&router, path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!response.body.contains("TOP SECRET"), "{path}");
        assert!(!response.body.contains("root:"), "{path}");
        // The site's own page, in its layout.
        assert!(response.body.contains("<main"), "{path}: {}", response.body);
        assert!(
            response.header("content-type").starts_with("text/html"),
            "{path}"
        );
    }
    // Ordinary files, and a link to one inside the folder, still serve, from memory or disk.
    for (path, expected) in [
        ("/static/late.txt", "added after the build"),
        ("/static/late-link.txt", "added after the build"),
    ] {
        let response = get_ok(&router, path).await;
        assert_eq!(response.body, expected);
    }
    assert_eq!(
        get(&router, "/static/site.css").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn strict_transport_security_is_sent_when_the_public_address_is_https() {
    let mut config = fixture_config("minimal");
    config.site.base_url = "https://ir.example.org".to_string();
    let router = irinfo::web::router(state_for(config.clone()));
    for path in ["/", "/static/site.css", "/no-such-page"] {
        let response = get(&router, path).await;
        assert_eq!(
            response.header("strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }

    config.server.hsts_max_age_secs = 600;
    config.server.hsts_include_subdomains = true;
    let router = irinfo::web::router(state_for(config.clone()));
    assert_eq!(
        get(&router, "/").await.header("strict-transport-security"),
        "max-age=600; includeSubDomains"
    );

    // Over plain http browsers ignore it: it is not sent.
    config.site.base_url = "http://127.0.0.1:3000".to_string();
    let router = irinfo::web::router(state_for(config));
    assert!(
        get(&router, "/")
            .await
            .headers
            .get("strict-transport-security")
            .is_none()
    );
}

fn conditional(
    path: &str,
    accept: Option<&'static str>,
    validator: Option<(header::HeaderName, HeaderValue)>,
) -> axum::http::Request<axum::body::Body> {
    let mut request = request(Method::GET, path);
    if let Some(accept) = accept {
        request
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(accept));
    }
    if let Some((name, value)) = validator {
        request.headers_mut().insert(name, value);
    }
    request
}

#[tokio::test]
async fn each_encoding_has_its_own_strong_etag_and_304s_work_for_each() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    for path in ["/procedures/balloon", "/static/site.css"] {
        let mut etags = Vec::new();
        for (accept, coding) in [(None, ""), (Some("gzip"), "gzip"), (Some("gzip, br"), "br")] {
            let fresh = send(&router, conditional(path, accept, None)).await;
            assert_eq!(fresh.status, StatusCode::OK, "{path} {accept:?}");
            assert_eq!(
                fresh.header("content-encoding"),
                coding,
                "{path} {accept:?}"
            );
            let etag = fresh.header("etag").to_string();
            assert!(
                etag.starts_with('"') && etag.ends_with('"'),
                "a strong ETag: {etag}"
            );
            assert!(!etags.contains(&etag), "{path}: {etag} names two bodies");
            etags.push(etag.clone());

            let revalidated = send(
                &router,
                conditional(
                    path,
                    accept,
                    Some((header::IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap())),
                ),
            )
            .await;
            assert_eq!(
                revalidated.status,
                StatusCode::NOT_MODIFIED,
                "{path} {accept:?}"
            );
            assert_eq!(revalidated.header("etag"), etag);
            assert!(revalidated.body.is_empty());
        }
        // Another encoding's ETag does not validate this one: the bodies differ.
        let mismatched = send(
            &router,
            conditional(
                path,
                Some("gzip"),
                Some((
                    header::IF_NONE_MATCH,
                    HeaderValue::from_str(&etags[0]).unwrap(),
                )),
            ),
        )
        .await;
        assert_eq!(mismatched.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn if_modified_since_equal_to_last_modified_gives_304() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    for path in ["/procedures/balloon", "/static/site.css"] {
        for accept in [None, Some("gzip"), Some("gzip, br")] {
            let fresh = send(&router, conditional(path, accept, None)).await;
            let last_modified = fresh.header("last-modified");
            assert!(!last_modified.is_empty(), "{path}");
            let since = send(
                &router,
                conditional(
                    path,
                    accept,
                    Some((
                        header::IF_MODIFIED_SINCE,
                        HeaderValue::from_str(last_modified).unwrap(),
                    )),
                ),
            )
            .await;
            assert_eq!(since.status, StatusCode::NOT_MODIFIED, "{path} {accept:?}");
            assert!(since.body.is_empty());
        }
    }
}

/// The form came back (422) with the error summary linking to `field`; `case` names the attempt.
fn assert_field_refused(response: &TestResponse, field: &str, case: &str) {
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
    assert!(response.body.contains("class=\"error-summary\""), "{case}");
    assert!(
        response.body.contains(&format!("href=\"#{field}\"")),
        "{case}"
    );
}

#[tokio::test]
async fn invisible_characters_and_repeated_fields_are_refused_kindly() {
    use crate::contact::{
        contact_router_limited, encode, form_token, post_raw, post_valid_with, valid_fields,
    };
    let (spool, _state, router) = contact_router_limited("192.0.2.55:5000", 1000, 1000);
    let hidden = [
        ("name", "Ann\u{202E}elpmaxE"),
        ("name", "Ann\u{202A}Example"),
        ("name", "\u{2066}Ann\u{2069}"),
        ("name", "Ann\u{200B}Example"),
        ("name", "Ann\u{200D}"),
        ("name", "Ann\u{2060}Example"),
        ("name", "\u{FEFF}Ann"),
        ("name", "Ann\u{7}"),
        ("name", "Ann\u{1B}[31m"),
        ("email", "ann\u{202E}@example.com"),
        ("email", "ann@exa\u{200B}mple.com"),
        ("email", "\u{FEFF}ann@example.com"),
    ];
    for (field, value) in hidden {
        let response = post_valid_with(&router, &[(field, value)]).await;
        assert_field_refused(&response, field, &format!("{field}={value:?}"));
        assert!(
            response.body.contains("hidden character"),
            "{field}={value:?}"
        );
    }
    for (field, second) in [
        ("name", "Bob Example"),
        ("email", "bob@example.com"),
        ("topic", "website"),
        ("message", "Another message."),
    ] {
        let token = form_token(&router).await;
        let mut body = encode(&valid_fields(&token, &[]));
        body.push('&');
        body.push_str(&encode(&[(field, second)]));
        let response = post_raw(&router, body, &[]).await;
        assert_field_refused(&response, field, &format!("{field} twice"));
    }
    // A form token or the hidden box sent twice is a program's doing: a kind page, not a form.
    for field in ["form_token", "homepage"] {
        let token = form_token(&router).await;
        let mut body = encode(&valid_fields(&token, &[]));
        body.push_str(&format!("&{field}=x"));
        let response = post_raw(&router, body, &[]).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{field} twice");
        assert!(
            response.body.contains("Your message was not sent"),
            "{field} twice"
        );
    }
    assert!(
        crate::contact::files_in(spool.path(), "queue").is_empty(),
        "nothing was queued"
    );
    // Names in any script, with their accents and joiners-free marks, still go.
    for name in [
        "Zoë Ñúñez-O'Brien",
        "مريم الحسن",
        "李小龍",
        "Þórunn Ægisdóttir",
    ] {
        let token = form_token(&router).await;
        let response = post_raw(
            &router,
            encode(&valid_fields(&token, &[("name", name)])),
            &[],
        )
        .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{name}");
    }
}
