//! The PDF leaflets, read with real PDF tools: poppler-utils' `pdftotext`, `pdfinfo`,
//! `pdffonts` and `pdftoppm`, and zbar-tools' `zbarimg` for the QR code.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use axum::http::{Method, StatusCode};

use crate::support::*;

fn require_pdf_tools() {
    require_installed("/usr/bin/pdftotext", "poppler-utils", "poppler-utils");
    require_installed("/usr/bin/zbarimg", "zbar-tools", "zbar-tools");
}

/// Runs `tool` with `args`, which must succeed, and returns what it wrote.
fn run(tool: &str, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(tool).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The text of a PDF, with every run of white space as one space (lines wrap anywhere).
fn pdf_text(pdf: &Path) -> String {
    let text = run("pdftotext", &[pdf.as_os_str(), "-".as_ref()]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A PDF's objects as text: the file itself, then each of its Flate streams inflated (typst
/// puts the catalogue and the structure tree in compressed object streams).
fn pdf_objects(pdf: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::from_utf8_lossy(pdf).into_owned();
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream") {
        let mut body = &rest[start + b"stream".len()..];
        body = body.strip_prefix(b"\r").unwrap_or(body);
        body = body.strip_prefix(b"\n").unwrap_or(body);
        let Some(end) = find(body, b"endstream") else {
            break;
        };
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut inflated)
            .is_ok()
        {
            text.push_str(&String::from_utf8_lossy(&inflated));
        }
        rest = &body[end + b"endstream".len()..];
    }
    // krilla writes names and values with one space or none between them.
    text.replace("/S/", "/S /").replace("/Lang(", "/Lang (")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The shipped angioplasty sheet's leaflet, fetched once through the router and kept in a file.
struct Fetched {
    _dir: tempfile::TempDir,
    pdf: std::path::PathBuf,
    headers: axum::http::HeaderMap,
}

async fn angioplasty() -> &'static Fetched {
    static FETCHED: OnceLock<Fetched> = OnceLock::new();
    if let Some(fetched) = FETCHED.get() {
        return fetched;
    }
    require_pdf_tools();
    let router = shipped_router();
    let (status, headers, body) = send_bytes(
        &router,
        request(Method::GET, "/procedures/angioplasty/leaflet.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("angioplasty.pdf");
    std::fs::write(&pdf, &body).unwrap();
    FETCHED.get_or_init(|| Fetched {
        _dir: dir,
        pdf,
        headers,
    })
}

/// Words of the shipped sheet's source, white space collapsed, the way pdftotext gives them.
fn words(text: &str) -> String {
    text.replace(['\u{2019}'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn a_leaflet_has_the_title_versions_sections_risks_and_sources() {
    let fetched = angioplasty().await;
    let text = words(&pdf_text(&fetched.pdf));
    let config = shipped_config();
    let library = load_published(&config.paths.content).library.unwrap();
    let sheet = library
        .procedures()
        .find(|s| s.page.slug == "angioplasty")
        .unwrap();
    assert!(text.starts_with("Angioplasty"), "{text:.200}");
    let newest = &sheet.page.meta.review.history[0];
    assert!(
        text.contains(&format!(
            "Version {}, {}.",
            newest.version,
            newest.date.long()
        )),
        "{text:.600}"
    );
    assert!(text.contains(&format!(
        "Next review due by {}",
        sheet.page.meta.next_review.long()
    )));
    // Every section of the sheet's body, each risk, the radiation panel and the sources.
    for section in sheet.page.body.sections() {
        assert!(text.contains(&words(&section.text)), "{}", section.text);
    }
    for risk in &sheet.front.risks {
        let what = words(risk.get_ref().what_text());
        assert!(text.contains(&what), "{what}");
    }
    assert!(text.contains("Radiation at a glance"));
    assert!(text.contains("Sources"));
    assert!(text.contains("This leaflet has not yet been checked by a clinical reviewer."));
    // pdftotext breaks a long address at a slash: the line break becomes a space.
    assert!(
        text.replace("/ ", "/").contains(
            "The latest version of this leaflet is at http://127.0.0.1:3000/procedures/angioplasty."
        ),
        "{text}"
    );
    // Only the patients' part: the section for professionals is not in it.
    assert!(!text.contains("For healthcare professionals"));
    assert!(!text.contains("Contraindications"));
    // "Page 2 of 6": every page numbered, out of the whole.
    let pages: usize = run("pdfinfo", &[fetched.pdf.as_os_str()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "{pages} pages");
    for page in 1..=pages {
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}"
        );
    }
}

#[tokio::test]
async fn a_leaflet_is_tagged_a4_titled_in_english_with_every_font_embedded() {
    let fetched = angioplasty().await;
    let info = run("pdfinfo", &[fetched.pdf.as_os_str()]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in\n{info}"))
    };
    assert_eq!(field("Tagged"), "yes", "{info}");
    assert_eq!(field("Title"), "Angioplasty");
    assert!(field("Page size").starts_with("595.2"), "{info}");
    assert!(field("Page size").contains("x 841.8"), "{info}");
    // The document's language and its structure tags, in the catalogue and the structure tree
    // (pdfinfo prints neither): headings, lists, tables with header cells.
    let objects = pdf_objects(&std::fs::read(&fetched.pdf).unwrap());
    assert!(objects.contains("/Lang (en-GB)"), "no /Lang");
    for tag in [
        "/StructTreeRoot",
        "/S /H1",
        "/S /L",
        "/S /LI",
        "/S /Table",
        "/S /TH",
    ] {
        assert!(objects.contains(tag), "no {tag} in the structure tree");
    }
    // PDF/UA-1, declared in the metadata.
    let metadata = run("pdfinfo", &["-meta".as_ref(), fetched.pdf.as_os_str()]);
    assert!(metadata.contains("pdfuaid:part"), "{metadata}");

    let fonts = run("pdffonts", &[fetched.pdf.as_os_str()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(
            row.contains("NotoSans"),
            "a font that is not shipped: {row}"
        );
        let columns: Vec<&str> = row.split_whitespace().collect();
        // name, type (one or two words), encoding, emb, sub, uni, object, id
        let emb = columns[columns.len() - 5];
        assert_eq!(emb, "yes", "not embedded: {row}");
    }
}

/// The leaflet's bottom margin, where only the running footer sits (templates/leaflet.typ:
/// `bottom: 2.6cm`), in points.
const FOOTER_AREA_PT: f64 = 2.6 / 2.54 * 72.0;

#[tokio::test]
async fn every_line_above_the_footer_is_set_in_12_pt_or_larger() {
    let fetched = angioplasty().await;
    let mut python = Command::new(venv_tool("python"));
    python
        .arg(repo().join("tests/fixtures/pdf_text_sizes.py"))
        .arg(&fetched.pdf);
    let output = python.output().unwrap();
    assert!(
        output.status.success(),
        "pdfminer: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8(output.stdout).unwrap();
    let (mut body_lines, mut footer_lines) = (0, 0);
    let mut largest = 0.0_f64;
    for line in listing.lines() {
        let columns: Vec<&str> = line.splitn(4, '\t').collect();
        let [page, bottom, size, text] = columns[..] else {
            panic!("not page, bottom, size and text: {line:?}");
        };
        let bottom: f64 = bottom.parse().unwrap();
        let size: f64 = size.parse().unwrap();
        largest = largest.max(size);
        if bottom < FOOTER_AREA_PT {
            footer_lines += 1;
            continue;
        }
        body_lines += 1;
        assert!(
            size >= 11.99,
            "page {page}: {text:?} is set in {size} pt, under 12"
        );
    }
    // The reader saw the text: hundreds of lines, a footer on each page, and the 24 pt title.
    assert!(body_lines > 100, "{body_lines} lines:\n{listing}");
    assert!(footer_lines >= 2, "{footer_lines} footer lines:\n{listing}");
    assert!((largest - 24.0).abs() < 0.01, "largest text {largest} pt");
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_sheets_public_address() {
    let fetched = angioplasty().await;
    let dir = fetched.pdf.parent().unwrap();
    let prefix = dir.join("page");
    run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            fetched.pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    let mut images: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    images.sort();
    assert!(images.len() >= 2, "{images:?}");
    // zbarimg exits 4 for a page without a code: read each page and keep what it found.
    let decoded: Vec<String> = images
        .iter()
        .map(|image| {
            let output = Command::new("zbarimg")
                .args(["--quiet", "--raw"])
                .arg(image)
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        })
        .filter(|found| !found.is_empty())
        .collect();
    assert_eq!(
        decoded,
        ["http://127.0.0.1:3000/procedures/angioplasty"],
        "one QR code, holding the sheet's address"
    );
}

#[tokio::test]
async fn leaflets_are_served_with_validators_and_linked_from_their_sheets() {
    let fetched = angioplasty().await;
    let headers = &fetched.headers;
    assert_eq!(headers["content-type"], "application/pdf");
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert!(headers.contains_key("last-modified"));
    let router = shipped_router();
    let mut conditional = request(Method::GET, "/procedures/angioplasty/leaflet.pdf");
    conditional
        .headers_mut()
        .insert("if-none-match", etag.parse().unwrap());
    let response = send(&router, conditional).await;
    assert_eq!(response.status, StatusCode::NOT_MODIFIED);

    let page = get_ok(&router, "/procedures/angioplasty").await;
    assert!(
        page.body
            .contains(r#"<a href="/procedures/angioplasty/leaflet.pdf">"#),
        "the sheet links to its leaflet"
    );
    get_not_found(&router, "/procedures/no-such-sheet/leaflet.pdf").await;
}

/// A leaflet's address with a hospital's details in its query.
const GOOD_DETAILS: &str = "hospital=St+Elsewhere+Hospital&department=Interventional+radiology&phone_in_hours=020+7946+0000&phone_out_of_hours=%2B44+20+7946+0999&where_to_go=X-ray+department%2C+level+2&fasting=No+food+for+6+hours+before";

#[tokio::test]
async fn the_hospital_form_works_without_javascript_and_keeps_nothing() {
    let router = shipped_router();
    let form = get_ok(&router, "/procedures/angioplasty/for-your-hospital").await;
    assert_eq!(form.header("cache-control"), "no-store");
    assert!(form.body.contains(
        r#"<form class="hospital-form" action="/procedures/angioplasty/for-your-hospital" method="get""#
    ));
    for (id, autocomplete) in [
        ("hospital", "organization"),
        ("phone_in_hours", "tel"),
        ("phone_out_of_hours", "tel"),
        ("where_to_go", "off"),
    ] {
        assert!(
            form.body.contains(&format!(r#"<label for="{id}">"#)),
            "{id}"
        );
        assert!(
            form.body.contains(&format!(r#"id="{id}" name="{id}""#)),
            "{id}"
        );
        assert!(
            form.body
                .contains(&format!(r#"autocomplete="{autocomplete}""#)),
            "{id}"
        );
    }
    let sheet = get_ok(&router, "/procedures/angioplasty").await;
    assert!(
        sheet
            .body
            .contains(r#"<a href="/procedures/angioplasty/for-your-hospital">"#)
    );

    // Checked details: the box as it will print, the PDF's address and the one to share.
    let checked = get_ok(
        &router,
        &format!("/procedures/angioplasty/for-your-hospital?{GOOD_DETAILS}"),
    )
    .await;
    assert!(
        checked
            .body
            .contains("<h2 id=\"your-hospital-heading\">Your hospital</h2>")
    );
    assert!(checked.body.contains("<dd>St Elsewhere Hospital</dd>"));
    let escaped = GOOD_DETAILS.replace('&', "&#38;");
    assert!(checked.body.contains(&format!(
        r#"<a href="/procedures/angioplasty/leaflet.pdf?{escaped}">"#
    )));
    assert!(checked.body.contains(&format!(
        "<code>http://127.0.0.1:3000/procedures/angioplasty/leaflet.pdf?{escaped}</code>"
    )));
    // The print view below the box: the leaflet's text, its risks and the latest address.
    let print_view = between(
        &checked.body,
        "<div class=\"print-view\">",
        "<div class=\"share-address",
    )
    .expect("a print view");
    assert!(print_view.contains("<h2>Angioplasty</h2>"));
    assert!(print_view.contains("<h3>Risks and how common they are</h3>"));
    assert!(print_view.contains("<th scope=\"col\">How common it is</th>"));
    assert!(print_view.contains(
        "The latest version of this leaflet is at http://127.0.0.1:3000/procedures/angioplasty."
    ));
    assert!(!print_view.contains("For healthcare professionals"));
    get_not_found(&router, "/procedures/no-such-sheet/for-your-hospital").await;
}

#[tokio::test]
async fn bad_details_get_the_error_summary_and_nothing_is_typeset() {
    let state = state_for(shipped_config());
    let router = irinfo::web::router(state.clone());
    for path in [
        "/procedures/angioplasty/for-your-hospital",
        "/procedures/angioplasty/leaflet.pdf",
    ] {
        // A bidirectional override in the name, a phone number from abroad, no hospital.
        let bad = get(
            &router,
            &format!("{path}?hospital=&department=Ward%E2%80%AE7&phone_in_hours=%2B1+212+555+0100"),
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            bad.header("content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(bad.title().starts_with("Error: "), "{path}");
        assert!(bad.body.contains("There is a problem"), "{path}");
        for (field, message) in [
            ("hospital", "Enter the name of your hospital"),
            ("department", "hidden character"),
            ("phone_in_hours", "must be a UK phone number"),
        ] {
            let link = between(&bad.body, &format!("<a href=\"#{field}\">"), "</a>")
                .unwrap_or_else(|| panic!("{path}: no summary link to {field}"));
            assert!(link.contains(message), "{path}: {link}");
            assert!(
                bad.body.contains(&format!(r#"id="{field}-error""#)),
                "{path}"
            );
        }
    }
    assert_eq!(state.0.hospital.cached_count(), 0, "nothing was typeset");
}

#[tokio::test]
async fn a_leaflet_for_a_hospital_has_its_details_on_the_first_page() {
    require_pdf_tools();
    let state = state_for(shipped_config());
    let router = irinfo::web::router(state.clone());
    let path = format!("/procedures/angioplasty/leaflet.pdf?{GOOD_DETAILS}");
    let (status, headers, body) = send_bytes(&router, request(Method::GET, &path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["cache-control"], "private, no-store");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("hospital.pdf");
    std::fs::write(&pdf, &body).unwrap();
    let first_page = words(&run(
        "pdftotext",
        &[
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "1".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    ));
    for expected in [
        "Your hospital",
        "Hospital: St Elsewhere Hospital",
        "Department: Interventional radiology",
        "Phone, in working hours: 020 7946 0000",
        "Phone, out of hours: +44 20 7946 0999",
        "X-ray department, level 2",
        "No food for 6 hours before",
    ] {
        assert!(
            first_page.contains(expected),
            "{expected}: {first_page:.800}"
        );
    }
    // Asked again, it comes from the cache: the same bytes, nothing typeset again.
    assert_eq!(state.0.hospital.cached_count(), 1);
    let (_, again, body_again) = send_bytes(&router, request(Method::GET, &path)).await;
    assert_eq!(again["etag"], headers["etag"]);
    assert_eq!(body_again, body);
    assert_eq!(state.0.hospital.cached_count(), 1);
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn check_warns_when_a_sheets_text_changes_but_its_version_does_not() {
    let dir = minimal_copy();
    let sheet = dir.path().join("procedures/balloon.md");
    let today = ["check", "--today", "2026-06-01"];
    // Without a lock, nothing is compared (a new site, a fixture).
    let before = stdout_of(&run_irinfo(&today, dir.path()));
    assert!(!before.contains("versions.lock"), "{before}");

    let update = run_irinfo(&["versions", "--update"], dir.path());
    assert!(update.status.success(), "{}", stdout_of(&update));
    let lock = std::fs::read_to_string(dir.path().join("versions.lock")).unwrap();
    assert!(lock.lines().any(|l| l.starts_with("balloon ")), "{lock}");
    let clean = stdout_of(&run_irinfo(&today, dir.path()));
    assert!(!clean.contains("versions.lock"), "{clean}");
    assert!(run_irinfo(&["versions"], dir.path()).status.success());

    // The text changes, the version does not: a warning at the sheet's history.
    let text = std::fs::read_to_string(&sheet).unwrap();
    let edited = format!("{}\nOne more sentence at the end.\n", text.trim_end());
    std::fs::write(&sheet, &edited).unwrap();
    let changed = stdout_of(&run_irinfo(&today, dir.path()));
    let line = changed
        .lines()
        .find(|l| l.contains("balloon.md:") && l.contains("the text has changed since version 1.1"))
        .unwrap_or_else(|| panic!("no warning in:\n{changed}"));
    assert!(line.contains(": warning: "), "{line}");
    let history_line = edited[..edited.find("\nhistory = ").unwrap()]
        .lines()
        .count()
        + 1;
    assert!(
        line.contains(&format!("balloon.md:{history_line}:1:")),
        "{line}"
    );
    assert!(!run_irinfo(&["versions"], dir.path()).status.success());

    // A new version is written: the lock must record it.
    let versioned = edited.replacen(
        "history = [{ version = \"1.1\"",
        "history = [{ version = \"1.2\", date = 2026-05-01, change = \"A sentence added.\" }, { version = \"1.1\"",
        1,
    );
    assert_ne!(versioned, edited);
    std::fs::write(&sheet, &versioned).unwrap();
    let unrecorded = stdout_of(&run_irinfo(&today, dir.path()));
    assert!(
        unrecorded.contains("version 1.2 is not recorded in versions.lock yet"),
        "{unrecorded}"
    );
    assert!(
        run_irinfo(&["versions", "--update"], dir.path())
            .status
            .success()
    );
    let recorded = stdout_of(&run_irinfo(&today, dir.path()));
    assert!(!recorded.contains("versions.lock"), "{recorded}");
}

#[tokio::test]
async fn each_client_may_have_only_a_few_leaflets_typeset_and_the_cache_serves_the_rest() {
    use irinfo::web::hospital::{CACHE_ENTRIES, TYPESET_BURST};
    let state = state_for(shipped_config());
    let router = irinfo::web::router(state.clone());
    // Without a connection (the router driven in-process) every request is the same client.
    let variant = |n: u32| {
        format!(
            "/procedures/ivc-filter/leaflet.pdf?hospital=Hospital+{n}&phone_in_hours=020+7946+0000"
        )
    };
    for n in 0..TYPESET_BURST {
        let (status, headers, _) = send_bytes(&router, request(Method::GET, &variant(n))).await;
        assert_eq!(status, StatusCode::OK, "variant {n}");
        assert_eq!(headers["content-type"], "application/pdf");
    }
    assert_eq!(state.0.hospital.cached_count(), TYPESET_BURST as usize);
    assert!(TYPESET_BURST as usize <= CACHE_ENTRIES);
    // One more variant is refused, kindly, with when to try again; nothing is typeset.
    let refused = get(&router, &variant(TYPESET_BURST)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!refused.header("retry-after").is_empty());
    assert!(refused.header("content-type").starts_with("text/html"));
    assert_eq!(state.0.hospital.cached_count(), TYPESET_BURST as usize);
    // A variant already made still comes from the cache.
    let (status, _, _) = send_bytes(&router, request(Method::GET, &variant(0))).await;
    assert_eq!(status, StatusCode::OK);
}
