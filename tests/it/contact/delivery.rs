//! Delivery from the queue to real SMTP peers on 127.0.0.1: aiosmtpd for the whole journey,
//! and the scripted peer for 4xx, 5xx and a connection dropped after the final dot. Time is a
//! `ManualClock`, so backoff is checked without waiting for it.

use std::sync::Arc;
use std::time::Duration;

use irinfo::config::SiteConfig;
use irinfo::mail::message::{ContactMessage, Topic, compose};
use irinfo::mail::{Clock, DeliveryWorker, MailQueue, ManualClock, QueueId};
use jiff::Timestamp;

use super::smtp::{Aiosmtpd, Reply, ScriptedPeer};
use super::*;
use crate::support::*;

fn start_time() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn worker_for(config: &SiteConfig, clock: Arc<ManualClock>) -> DeliveryWorker {
    DeliveryWorker::from_settings(&config.mail, MailQueue::new(&config.mail.spool), clock)
        .expect("valid relay settings")
        .expect("a relay is configured")
}

/// Queues a message straight into the spool, as the form would.
fn enqueue(config: &SiteConfig, name: &str, nonce: u8, now: Timestamp) -> QueueId {
    let id = QueueId::new(now, &[nonce; 16]);
    let message = ContactMessage {
        name: name.to_string(),
        email: "ann@example.com".to_string(),
        topic: Topic::InformationSheets,
        message: format!("Message number {nonce}."),
    };
    let spooled = compose(&message, &config.contact, &id, now).expect("composed");
    MailQueue::new(&config.mail.spool)
        .enqueue(&spooled)
        .expect("queued");
    id
}

/// The header block of a message, unfolded, one header per entry.
fn headers_of(message: &str) -> Vec<String> {
    let normalised = message.replace("\r\n", "\n");
    let head = normalised.split("\n\n").next().unwrap_or_default();
    head.replace("\n ", " ")
        .replace("\n\t", " ")
        .lines()
        .map(str::to_string)
        .collect()
}

fn header<'a>(headers: &'a [String], name: &str) -> Vec<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers
        .iter()
        .filter(|h| h.to_ascii_lowercase().starts_with(&prefix))
        .map(|h| h[prefix.len()..].trim())
        .collect()
}

/// The contact settings with their spool in `dir/spool`, relaying to `port` on this machine.
fn relaying_to(dir: &Path, port: u16) -> SiteConfig {
    with_relay(contact_config(&dir.join("spool")), port)
}

/// A scripted SMTP peer answering `replies`, and settings in a new folder that relay to it.
async fn relay_to_scripted_peer(
    replies: &[Reply],
) -> (tempfile::TempDir, ScriptedPeer, SiteConfig) {
    let dir = tempfile::tempdir().unwrap();
    let peer = ScriptedPeer::start(replies).await;
    let config = relaying_to(dir.path(), peer.port);
    (dir, peer, config)
}

/// A real SMTP server keeping mail in `dir/maildir`, and settings that relay to it with their
/// spool in `dir/spool`.
fn relayed(dir: &Path) -> (Aiosmtpd, SiteConfig) {
    let smtp = Aiosmtpd::start(free_port(), &dir.join("maildir"));
    let config = relaying_to(dir, smtp.port);
    (smtp, config)
}

#[tokio::test]
async fn a_submitted_form_arrives_at_a_real_smtp_server_with_the_right_headers_and_body() {
    let dir = tempfile::tempdir().unwrap();
    let (smtp, config) = relayed(dir.path());
    let state = state_for(config.clone());
    let router = router_from(&state, "192.0.2.30:5000");
    let token = form_token(&router).await;
    let fields = valid_fields(
        &token,
        &[
            ("name", "Zoë O'Brien"),
            ("topic", "finding-a-radiologist"),
            (
                "message",
                "Is there an interventional radiologist near Leeds?\r\n\r\n.\r\nThanks",
            ),
        ],
    );
    assert_sent(&router, &fields).await;
    let id = MailQueue::new(&config.mail.spool).waiting().unwrap()[0].clone();

    let report = worker_for(&config, Arc::new(ManualClock::new(Timestamp::now())))
        .run_once()
        .await;
    assert_eq!(report.delivered, vec![id.clone()], "{report:?}");
    let messages = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(messages.len(), 1);
    let headers = headers_of(&messages[0]);
    assert_eq!(
        header(&headers, "From"),
        ["\"IR Info website\" <no-reply@example.org>"]
    );
    assert_eq!(
        header(&headers, "To"),
        ["\"Patient information team\" <enquiries@example.org>"]
    );
    assert_eq!(
        header(&headers, "Reply-To"),
        ["=?utf-8?b?Wm/DqyBPJ0JyaWVu?= <ann@example.com>"],
        "the name is encoded, not pasted: {headers:#?}"
    );
    assert_eq!(
        header(&headers, "Subject"),
        ["Website contact: Finding an interventional radiologist"]
    );
    assert_eq!(
        header(&headers, "Message-ID"),
        [format!("<{id}@example.org>")]
    );
    assert_eq!(header(&headers, "X-MailFrom"), ["no-reply@example.org"]);
    assert_eq!(header(&headers, "X-RcptTo"), ["enquiries@example.org"]);
    let body = decode_quoted_printable(
        messages[0]
            .replace("\r\n", "\n")
            .split_once("\n\n")
            .unwrap()
            .1,
    );
    assert!(body.contains("Name: Zoë O'Brien\n"), "{body}");
    assert!(body.contains("Email: ann@example.com\n"), "{body}");
    assert!(
        body.contains("Topic: Finding an interventional radiologist\n"),
        "{body}"
    );
    assert!(
        body.contains("Is there an interventional radiologist near Leeds?\n\n.\nThanks\n"),
        "a lone dot survives SMTP's dot-stuffing: {body}"
    );
    // Delivered: out of the queue, kept in sent/.
    assert!(files_in(&config.mail.spool, "queue").is_empty());
    assert_eq!(
        files_in(&config.mail.spool, "sent").len(),
        2,
        "message and state"
    );
}

