//! `/procedures/{slug}/leaflet.pdf`: every sheet's printable leaflet (see [`crate::leaflet`]).
//!
//! What a leaflet shows is gathered from the sheet when the Site is built ([`prepare`]), while
//! its Markdown source is still there: the body as blocks, the risks, care cards, radiation
//! panel and sources exactly as the page numbers and words them. The PDFs themselves are made
//! after the server starts serving, like the brotli copies ([`Site::make_leaflets`], called by
//! `finish_site_in_background`); a request that comes first typesets its own leaflet (once:
//! others asking meanwhile wait for it). Each is then served from memory with an ETag and the
//! sheet's Last-Modified, and `irinfo export` writes them all. A Site built again reuses the
//! leaflets of the sheets that did not change ([`MADE`]).
//!
//! [`Site::make_leaflets`]: super::Site::make_leaflets

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::AppState;
use super::authority::AuthorityView;
use super::cached::{CachedPage, http_date};
use super::error::AppError;
use super::hospital::{self, HospitalValues};
use super::views::RadiationPanel;
use crate::config::SiteConfig;
use crate::content::{Library, PageKind, ProcedureSheet};
use crate::leaflet::{
    Fact, GetHelpLines, HistoryLine, Leaflet, LeafletError, MEDIA_TYPE, RadiationLines, RiskLine,
    ScaleLine, SourceLine, markup,
};

pub use super::hospital::leaflet_path;

/// The routes of the leaflets.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        &format!("{}/{{slug}}/leaflet.pdf", PageKind::Procedure.list_path()),
        get(leaflet),
    )
}

/// A sheet's leaflet, typeset on first use; with a hospital's details in the query, the
/// leaflet for that hospital (see [`super::hospital`]), or the form with what is wrong.
async fn leaflet(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let site = state.site();
    let Some(leaflet) = site.leaflets.get(&slug) else {
        return Err(AppError::NotFound);
    };
    let values = HospitalValues::parse(request.uri().query().unwrap_or(""));
    if values.sent {
        let title = leaflet.title.clone();
        return match hospital::validate(&values) {
            Ok(details) => {
                let leaflet = leaflet.clone();
                hospital::leaflet_for_hospital(&state, &slug, leaflet, details, request).await
            }
            Err(errors) => hospital::form_page(&state, &slug, &title, values, Err(errors)),
        };
    }
    let made = {
        let site = site.clone();
        let slug = slug.clone();
        tokio::task::spawn_blocking(move || site.leaflets.pdf(&slug).map(|made| made.map(|_| ())))
            .await
            .map_err(|e| AppError::internal("typesetting a leaflet", e))?
    };
    match made {
        Some(Ok(())) => {}
        Some(Err(error)) => return Err(AppError::internal("typesetting a leaflet", error)),
        None => return Err(AppError::NotFound),
    }
    match site.leaflets.pdf(&slug) {
        Some(Ok(page)) => Ok(page.respond(StatusCode::OK, request.headers())),
        _ => Err(AppError::NotFound),
    }
}

/// The PDFs of plain leaflets this process has made, by a SHA-256 of what they show: a Site
/// built again (a reload, `--watch`) takes those of unchanged sheets from here instead of
/// typesetting them again, so only the sheets that changed are typeset. Each [`prepare`] keeps
/// only what its sheets show, so this holds no more than the newest Site does (and shares its
/// bytes).
static MADE: LazyLock<Mutex<HashMap<[u8; 32], CachedPage>>> = LazyLock::new(Mutex::default);

fn made() -> std::sync::MutexGuard<'static, HashMap<[u8; 32], CachedPage>> {
    MADE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The threads the leaflets are typeset on in the background: a pool of their own, so that a
/// rebuild (`--watch`, a reload) or a page compressed per request never waits behind them in
/// rayon's shared pool (whose threads finish their own queued work before anything sent to
/// them), and at the lowest CPU priority (nice 19, on Linux), so that typesetting only takes
/// time nothing else wants. `None` if the threads cannot be started: then the shared pool.
static POOL: LazyLock<Option<rayon::ThreadPool>> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("leaflet-{i}"))
        .start_handler(|_| lowest_priority())
        .build()
        .ok()
});

/// Makes the calling thread the last to get the CPU.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority reads and writes no memory of ours; on Linux `PRIO_PROCESS` with 0
    // names the calling thread only. Failing leaves the priority as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// One sheet's leaflet: what it shows, and its PDF once made.
