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
//! Memory: a leaflet is about 100 KB that typst has already compressed, so 10,000 sheets would
//! hold about a gigabyte of PDFs and take minutes of CPU to make, for files few visitors ask
//! for. So the process keeps at most [`KEPT_BYTES`] of them, dropping the one used least
//! recently; the background work stops when that is full, and a leaflet that is not kept is
//! typeset when asked for, no more at once than the hospitals' leaflets
//! ([`hospital::TYPESET_AT_ONCE`]). The export typesets the rest one per thread at a time.
//!
//! [`Site::make_leaflets`]: super::Site::make_leaflets

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError, TryLockError};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::AppState;
use super::authority::AuthorityView;
use super::cached::{CachedPage, RecentlyUsed, http_date};
use super::error::AppError;
use super::hospital::{self, HospitalValues};
use super::views::RadiationPanel;
use crate::config::SiteConfig;
use crate::content::deflated::Deflated;
use crate::content::{Library, PageKind, ProcedureSheet};
use crate::leaflet::{
    Fact, GetHelpLines, HistoryLine, Leaflet, LeafletError, MEDIA_TYPE, Part, RadiationLines,
    RiskLine, ScaleLine, SourceLine, markup,
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
    let Some(title) = site.leaflets.title(&slug) else {
        return Err(AppError::NotFound);
    };
    let values = HospitalValues::parse(request.uri().query().unwrap_or(""));
    if values.sent {
        return match hospital::validate(&values) {
            Ok(details) => {
                let leaflet = site.leaflets.get(&slug).ok_or(AppError::NotFound)?;
                hospital::leaflet_for_hospital(&state, &slug, leaflet, details, request).await
            }
            Err(errors) => hospital::form_page(&state, &slug, title, values, Err(errors)),
        };
    }
    if let Some(page) = site.leaflets.kept(&slug) {
        return Ok(page.respond(StatusCode::OK, request.headers()));
    }
    // Typeset for this request, no more at once than the hospitals' leaflets are. The work
    // holds the permit, so a client that has gone cannot leave more typesetting running.
    let permit = state.0.hospital.typesetting_permit().await?;
    let made = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        site.leaflets.pdf(&slug)
    })
    .await
    .map_err(|e| AppError::internal("typesetting a leaflet", e))?;
    match made {
        Some(Ok(page)) => Ok(page.respond(StatusCode::OK, request.headers())),
        Some(Err(error)) => Err(AppError::internal("typesetting a leaflet", error)),
        None => Err(AppError::NotFound),
    }
}

/// How many bytes of plain leaflets a process keeps: 64 MiB, about 650 leaflets of about
/// 100 KB. The shipped sheets' leaflets (about 5 MB) all fit; with thousands of sheets the
/// leaflets asked for least recently are dropped and typeset again when next asked for (about
/// 15-35 ms each, optimised), instead of holding a gigabyte of PDFs that typst has already
/// compressed and that few visitors ask for.
pub const KEPT_BYTES: usize = 64 * 1024 * 1024;

/// The PDFs of plain leaflets this process has made, by a SHA-256 of what they show, the ones
/// used least recently dropped beyond [`KEPT_BYTES`]. A Site built again (a reload, `--watch`)
/// takes those of unchanged sheets from here instead of typesetting them again, so only the
/// sheets that changed are typeset. Each [`prepare`] keeps only what its sheets show.
static MADE: LazyLock<Mutex<MadeLeaflets>> =
    LazyLock::new(|| Mutex::new(MadeLeaflets::new(KEPT_BYTES)));

fn made() -> std::sync::MutexGuard<'static, MadeLeaflets> {
    MADE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Made PDFs by the digest of their data, within [`KEPT_BYTES`].
type MadeLeaflets = RecentlyUsed<[u8; 32], CachedPage>;

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

/// One sheet's leaflet: what it shows, packed; its PDF is in [`MADE`] once made.
#[derive(Debug)]
struct SheetLeaflet {
    /// The sheet's title, for the hospital form's heading.
    title: String,
    /// The leaflet's JSON ([`Leaflet::to_json`]), deflated: with thousands of sheets a
    /// [`Leaflet`] of every one would be another copy of every sheet's text, about 20 KB each
    /// in small strings, where this is a few KB, and unpacking costs microseconds beside the
    /// milliseconds of typesetting.
    packed: Packed,
    /// The SHA-256 of what the leaflet shows (its data; the template and the fonts are the
    /// same for the life of the process), the key of [`MADE`].
    digest: [u8; 32],
    /// When the sheet last changed, as an HTTP date.
    last_modified: Option<String>,
    /// Held while this leaflet is typeset, so that requests asking meanwhile wait for that PDF
    /// instead of typesetting it again (see [`SheetLeaflet::pdf`]).
    typesetting: Mutex<()>,
    /// Typesetting fails the same way each time for the same data: the failure is kept.
    failed: OnceLock<LeafletError>,
}

