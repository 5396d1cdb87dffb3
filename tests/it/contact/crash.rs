//! Crash safety with the real binary: concurrent submissions, then SIGKILL. Every submission
//! that was answered with a 303 must be in the queue afterwards, whole.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use irinfo::mail::MailQueue;

use super::*;
use crate::support::*;

fn get_form(address: SocketAddr) -> std::io::Result<String> {
    let (status, page) = try_http(
        address,
        "GET /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )?;
    if status != 200 {
        return Err(std::io::Error::other(format!("GET /contact: {status}")));
    }
    Ok(hidden_token(&page))
}

fn post(address: SocketAddr, body: &str) -> std::io::Result<u16> {
    let request = format!(
        "POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    try_http(address, &request).map(|(status, _)| status)
}

fn write_settings(dir: &Path, port: u16) -> std::path::PathBuf {
    let settings = dir.join("site.toml");
    let text = format!(
        "[server]\naddr = \"127.0.0.1:{port}\"\n\n[paths]\ncontent = {content:?}\nstatic = {static_dir:?}\n\n[contact]\nburst = 1000000\nrate_per_hour = 1000000\n\n[mail]\nspool = {spool:?}\n",
        content = repo().join("tests/fixtures/minimal"),
        static_dir = repo().join("static"),
        spool = dir.join("spool"),
    );
    std::fs::write(&settings, text).unwrap();
    settings
}

/// Starts the binary and waits until it serves the form.
fn start_server(settings: &Path, address: SocketAddr, log: &Path) -> ServerProcess {
    start_server_until(settings, log, || get_form(address).is_ok())
}

#[test]
fn sigkill_under_concurrent_submissions_loses_and_corrupts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let settings = write_settings(dir.path(), port);
    let spool = dir.path().join("spool");
    let mut server = start_server(&settings, address, &dir.path().join("first.log"));

    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6)
        .map(|client| {
            let accepted = accepted.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(token) = get_form(address) else { break };
                    let marker = format!("marker-{client}-{n}-end");
                    let message = format!("Crash test message {marker}");
                    let body = encode(&valid_fields(&token, &[("message", &message)]));
                    match post(address, &body) {
                        Ok(303) => {
                            accepted.lock().unwrap().insert(marker);
                        }
                        Ok(status) => panic!("unexpected status {status}"),
                        // The server was killed mid-request: that one was never confirmed.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();

    // Let the submissions build up, then kill the server without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    while accepted.lock().unwrap().len() < 60 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    kill_without_warning(&mut server, &stop, clients);
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= 60,
        "only {} submissions got through",
        accepted.len()
    );

    // Every file in queue/ reads back whole, and every confirmed submission is among them.
    let queue = MailQueue::new(&spool);
    let mut found = BTreeSet::new();
    for id in queue.waiting().unwrap() {
        let message = queue
            .read("queue", &id)
            .unwrap_or_else(|e| panic!("corrupt after SIGKILL: {e}"));
        let text = String::from_utf8_lossy(&message.body).into_owned();
        let marker = between(&text, "Crash test message ", "\r\n")
            .expect("the marker")
            .to_string();
        assert!(found.insert(marker), "a submission was queued twice");
    }
    let missing: Vec<_> = accepted.difference(&found).collect();
    assert!(missing.is_empty(), "confirmed but not queued: {missing:?}");
    eprintln!(
        "{} confirmed, {} queued, {} in tmp/ at the kill",
        accepted.len(),
        found.len(),
        files_in(&spool, "tmp").len()
    );

    // A restart tidies tmp/, keeps the queue, and a later SIGTERM stops it cleanly.
    let mut server = start_server(&settings, address, &dir.path().join("second.log"));
    assert!(files_in(&spool, "tmp").is_empty());
    assert_eq!(queue.waiting().unwrap().len(), found.len());
    let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert_eq!(
        log.matches("no SMTP relay configured").count(),
        1,
        "said once: {log}"
    );
    let exit = stop_on_sigterm(&mut server.0, Duration::from_secs(15));
    assert!(exit.success(), "{exit}");
}
