//! "Print for your hospital": a sheet's leaflet with a hospital's own details in a "Your
//! hospital" box on its first page.
//!
//! `GET /procedures/{slug}/for-your-hospital` is the form; it sends itself with GET, so the
//! details travel in the address and a hospital can link to its own version from its intranet.
//! With details, the same address shows them checked: the box as it will print, the link to
//! the PDF (`leaflet.pdf?hospital=…`) and the address to share, and below them the print view,
//! the whole leaflet as a page to print ([`super::print_view`]); or the form again with the
//! site's error summary. Nothing is typeset until every field passes.
//!
//! The details are never stored or logged: they are not personal, but they are not ours to
//! keep. The access log names the route, not the address with its query. A leaflet made with
//! them is kept only in a small cache of recent ones ([`CACHE_ENTRIES`]), so a link opened
//! again and again is typeset once; a cache miss costs a typesetting, so each client may cause
//! only a few an hour ([`TYPESET_PER_HOUR`], with a burst of [`TYPESET_BURST`]), and at most
//! [`TYPESET_AT_ONCE`] run at the same time.
//!
//! The checks are strict, because the text is printed on a leaflet a patient trusts: each field
//! has a length limit, only letters, digits, spaces and common punctuation are accepted (no
//! control, bidirectional-override or zero-width character), and phone numbers must be UK
//! numbers (`020 7946 0000`, `+44 20 7946 0000`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use tokio::sync::Semaphore;

use super::AppState;
use super::cached::CachedPage;
use super::contact::rate_limit::{self, RateLimiter};
use super::contact::{FieldError, hidden_character_message, read_first_values, text_fields};
use super::error::AppError;
use super::pages::private_html;
use super::views::{Crumb, Layout};
use crate::content::PageKind;
use crate::leaflet::{Leaflet, LocalDetails};

/// How many leaflets made for hospitals are kept, newest first.
pub const CACHE_ENTRIES: usize = 32;
/// How many leaflets one client may have typeset an hour (the cache serves the rest).
pub const TYPESET_PER_HOUR: u32 = 30;
/// How many one client may have typeset at once, before the hourly rate applies.
pub const TYPESET_BURST: u32 = 10;
/// How many leaflets for hospitals are typeset at the same time, whoever asks.
pub const TYPESET_AT_ONCE: usize = 2;

/// The longest a hospital or department name may be, in characters.
pub const NAME_MAX: usize = 80;
/// The longest an instruction may be, in characters.
pub const INSTRUCTION_MAX: usize = 150;

/// The routes of the form.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        &format!(
            "{}/{{slug}}/for-your-hospital",
            PageKind::Procedure.list_path()
        ),
        get(form),
    )
}

/// The address of a sheet's leaflet (with a hospital's details in its query, theirs).
pub fn leaflet_path(slug: &str) -> String {
    format!("{}/leaflet.pdf", PageKind::Procedure.page_path(slug))
}

/// The form's address for a sheet.
pub fn form_path(slug: &str) -> String {
    format!("{}/for-your-hospital", PageKind::Procedure.page_path(slug))
}

/// The fields of the form, as sent.
#[derive(Debug, Clone, Default)]
pub struct HospitalValues {
    pub hospital: String,
    pub department: String,
    pub phone_in_hours: String,
    pub phone_out_of_hours: String,
    pub where_to_go: String,
    pub fasting: String,
    pub other: String,
    /// Whether any field was sent: the form is then being submitted, not shown.
    pub sent: bool,
    /// Fields sent more than once (a browser sends each once).
    pub repeated: Vec<&'static str>,
}

impl HospitalValues {
    /// Reads the fields from a query string; other keys are ignored.
    pub fn parse(query: &str) -> Self {
        let mut values = Self::default();
        let fields = read_first_values(query.as_bytes(), &mut values);
        values.sent = !fields.sent.is_empty();
        values.repeated = fields.repeated;
        values
    }