/// A leaflet's JSON as kept: deflated, or as it is when deflating would not shrink it.
#[derive(Debug)]
enum Packed {
    Plain(Box<[u8]>),
    Deflated(Deflated),
}

/// Every sheet's leaflet, by slug.
#[derive(Debug, Default)]
pub struct Leaflets {
    sheets: HashMap<String, SheetLeaflet>,
}

/// A typical leaflet's size: the background work stops making leaflets when one more of this
/// size would push another out of [`MADE`].
const TYPICAL_BYTES: usize = 100 * 1024;

impl Leaflets {
    /// What the leaflet of `slug` shows, if there is such a sheet.
    pub fn get(&self, slug: &str) -> Option<Leaflet> {
        self.sheets.get(slug)?.unpack()
    }

    /// The title of `slug`'s sheet, if there is such a sheet.
    pub fn title(&self, slug: &str) -> Option<&str> {
        self.sheets.get(slug).map(|s| s.title.as_str())
    }

    /// Every slug with a leaflet, sorted.
    pub fn slugs(&self) -> Vec<&str> {
        let mut slugs: Vec<&str> = self.sheets.keys().map(String::as_str).collect();
        slugs.sort_unstable();
        slugs
    }

    /// The PDF of `slug`'s leaflet, typesetting it if it is not kept (this blocks: call it
    /// where blocking is fine). The error is the typesetter's, for the log.
    pub fn pdf(&self, slug: &str) -> Option<Result<CachedPage, LeafletError>> {
        let sheet = self.sheets.get(slug)?;
        Some(sheet.pdf())
    }

    /// The PDF of `slug`'s leaflet if it is made and kept: nothing to typeset.
    pub fn kept(&self, slug: &str) -> Option<CachedPage> {
        let sheet = self.sheets.get(slug)?;
        let page = made().get(&sheet.digest)?;
        Some(page.with_last_modified(sheet.last_modified.clone()))
    }

    /// Typesets every leaflet, on every core, keeping what fits in [`KEPT_BYTES`] (the
    /// benchmark times this).
    pub fn make_all(&self) {
        self.make_while(|| true);
    }

    /// Makes leaflets in the leaflets' own pool of threads at the lowest priority
    /// ([`POOL`]), in the order of their slugs, until [`MADE`] is full: what a serving process
    /// does after it starts. The rest are typeset when first asked for.
    pub fn make_all_in_background(&self) {
        let until_full = || !made().is_full(TYPICAL_BYTES);
        match &*POOL {
            Some(pool) => pool.install(|| self.make_while(until_full)),
            None => self.make_while(until_full),
        }
    }