#[tokio::test]
async fn header_injection_attempts_never_add_a_header_on_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let (smtp, config) = relayed(dir.path());
    // Straight to the composer, past the form's checks, to prove the second line of defence.
    let names = [
        "Eve\r\nBcc: victim@example.net",
        "Eve\nBcc: victim@example.net",
        "Eve\rBcc: victim@example.net",
        "Eve\u{0}Bcc: victim@example.net",
        "Eve\u{2028}Bcc: victim@example.net",
        "Eve\u{85}Bcc: victim@example.net",
        "Eve\r\n\r\nInjected body",
    ];
    for (n, name) in names.iter().enumerate() {
        enqueue(&config, name, n as u8 + 1, start_time());
    }
    let report = worker_for(&config, Arc::new(ManualClock::new(start_time())))
        .run_once()
        .await;
    assert_eq!(report.delivered.len(), names.len(), "{report:?}");
    let messages = smtp.wait_for(names.len(), Duration::from_secs(10));
    assert_eq!(messages.len(), names.len());
    for message in &messages {
        let headers = headers_of(message);
        assert!(header(&headers, "Bcc").is_empty(), "{headers:#?}");
        assert_eq!(header(&headers, "X-RcptTo"), ["enquiries@example.org"]);
        assert_eq!(header(&headers, "Reply-To").len(), 1, "{headers:#?}");
        assert!(
            !headers.iter().any(|h| h.starts_with("Injected")),
            "{headers:#?}"
        );
    }
}

#[tokio::test]
async fn with_the_relay_down_messages_wait_then_arrive_once_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = relaying_to(dir.path(), port);
    let clock = Arc::new(ManualClock::new(start_time()));
    let id = enqueue(&config, "Ann", 1, start_time());
    let worker = worker_for(&config, clock.clone());

    let report = worker.run_once().await;
    assert_eq!(report.deferred, vec![id.clone()], "{report:?}");
    let queue = MailQueue::new(&config.mail.spool);
    let state = queue.state("queue", &id);
    assert_eq!(state.attempts, 1);
    assert!(
        state.last_error.as_deref().unwrap_or("").contains("onnect"),
        "{state:?}"
    );
    assert_eq!(
        state.next_attempt_at(),
        Some(start_time() + jiff::SignedDuration::from_secs(300))
    );

    let smtp = Aiosmtpd::start(port, &dir.path().join("maildir"));
    // Not due yet: nothing is sent, even though the relay is back.
    clock.advance(Duration::from_secs(299));
    assert_eq!(
        worker.run_once().await,
        irinfo::mail::PassReport {
            next_due: Some(start_time() + jiff::SignedDuration::from_secs(300)),
            ..Default::default()
        }
    );
    assert!(smtp.messages().is_empty());
    clock.advance(Duration::from_secs(1));
    let report = worker.run_once().await;
    assert_eq!(report.delivered, vec![id.clone()], "{report:?}");
    let messages = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(messages.len(), 1);
    assert_eq!(
        header(&headers_of(&messages[0]), "Message-ID"),
        [format!("<{id}@example.org>")]
    );
    assert_eq!(queue.state("sent", &id).attempts, 2);
}

