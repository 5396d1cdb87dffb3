//! The store itself, the same tests on both databases: migrations, answers, comments, counts,
//! the report's arithmetic, retention and digest claims.

use std::collections::BTreeMap;

use irinfo::feedback::{CommentOutcome, NewAnswer};

use super::Db;

crate::both_databases!(
    migrations_run_once_in_order,
    counts_and_comments_match_what_was_recorded,
    the_report_equals_a_count_made_here,
    purge_deletes_exactly_the_old_answers,
    a_digest_is_claimed_once_per_period_across_reopening,
);

fn answer(id: &str, page: &str, kind: &str, helpful: bool, at: i64) -> NewAnswer {
    NewAnswer {
        id: id.to_string(),
        page: page.to_string(),
        kind: kind.to_string(),
        helpful,
        at,
    }
}

fn migrations_run_once_in_order(db: &Db) {
    let store = db.open();
    assert_eq!(store.schema_version().unwrap(), 2);
    assert!(store.is_reachable());
    drop(store);
    // A second open (a restart) finds every migration applied and changes nothing.
    let store = db.open();
    assert_eq!(store.schema_version().unwrap(), 2);
    store
        .record(&answer("a", "/procedures/balloon", "procedure", true, 10))
        .unwrap();
    drop(store);
    let store = db.open();
    assert_eq!(store.counts(0, 100, None).unwrap()[0].yes, 1);
}

/// A made-up but irregular stream of answers: (id, page, kind, helpful, at).
fn stream(n: usize) -> Vec<NewAnswer> {
    let pages = [
        ("/procedures/balloon", "procedure"),
        ("/procedures/coil", "procedure"),
        ("/conditions/narrow-pipe", "condition"),
        ("/", "home"),
    ];
    (0..n)
        .map(|i| {
            let (page, kind) = pages[(i * 7 + i / 3) % pages.len()];
            let helpful = (i * 13) % 5 < 3;
            answer(
                &format!("id-{i}"),
                page,
                kind,
                helpful,
                1_000 + (i as i64) * 37,
            )
        })
        .collect()
}

fn counts_and_comments_match_what_was_recorded(db: &Db) {
    let store = db.open();
    let answers = stream(120);
    for a in &answers {
        store.record(a).unwrap();
    }
    // Recording the same answer again (a retried request) keeps one.
    store.record(&answers[0]).unwrap();
    let (from, until) = (1_500, 4_000);
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for a in answers.iter().filter(|a| a.at >= from && a.at < until) {
        let entry = expected.entry(a.page.clone()).or_default();
        if a.helpful {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let counted: BTreeMap<String, (u64, u64)> = store
        .counts(from, until, None)
        .unwrap()
        .into_iter()
        .map(|c| (c.page, (c.yes, c.no)))
        .collect();
    assert_eq!(counted, expected);
    let procedures = store.counts(from, until, Some("procedure")).unwrap();
    assert!(procedures.iter().all(|c| c.kind == "procedure"));
    assert_eq!(
        procedures.len(),
        expected
            .keys()
            .filter(|p| p.starts_with("/procedures"))
            .count()
    );

    let no = answers.iter().find(|a| !a.helpful).unwrap();
    let yes = answers.iter().find(|a| a.helpful).unwrap();
    assert_eq!(
        store
            .add_comment(&no.id, "It did not say how long.")
            .unwrap(),
        CommentOutcome::Saved
    );
    assert_eq!(
        store.add_comment(&no.id, "A second try").unwrap(),
        CommentOutcome::AlreadyThere
    );
    // A "yes" takes no comment, and an unknown answer none either.
    assert_eq!(
        store.add_comment(&yes.id, "x").unwrap(),
        CommentOutcome::AlreadyThere
    );
    assert_eq!(
        store.add_comment("no-such-answer", "x").unwrap(),
        CommentOutcome::NoAnswer
    );
    let comments = store.comments(0, i64::MAX, None, 10).unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].text, "It did not say how long.");
    assert_eq!(comments[0].page, no.page);
    assert_eq!(comments[0].at, no.at);
}

