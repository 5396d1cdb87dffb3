//! The form through the router: what it shows, what it accepts, and what it refuses, with the
//! spool on the real filesystem checked after every answer.

use axum::http::StatusCode;

use super::*;
use crate::support::*;

#[tokio::test]
async fn the_form_is_a_page_of_the_site_with_every_field_and_the_notices() {
    let (spool, router) = contact_router("192.0.2.10:5000");
    let page = get_ok(&router, "/contact").await;
    assert_eq!(page.h1(), "Contact us");
    assert!(
        page.title().starts_with("Contact us - "),
        "{}",
        page.title()
    );
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        page.header("content-security-policy")
            .contains("form-action 'self'")
    );
    for needle in [
        "<label for=\"name\">",
        "<label for=\"email\">",
        "<legend>What is your message about?</legend>",
        "<label for=\"message\">",
        "value=\"website\"",
        "value=\"information-sheets\"",
        "value=\"finding-a-radiologist\"",
        "value=\"press\"",
        "value=\"other\"",
        "Press and media",
        "We cannot give advice about your own treatment",
        "/about/privacy",
        "name=\"homepage\"",
        "aria-current=\"page\"",
    ] {
        assert!(page.body.contains(needle), "missing {needle}");
    }
    // The notices come before the form.
    let form_at = page.body.find("<form class=\"contact-form\"").unwrap();
    assert!(page.body.find("We cannot give advice").unwrap() < form_at);
    assert!(page.body.find("What we do with your message").unwrap() < form_at);
    assert!(!page.body.contains("style="), "no inline styles");
    // Every visit gets its own token.
    assert_ne!(hidden_token(&page.body), form_token(&router).await);
    let thanks = get_ok(&router, "/contact/thank-you").await;
    assert_eq!(thanks.h1(), "Thank you for your message");
    assert!(files_in(spool.path(), "queue").is_empty());
}

#[tokio::test]
async fn a_valid_message_is_queued_before_the_redirect_and_only_once() {
    let (spool, router) = contact_router("192.0.2.11:5000");
    let token = form_token(&router).await;
    let fields = valid_fields(&token, &[]);
    let response = post_form(&router, &fields).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.header("location"), "/contact/thank-you");
    let messages = queued(spool.path());
    assert_eq!(messages.len(), 1);
    let text = decode_quoted_printable(&String::from_utf8_lossy(&messages[0].body));
    assert!(text.contains("Please send me a leaflet."), "{text}");
    assert!(
        text.contains("Reply-To: \"Ann Example\" <ann@example.com>"),
        "{text}"
    );
    assert_eq!(
        messages[0].envelope_to,
        vec!["press@example.org".to_string()]
    );
    assert_eq!(messages[0].topic, "press");
    assert!(files_in(spool.path(), "tmp").is_empty());

    // The same form sent again (a double click, the back button): thanks again, nothing new.
    for _ in 0..2 {
        let again = post_form(&router, &fields).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(again.header("location"), "/contact/thank-you");
    }
    assert_eq!(queued(spool.path()).len(), 1);

    // Even after a restart (a new App over the same spool, with a configured key).
    let mut config = contact_config(spool.path());
    config.contact.form_key = "ab".repeat(32);
    let first = state_for(config.clone());
    let router = router_from(&first, "192.0.2.11:5000");
    let token = form_token(&router).await;
    let fields = valid_fields(&token, &[]);
    assert_sent(&router, &fields).await;
    assert_eq!(queued(spool.path()).len(), 2);
    let restarted = state_for(config);
    let router = router_from(&restarted, "192.0.2.11:5000");
    assert_sent(&router, &fields).await;
    assert_eq!(queued(spool.path()).len(), 2);
}