#[tokio::test]
async fn a_4xx_defers_with_growing_backoff_then_250_delivers_with_the_same_message_id() {
    let (_dir, peer, config) =
        relay_to_scripted_peer(&[Reply::Defer, Reply::Defer, Reply::Accept]).await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let id = enqueue(&config, "Ann", 1, start_time());
    let worker = worker_for(&config, clock.clone());
    let queue = MailQueue::new(&config.mail.spool);

    assert_eq!(worker.run_once().await.deferred, vec![id.clone()]);
    assert_eq!(peer.messages().len(), 1);
    assert!(
        queue
            .state("queue", &id)
            .last_error
            .unwrap()
            .contains("451"),
    );
    // First wait: 300 s. Just before it, nothing happens.
    clock.advance(Duration::from_secs(299));
    assert!(worker.run_once().await.deferred.is_empty());
    assert_eq!(peer.connections(), 1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(worker.run_once().await.deferred, vec![id.clone()]);
    assert_eq!(peer.messages().len(), 2);
    // Second wait: twice as long.
    clock.advance(Duration::from_secs(599));
    worker.run_once().await;
    assert_eq!(peer.connections(), 2);
    clock.advance(Duration::from_secs(1));
    assert_eq!(worker.run_once().await.delivered, vec![id.clone()]);

    let messages = peer.messages();
    assert_eq!(messages.len(), 3);
    let message_ids: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            header(&headers_of(m), "Message-ID")
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    assert!(
        message_ids
            .iter()
            .all(|ids| ids == &[format!("<{id}@example.org>")])
    );
    assert_eq!(queue.state("sent", &id).attempts, 3);
}

#[tokio::test]
async fn a_5xx_is_tried_once_then_moved_to_failed_and_can_be_retried() {
    let (_dir, peer, config) = relay_to_scripted_peer(&[Reply::Reject]).await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let id = enqueue(&config, "Ann", 1, start_time());
    let worker = worker_for(&config, clock.clone());

    assert_eq!(worker.run_once().await.failed, vec![id.clone()]);
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(worker.run_once().await, Default::default());
    assert_eq!(peer.connections(), 1, "a permanent failure is not retried");
    let queue = MailQueue::new(&config.mail.spool);
    let state = queue.state("failed", &id);
    assert!(state.last_error.unwrap().contains("550"));
    assert_eq!(state.attempts, 1);
    assert!(
        queue.read("failed", &id).is_ok(),
        "the message is kept whole"
    );

    // Staff fix the cause and retry it.
    assert_eq!(
        queue.retry(Some(&id), clock.now()).unwrap(),
        vec![id.clone()]
    );
    assert_eq!(worker.run_once().await.delivered, vec![id.clone()]);
    assert_eq!(peer.messages().len(), 2);
}

#[tokio::test]
async fn a_connection_dropped_after_the_final_dot_is_retried_not_lost() {
    let (_dir, peer, config) = relay_to_scripted_peer(&[Reply::HangUp, Reply::Accept]).await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let id = enqueue(&config, "Ann", 1, start_time());
    let worker = worker_for(&config, clock.clone());

    let report = worker.run_once().await;
    assert_eq!(report.deferred, vec![id.clone()], "{report:?}");
    assert_eq!(
        peer.messages().len(),
        1,
        "the whole message was sent before the hang-up"
    );
    assert!(files_in(&config.mail.spool, "failed").is_empty());
    clock.advance(Duration::from_secs(300));
    assert_eq!(worker.run_once().await.delivered, vec![id.clone()]);
    let messages = peer.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0], messages[1],
        "the same message, Message-ID and all"
    );
}

#[tokio::test]
async fn messages_older_than_the_age_limit_move_to_failed() {
    let dir = tempfile::tempdir().unwrap();
    let config = relaying_to(dir.path(), free_port());
    let clock = Arc::new(ManualClock::new(start_time()));
    let id = enqueue(&config, "Ann", 1, start_time());
    let worker = worker_for(&config, clock.clone());
    assert_eq!(worker.run_once().await.deferred, vec![id.clone()]);
    let mut attempts = 1;
    // Keep retrying with the relay down until the five days are up.
    for _ in 0..500 {
        clock.advance(Duration::from_secs(4000));
        let report = worker.run_once().await;
        attempts += report.deferred.len() + report.failed.len();
        if report.failed == vec![id.clone()] {
            break;
        }
    }
    let queue = MailQueue::new(&config.mail.spool);
    let state = queue.state("failed", &id);
    assert!(
        state
            .last_error
            .as_deref()
            .unwrap_or("")
            .starts_with("gave up after 5 day(s)"),
        "{state:?}"
    );
    let elapsed = clock.now().duration_since(start_time());
    assert!(
        elapsed >= jiff::SignedDuration::from_hours(120),
        "{elapsed:?}"
    );
    assert!(
        elapsed < jiff::SignedDuration::from_hours(122),
        "{elapsed:?}"
    );
    assert_eq!(state.attempts as usize, attempts);
}

