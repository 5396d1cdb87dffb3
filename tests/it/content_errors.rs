//! Bad content is reported, all at once, as `path:line:col: message`, and never served.

use std::process::Command;

use crate::support::{assert_reported, binary, load_published, minimal_copy, repo, run_irinfo};

const GOOD_FRONT: &str = "title = \"T\"\nsummary = \"S.\"\nreview_group = \"R\"\nnext_review = 2028-01-10\nsearch_terms = []\n";

/// The history every page needs; it goes after the other keys, being a table.
const HISTORY: &str =
    "[[history]]\nversion = \"1.0\"\ndate = 2026-01-10\nchange = \"First published.\"\n";

fn about_page(front_extra: &str, body: &str) -> String {
    format!("+++\n{GOOD_FRONT}{front_extra}{HISTORY}+++\n\n{body}\n")
}

#[test]
fn the_minimal_fixture_is_clean() {
    let outcome = load_published(&repo().join("tests/fixtures/minimal"));
    assert!(outcome.diagnostics.is_empty(), "{}", outcome.diagnostics);
    let library = outcome.library.expect("builds");
    assert_eq!(library.procedures().len(), 2, "the draft is left out");
}

#[test]
fn each_error_kind_is_reported_at_its_line_and_column() {
    // (file to write, its text, the expected "path:line:col" suffix, part of the message)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "pages/unclosed.md",
            "+++\ntitle = \"Unclosed\nsummary = \"S\"\n+++\nBody\n".to_string(),
            "pages/unclosed.md:2:",
            "",
        ),
        (
            "pages/unknown-key.md",
            about_page("colour = \"red\"\n", "Body"),
            "pages/unknown-key.md:7:1",
            "unknown field `colour`",
        ),
        (
            "pages/wrong-type.md",
            about_page("draft = \"yes\"\n", "Body"),
            "pages/wrong-type.md:7:9",
            "invalid type",
        ),
        (
            "pages/missing-field.md",
            "+++\ntitle = \"T\"\nsummary = \"S.\"\nlast_reviewed = 2026-01-10\nnext_review = 2028-01-10\n+++\nBody\n"
                .to_string(),
            "pages/missing-field.md:2:1",
            "the page needs `review_group`",
        ),
        (
            "pages/missing-field.md",
            String::new(),
            "pages/missing-field.md:4:17",
            "`last_reviewed` has been removed: it claimed a review that did not happen",
        ),
        (
            "pages/missing-field.md",
            String::new(),
            "pages/missing-field.md:2:1",
            "the page needs a `[[history]]` entry",
        ),
        (
            "pages/no-front-matter.md",
            "Just text\n".to_string(),
            "pages/no-front-matter.md:1:1",
            "expected front matter",
        ),
        (
            "pages/bad-link.md",
            about_page("", "Intro line.\n\nSee [this](/procedures/nowhere)."),
            "pages/bad-link.md:15:5",
            "points to a page that does not exist",
        ),
        (
            "pages/bad-anchor.md",
            about_page("", "See [risks](/procedures/balloon#no-such-heading)."),
            "pages/bad-anchor.md:13:5",
            "not a heading on /procedures/balloon",
        ),
        (
            "pages/bad-date.md",
            about_page("", "Body").replace("next_review = 2028-01-10", "next_review = 2025-01-10"),
            "pages/bad-date.md:5:15",
            "`next_review` must be after the latest change in `[[history]]` (10 January 2026)",
        ),
        (
            "procedures/sub/balloon.md",
            "+++\n+++\n".to_string(),
            "procedures/sub/balloon.md:1:1",
            "duplicate slug `balloon`",
        ),
        (
            "stories/bad-procedure.md",
            format!(
                "+++\n{GOOD_FRONT}procedures = [\"balloon\", \"nope\"]\npublished = 2026-01-01\n+++\nText\n"
            ),
            "stories/bad-procedure.md:7:26",
            "no procedure sheet with the slug `nope`",
        ),
        (
            "statements/orphan.md",
            format!(
                "+++\n{GOOD_FRONT}issued = 2020-01-01\nstatus = \"superseded\"\nsuperseded_by = \"missing-successor\"\n+++\nText\n"
            ),
            "statements/orphan.md:9:17",
            "no statement with the slug `missing-successor`",
        ),
        (
            "procedures/no-sections.md",
            format!(
                "+++\n{GOOD_FRONT}category = \"brain\"\nx_rays = \"no\"\nrelated = [\"ghost\"]\n+++\n## What is it?\nText\n"
            ),
            "procedures/no-sections.md:11:1",
            "needs the section `## Why do I need it?`",
        ),
        (
            "procedures/no-sections.md",
            String::new(),
            "procedures/no-sections.md:9:12",
            "no procedure sheet with the slug `ghost`",
        ),
    ];

    let dir = minimal_copy();
    for (file, text, _, _) in &cases {
        if text.is_empty() {
            continue;
        }
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let outcome = load_published(dir.path());
    assert!(outcome.library.is_none(), "broken content must not build");
    let report = outcome.diagnostics.to_string();
    for (_, _, location, message) in &cases {
        assert_reported(&report, location, message);
    }
    // Every problem in one pass: one error line per case at least.
    assert!(outcome.diagnostics.error_count() >= cases.len(), "{report}");
}

#[test]
fn warnings_do_not_stop_the_site() {
    let dir = minimal_copy();
    let long_summary = "word ".repeat(40);
    std::fs::write(
        dir.path().join("pages/long.md"),
        format!(
            "+++\ntitle = \"Long\"\nsummary = \"{long_summary}\"\nreview_group = \"R\"\nnext_review = 2025-01-10\n[[history]]\nversion = \"1.0\"\ndate = 2024-01-10\nchange = \"First published.\"\n+++\nBody\n"
        ),
    )
    .unwrap();
    let outcome = load_published(dir.path());
    let report = outcome.diagnostics.to_string();
    assert!(outcome.library.is_some(), "{report}");
    assert_eq!(outcome.diagnostics.warning_count(), 2, "{report}");
    assert!(
        report.contains("pages/long.md:3:11: warning: the summary is 199 characters"),
        "{report}"
    );
    assert!(
        report.contains("pages/long.md:5:15: warning: the review was due"),
        "{report}"
    );
}

#[test]
fn check_exits_zero_on_shipped_content_and_one_on_broken_content() {
    let ok = Command::new(binary())
        .arg("check")
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains(" procedures, ") && stdout.contains(": 0 errors"),
        "{stdout}"
    );

    let dir = minimal_copy();
    std::fs::write(
        dir.path().join("procedures/balloon.md"),
        "+++\ntitle = 42\n+++\n",
    )
    .unwrap();
    let broken = run_irinfo(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("procedures/balloon.md:2:9: error:"),
        "{stdout}"
    );
}

#[test]
fn serve_refuses_to_start_on_broken_content() {
    let dir = minimal_copy();
    std::fs::write(dir.path().join("pages/disclaimer.md"), "no front matter\n").unwrap();
    let output = Command::new(binary())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-addr",
            "off",
            "--content",
        ])
        .arg(dir.path())
        .current_dir(repo())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("pages/disclaimer.md:1:1: error: expected front matter"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_settings_file_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, "[server]\nadress = \"127.0.0.1:1\"\n").unwrap();
    for command in ["serve", "check"] {
        let output = Command::new(binary())
            .arg(command)
            .arg("--config")
            .arg(&config)
            .current_dir(repo())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{command}");
        assert!(
            stderr.contains("site.toml:2:1: unknown field `adress`"),
            "{command}: {stderr}"
        );
    }
}
