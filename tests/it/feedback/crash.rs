//! kill -9 under load with the real binary: every answer the server acknowledged (a 303) is in
//! the database afterwards, on SQLite and on PostgreSQL.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Db;
use crate::support::*;

crate::both_databases!(sigkill_under_load_keeps_every_acknowledged_answer);

pub fn post_answer(address: SocketAddr, page: &str, answer: &str) -> std::io::Result<u16> {
    let body = crate::contact::encode(&[("page", page), ("answer", answer)]);
    let request = format!(
        "POST /feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    try_http(address, &request).map(|(status, _)| status)
}

/// Starts the binary with `settings` and waits until it serves the home page.
pub fn start_server(settings: &Path, address: SocketAddr, log: &Path) -> ServerProcess {
    let home = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    start_server_until(settings, log, || {
        matches!(try_http(address, home), Ok((200, _)))
    })
}

/// Settings for a server on `port` with `content` and this database; `mail` is added to
/// `[mail]` and `feedback` to `[feedback]`.
pub fn write_settings(
    dir: &Path,
    port: u16,
    db: &Db,
    content: &Path,
    mail: &str,
    feedback: &str,
) -> std::path::PathBuf {
    let settings = dir.join("site.toml");
    let text = format!(
        "[server]\naddr = \"127.0.0.1:{port}\"\nrequest_timeout_secs = 60\nidle_timeout_secs = 60\n\n[paths]\ncontent = {content:?}\nstatic = {static_dir:?}\n\n[mail]\nspool = {spool:?}\n{mail}\n{db}burst = 1000000\nrate_per_hour = 1000000\n{feedback}\n",
        static_dir = repo().join("static"),
        spool = dir.join("spool"),
        db = db.toml(),
    );
    std::fs::write(&settings, text).unwrap();
    settings
}

const PAGES: [&str; 4] = [
    "/",
    "/procedures/balloon",
    "/procedures/coil",
    "/conditions/narrow-pipe",
];

fn sigkill_under_load_keeps_every_acknowledged_answer(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let content = repo().join("tests/fixtures/minimal");
    let settings = write_settings(dir.path(), port, db, &content, "", "");
    let mut server = start_server(&settings, address, &dir.path().join("server.log"));

    // Per page, the answers acknowledged: [yes, no].
    let acknowledged: Arc<Vec<[AtomicU64; 2]>> = Arc::new(
        PAGES
            .iter()
            .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..PAGES.len() * 2)
        .map(|client| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let page = client % PAGES.len();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let no = (n + client) % 3 == 0;
                    match post_answer(address, PAGES[page], if no { "no" } else { "yes" }) {
                        Ok(303) => {
                            acknowledged[page][usize::from(no)].fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(status) => panic!("unexpected status {status}"),
                        // Killed mid-request: that answer was never acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let total = |a: &[[AtomicU64; 2]]| -> u64 {
        a.iter()
            .map(|p| p[0].load(Ordering::SeqCst) + p[1].load(Ordering::SeqCst))
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while total(&acknowledged) < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    kill_without_warning(&mut server, &stop, clients);
    let acknowledged_total = total(&acknowledged);
    assert!(
        acknowledged_total >= 100,
        "only {acknowledged_total} answers got through"
    );

    let store = db.open();
    let counts = store.counts(0, i64::MAX, None).unwrap();
    let mut stored_total = 0;
    for (i, page) in PAGES.iter().enumerate() {
        let stored = counts
            .iter()
            .find(|c| c.page == *page)
            .map_or((0, 0), |c| (c.yes, c.no));
        let acked = (
            acknowledged[i][0].load(Ordering::SeqCst),
            acknowledged[i][1].load(Ordering::SeqCst),
        );
        assert!(
            stored.0 >= acked.0 && stored.1 >= acked.1,
            "{page}: acknowledged {acked:?} but stored {stored:?}"
        );
        stored_total += stored.0 + stored.1;
    }
    // At most one answer per client was in flight, stored but not yet acknowledged.
    assert!(
        stored_total <= acknowledged_total + (PAGES.len() * 2) as u64,
        "stored {stored_total}, acknowledged {acknowledged_total}"
    );
    eprintln!("{acknowledged_total} acknowledged, {stored_total} stored at the kill");
}
