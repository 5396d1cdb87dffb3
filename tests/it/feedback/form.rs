//! The question on every content page, the answer, the comment step and the thank-you,
//! through the router in-process, against both databases.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};

use super::Db;
use crate::contact::{encode, router_from};
use crate::support::*;

crate::both_databases_async!(
    a_yes_is_saved_and_thanks_lead_back_to_the_page,
    a_no_asks_what_was_missing_and_saves_the_comment_masked,
    bad_answers_get_kind_pages_and_save_nothing,
    the_rate_limit_stops_a_flood,
);

fn state(db: &Db) -> irinfo::AppState {
    let mut config = fixture_config("minimal");
    config.server.request_timeout_secs = 60;
    config.feedback.burst = 3;
    config.feedback.rate_per_hour = 1;
    db.configure(&mut config);
    state_for(config)
}

pub async fn post_to(
    router: &Router,
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(router, request.body(Body::from(encode(fields))).unwrap()).await
}

/// Answers `answer` about `page` as the one-click form does, and returns where the 303 leads.
async fn answered(router: &Router, page: &str, answer: &str) -> String {
    let response = post_to(
        router,
        "/feedback",
        &[("page", page), ("answer", answer)],
        &[],
    )
    .await;
    assert_eq!(response.status, 303, "{}", response.body);
    response.header("location").to_string()
}