    /// The query string of these values, the fields in the form's order, empty ones left out.
    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.fields() {
            if !value.trim().is_empty() {
                query.append_pair(key, value.trim());
            }
        }
        query.finish()
    }

    fn fields(&self) -> [(&'static str, &str); 7] {
        [
            ("hospital", &self.hospital),
            ("department", &self.department),
            ("phone_in_hours", &self.phone_in_hours),
            ("phone_out_of_hours", &self.phone_out_of_hours),
            ("where_to_go", &self.where_to_go),
            ("fasting", &self.fasting),
            ("other", &self.other),
        ]
    }
}

text_fields!(HospitalValues {
    hospital,
    department,
    phone_in_hours,
    phone_out_of_hours,
    where_to_go,
    fasting,
    other
});

/// Characters a field may hold besides letters and digits.
const PUNCTUATION: &str = " .,'\u{2019}&()-\u{2013}/:;!?+";

/// Checks every field: the details to print, or one kind message per field that is wrong.
pub fn validate(values: &HospitalValues) -> Result<LocalDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error = |field: &'static str, message: String| {
        if !errors.iter().any(|e: &FieldError| e.field == field) {
            errors.push(FieldError { field, message });
        }
    };
    for field in &values.repeated {
        error(
            field,
            "This field was sent more than once. Please fill in the form again.".to_string(),
        );
    }
    let text = |field: &'static str,
                value: &str,
                described: &str,
                max: usize,
                required: bool,
                error: &mut dyn FnMut(&'static str, String)|
     -> Option<String> {
        let value = value.trim();
        if let Some(message) = hidden_character_message(value, described) {
            error(field, message);
            return None;
        }
        if value.is_empty() {
            if required {
                error(field, format!("Enter {}", lower_first(described)));
            }
            return None;
        }
        if value.chars().count() > max {
            error(
                field,
                format!("{described} must be {max} characters or fewer"),
            );
            return None;
        }
        if !value
            .chars()
            .all(|c| c.is_alphanumeric() || PUNCTUATION.contains(c))
        {
            error(
                field,
                format!(
                    "{described} can only have letters, numbers, spaces and . , ' & ( ) - / : ; ! ? +"
                ),
            );
            return None;
        }
        // Runs of spaces are one space on paper.
        Some(value.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let phone = |field: &'static str,
                 value: &str,
                 described: &str,
                 required: bool,
                 error: &mut dyn FnMut(&'static str, String)|
     -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            if required {
                error(
                    field,
                    format!("Enter {}, like 020 7946 0000", lower_first(described)),
                );
            }
            return None;
        }
        if is_uk_phone(value) {
            Some(value.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            error(
                field,
                format!(
                    "{described} must be a UK phone number, like 020 7946 0000 or +44 20 7946 0000"
                ),
            );
            None
        }
    };
    let hospital = text(
        "hospital",
        &values.hospital,
        "The name of your hospital",
        NAME_MAX,
        true,
        &mut error,
    );
    let department = text(
        "department",
        &values.department,
        "The department",
        NAME_MAX,
        false,
        &mut error,
    );
    let phone_in_hours = phone(
        "phone_in_hours",
        &values.phone_in_hours,
        "A phone number for working hours",
        true,
        &mut error,
    );
    let phone_out_of_hours = phone(
        "phone_out_of_hours",
        &values.phone_out_of_hours,
        "The phone number out of hours",
        false,
        &mut error,
    );
    let instructions: Vec<String> = [
        ("where_to_go", &values.where_to_go, "Where to go"),
        (
            "fasting",
            &values.fasting,
            "When to stop eating and drinking",
        ),
        ("other", &values.other, "Anything else"),
    ]
    .into_iter()
    .filter_map(|(field, value, described)| {
        text(field, value, described, INSTRUCTION_MAX, false, &mut error)
    })
    .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    match (hospital, phone_in_hours) {
        (Some(hospital), Some(phone_in_hours)) => Ok(LocalDetails {
            hospital,
            department,
            phone_in_hours,
            phone_out_of_hours,
            instructions,
        }),
        // Both are required, so a missing one has its message above.
        _ => Err(errors),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A UK phone number: `0` and 10 more digits (9 for some `01` and freephone numbers), the
/// first of them not 0, 4 or 6; or the same after `+44` without its `0` (`(0)` allowed);
/// spaces, hyphens and brackets between.
pub fn is_uk_phone(text: &str) -> bool {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || " -()+".contains(c))
    {
        return false;
    }
    let national = match text.strip_prefix("+44") {
        Some(rest) => {
            let rest = rest.trim_start().replacen("(0)", "", 1);
            if rest.contains('+') {
                return false;
            }
            let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
            if digits.starts_with('0') {
                return false;
            }
            format!("0{digits}")
        }
        None => {
            if text.contains('+') {
                return false;
            }
            text.chars().filter(char::is_ascii_digit).collect()
        }
    };
    let second = national.as_bytes().get(1).copied();
    // Nearly every UK number has 11 digits; a few area codes (01…) and freephone numbers
    // (0800, 0500) have 10.
    let length_fits = national.len() == 11
        || (national.len() == 10
            && (national.starts_with("01")
                || national.starts_with("0800")
                || national.starts_with("0500")));
    national.starts_with('0')
        && length_fits
        && matches!(second, Some(b'1' | b'2' | b'3' | b'5' | b'7' | b'8' | b'9'))
}

/// The per-client limit, the concurrency limit and the cache of leaflets made for hospitals.
/// Lives in `App`.
pub struct HospitalLeaflets {
    limiter: RateLimiter,
    at_once: Arc<Semaphore>,
    /// Newest first: (sheet slug, its leaflet's version, the details) and the PDF.
    cache: Mutex<VecDeque<(CacheKey, CachedPage)>>,
}

type CacheKey = (String, String, LocalDetails);

impl std::fmt::Debug for HospitalLeaflets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HospitalLeaflets").finish_non_exhaustive()
    }
}

impl Default for HospitalLeaflets {
    fn default() -> Self {
        Self {
            limiter: RateLimiter::new(TYPESET_PER_HOUR, TYPESET_BURST),
            at_once: Arc::new(Semaphore::new(TYPESET_AT_ONCE)),
            cache: Mutex::new(VecDeque::new()),
        }
    }
}

impl HospitalLeaflets {
    fn cached(&self, key: &CacheKey) -> Option<CachedPage> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let at = cache.iter().position(|(k, _)| k == key)?;
        let entry = cache.remove(at)?;
        let page = entry.1.clone();
        cache.push_front(entry);
        Some(page)
    }

    fn keep(&self, key: CacheKey, page: CachedPage) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|(k, _)| *k != key);
        cache.push_front((key, page));
        cache.truncate(CACHE_ENTRIES);
    }

    /// Waits for a turn to typeset: [`TYPESET_AT_ONCE`] at a time, hospitals' leaflets and
    /// plain ones that are not kept alike.
    pub(crate) async fn typesetting_permit(
        &self,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        self.at_once
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal("waiting to typeset a leaflet", e))
    }

    /// How many leaflets are cached.
    pub fn cached_count(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The client a request counts against, for the limit.
async fn client_of(state: &AppState, request: Request) -> (std::net::IpAddr, Request) {
    let (mut parts, body) = request.into_parts();
    let client = rate_limit::client_of(state, &mut parts).await;
    (client, Request::from_parts(parts, body))
}

/// The PDF of `leaflet` with `details`, from the cache or typeset now (within the limits).
pub(crate) async fn leaflet_for_hospital(
    state: &AppState,
    slug: &str,
    leaflet: Leaflet,
    details: LocalDetails,
    request: Request,
) -> Result<Response, AppError> {
    let service = &state.0.hospital;
    let key = (slug.to_string(), leaflet.version.clone(), details);
    if let Some(page) = service.cached(&key) {
        return Ok(private_pdf(&page, &request));
    }
    let (client, request) = client_of(state, request).await;
    if let Err(wait) = service.limiter.check(client, Instant::now()) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs(),
        });
    }
    let permit = service.typesetting_permit().await?;
    // The work holds the permit and ends in the cache even if the client has gone by then (a
    // timeout): asked again, the leaflet is there, and abandoned requests cannot pile up
    // typesetting beyond the limit.
    let app = state.0.clone();
    let page = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let bytes = leaflet.typeset(Some(&key.2))?;
        let page = CachedPage::new(crate::leaflet::MEDIA_TYPE, Bytes::from(bytes));
        app.hospital.keep(key, page.clone());
        Ok::<_, crate::leaflet::LeafletError>(page)
    })
    .await
    .map_err(|e| AppError::internal("typesetting a leaflet", e))?
    .map_err(|e| AppError::internal("typesetting a leaflet", e))?;
    Ok(private_pdf(&page, &request))
}