#[tokio::test]
async fn a_corrupt_queue_file_is_set_aside_and_the_rest_still_go() {
    let (_dir, peer, config) = relay_to_scripted_peer(&[]).await;
    let bad = enqueue(&config, "Ann", 1, start_time());
    let good = enqueue(&config, "Bob", 2, start_time());
    let bad_path = config.mail.spool.join("queue").join(format!("{bad}.msg"));
    let mut bytes = std::fs::read(&bad_path).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&bad_path, bytes).unwrap();

    let report = worker_for(&config, Arc::new(ManualClock::new(start_time())))
        .run_once()
        .await;
    assert_eq!(report.corrupt, vec![bad.clone()]);
    assert_eq!(report.delivered, vec![good]);
    assert_eq!(peer.messages().len(), 1);
    assert!(
        config
            .mail
            .spool
            .join("corrupt")
            .join(format!("{bad}.msg"))
            .exists()
    );
    assert!(files_in(&config.mail.spool, "queue").is_empty());
}

#[tokio::test]
async fn stray_files_in_the_queue_folder_are_moved_to_corrupt_and_mail_still_goes() {
    let (_dir, _peer, config) = relay_to_scripted_peer(&[]).await;
    let good = enqueue(&config, "Ann", 1, start_time());
    let queue_dir = config.mail.spool.join("queue");
    let strays = [
        "README.txt".to_string(),
        format!("{good}.msg~"),
        format!("{good}.msg.orig"),
        "..msg".to_string(),
    ];
    for stray in &strays {
        std::fs::write(queue_dir.join(stray), "left here by hand").unwrap();
    }
    let report = worker_for(&config, Arc::new(ManualClock::new(start_time())))
        .run_once()
        .await;
    assert_eq!(report.delivered, vec![good]);
    assert_eq!(report.stray.len(), strays.len(), "{:?}", report.stray);
    for stray in &strays {
        assert!(
            config.mail.spool.join("corrupt").join(stray).exists(),
            "{stray}"
        );
    }
    assert!(files_in(&config.mail.spool, "queue").is_empty());
}

#[tokio::test]
async fn the_server_delivers_in_the_background_and_wakes_for_new_mail() {
    let dir = tempfile::tempdir().unwrap();
    let (smtp, config) = relayed(dir.path());
    let state = state_for(config.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mail = irinfo::start_mail(&state.0, stopped).expect("the spool is free");
    let worker = mail.worker.expect("a worker with a relay");
    let router = router_from(&state, "192.0.2.31:5000");
    let token = form_token(&router).await;
    let started = std::time::Instant::now();
    assert_sent(&router, &valid_fields(&token, &[])).await;
    let messages = tokio::task::spawn_blocking(move || {
        let messages = smtp.wait_for(1, Duration::from_secs(10));
        drop(smtp);
        messages
    })
    .await
    .unwrap();
    assert_eq!(messages.len(), 1);
    // Woken by the new message, not by its 30-second poll.
    assert!(started.elapsed() < Duration::from_secs(10));
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker stops when asked")
        .unwrap();
}

#[tokio::test]
async fn shutdown_during_a_hung_send_abandons_it_and_the_message_stays_queued() {
    let (_dir, peer, mut config) = relay_to_scripted_peer(&[Reply::Stall]).await;
    config.mail.send_timeout_secs = 60;
    let id = enqueue(&config, "Ann", 1, Timestamp::now());
    let worker = worker_for(&config, Arc::new(ManualClock::new(Timestamp::now())));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(worker.run(Arc::new(tokio::sync::Notify::new()), stopped));
    // Wait until the whole message has been sent and the relay is sitting on it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while peer.messages().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = std::time::Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the worker stops within its grace period")
        .unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(8),
        "{:?}",
        asked.elapsed()
    );
    // Nothing was recorded for the abandoned attempt: it is simply sent again after a restart.
    let queue = MailQueue::new(&config.mail.spool);
    assert_eq!(queue.waiting().unwrap(), vec![id.clone()]);
    assert_eq!(queue.state("queue", &id).attempts, 0);
    assert!(queue.read("queue", &id).is_ok());
}

#[tokio::test]
async fn with_keep_sent_days_zero_a_delivered_message_is_removed_at_once() {
    let (_dir, peer, mut config) = relay_to_scripted_peer(&[]).await;
    config.mail.keep_sent_days = 0;
    let id = enqueue(&config, "Ann", 1, start_time());
    let report = worker_for(&config, Arc::new(ManualClock::new(start_time())))
        .run_once()
        .await;
    assert_eq!(report.delivered, vec![id]);
    assert_eq!(peer.messages().len(), 1);
    assert!(files_in(&config.mail.spool, "queue").is_empty());
    assert!(files_in(&config.mail.spool, "sent").is_empty());
}