    /// Calls `each` with every leaflet's slug and PDF, typesetting one per thread at a time,
    /// so that no more than a few PDFs beyond [`MADE`]'s are held at once (the export).
    pub fn for_each_pdf<E>(
        &self,
        each: impl FnMut(&str, Result<CachedPage, LeafletError>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_pdf_while(|| true, each)
    }

    /// Typesets leaflets one per thread at a time while `go_on` says so, and gives each to
    /// `each`. One per thread, not all the slugs to rayon at once: typst works in parallel
    /// too, and a thread waiting for that work takes on whatever else is queued, on the same
    /// stack. With a thousand leaflets queued, typesets nested inside typesets until a stack
    /// overflowed (`scripts/memory` found it); with one per thread queued, a thread nests
    /// at most the others of its round.
    fn for_each_pdf_while<E>(
        &self,
        go_on: impl Fn() -> bool,
        mut each: impl FnMut(&str, Result<CachedPage, LeafletError>) -> Result<(), E>,
    ) -> Result<(), E> {
        let slugs = self.slugs();
        for round in slugs.chunks(rayon::current_num_threads().max(1)) {
            if !go_on() {
                break;
            }
            let made: Vec<_> = round
                .par_iter()
                .map(|slug| (*slug, self.sheets[*slug].pdf()))
                .collect();
            for (slug, pdf) in made {
                each(slug, pdf)?;
            }
        }
        crate::leaflet::forget_memoised_work();
        Ok(())
    }

    fn make_while(&self, go_on: impl Fn() -> bool) {
        let logged = self.for_each_pdf_while(go_on, |slug, pdf| {
            if let Err(error) = pdf {
                tracing::error!(slug, "{error}");
            }
            Ok::<(), std::convert::Infallible>(())
        });
        let Ok(()) = logged;
    }

    /// How many leaflets are made and kept in memory.
    pub fn kept_count(&self) -> usize {
        let made = made();
        self.sheets
            .values()
            .filter(|sheet| made.contains(&sheet.digest))
            .count()
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

impl SheetLeaflet {
    fn new(leaflet: &Leaflet, last_modified: Option<String>) -> Self {
        let json = leaflet.to_json();
        Self {
            title: leaflet.title.clone(),
            digest: Sha256::digest(&json).into(),
            packed: Deflated::new(&json)
                .map_or(Packed::Plain(json.into_boxed_slice()), Packed::Deflated),
            last_modified,
            typesetting: Mutex::default(),
            failed: OnceLock::new(),
        }
    }

    /// The leaflet, unpacked. `None` only if packing went wrong (a bug), which is logged.
    fn unpack(&self) -> Option<Leaflet> {
        let json = match &self.packed {
            Packed::Plain(json) => std::borrow::Cow::Borrowed(&json[..]),
            Packed::Deflated(deflated) => std::borrow::Cow::Owned(deflated.inflate()?),
        };
        Leaflet::from_json(&json)
            .inspect_err(|error| {
                tracing::error!(title = self.title, "unpacking a leaflet: {error}")
            })
            .ok()
    }

    fn pdf(&self) -> Result<CachedPage, LeafletError> {
        let with_date = |page: CachedPage| page.with_last_modified(self.last_modified.clone());
        if let Some(page) = made().get(&self.digest) {
            return Ok(with_date(page));
        }
        // Someone typesetting this one already? A thread outside rayon's pools waits for
        // them. One inside must not: while typst's own parallel work waits, rayon may hand
        // its thread the job of another leaflet, whose typesetter may be waiting for this one
        // (a deadlock the export and the background work found). It typesets it too.
        let _typesetting = match self.typesetting.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if rayon::current_thread_index().is_none() => Some(
                self.typesetting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            ),
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(error) = self.failed.get() {
            return Err(error.clone());
        }
        // Made by whoever held the lock before us?
        if let Some(page) = made().get(&self.digest) {
            return Ok(with_date(page));
        }
        let Some(leaflet) = self.unpack() else {
            return Err(LeafletError::Typeset(
                "the leaflet's data could not be read".into(),
            ));
        };
        match leaflet.typeset(None) {
            Ok(pdf) => {
                let page = CachedPage::new(MEDIA_TYPE, pdf);
                made().insert(self.digest, page.clone());
                Ok(with_date(page))
            }
            Err(error) => Err(self.failed.get_or_init(|| error).clone()),
        }
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
            let last_modified = sheet.page.source.modified.and_then(http_date);
            let entry = SheetLeaflet::new(&leaflet, last_modified);
            (sheet.page.slug.clone(), entry)
        })
        .collect::<HashMap<String, SheetLeaflet>>();
    let current: HashSet<[u8; 32]> = sheets.values().map(|s| s.digest).collect();
    made().retain(|digest| current.contains(digest));
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
            (crate::content::authority::AFTERWARDS_SECTION, Part::GetHelp),
            (crate::content::authority::RISKS_SECTION, Part::Risks),
            ("Radiation", Part::Radiation),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_of(bytes: usize) -> CachedPage {
        CachedPage::new(MEDIA_TYPE, vec![b'%'; bytes])
    }

    /// One case: a budget; leaflets kept in order (digest byte, size); those asked for again;
    /// one more kept; and the digests kept at the end.
    struct Case {
        budget: usize,
        first: &'static [(u8, usize)],
        asked_again: &'static [u8],
        last: (u8, usize),
        expected: &'static [u8],
    }

    #[test]
    fn made_leaflets_drop_the_least_recently_used_beyond_their_budget() {
        let case = |budget, first, asked_again, last, expected| Case {
            budget,
            first,
            asked_again,
            last,
            expected,
        };
        let rows = [
            // Room for all three.
            case(300, &[(1, 100), (2, 100)], &[], (3, 100), &[1, 2, 3]),
            // The oldest goes.
            case(250, &[(1, 100), (2, 100)], &[], (3, 100), &[2, 3]),
            // Asked for again, 1 is newer than 2, so 2 goes.
            case(250, &[(1, 100), (2, 100)], &[1], (3, 100), &[1, 3]),
            // A big one pushes out as many as it needs, oldest first: 1 and 3, not 2.
            case(
                300,
                &[(1, 100), (2, 100), (3, 100)],
                &[2],
                (4, 200),
                &[2, 4],
            ),
            // One larger than the whole budget is not kept, and drops nothing.
            case(250, &[(1, 100), (2, 100)], &[], (3, 300), &[1, 2]),
        ];
        for Case {
            budget,
            first,
            asked_again,
            last,
            expected,
        } in rows
        {
            let mut made = MadeLeaflets::new(budget);
            for &(digest, size) in first {
                made.insert([digest; 32], pdf_of(size));
            }
            for &digest in asked_again {
                assert!(made.get(&[digest; 32]).is_some());
            }
            made.insert([last.0; 32], pdf_of(last.1));
            let kept: Vec<u8> = (1..=4).filter(|d| made.contains(&[*d; 32])).collect();
            assert_eq!(kept, expected, "budget {budget}, then {last:?}");
            let size_of = |digest: u8| {
                let sizes = first.iter().chain([&last]);
                sizes
                    .filter(|(d, _)| *d == digest)
                    .map(|(_, size)| size)
                    .sum::<usize>()
            };
            let held: usize = kept.iter().map(|d| size_of(*d)).sum();
            assert_eq!(made.bytes(), held, "the count of bytes held stays true");
            assert!(made.bytes() <= budget);
        }
    }

    /// A leaflet is kept deflated and reads back as it was, every kind of block included.
    #[test]
    fn a_packed_leaflet_unpacks_to_what_it_was() {
        let json = serde_json::json!({
            "title": "Angioplasty", "summary": "Widening an artery.", "also_known_as": ["PTA"],
            "version": "2.0", "version_date": "1 December 2026",
            "history": [{"version": "2.0", "date": "1 December 2026", "change": "Risks."}],
            "next_review": "1 December 2028", "review_notice": "Not yet checked.",
            "disclaimer": "General information only.", "publisher": "The society",
            "url": "https://www.irinfo.example/procedures/angioplasty",
            "blocks": [
                {"kind": "heading", "level": 1, "text": "What is it?"},
                {"kind": "paragraph", "runs": [
                    {"text": "A balloon ", "strong": true}, {"text": "", "cite": "1, 2"},
                    {"text": "NHS", "url": "https://www.nhs.uk/"}]},
                {"kind": "list", "ordered": true, "items": [[{"kind": "paragraph", "runs": [{"text": "One"}]}]]},
                {"kind": "insert", "what": "get_help"},
                {"kind": "insert", "what": "risks"},
                {"kind": "insert", "what": "radiation"}
            ],
            "risks": [{"what": "Bruising", "how_common": "Common: about 1 in 10",
                       "treatment": null, "cites": "1"}],
            "scale": [{"word": "Common", "meaning": "1 in 10 to 1 in 100"}],
            "get_help": {"call_999": ["Chest pain"], "same_day": [], "non_urgent": []},
            "radiation": {"before": ["X-rays."], "facts": [{"term": "Dose", "value": "1 mSv"}], "after": []},
            "sources": [{"number": 1, "citation": "NICE", "kind": "Guideline", "url": "https://www.nice.org.uk/"}]
        });
        let leaflet = Leaflet::from_json(json.to_string().as_bytes()).unwrap();
        let packed = SheetLeaflet::new(&leaflet, None);
        assert!(
            matches!(&packed.packed, Packed::Deflated(d) if d.resident_bytes() < leaflet.to_json().len()),
            "deflated, it is smaller"
        );
        assert_eq!(packed.title, "Angioplasty");
        assert_eq!(packed.unpack().unwrap().to_json(), leaflet.to_json());
        // A part no sheet has is refused, not read as something else.
        let unknown = json.to_string().replace("\"radiation\"}", "\"scores\"}");
        assert!(Leaflet::from_json(unknown.as_bytes()).is_err());
    }

    #[test]
    fn made_leaflets_say_when_one_more_would_push_another_out() {
        let mut made = MadeLeaflets::new(250);
        made.insert([1; 32], pdf_of(100));
        assert!(!made.is_full(100));
        made.insert([2; 32], pdf_of(100));
        assert!(made.is_full(100));
        made.retain(|digest| *digest == [2; 32]);
        assert!(made.contains(&[2; 32]) && !made.contains(&[1; 32]));
        assert_eq!(made.bytes(), 100);
        assert!(!made.is_full(100));
    }
}