fn the_report_equals_a_count_made_here(db: &Db) {
    let store = db.open();
    let answers = stream(300);
    for a in &answers {
        store.record(a).unwrap();
    }
    for a in answers.iter().filter(|a| !a.helpful).take(12) {
        store
            .add_comment(&a.id, &format!("comment on {}", a.id))
            .unwrap();
    }
    let (since, until) = (6_000, 11_000);
    let previous_since = since - (until - since);
    let report = irinfo::feedback::report::build(&store, since, until, None).unwrap();
    let tally = |from: i64, to: i64, page: &str| {
        let in_range = answers
            .iter()
            .filter(|a| a.page == page && a.at >= from && a.at < to);
        let yes = in_range.clone().filter(|a| a.helpful).count() as u64;
        let no = in_range.filter(|a| !a.helpful).count() as u64;
        (yes, no)
    };
    let percent = |(yes, no): (u64, u64)| {
        (yes + no > 0).then(|| (yes as f64 * 100.0 / (yes + no) as f64).round() as u32)
    };
    assert!(!report.pages.is_empty());
    for page in &report.pages {
        let now = tally(since, until, &page.page);
        let before = tally(previous_since, since, &page.page);
        assert_eq!((page.yes, page.no), now, "{}", page.page);
        assert_eq!(page.helpful_percent, percent(now));
        assert_eq!(page.previous_helpful_percent, percent(before));
        assert_eq!(
            page.change_points,
            percent(now)
                .zip(percent(before))
                .map(|(a, b)| i64::from(a) - i64::from(b))
        );
        assert!(page.comments.len() <= irinfo::feedback::report::COMMENTS_PER_PAGE);
    }
    let total: u64 = report.pages.iter().map(|p| p.yes + p.no).sum();
    let expected = answers
        .iter()
        .filter(|a| a.at >= since && a.at < until)
        .count() as u64;
    assert_eq!(total, expected);
    // Most "no" answers first.
    assert!(report.pages.windows(2).all(|w| w[0].no >= w[1].no));
    // The three renderings carry the same numbers.
    let json: serde_json::Value = serde_json::from_str(&report.render_json()).unwrap();
    assert_eq!(json["pages"][0]["no"], report.pages[0].no);
    let csv = report.render_csv();
    assert_eq!(csv.lines().count(), report.pages.len() + 1);
    assert!(report.render_text().contains(&report.pages[0].page));
}

fn purge_deletes_exactly_the_old_answers(db: &Db) {
    let store = db.open();
    let answers = stream(50);
    for a in &answers {
        store.record(a).unwrap();
    }
    let cutoff = 1_500;
    let old = answers.iter().filter(|a| a.at < cutoff).count() as u64;
    assert_eq!(store.purge_before(cutoff).unwrap(), old);
    let (yes, no) = super::stored_answers(&store);
    let left = yes + no;
    assert_eq!(left, answers.len() as u64 - old);
    assert_eq!(store.purge_before(cutoff).unwrap(), 0);
}

fn a_digest_is_claimed_once_per_period_across_reopening(db: &Db) {
    let store = db.open();
    assert!(store.claim_digest("Test group", 604_800, 1).unwrap());
    assert!(!store.claim_digest("Test group", 604_800, 2).unwrap());
    assert!(store.claim_digest("Other group", 604_800, 3).unwrap());
    drop(store);
    let store = db.open();
    assert!(!store.claim_digest("Test group", 604_800, 4).unwrap());
    assert!(store.claim_digest("Test group", 2 * 604_800, 5).unwrap());
    store.release_digest("Test group", 2 * 604_800).unwrap();
    assert!(store.claim_digest("Test group", 2 * 604_800, 6).unwrap());
    assert_eq!(store.digests_sent().unwrap().len(), 3);
}
