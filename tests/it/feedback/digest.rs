//! The review digest with the real binary and a real SMTP server (aiosmtpd): it reaches the
//! review group with the right pages, and is sent once per period, across a restart.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use irinfo::feedback::NewAnswer;

use super::Db;
use super::crash::{start_server, write_settings};
use crate::contact::decode_quoted_printable;
use crate::contact::smtp::Aiosmtpd;
use crate::support::{free_port, stop_on_sigterm};

crate::both_databases!(the_digest_reaches_the_group_once_per_period_across_a_restart);

/// Waits until the server's log shows that its first round of feedback upkeep is done.
fn wait_for_upkeep(log: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("feedback answers are kept in")
    {
        assert!(
            Instant::now() < deadline,
            "no feedback upkeep in {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn the_digest_reaches_the_group_once_per_period_across_a_restart(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let today = jiff::ZonedDateTime::now().date();
    let content = super::fixture_with_reviews(dir.path(), today);
    let now = jiff::Timestamp::now().as_second();
    let store = db.open();
    let answers = [
        ("a1", "/procedures/balloon", false),
        ("a2", "/procedures/balloon", false),
        ("a3", "/procedures/balloon", true),
        ("a4", "/conditions/narrow-pipe", false),
        ("a5", "/procedures/coil", false),
        ("a6", "/procedures/coil", false),
        ("a7", "/procedures/coil", false),
    ];
    for (id, page, helpful) in answers {
        store
            .record(&NewAnswer {
                id: id.to_string(),
                page: page.to_string(),
                kind: if page.starts_with("/procedures") {
                    "procedure"
                } else {
                    "condition"
                }
                .to_string(),
                helpful,
                at: now - 3600,
            })
            .unwrap();
    }
    // Older than feedback.keep_months (12): the server deletes it when it starts.
    store
        .record(&NewAnswer {
            id: "old".to_string(),
            page: "/procedures/balloon".to_string(),
            kind: "procedure".to_string(),
            helpful: false,
            at: now - 400 * 86_400,
        })
        .unwrap();
    store
        .add_comment("a4", "It did not say how long the recovery takes.")
        .unwrap();
    store
        .add_comment("a5", "A comment for the second group only.")
        .unwrap();
    drop(store);

    let smtp_port = free_port();
    let smtp = Aiosmtpd::start(smtp_port, &dir.path().join("maildir"));
    let port = free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let settings = write_settings(
        dir.path(),
        port,
        db,
        &content,
        &format!(
            "relay_host = \"127.0.0.1\"\nrelay_port = {smtp_port}\nrelay_tls = \"none\"\nsend_timeout_secs = 10\n"
        ),
        "digest_every_days = 7\n\n[feedback.review_groups]\n\"Test group\" = \"Test editors <editors@example.org>\"\n",
    );
    let first_log = dir.path().join("first.log");
    let mut server = start_server(&settings, address, &first_log);
    let messages = smtp.wait_for(1, Duration::from_secs(60));
    assert_eq!(messages.len(), 1, "one digest: {messages:?}");
    let message = decode_quoted_printable(&messages[0].replace("\r\n", "\n"));
    assert!(message.contains("editors@example.org"), "{message}");
    assert!(
        message.contains("Subject: Feedback and reviews for Test group"),
        "{message}"
    );
    let base = "http://127.0.0.1:3000";
    let due = message
        .split("Pages overdue or due")
        .nth(1)
        .and_then(|rest| rest.split("Pages with the most").next())
        .unwrap_or_default();
    assert!(
        due.contains(&format!("{base}/procedures/balloon")),
        "overdue: {due}"
    );
    assert!(
        due.contains(&format!("{base}/conditions/narrow-pipe")),
        "due soon: {due}"
    );
    assert!(due.contains("20 days overdue"), "{due}");
    assert!(due.contains("in 10 days"), "{due}");
    assert!(
        !due.contains("/procedures/coil"),
        "another group's page: {due}"
    );
    assert!(!due.contains("/statements/"), "not due: {due}");
    let most_no = message
        .split("most \"No\" answers")
        .nth(1)
        .unwrap_or_default();
    assert!(
        most_no.contains(&format!(
            "{base}/procedures/balloon  yes 1, no 2 (33% helpful)"
        )),
        "{most_no}"
    );
    assert!(message.contains("It did not say how long the recovery takes."));
    wait_for_upkeep(&first_log);
    let kept = db.open().counts(0, now - 399 * 86_400, None).unwrap();
    assert!(
        kept.is_empty(),
        "an answer past keep_months is deleted: {kept:?}"
    );
    assert!(!message.contains("second group only"), "{message}");
    assert!(!message.contains(&format!("{base}/procedures/coil")));
    stop_on_sigterm(&mut server.0, Duration::from_secs(20));

    // A restart in the same period sends nothing new.
    let second_log = dir.path().join("second.log");
    let mut server = start_server(&settings, address, &second_log);
    wait_for_upkeep(&second_log);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.messages().len(), 1, "sent again after a restart");
    let log = std::fs::read_to_string(&second_log).unwrap();
    assert!(!log.contains("review digest queued"), "{log}");
    let first = std::fs::read_to_string(&first_log).unwrap();
    assert!(
        first.contains("review group \\\"Second group\\\" has no address")
            || first.contains("Second group"),
        "{first}"
    );
    stop_on_sigterm(&mut server.0, Duration::from_secs(20));
    let sent = db.open().digests_sent().unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "Test group");
    assert_eq!(sent[0].1, irinfo::reviews::period_start(now, 7));
}