#[derive(Debug)]
struct SheetLeaflet {
    leaflet: Leaflet,
    /// The SHA-256 of what the leaflet shows (its data; the template and the fonts are the
    /// same for the life of the process), the key of [`MADE`].
    digest: [u8; 32],
    /// When the sheet last changed, as an HTTP date.
    last_modified: Option<String>,
    pdf: OnceLock<Result<CachedPage, LeafletError>>,
}

/// Every sheet's leaflet, by slug.
#[derive(Debug, Default)]
pub struct Leaflets {
    sheets: HashMap<String, SheetLeaflet>,
}

impl Leaflets {
    /// What the leaflet of `slug` shows, if there is such a sheet.
    pub fn get(&self, slug: &str) -> Option<&Leaflet> {
        self.sheets.get(slug).map(|s| &s.leaflet)
    }

    /// Every slug with a leaflet, sorted.
    pub fn slugs(&self) -> Vec<&str> {
        let mut slugs: Vec<&str> = self.sheets.keys().map(String::as_str).collect();
        slugs.sort_unstable();
        slugs
    }

    /// The PDF of `slug`'s leaflet, typesetting it if it is not made yet (this blocks: call it
    /// where blocking is fine). The error is the typesetter's, for the log.
    pub fn pdf(&self, slug: &str) -> Option<Result<&CachedPage, LeafletError>> {
        let sheet = self.sheets.get(slug)?;
        let made = sheet.pdf.get_or_init(|| {
            let last_modified = sheet.last_modified.clone();
            if let Some(page) = made().get(&sheet.digest) {
                return Ok(page.clone().with_last_modified(last_modified));
            }
            let page = CachedPage::new(MEDIA_TYPE, sheet.leaflet.typeset(None)?)
                .with_last_modified(last_modified);
            made().insert(sheet.digest, page.clone());
            Ok(page)
        });
        Some(made.as_ref().map_err(Clone::clone))
    }

    /// Makes every leaflet that is not made yet, on every core (the export waits for this).
    pub fn make_all(&self) {
        self.slugs().par_iter().for_each(|slug| {
            if let Some(Err(error)) = self.pdf(slug) {
                tracing::error!(slug, "{error}");
            }
        });
        crate::leaflet::forget_memoised_work();
    }

    /// Like [`Leaflets::make_all`], in the leaflets' own pool of threads at the lowest
    /// priority ([`POOL`]): what a serving process does after it starts.
    pub fn make_all_in_background(&self) {
        match &*POOL {
            Some(pool) => pool.install(|| self.make_all()),
            None => self.make_all(),
        }
    }

    /// How many leaflets there are.
    pub fn len(&self) -> usize {
        self.sheets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sheets.is_empty()
    }
}

/// Gathers every sheet's leaflet from `library`, whose Markdown sources must still be there.
pub(crate) fn prepare(config: &SiteConfig, library: &Library) -> Leaflets {
    let sheets = library
        .procedures()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|sheet| {
            let leaflet = leaflet_of(sheet, library, config);
            let digest = Sha256::digest(leaflet.to_json()).into();
            let entry = SheetLeaflet {
                leaflet,
                digest,
                last_modified: sheet.page.source.modified.and_then(http_date),
                pdf: OnceLock::new(),
            };
            (sheet.page.slug.clone(), entry)
        })
        .collect::<HashMap<String, SheetLeaflet>>();
    let current: HashSet<[u8; 32]> = sheets.values().map(|s| s.digest).collect();
    made().retain(|digest, _| current.contains(digest));
    Leaflets { sheets }
}

/// The words of the site's "general information only" notice, for paper.
const DISCLAIMER: &str = "General information only. This leaflet gives general information about interventional radiology. It cannot advise you about your own care: please talk to your doctor, or call NHS 111. Recommendations on which treatments the NHS should offer are made by NICE.";