#[tokio::test]
async fn refused_submissions_get_the_right_status_and_message_and_queue_nothing() {
    let (spool, router) = contact_router("192.0.2.12:5000");
    let token = form_token(&router).await;
    let other_key_state = state_for(contact_config(spool.path()));
    let foreign_token = form_token(&router_from(&other_key_state, "192.0.2.12:5000")).await;
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('0') { '1' } else { '0' });
    let long_message = "x".repeat(5001);
    let long_name = "n".repeat(101);
    struct Case<'a> {
        what: &'a str,
        fields: Vec<(&'a str, &'a str)>,
        status: StatusCode,
        says: &'a str,
    }
    let cases = [
        Case {
            what: "no token",
            fields: valid_fields("", &[]),
            status: StatusCode::FORBIDDEN,
            says: "We could not tell that the form came from this website",
        },
        Case {
            what: "tampered token",
            fields: valid_fields(&tampered, &[]),
            status: StatusCode::FORBIDDEN,
            says: "We could not tell that the form came from this website",
        },
        Case {
            what: "token signed by another server",
            fields: valid_fields(&foreign_token, &[]),
            status: StatusCode::FORBIDDEN,
            says: "We could not tell that the form came from this website",
        },
        Case {
            what: "honeypot",
            fields: valid_fields(&token, &[("homepage", "http://spam.example")]),
            status: StatusCode::BAD_REQUEST,
            says: "A box that people cannot see was filled in",
        },
        Case {
            what: "invalid email",
            fields: valid_fields(&token, &[("email", "ann.example.com")]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "Enter an email address in the correct format, like name@example.com",
        },
        Case {
            what: "empty message",
            fields: valid_fields(&token, &[("message", "  \r\n ")]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "Enter your message",
        },
        Case {
            what: "message too long",
            fields: valid_fields(&token, &[("message", &long_message)]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "Your message must be 5,000 characters or fewer. It has 5001.",
        },
        Case {
            what: "name too long",
            fields: valid_fields(&token, &[("name", &long_name)]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "Your name must be 100 characters or fewer",
        },
        Case {
            what: "unknown topic",
            fields: valid_fields(&token, &[("topic", "lottery")]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "Choose what your message is about",
        },
        Case {
            what: "control character in the message",
            fields: valid_fields(&token, &[("message", "Hi\u{7}there")]),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            says: "hidden character",
        },
    ];
    for case in cases {
        let response = post_form(&router, &case.fields).await;
        assert_eq!(
            response.status, case.status,
            "{}: {}",
            case.what, response.body
        );
        let text = response.body.replace("&#39;", "'");
        assert!(text.contains(case.says), "{}: {}", case.what, response.body);
        assert!(
            response.header("content-type").starts_with("text/html"),
            "{}",
            case.what
        );
        assert!(
            text.contains("<footer class=\"site-footer\">"),
            "{}: not in the layout",
            case.what
        );
        assert!(
            files_in(spool.path(), "queue").is_empty(),
            "{} queued",
            case.what
        );
    }
    assert!(files_in(spool.path(), "tmp").is_empty());
}

#[tokio::test]
async fn errors_follow_the_gov_uk_pattern_and_keep_what_was_typed() {
    let (spool, router) = contact_router("192.0.2.13:5000");
    let token = form_token(&router).await;
    let fields = valid_fields(
        &token,
        &[
            ("name", ""),
            ("email", "not an address"),
            ("message", "My <b>words</b> & more"),
            ("topic", "other"),
        ],
    );
    let response = post_form(&router, &fields).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &response.body;
    assert!(
        response.title().starts_with("Error: Contact us"),
        "{}",
        response.title()
    );
    let summary_at = body.find("There is a problem").expect("an error summary");
    assert!(
        summary_at < body.find("<h1>").unwrap(),
        "the summary comes first"
    );
    assert!(body.contains("<a href=\"#name\">Enter your name</a>"));
    assert!(body.contains("<a href=\"#email\">"));
    assert!(body.contains("id=\"name-error\" class=\"error-message\""));
    assert!(body.contains("aria-describedby=\"name-error\" aria-invalid=\"true\""));
    assert!(body.contains("form-group form-group-error"));
    // What the visitor typed is kept, escaped.
    assert!(body.contains("value=\"not an address\""));
    assert!(body.contains("My &#60;b&#62;words&#60;/b&#62; &#38; more</textarea>"));
    assert!(body.contains("value=\"other\" checked"));
    assert!(!body.contains("<b>words"));
    // A fresh token comes with the form shown again, and it works.
    let token = hidden_token(body);
    let fixed = valid_fields(&token, &[("topic", "other")]);
    assert_sent(&router, &fixed).await;
    assert_eq!(queued(spool.path()).len(), 1);
}

#[tokio::test]
async fn header_injection_in_any_field_is_refused_and_nothing_is_queued() {
    let (spool, router) = contact_router("192.0.2.14:5000");
    let attacks = [
        ("name", "Eve\r\nBcc: victim@example.net"),
        ("name", "Eve\nBcc: victim@example.net"),
        ("name", "Eve\u{0}Bcc: victim@example.net"),
        ("name", "Eve\u{2028}Bcc: victim@example.net"),
        ("name", "Eve\u{85}Bcc: victim@example.net"),
        ("email", "eve@example.com\r\nBcc: victim@example.net"),
        ("email", "eve@example.com\nBcc: victim@example.net"),
        ("email", "eve@example.com\u{2028}Bcc: victim@example.net"),
        ("topic", "press\r\nBcc: victim@example.net"),
        ("topic", "press\u{85}Bcc: victim@example.net"),
    ];
    for (field, value) in attacks {
        let response = post_valid_with(&router, &[(field, value)]).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value:?}"
        );
        assert!(
            response.body.contains(&format!("href=\"#{field}\"")),
            "{field}={value:?}"
        );
        assert!(
            files_in(spool.path(), "queue").is_empty(),
            "{field}={value:?}"
        );
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_and_keeps_the_message() {
    let (spool, state, router) = contact_router_limited("192.0.2.15:5000", 2, 6);
    for _ in 0..2 {
        let token = form_token(&router).await;
        assert_sent(&router, &valid_fields(&token, &[])).await;
    }
    let limited = post_valid_with(&router, &[("message", "Third one")]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.header("retry-after").parse().expect("Retry-After");
    assert!((500..=600).contains(&retry_after), "{retry_after}");
    assert!(
        limited
            .body
            .contains("Please wait before sending another message")
    );
    assert!(
        limited.body.contains("Please wait 10 minutes"),
        "{}",
        limited.body
    );
    assert!(limited.body.contains("Third one</textarea>"));
    assert_eq!(queued(spool.path()).len(), 2);

    // Another client is not affected.
    let other = router_from(&state, "198.51.100.20:5000");
    let token = form_token(&other).await;
    assert_sent(&other, &valid_fields(&token, &[])).await;
    // A spoofed X-Forwarded-For does not get round it: no proxy is trusted.
    let token = form_token(&router).await;
    let spoofed = post_raw(
        &router,
        encode(&valid_fields(&token, &[])),
        &[("x-forwarded-for", "203.0.113.99")],
    )
    .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(queued(spool.path()).len(), 3);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited() {
    let (_spool, _state, proxy) = contact_router_with("10.0.0.1:40000", |c| {
        c.contact.burst = 1;
        c.contact.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    });
    let send_as = |client: &'static str| {
        let proxy = proxy.clone();
        async move {
            let token = form_token(&proxy).await;
            post_raw(
                &proxy,
                encode(&valid_fields(&token, &[])),
                &[("x-forwarded-for", client)],
            )
            .await
            .status
        }
    };
    assert_eq!(send_as("203.0.113.1").await, StatusCode::SEE_OTHER);
    assert_eq!(send_as("203.0.113.2").await, StatusCode::SEE_OTHER);
    assert_eq!(send_as("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    // A client cannot escape by putting its own entry first: the proxy appends the real one.
    assert_eq!(
        send_as("198.51.100.1, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn without_connection_info_the_form_still_works() {
    let spool = tempfile::tempdir().unwrap();
    let state = state_for(contact_config(spool.path()));
    // No MockConnectInfo layer: as when the router is driven in-process.
    let router = irinfo::web::router(state.clone());
    let token = form_token(&router).await;
    assert_sent(&router, &valid_fields(&token, &[])).await;
    assert_eq!(queued(spool.path()).len(), 1);
}

#[tokio::test]
async fn oversize_bodies_wrong_types_and_cross_site_posts_are_refused() {
    let (spool, router) = contact_router("192.0.2.16:5000");
    let token = form_token(&router).await;
    let huge = "x".repeat(40 * 1024);
    let response = post_form(&router, &valid_fields(&token, &[("message", &huge)])).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.body.contains("Your message is too long to send"));
    assert!(response.body.contains("<footer class=\"site-footer\">"));

    let response = post_raw(
        &router,
        "{\"name\":\"Ann\"}".to_string(),
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.body.contains("<footer class=\"site-footer\">"));

    let response = post_raw(
        &router,
        encode(&valid_fields(&token, &[])),
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response
            .body
            .contains("The form was sent from another website")
    );
    assert!(files_in(spool.path(), "queue").is_empty());
    assert!(files_in(spool.path(), "tmp").is_empty());
}

/// Serves `state` on a real socket on 127.0.0.1, for as long as the test's runtime runs.
async fn serve_locally(state: irinfo::AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(irinfo::serve_on(listener, state, std::future::pending()));
    address
}

/// Sends raw bytes, then waits up to `wait` for the whole answer; returns the status code.
async fn raw_exchange(
    address: std::net::SocketAddr,
    parts: &[&[u8]],
    pause: std::time::Duration,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    for part in parts {
        // The server may answer and close before everything is written; that is fine.
        if stream.write_all(part).await.is_err() {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut_off_over_a_real_socket() {
    let spool = tempfile::tempdir().unwrap();
    let state = state_for(contact_config(spool.path()));
    let token = form_token(&irinfo::web::router(state.clone())).await;
    let address = serve_locally(state).await;
    let huge = "x".repeat(40 * 1024);
    let body = encode(&valid_fields(&token, &[("message", &huge)]));
    let head = "POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut chunked = Vec::new();
    for chunk in body.as_bytes().chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, answer) = raw_exchange(
        address,
        &[head.as_bytes(), &chunked],
        std::time::Duration::ZERO,
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("Your message is too long to send"));
    assert!(files_in(spool.path(), "queue").is_empty());
}

#[tokio::test]
async fn a_body_that_arrives_too_slowly_is_given_up() {
    let spool = tempfile::tempdir().unwrap();
    let mut config = contact_config(spool.path());
    config.contact.body_timeout_secs = 1;
    let state = state_for(config);
    let token = form_token(&irinfo::web::router(state.clone())).await;
    let address = serve_locally(state).await;
    let body = encode(&valid_fields(&token, &[]));
    let head = format!(
        "POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let started = std::time::Instant::now();
    // Half the body, then nothing for longer than the deadline.
    let (status, answer) = raw_exchange(
        address,
        &[head.as_bytes(), &body.as_bytes()[..body.len() / 2]],
        std::time::Duration::from_millis(100),
    )
    .await;
    assert_eq!(status, 408, "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(answer.contains("That took too long"));
    assert!(files_in(spool.path(), "queue").is_empty());
}

/// Whether this process may mount file systems (root, as in CI).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Undoes a mount when the test ends, even if it fails.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

fn run(command: &str, args: &[&std::ffi::OsStr]) {
    let status = std::process::Command::new(command)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    assert!(status.success(), "{command} {args:?} failed");
}

/// Makes `dir` read-only for real: a read-only bind mount when root (root ignores permission
/// bits), plain permissions otherwise.
fn make_read_only(dir: &std::path::Path) -> Option<Unmount> {
    if is_root() {
        run(
            "mount",
            &[
                std::ffi::OsStr::new("--bind"),
                dir.as_os_str(),
                dir.as_os_str(),
            ],
        );
        let guard = Unmount(dir.to_path_buf());
        run(
            "mount",
            &[
                std::ffi::OsStr::new("-o"),
                std::ffi::OsStr::new("remount,ro,bind"),
                dir.as_os_str(),
            ],
        );
        Some(guard)
    } else {
        use std::os::unix::fs::PermissionsExt;
        for sub in ["", "tmp", "queue"] {
            std::fs::set_permissions(dir.join(sub), std::fs::Permissions::from_mode(0o555))
                .unwrap();
        }
        None
    }
}

async fn assert_503_and_nothing_left(router: &Router, spool: &std::path::Path) {
    let token = form_token(router).await;
    let response = post_form(
        router,
        &valid_fields(&token, &[("message", "Kept for the visitor")]),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        response.body
    );
    assert!(
        response
            .body
            .contains("Sorry, we cannot send messages right now")
    );
    assert!(response.body.contains("Please try again later"));
    assert!(response.body.contains("Kept for the visitor</textarea>"));
    assert!(!response.body.contains("Thank you"));
    assert_eq!(response.header("retry-after"), "300");
    assert!(files_in(spool, "queue").is_empty());
    assert!(
        files_in(spool, "tmp").is_empty(),
        "{:?}",
        files_in(spool, "tmp")
    );
}

#[tokio::test]
async fn a_read_only_spool_gives_503_not_thanks() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let state = state_for(contact_config(&spool));
    state.0.contact.queue.prepare().unwrap();
    let guard = make_read_only(&spool);
    let router = router_from(&state, "192.0.2.18:5000");
    assert_503_and_nothing_left(&router, &spool).await;
    drop(guard);
}

#[tokio::test]
async fn a_full_disk_gives_503_and_leaves_no_partial_file() {
    if !is_root() {
        eprintln!("skipped: mounting a small file system needs root (CI runs as root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("small");
    std::fs::create_dir(&mount_point).unwrap();
    run(
        "mount",
        &[
            std::ffi::OsStr::new("-t"),
            std::ffi::OsStr::new("tmpfs"),
            std::ffi::OsStr::new("-o"),
            std::ffi::OsStr::new("size=64k"),
            std::ffi::OsStr::new("tmpfs"),
            mount_point.as_os_str(),
        ],
    );
    let _guard = Unmount(mount_point.clone());
    let spool = mount_point.join("spool");
    let state = state_for(contact_config(&spool));
    state.0.contact.queue.prepare().unwrap();
    // Fill the disk up, leaving less room than one message needs but more than nothing, so
    // the write starts and then fails half-way.
    let filler = mount_point.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![b'x'; 1024];
    use std::io::Write;
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
    drop(file);
    let size = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(size - 600)
        .unwrap();
    let router = router_from(&state, "192.0.2.19:5000");
    assert_503_and_nothing_left(&router, &spool).await;
}

#[tokio::test]
async fn an_expired_form_is_shown_again_with_what_was_typed() {
    let spool = tempfile::tempdir().unwrap();
    let config = contact_config(spool.path());
    let (site, _) = irinfo::build_site(&config).unwrap();
    let clock = std::sync::Arc::new(irinfo::mail::ManualClock::new(jiff::Timestamp::now()));
    let state = irinfo::AppState::new(
        irinfo::App::with_clock(config, site, clock.clone()).expect("random source"),
    );
    let router = router_from(&state, "192.0.2.20:5000");
    let token = form_token(&router).await;
    clock.advance(std::time::Duration::from_secs(121 * 60));
    let fields = valid_fields(&token, &[("message", "Written slowly")]);
    let response = post_form(&router, &fields).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("Your message has not been sent yet"));
    assert!(response.body.contains("more than 120 minutes"));
    assert!(response.body.contains("Written slowly</textarea>"));
    assert!(files_in(spool.path(), "queue").is_empty());
    // The form shown again carries a fresh token that works.
    let fresh = hidden_token(&response.body);
    let fields = valid_fields(&fresh, &[("message", "Written slowly")]);
    assert_sent(&router, &fields).await;
    assert_eq!(queued(spool.path()).len(), 1);
}
