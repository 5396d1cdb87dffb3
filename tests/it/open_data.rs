//! Open data: the sitemap, robots file, feed, JSON-LD and the API, checked in process and by
//! real clients installed by `scripts/test`: xmllint with the sitemaps.org schema, Debian's
//! feedparser, extruct, openapi-spec-validator and schemathesis (in `target/open-data-venv`).

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

use crate::support::*;

fn json(response: &TestResponse) -> Value {
    serde_json::from_str(&response.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", response.body))
}

#[tokio::test]
async fn api_documents_have_validators_cors_and_answer_304() {
    let router = shipped_router();
    let first = get_ok(&router, "/api/v1/procedures").await;
    assert_eq!(first.header("content-type"), "application/json");
    assert_eq!(first.header("access-control-allow-origin"), "*");
    assert!(first.header("cache-control").contains("max-age"));
    let etag = first.header("etag").to_string();
    assert!(etag.starts_with('"'), "{etag}");
    let again = send(
        &router,
        Request::get("/api/v1/procedures")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let preflight = send(&router, request(Method::OPTIONS, "/api/v1/procedures")).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert!(
        preflight
            .header("access-control-allow-headers")
            .contains("If-None-Match")
    );
    assert_eq!(preflight.header("access-control-allow-origin"), "*");

    let list = json(&first);
    let total = list["total_items"].as_u64().unwrap() as usize;
    assert_eq!(total, shipped_state().site().library.procedures().len());
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        total.min(irinfo::web::open_data::api::PAGE_SIZE)
    );
    if let Some(next) = list["links"]["next"].as_str() {
        let path = next.split_once("3000").map_or(next, |(_, p)| p);
        let second = json(&get(&router, path).await);
        assert_eq!(second["page"], 2);
        assert_ne!(second["items"][0]["slug"], list["items"][0]["slug"]);
    }
}

#[tokio::test]
async fn bad_requests_are_problem_details_that_name_the_parameter() {
    let router = shipped_router();
    let cases = [
        ("/api/v1/procedures?page=-1", 400, Some("page")),
        ("/api/v1/procedures?page=abc", 400, Some("page")),
        ("/api/v1/procedures?fields=title", 400, Some("fields")),
        ("/api/v1/procedures/angioplasty?lang=fr", 400, Some("lang")),
        ("/api/v1/procedures?page=999", 404, None),
        ("/api/v1/procedures/no-such-sheet", 404, None),
        ("/api/v1/codes/icd-10/not-a-code", 400, Some("code")),
        ("/api/v1/codes/snomed-ct/12", 400, Some("code")),
        ("/api/v1/codes/icd-10/Z99.9", 404, None),
        ("/api/v1/codes/loinc/1234", 404, None),
        ("/api/v1/nothing-here", 404, None),
    ];
    for (path, status, parameter) in cases {
        let response = get(&router, path).await;
        assert_eq!(
            response.status.as_u16(),
            status,
            "{path}: {}",
            response.body
        );
        assert_eq!(
            response.header("content-type"),
            "application/problem+json",
            "{path}"
        );
        assert_eq!(
            response.header("access-control-allow-origin"),
            "*",
            "{path}"
        );
        let problem = json(&response);
        assert_eq!(problem["status"], status, "{path}");
        assert_eq!(problem["type"], "about:blank");
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        assert_eq!(problem["parameter"].as_str(), parameter, "{path}");
    }
    let post = send(&router, request(Method::POST, "/api/v1/procedures")).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn a_diagnosis_code_leads_to_the_condition_and_its_treatments() {
    let router = shipped_router();
    // A code more specific than the site's finds its category.
    for path in ["/api/v1/codes/icd-10/I26.9", "/api/v1/codes/icd-10/i26"] {
        let found = json(&get(&router, path).await);
        assert_eq!(found["code"], "I26", "{path}");
        assert_eq!(found["conditions"][0]["slug"], "pulmonary-embolism");
        assert!(!found["treatments"].as_array().unwrap().is_empty());
    }
    let condition = json(&get(&router, "/api/v1/conditions/abdominal-aortic-aneurysm").await);
    assert_eq!(
        condition["codes"]["icd10"],
        serde_json::json!(["I71.3", "I71.4"])
    );
    assert_eq!(
        condition["codes"]["snomed_ct"],
        serde_json::json!(["233985008"])
    );
}

#[tokio::test]
async fn a_code_added_from_a_cited_source_finds_its_condition() {
    let router = shipped_router();
    // I80.2 (deep vein thrombosis NOS) was read in the WHO ICD-10 2019 browser.
    let found = json(&get(&router, "/api/v1/codes/icd-10/I80.2").await);
    assert_eq!(found["code"], "I80.2");
    assert_eq!(found["conditions"][0]["slug"], "deep-vein-thrombosis");
    assert!(!found["treatments"].as_array().unwrap().is_empty());
    // A SNOMED CT concept id leads to its page the same way.
    let found = json(&get(&router, "/api/v1/codes/snomed-ct/266569009").await);
    assert_eq!(found["conditions"][0]["slug"], "enlarged-prostate");
}

#[tokio::test]
async fn a_procedure_document_has_sections_risks_with_bands_sources_and_its_review_status() {
    let router = irinfo::web::router(state_for(fixture_config("minimal")));
    let sheet = json(&get(&router, "/api/v1/procedures/balloon").await);
    assert_eq!(sheet["title"], "Balloon procedure");
    assert_eq!(sheet["version"]["version"], "1.1");
    assert_eq!(sheet["history"].as_array().unwrap().len(), 2);
    assert_eq!(sheet["review"]["status"], "awaiting clinical review");
    assert_eq!(sheet["review"]["clinical_review"], Value::Null);
    let sections = sheet["sections"].as_array().unwrap();
    assert!(!sections.is_empty());
    for section in sections {
        let html = section["html"].as_str().unwrap();
        let text = section["text"].as_str().unwrap();
        assert!(!text.contains('<'), "{text}");
        assert!(html.len() >= text.len());
    }
    let risks = sheet["risks"].as_array().unwrap();
    assert_eq!(risks[0]["band"], "Common");
    assert_eq!(risks[0]["bands"], serde_json::json!(["common"]));
    // 1 to 5 in 10,000: both ends are rare.
    assert_eq!(risks[1]["band"], "Rare");
    assert_eq!(risks[1]["bands"], serde_json::json!(["rare"]));
    assert_eq!(risks[2]["band"], Value::Null);
    assert!(
        risks[2]["frequency_unknown"]
            .as_str()
            .unwrap()
            .contains("No study")
    );
    let numbers: Vec<u64> = sheet["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    assert_eq!(sheet["conditions"][0]["slug"], "narrow-pipe");
    assert_eq!(sheet["related"][0]["slug"], "coil");
    // The draft is not published, so the API does not have it either.
    assert_eq!(
        get(&router, "/api/v1/procedures/secret-draft").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn json_ld_claims_a_review_only_when_one_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/minimal"), dir.path());
    let sheet = dir.path().join("procedures/coil.md");
    let text = std::fs::read_to_string(&sheet).unwrap();
    let reviewed = text.replacen(
        "\n+++\n",
        "\n\n[clinical_review]\nreviewer = \"Consultant interventional radiologist\"\ndate = 2026-03-01\n+++\n",
        1,
    );
    assert_ne!(
        reviewed, text,
        "the fixture's front matter ends as expected"
    );
    std::fs::write(&sheet, reviewed).unwrap();
    let mut config = shipped_config();
    config.paths.content = dir.path().to_path_buf();
    let router = irinfo::web::router(state_for(config));
    let script = |page: &str| -> Value {
        let json = between(page, "<script type=\"application/ld+json\">", "</script>")
            .expect("a JSON-LD block");
        serde_json::from_str(json).unwrap()
    };
    let coil = script(&get(&router, "/procedures/coil").await.body);
    assert_eq!(coil["lastReviewed"], "2026-03-01");
    assert_eq!(
        coil["reviewedBy"]["jobTitle"],
        "Consultant interventional radiologist"
    );
    let balloon = script(&get(&router, "/procedures/balloon").await.body);
    assert_eq!(balloon["lastReviewed"], Value::Null);
    assert_eq!(balloon["reviewedBy"], Value::Null);
    assert_eq!(balloon["about"]["@type"], "MedicalProcedure");
    let api = json(&get(&router, "/api/v1/procedures/coil").await);
    assert_eq!(api["review"]["status"], "clinically reviewed");
}

#[tokio::test]
async fn no_shipped_page_claims_a_clinical_review() {
    let router = shipped_router();
    let site = shipped_state().site();
    for page in site.library.all_pages() {
        let body = get(&router, &page.path()).await.body;
        assert!(body.contains("application/ld+json"), "{}", page.path());
        assert!(
            !body.contains("lastReviewed") && !body.contains("reviewedBy"),
            "{}",
            page.path()
        );
        assert!(
            body.contains("<meta property=\"og:title\""),
            "{}",
            page.path()
        );
    }
}

/// Every address the site makes itself, open data included, answers: content may link to them
/// (`web::GENERATED_PATHS`), so none may be a 404.
#[tokio::test]
async fn every_generated_path_answers() {
    let router = shipped_router();
    for path in irinfo::web::GENERATED_PATHS {
        get_ok(&router, path).await;
    }
    // Every open-data document without a slug of its own (the sitemap, feed, the API's index,
    // description and lists) is one of them.
    let site = shipped_state().site();
    for key in site.open_data.keys() {
        let depth = key.trim_start_matches("/api/v1").matches('/').count();
        let is_item = key.starts_with("/api/v1/") && depth > 1;
        if key.contains('?') || is_item || key.starts_with("/sitemaps/") {
            continue;
        }
        assert!(
            irinfo::web::GENERATED_PATHS.contains(&key),
            "{key} is not in GENERATED_PATHS"
        );
    }
}

#[test]
fn the_export_writes_the_open_data_documents_with_the_bytes_the_server_sends() {
    let dir = tempfile::tempdir().unwrap();
    let site = shipped_state().site();
    let summary = irinfo::export::export(&site, dir.path()).unwrap();
    assert!(summary.documents > 5, "{summary:?}");
    for (file, key) in [
        ("sitemap.xml", "/sitemap.xml"),
        ("robots.txt", "/robots.txt"),
        ("feed.xml", "/feed.xml"),
        ("api/v1/openapi.json", "/api/v1/openapi.json"),
        ("api/v1/procedures.json", "/api/v1/procedures"),
        (
            "api/v1/procedures/angioplasty.json",
            "/api/v1/procedures/angioplasty",
        ),
    ] {
        let written =
            std::fs::read(dir.path().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            written,
            site.open_data.get(key).unwrap().identity(),
            "{file}"
        );
    }
}

/// A server on a free loopback port, serving the shipped content, until the test ends.
async fn serve_shipped() -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(irinfo::serve_on(listener, shipped_state(), async {
        let _ = stopped.await;
    }));
    (base, stop)
}

/// Runs a command to the end on a blocking thread; panics with its output if it fails.
async fn run(mut command: Command, what: &str) -> String {
    let what = what.to_string();
    tokio::task::spawn_blocking(move || {
        let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{what} failed:\n{text}");
        text
    })
    .await
    .unwrap()
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sitemap_is_valid_against_the_sitemaps_org_schema() {
    let dir = tempfile::tempdir().unwrap();
    let router = shipped_router();
    let sitemap = get(&router, "/sitemap.xml").await;
    assert!(
        sitemap
            .header("content-type")
            .starts_with("application/xml")
    );
    let file = write_temp(dir.path(), "sitemap.xml", sitemap.body.as_bytes());
    require_installed("/usr/bin/xmllint", "xmllint", "libxml2-utils");
    let mut xmllint = Command::new("xmllint");
    xmllint
        .arg("--noout")
        .arg("--schema")
        .arg(repo().join("tests/fixtures/sitemaps/sitemap.xsd"))
        .arg(&file);
    run(
        xmllint,
        "xmllint (apt-get install libxml2-utils; scripts/test does)",
    )
    .await;
    let site = shipped_state().site();
    for page in site.library.all_pages() {
        let loc = format!("<loc>http://127.0.0.1:3000{}</loc>", page.path());
        assert!(sitemap.body.contains(&loc), "{loc}");
    }
    assert!(
        sitemap.body.contains("<lastmod>2026-"),
        "lastmod from history"
    );
    assert!(!sitemap.body.contains("/search"));

    // Past the limit: the index and its parts are valid against their schemas too.
    let urls = irinfo::web::open_data::sitemap::entries(&site.library, &site.paths());
    let files = irinfo::web::open_data::sitemap::documents("https://example.org", &urls, 10);
    assert!(files.len() > 2);
    for (i, (path, xml)) in files.iter().enumerate() {
        let schema = if i == 0 {
            "siteindex.xsd"
        } else {
            "sitemap.xsd"
        };
        let file = write_temp(dir.path(), &format!("part-{i}.xml"), xml.as_bytes());
        let mut xmllint = Command::new("xmllint");
        xmllint
            .arg("--noout")
            .arg("--schema")
            .arg(repo().join("tests/fixtures/sitemaps").join(schema))
            .arg(&file);
        run(xmllint, &format!("xmllint {path}")).await;
    }
    let robots = get(&router, "/robots.txt").await.body;
    assert!(robots.contains("Sitemap: http://127.0.0.1:3000/sitemap.xml"));
    assert!(robots.lines().any(|l| l == "Disallow: /search"));
    assert!(robots.lines().any(|l| l == "Disallow: /find?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedparser_reads_the_feed_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let feed = get(&shipped_router(), "/feed.xml").await;
    assert!(
        feed.header("content-type")
            .starts_with("application/atom+xml")
    );
    let file = write_temp(dir.path(), "feed.xml", feed.body.as_bytes());
    require_installed(
        "/usr/lib/python3/dist-packages/feedparser/__init__.py",
        "Debian's feedparser",
        "python3-feedparser",
    );
    // Debian's python3-feedparser, with Debian's own Python.
    let mut python = Command::new("/usr/bin/python3");
    python.arg("-c").arg(
        "import feedparser, sys\n\
         d = feedparser.parse(sys.argv[1])\n\
         assert not d.bozo, d.get('bozo_exception')\n\
         assert d.version == 'atom10', d.version\n\
         assert d.feed.title and d.feed.updated_parsed\n\
         for e in d.entries:\n\
         \x20   assert e.title and e.link and e.id and e.summary and e.updated_parsed, e\n\
         print(len(d.entries))\n\
         print(d.entries[0].title)\n",
    );
    python.arg(&file);
    let out = run(
        python,
        "feedparser (apt-get install python3-feedparser; scripts/test does)",
    )
    .await;
    let count: usize = out.lines().next().unwrap().trim().parse().unwrap();
    assert!(count > 50, "{out}");
    assert!(feed.body.contains("How we write our information"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extruct_finds_the_required_schema_org_properties_on_content_pages() {
    let dir = tempfile::tempdir().unwrap();
    let router = shipped_router();
    let pages = [
        ("/procedures/angioplasty", "MedicalProcedure", 4),
        (
            "/conditions/abdominal-aortic-aneurysm",
            "MedicalCondition",
            3,
        ),
        ("/statements", "", 0),
        ("/", "", 1),
    ];
    let script = r#"
import extruct, json, sys
html = open(sys.argv[1], encoding="utf-8").read()
data = extruct.extract(html, base_url="http://127.0.0.1:3000", syntaxes=["json-ld", "opengraph"])
print(json.dumps(data))
"#;
    for (path, about, crumbs) in pages {
        let page = get(&router, path).await;
        let file = write_temp(dir.path(), "page.html", page.body.as_bytes());
        let mut python = Command::new(venv_tool("python"));
        python.arg("-c").arg(script).arg(&file);
        let data: Value = serde_json::from_str(run(python, "extruct").await.trim()).unwrap();
        let og = &data["opengraph"][0]["properties"];
        assert!(
            og.as_array().unwrap().iter().any(|p| p[0] == "og:title"),
            "{path}: {og}"
        );
        let json_ld = data["json-ld"].as_array().unwrap();
        if crumbs == 0 {
            // A list page is not a content page.
            assert!(json_ld.is_empty(), "{path}");
            continue;
        }
        let page = &json_ld[0];
        assert_eq!(page["@type"], "MedicalWebPage", "{path}");
        for property in [
            "name",
            "url",
            "audience",
            "publisher",
            "breadcrumb",
            "dateModified",
        ] {
            assert!(!page[property].is_null(), "{path} lacks {property}");
        }
        assert_eq!(page["publisher"]["@type"], "Organization");
        assert_eq!(page["breadcrumb"]["@type"], "BreadcrumbList");
        assert_eq!(
            page["breadcrumb"]["itemListElement"]
                .as_array()
                .unwrap()
                .len(),
            crumbs,
            "{path}"
        );
        assert!(
            page["lastReviewed"].is_null(),
            "no clinical review is recorded"
        );
        if !about.is_empty() {
            assert_eq!(page["about"]["@type"], about, "{path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_valid_and_schemathesis_finds_no_response_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = serve_shipped().await;
    let document = get(&shipped_router(), "/api/v1/openapi.json").await;
    let file = write_temp(dir.path(), "openapi.json", document.body.as_bytes());
    let mut validator = Command::new(venv_tool("openapi-spec-validator"));
    validator.arg(&file);
    run(validator, "openapi-spec-validator").await;

    // Bounded: a fixed seed and few examples per operation keep it to about half a minute.
    let mut schemathesis = Command::new(venv_tool("schemathesis"));
    schemathesis
        .args([
            "run",
            "--checks",
            "all",
            "--max-examples",
            "15",
            "--workers",
            "2",
        ])
        .args(["--seed", "17", "--report-dir"])
        .arg(dir.path().join("report"))
        .arg("--url")
        .arg(&base)
        .arg(&file)
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    let out = run(schemathesis, "schemathesis").await;
    assert!(out.contains("passed"), "{out}");
    let _ = stop.send(());
}

/// A clinical code that cannot be one of its system's is an error at its line, and the site is
/// not built; one in another form (lower case, no dot) is read in its standard form.
#[test]
fn a_malformed_clinical_code_is_an_error_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/minimal"), dir.path());
    let file = dir.path().join("conditions/narrow-pipe.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let with_codes = |codes: &str| text.replacen("also_known_as = [\"NP\"]\n", codes, 1);
    std::fs::write(
        &file,
        with_codes("also_known_as = [\"NP\"]\nicd10 = [\"I7.14\"]\nsnomed_ct = [\"0123456\"]\n"),
    )
    .unwrap();
    let outcome = load_published(dir.path());
    assert!(outcome.library.is_none());
    let report = outcome.diagnostics.to_string();
    for (line, message) in [
        (
            "conditions/narrow-pipe.md:6:10",
            "`I7.14` is not a valid ICD-10 code",
        ),
        (
            "conditions/narrow-pipe.md:7:14",
            "`0123456` is not a valid SNOMED CT code",
        ),
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.contains(line) && l.contains(message)),
            "{line} {message}\n{report}"
        );
    }

    std::fs::write(
        &file,
        with_codes("also_known_as = [\"NP\"]\nicd10 = [\"i714\"]\n"),
    )
    .unwrap();
    let outcome = load_published(dir.path());
    assert!(outcome.diagnostics.is_empty(), "{}", outcome.diagnostics);
}