fn leaflet_of(sheet: &ProcedureSheet<'_>, library: &Library, config: &SiteConfig) -> Leaflet {
    let page = sheet.page;
    let authority = AuthorityView::for_sheet(sheet, library);
    let radiation = super::radiation::panel(sheet, library, config);
    let base_url = config.site.base_url.trim_end_matches('/');
    let number_of = |id: &str| {
        authority
            .sources
            .iter()
            .find(|s| s.anchor == crate::content::citations::source_anchor(id))
            .map(|s| s.number)
    };
    let context = markup::Context {
        base_url,
        number_of: &number_of,
    };
    let body = page
        .source
        .text
        .get(page.source.body_offset..)
        .unwrap_or("");
    let blocks = markup::blocks(
        body,
        &context,
        &[
            (crate::content::authority::AFTERWARDS_SECTION, "get_help"),
            (crate::content::authority::RISKS_SECTION, "risks"),
            ("Radiation", "radiation"),
        ],
    );
    let history = &page.meta.review.history;
    let newest = history.first();
    let review_notice = match &page.meta.review.clinical_review {
        Some(review) => format!(
            "Checked by a clinical reviewer ({}) on {}.",
            review.reviewer,
            review.date.long()
        ),
        None => "This leaflet has not yet been checked by a clinical reviewer.".to_string(),
    };
    Leaflet {
        title: page.meta.title.clone(),
        summary: page.meta.summary.clone(),
        also_known_as: sheet.front.also_known_as.clone(),
        version: newest.map_or_else(String::new, |h| h.version.clone()),
        version_date: newest.map_or_else(String::new, |h| h.date.long()),
        history: history
            .iter()
            .map(|h| HistoryLine {
                version: h.version.clone(),
                date: h.date.long(),
                change: h.change.clone(),
            })
            .collect(),
        next_review: page.meta.next_review.long(),
        review_notice,
        disclaimer: DISCLAIMER.to_string(),
        publisher: config.site.publisher.clone(),
        url: format!("{base_url}{}", page.path()),
        blocks,
        risks: authority
            .risks
            .iter()
            .map(|risk| RiskLine {
                what: risk.what.clone(),
                how_common: match &risk.band {
                    Some(band) => format!("{band}: {}", risk.in_words.clone().unwrap_or_default()),
                    None => format!(
                        "Not known: {}",
                        risk.unknown_reason.clone().unwrap_or_default()
                    ),
                },
                treatment: risk.treatment.clone(),
                cites: (!risk.cites.is_empty()).then(|| {
                    let numbers: Vec<String> =
                        risk.cites.iter().map(|c| c.number.to_string()).collect();
                    numbers.join(", ")
                }),
            })
            .collect(),
        scale: authority
            .scale
            .iter()
            .map(|row| ScaleLine {
                word: row.word.clone(),
                meaning: row.meaning.to_string(),
            })
            .collect(),
        get_help: authority.get_help.as_ref().map(|help| GetHelpLines {
            call_999: help.call_999.clone(),
            same_day: help.same_day.clone(),
            non_urgent: help.non_urgent.clone(),
        }),
        radiation: radiation_lines(&radiation),
        sources: authority
            .sources
            .iter()
            .map(|s| SourceLine {
                number: s.number,
                citation: s.citation.clone(),
                kind: s.kind.to_string(),
                url: s.url.clone(),
            })
            .collect(),
    }
}

/// The radiation panel in the words of the sheet's page (`templates/procedure.html`).
fn radiation_lines(panel: &RadiationPanel) -> RadiationLines {
    let mut lines = RadiationLines::default();
    match &panel.dose {
        Some(dose) => {
            lines.before.push("This procedure uses X-rays. A typical dose for adults is shown below. Your own dose depends on your size and on how long and how complex your procedure is.".into());
            let fact = |term: &str, value: String| Fact {
                term: term.to_string(),
                value,
            };
            lines.facts = vec![
                fact(dose.label, format!("{} mSv (millisieverts)", dose.msv)),
                fact(
                    "About the same as natural background radiation for",
                    dose.background.clone(),
                ),
                fact(
                    "Added lifetime risk of cancer",
                    format!("{} ({})", dose.band.label(), dose.band.range()),
                ),
                fact("Source", dose.source_short.clone()),
            ];
        }
        None => lines.before.push(match panel.uses_x_rays {
            "no" => "This procedure does not usually use X-rays, so it does not usually give you a radiation dose.".into(),
            "sometimes" => "X-rays are used only for some people having this procedure. Your team can tell you whether they will use them for you.".into(),
            _ => "This procedure uses X-rays. The dose varies from person to person, so we do not give a typical figure. Your team can tell you more.".into(),
        }),
    }
    if panel.uses_x_rays != "no" {
        lines.after.push("The team will only use X-rays when the benefit of the procedure to you is judged to outweigh the small risk. They keep the dose as low as they can.".into());
    }
    lines
}