/// A leaflet made for a hospital: no shared cache may keep it.
fn private_pdf(page: &CachedPage, request: &Request) -> Response {
    let mut response = page.respond(StatusCode::OK, request.headers());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

#[derive(Template)]
#[template(path = "leaflet_form.html")]
struct FormTemplate {
    layout: Layout,
    title: String,
    slug: String,
    fields: Vec<FieldView>,
    errors: Vec<FieldError>,
    /// The checked details, when every field passed.
    details: Option<LocalDetails>,
    /// With details, the leaflet as HTML for printing (escaped by [`super::print_view`]).
    print_view: String,
    /// The leaflet's address with the details, and the same in full, to share.
    pdf_href: String,
    share_url: String,
}

/// One input of the form, with what was sent and its message.
struct FieldView {
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    value: String,
    error: Option<String>,
}

/// The inputs in order: id, label, hint, type, autocomplete and the longest value (checked by
/// [`validate`]; no `maxlength`, which would cut text off without saying so).
const FIELDS: [(&str, &str, &str, &str, &str, usize); 7] = [
    (
        "hospital",
        "Hospital",
        "For example, St Elsewhere's Hospital.",
        "text",
        "organization",
        NAME_MAX,
    ),
    (
        "department",
        "Department (optional)",
        "For example, Interventional radiology.",
        "text",
        "off",
        NAME_MAX,
    ),
    (
        "phone_in_hours",
        "Phone number in working hours",
        "A UK number, like 020 7946 0000.",
        "tel",
        "tel",
        20,
    ),
    (
        "phone_out_of_hours",
        "Phone number out of hours (optional)",
        "For example, the ward's number.",
        "tel",
        "tel",
        20,
    ),
    (
        "where_to_go",
        "Where to go on the day (optional)",
        "For example, X-ray department, level 2, main entrance.",
        "text",
        "off",
        INSTRUCTION_MAX,
    ),
    (
        "fasting",
        "When to stop eating and drinking (optional)",
        "For example, No food for 6 hours before. Water until 2 hours before.",
        "text",
        "off",
        INSTRUCTION_MAX,
    ),
    (
        "other",
        "Anything else (optional)",
        "",
        "text",
        "off",
        INSTRUCTION_MAX,
    ),
];

fn field_views(values: &HospitalValues, errors: &[FieldError]) -> Vec<FieldView> {
    let sent = values.fields();
    FIELDS
        .iter()
        .zip(sent)
        .map(
            |(&(id, label, hint, input_type, autocomplete, _), (_, value))| FieldView {
                id,
                label,
                hint,
                input_type,
                autocomplete,
                value: value.to_string(),
                error: errors
                    .iter()
                    .find(|e| e.field == id)
                    .map(|e| e.message.clone()),
            },
        )
        .collect()
}

/// The form page with these values: its errors, or the details checked.
pub(crate) fn form_page(
    state: &AppState,
    slug: &str,
    title: &str,
    values: HospitalValues,
    outcome: Result<Option<LocalDetails>, Vec<FieldError>>,
) -> Result<Response, AppError> {
    let site = state.site();
    let config = &state.0.config;
    let path = form_path(slug);
    let (details, errors) = match outcome {
        Ok(details) => (details, Vec::new()),
        Err(errors) => (None, errors),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let query = values.query();
    let heading = format!("Print the {} leaflet for your hospital", lower_first(title));
    let page_title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    let template = FormTemplate {
        layout: Layout::new(config, site.stylesheet(), &path, page_title)
            .noindex()
            .crumbs([
                Crumb::new("Procedures", PageKind::Procedure.list_path()),
                Crumb::new(title, PageKind::Procedure.page_path(slug)),
            ]),
        title: title.to_string(),
        slug: slug.to_string(),
        share_url: format!(
            "{}{}?{query}",
            config.site.base_url.trim_end_matches('/'),
            leaflet_path(slug)
        ),
        pdf_href: format!("{}?{query}", leaflet_path(slug)),
        fields: field_views(&values, &errors),
        errors,
        print_view: match (&details, site.leaflets.get(slug)) {
            (Some(_), Some(leaflet)) => super::print_view::leaflet_html(&leaflet),
            _ => String::new(),
        },
        details,
    };
    let html = template
        .render()
        .map_err(|e| AppError::internal("rendering the leaflet form", e))?;
    Ok(private_html(status, html))
}

/// `GET /procedures/{slug}/for-your-hospital`: the form, or the details checked.
async fn form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let site = state.site();
    let title = site
        .leaflets
        .title(&slug)
        .ok_or(AppError::NotFound)?
        .to_string();
    let values = HospitalValues::parse(request.uri().query().unwrap_or(""));
    let outcome = if values.sent {
        validate(&values).map(Some)
    } else {
        Ok(None)
    };
    form_page(&state, &slug, &title, values, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(query: &str) -> HospitalValues {
        HospitalValues::parse(query)
    }

    #[test]
    fn uk_phone_numbers_are_accepted_in_their_usual_forms() {
        for good in [
            "020 7946 0000",
            "0113 496 0000",
            "+44 20 7946 0000",
            "+44 (0)20 7946 0000",
            "07700 900000",
            "0800-123-4567",
            "(01632) 960000",
        ] {
            assert!(is_uk_phone(good), "{good}");
        }
        for bad in [
            "999",
            "111",
            "020 7946 000",
            "020 7946 00000 1",
            "+1 212 555 0100",
            "+44 020 7946 0000",
            "0020 7946 0000",
            "020 7946 0000 ext 2",
            "04 1234 5678",
            "020+7946 0000",
        ] {
            assert!(!is_uk_phone(bad), "{bad}");
        }
    }

    #[test]
    fn good_details_pass_and_are_tidied() {
        let details = validate(&values(
            "hospital=St+Elsewhere%E2%80%99s+Hospital&department=Radiology+%28X-ray%29&phone_in_hours=020+7946++0000&where_to_go=Level+2%2C+main+entrance&fasting=",
        ))
        .unwrap();
        assert_eq!(details.hospital, "St Elsewhere\u{2019}s Hospital");
        assert_eq!(details.department.as_deref(), Some("Radiology (X-ray)"));
        assert_eq!(details.phone_in_hours, "020 7946 0000");
        assert_eq!(details.phone_out_of_hours, None);
        assert_eq!(details.instructions, ["Level 2, main entrance"]);
    }

    #[test]
    fn bad_details_get_one_message_per_field() {
        let long = "a".repeat(NAME_MAX + 1);
        let errors = validate(&values(&format!(
            "hospital={long}&department=Evil%E2%80%AEtxt&phone_in_hours=12345&phone_out_of_hours=%2B1+212+555+0100&where_to_go=%3Cscript%3E&fasting=a&fasting=b"
        )))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "fasting",
                "hospital",
                "department",
                "phone_in_hours",
                "phone_out_of_hours",
                "where_to_go"
            ]
        );
        assert!(errors[2].message.contains("hidden character"));
        assert!(errors[1].message.contains("80 characters or fewer"));
        // Nothing sent at all: the two required fields.
        let errors = validate(&values("hospital=&phone_in_hours=")).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].message, "Enter the name of your hospital");
    }

    #[test]
    fn the_query_round_trips_in_the_forms_order() {
        let sent = values("phone_in_hours=020+7946+0000&hospital=A+%26+B&x=1");
        assert!(sent.sent);
        assert_eq!(
            sent.query(),
            "hospital=A+%26+B&phone_in_hours=020+7946+0000"
        );
        assert!(!values("x=1").sent);
    }
}
