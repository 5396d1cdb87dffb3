//! `irinfo queue list | show | retry | purge-sent`, run as staff would run them.

use std::process::Command;

use irinfo::mail::message::{ContactMessage, Topic, compose};
use irinfo::mail::queue::DeliveryState;
use irinfo::mail::{MailQueue, QueueId};
use jiff::Timestamp;

use super::*;
use crate::support::*;

fn run_queue(settings: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(binary())
        .arg("--config")
        .arg(settings)
        .arg("queue")
        .args(args)
        .output()
        .expect("irinfo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn staff_can_list_show_retry_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let settings = dir.path().join("site.toml");
    std::fs::write(&settings, format!("[mail]\nspool = {spool:?}\n")).unwrap();
    let config = contact_config(&spool);
    let queue = MailQueue::new(&spool);
    let now = Timestamp::now();
    let created = now - jiff::SignedDuration::from_secs(2 * 3600 + 5 * 60);
    let ids: Vec<QueueId> = (1..=5u8)
        .map(|n| {
            let id = QueueId::new(created, &[n; 16]);
            let message = ContactMessage {
                name: format!("Person {n}"),
                email: "person@example.com".to_string(),
                topic: [
                    Topic::Website,
                    Topic::Press,
                    Topic::Other,
                    Topic::Website,
                    Topic::Press,
                ][usize::from(n) - 1],
                message: format!("Message {n}"),
            };
            queue
                .enqueue(&compose(&message, &config.contact, &id, created).unwrap())
                .unwrap();
            id
        })
        .collect();
    let next = now + jiff::SignedDuration::from_secs(600);
    queue
        .save_state(
            &ids[1],
            &DeliveryState {
                attempts: 2,
                next_attempt: Some(next.as_second()),
                last_error: Some("451 4.3.0 mailbox busy".to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    let finished = DeliveryState {
        attempts: 1,
        finished: Some(now.as_second()),
        last_error: Some("550 5.7.1 refused".to_string()),
        ..Default::default()
    };
    queue.finish(&ids[2], "failed", &finished).unwrap();
    queue.finish(&ids[3], "sent", &finished).unwrap();
    std::fs::write(
        spool.join("queue").join(format!("{}.msg", ids[4])),
        b"{\"broken",
    )
    .unwrap();

    let (ok, out, err) = run_queue(&settings, &["list"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("NEXT ATTEMPT"),
        "{out}"
    );
    let line_of = |id: &QueueId| {
        *lines
            .iter()
            .find(|l| l.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("{id} not listed:\n{out}"))
    };
    let words = |line: &str| {
        line.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(line_of(&ids[0]))[1..],
        ["queued", "2h", "5m", "0", "now", "website"]
    );
    let deferred = words(line_of(&ids[1]));
    assert_eq!(deferred[1..5], ["deferred", "2h", "5m", "2"]);
    assert_eq!(deferred[5], next.strftime("%Y-%m-%d").to_string());
    assert_eq!(deferred.last().unwrap(), "press");
    assert_eq!(
        words(line_of(&ids[2]))[1..],
        ["failed", "2h", "5m", "1", "-", "other"]
    );
    assert_eq!(
        words(line_of(&ids[3]))[1..],
        ["sent", "2h", "5m", "1", "-", "website"]
    );
    assert_eq!(
        words(line_of(&ids[4]))[1..],
        ["corrupt", "?", "0", "-", "-"]
    );

    let (ok, out, err) = run_queue(&settings, &["show", ids[2].as_str()]);
    assert!(ok, "{err}");
    assert!(out.contains("State:        failed"), "{out}");
    assert!(out.contains("Last error:   550 5.7.1 refused"), "{out}");
    assert!(
        out.contains("Reply-To: \"Person 3\" <person@example.com>"),
        "{out}"
    );
    assert!(out.contains("Message 3"), "{out}");

    for bad in ["../../etc/passwd", "nonsense"] {
        let (ok, _, err) = run_queue(&settings, &["show", bad]);
        assert!(!ok);
        assert!(err.contains("is not a queue id"), "{err}");
    }
    let unknown = QueueId::new(now, &[9; 16]);
    let (ok, _, err) = run_queue(&settings, &["show", unknown.as_str()]);
    assert!(!ok);
    assert!(err.contains("no message"), "{err}");

    let (ok, out, err) = run_queue(&settings, &["retry", ids[2].as_str()]);
    assert!(ok, "{err}");
    assert!(out.contains(ids[2].as_str()), "{out}");
    assert!(spool.join("queue").join(format!("{}.msg", ids[2])).exists());
    let (ok, out, _) = run_queue(&settings, &["retry"]);
    assert!(ok);
    assert!(
        out.contains(ids[1].as_str()),
        "the deferred one is made due: {out}"
    );
    assert!(queue.state("queue", &ids[1]).is_due(Timestamp::now()));

    let (ok, out, _) = run_queue(&settings, &["purge-sent", "--older-than-days", "1"]);
    assert!(ok);
    assert!(out.contains("Removed 0"), "{out}");
    let (ok, out, _) = run_queue(&settings, &["purge-sent"]);
    assert!(ok);
    assert!(out.contains("Removed 1"), "{out}");
    assert!(files_in(&spool, "sent").is_empty());
}