/// Total yes and no answers in the store.
async fn totals(state: &irinfo::AppState) -> (u64, u64) {
    let app = state.0.clone();
    tokio::task::spawn_blocking(move || super::stored_answers(&app.feedback.store().unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_content_page_asks_and_other_pages_do_not() {
    let router = shipped_router();
    let site = shipped_state().site();
    let mut asked = 0;
    for spec in &irinfo::content::KINDS {
        for page in site.library.pages(spec.kind) {
            let path = page.path();
            let response = get(&router, &path).await;
            assert_eq!(response.status, 200, "{path}");
            let body = &response.body;
            assert!(
                body.contains(
                    "<form class=\"feedback-form\" action=\"/feedback\" method=\"post\">"
                ),
                "{path} asks"
            );
            assert!(
                body.contains(&format!("name=\"page\" value=\"{path}\"")),
                "{path} names itself"
            );
            assert!(
                body.contains("<legend id=\"feedback-heading\">Was this page helpful?</legend>")
            );
            asked += 1;
        }
    }
    assert!(asked > 50, "{asked}");
    for path in [
        "/search?q=stent",
        "/find",
        "/contact",
        "/procedures",
        "/a-z",
        "/no-such-page",
    ] {
        let response = get(&router, path).await;
        assert!(
            !response.body.contains("feedback-form"),
            "{path} does not ask"
        );
    }
}

async fn a_yes_is_saved_and_thanks_lead_back_to_the_page(db: &Db) {
    let state = state(db);
    let router = router_from(&state, "192.0.2.10:4000");
    let location = answered(&router, "/procedures/balloon", "yes").await;
    assert_eq!(location, "/feedback/thank-you?page=%2Fprocedures%2Fballoon");
    let thanks = get(&router, &location).await;
    assert_eq!(thanks.status, 200);
    assert_eq!(thanks.h1(), "Thank you for your feedback");
    assert!(
        thanks
            .body
            .contains("<a href=\"/procedures/balloon\">Go back to")
    );
    assert!(!thanks.body.contains("feedback-form"));
    assert_eq!(totals(&state).await, (1, 0));
}

async fn a_no_asks_what_was_missing_and_saves_the_comment_masked(db: &Db) {
    let state = state(db);
    let router = router_from(&state, "192.0.2.11:4000");
    let location = answered(&router, "/conditions/narrow-pipe", "no").await;
    assert!(location.starts_with("/feedback/comment?page=%2Fconditions%2Fnarrow-pipe&token="));
    // The "no" is saved before any comment.
    assert_eq!(totals(&state).await, (0, 1));
    let form = get(&router, &location).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.header("cache-control"), "no-store");
    assert!(
        form.body
            .contains("<label for=\"comment\">What was missing or wrong?</label>")
    );
    assert!(
        form.body
            .contains("Please do not write your name, email address, phone number")
    );
    let token = between(&form.body, "name=\"form_token\" value=\"", "\"")
        .unwrap()
        .to_string();

    // Too long: the form again, with the error summary and what was typed.
    let with_comment = |comment: &str, homepage: &str| -> Vec<(&'static str, String)> {
        vec![
            ("form_token", token.clone()),
            ("page", "/conditions/narrow-pipe".to_string()),
            ("comment", comment.to_string()),
            ("homepage", homepage.to_string()),
        ]
    };
    let long = "a".repeat(1001);
    let too_long = with_comment(&long, "");
    let pairs: Vec<(&str, &str)> = too_long.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = post_to(&router, "/feedback/comment", &pairs, &[]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.title().starts_with("Error:"));
    assert!(refused.body.contains("class=\"error-summary\""));
    assert!(refused.body.contains(
        "<a href=\"#comment\">Your comment must be 1,000 characters or fewer. It has 1001.</a>"
    ));
    assert!(refused.body.contains(&long));

    // A comment with an address and a phone number is saved with both masked.
    let sent = with_comment(
        "It did not say when I can drive. Email me at ann@example.com or call 07700 900123.",
        "",
    );
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = post_to(&router, "/feedback/comment", &pairs, &[]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        "/feedback/thank-you?page=%2Fconditions%2Fnarrow-pipe"
    );
    // Sent again (a double click): still thanks, and the first comment kept.
    let again = post_to(&router, "/feedback/comment", &pairs, &[]).await;
    assert_eq!(again.status, 303);
    let app = state.0.clone();
    let comments = tokio::task::spawn_blocking(move || {
        app.feedback
            .store()
            .unwrap()
            .comments(0, i64::MAX, None, 10)
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(
        comments[0].text,
        "It did not say when I can drive. Email me at [email address removed] or call [number removed]."
    );
    assert_eq!(totals(&state).await, (0, 1));

    // A made-up token is refused in the site's layout; so is a filled honeypot.
    let forged: Vec<(&str, &str)> = vec![
        ("form_token", "1.2.3"),
        ("page", "/conditions/narrow-pipe"),
        ("comment", "x"),
    ];
    let refused = post_to(&router, "/feedback/comment", &forged, &[]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Your comment was not sent"));
    let trap = with_comment("spam", "http://spam.example");
    let pairs: Vec<(&str, &str)> = trap.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        post_to(&router, "/feedback/comment", &pairs, &[])
            .await
            .status,
        400
    );
}

async fn bad_answers_get_kind_pages_and_save_nothing(db: &Db) {
    let state = state(db);
    let router = router_from(&state, "192.0.2.12:4000");
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Fields, Fields, u16, &str)> = vec![
        (
            vec![("page", "/procedures/no-such-sheet"), ("answer", "yes")],
            vec![],
            400,
            "We could not save your answer",
        ),
        (
            vec![("page", "/search"), ("answer", "yes")],
            vec![],
            400,
            "We could not save your answer",
        ),
        (
            vec![("page", "/procedures/balloon"), ("answer", "maybe")],
            vec![],
            400,
            "press Yes or No",
        ),
        (
            vec![("page", "/procedures/balloon"), ("answer", "yes")],
            vec![("sec-fetch-site", "cross-site")],
            403,
            "sent from another website",
        ),
    ];
    for (fields, headers, status, text) in cases {
        let response = post_to(&router, "/feedback", &fields, &headers).await;
        assert_eq!(response.status, status, "{fields:?}: {}", response.body);
        assert!(
            response.body.contains(text),
            "{fields:?}: {}",
            response.body
        );
        assert!(response.body.contains("<main"), "in the site's layout");
    }
    let plain = send(
        &router,
        Request::builder()
            .method(Method::POST)
            .uri("/feedback")
            .header("content-type", "text/plain")
            .body(Body::from("page=/&answer=yes"))
            .unwrap(),
    )
    .await;
    assert_eq!(plain.status, 415);
    let unknown = get(&router, "/feedback/thank-you?page=/nowhere").await;
    assert!(
        unknown
            .body
            .contains("<a href=\"/\">Go back to the home page</a>")
    );
    let bad_token = get(
        &router,
        "/feedback/comment?page=/procedures/balloon&token=x",
    )
    .await;
    assert_eq!(bad_token.status, 403);
    assert_eq!(totals(&state).await, (0, 0));
}

async fn the_rate_limit_stops_a_flood(db: &Db) {
    let state = state(db);
    let router = router_from(&state, "192.0.2.13:4000");
    let fields = [("page", "/"), ("answer", "yes")];
    for _ in 0..3 {
        assert_eq!(
            post_to(&router, "/feedback", &fields, &[]).await.status,
            303
        );
    }
    let limited = post_to(&router, "/feedback", &fields, &[]).await;
    assert_eq!(limited.status, 429);
    assert!(!limited.header("retry-after").is_empty());
    assert!(limited.body.contains("Please wait before answering again"));
    // Another reader is not held back.
    let other = router_from(&state, "198.51.100.20:4000");
    assert_eq!(post_to(&other, "/feedback", &fields, &[]).await.status, 303);
    assert_eq!(totals(&state).await, (4, 0));
}
