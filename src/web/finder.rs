//! The finder's pages: the search form and its results at `/find`, a browse page by nation and
//! region, one page per region and one per listing.
//!
//! Everything that does not depend on the request (the empty form, the browse, region and
//! listing pages) is rendered once into the Site by [`prerender`]. Only a search is rendered per
//! request; it runs in memory against the Library's directory and needs no JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::cached::CachedPage;
use super::error::AppError;
use super::error::RenderError;
use super::pages::{private_html, rendered_page};
use super::views::{Crumb, Layout};
use crate::config::SiteConfig;
use crate::content::Library;
use crate::finder::geo::{self, km_to_miles};
use crate::finder::{
    Entry, Finder, Located, Lookup, Nation, Place, Precision, Query as Search, REGIONS,
};

/// The finder's address.
pub const FIND_PATH: &str = "/find";
/// The browse page.
pub const REGIONS_PATH: &str = "/find/regions";
/// The radii offered, in miles.
pub const RADII: [u32; 4] = [10, 25, 50, 100];
pub const DEFAULT_RADIUS: u32 = 50;
/// Results on one page.
pub const PAGE_SIZE: usize = 10;
/// The longest "postcode or town" accepted. The longest UK place names are about 60 letters.
pub const MAX_PLACE_CHARS: usize = 100;
/// The longest query string accepted at all; anything longer is not from our form.
const MAX_QUERY_BYTES: usize = 1024;
/// A results page number beyond this is not from our links.
const MAX_PAGE: usize = 1000;

const TITLE: &str = "Find an interventional radiologist";
const DESCRIPTION: &str = "Find an interventional radiologist near you by postcode or town, procedure and distance, or browse by nation and region.";

/// Routes for the finder.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(FIND_PATH, get(find))
        .route(REGIONS_PATH, get(rendered_page))
        .route("/find/regions/{region}", get(rendered_page))
        .route("/find/services/{slug}", get(rendered_page))
}

/// A procedure in the form's list.
#[derive(Debug, Clone)]
pub struct ProcedureOption {
    pub slug: String,
    pub title: String,
}

/// A problem with the form, for the error summary: the field's id and the message.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: &'static str,
    pub message: String,
}

/// A town the visitor may have meant, with the search for it.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub label: String,
    pub href: String,
}

/// What the form shows: the visitor's answers and any problems with them.
#[derive(Debug, Clone)]
pub struct SearchForm {
    pub q: String,
    pub procedure: String,
    pub emergency_only: bool,
    pub radius: u32,
    pub errors: Vec<FormError>,
    /// Shown by the "postcode or town" box.
    pub place_error: Option<String>,
    pub suggestions: Vec<Suggestion>,
}

impl Default for SearchForm {
    fn default() -> Self {
        Self {
            q: String::new(),
            procedure: String::new(),
            emergency_only: false,
            radius: DEFAULT_RADIUS,
            errors: Vec::new(),
            place_error: None,
            suggestions: Vec::new(),
        }
    }
}

impl SearchForm {
    fn error(&mut self, field: &'static str, message: impl Into<String>) {
        let message = message.into();
        if field == "q" {
            self.place_error = Some(message.clone());
        }
        self.errors.push(FormError { field, message });
    }

    /// Whether the field with this id has a problem; for the template.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// The message for the field with this id, if it has a problem; for the template.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Whether the radius option is the one chosen; for the template.
    pub fn radius_is(&self, radius: &u32) -> bool {
        self.radius == *radius
    }
}

/// A procedure offered by a listing, linked to its sheet.
#[derive(Debug, Clone)]
pub struct ProcedureLink {
    pub title: String,
    pub href: String,
    /// The procedure searched for.
    pub searched: bool,
}

/// One listing as shown in results and lists: the listing as written, and what the site works
/// out for it.
#[derive(Debug, Clone)]
pub struct EntryCard<'a> {
    /// Its name, role, hospital, address, phone, website and services, as written.
    pub entry: &'a Entry,
    /// The id of the card's heading.
    pub id: String,
    pub href: String,
    pub region_href: String,
    /// "2.3 miles (3.7 km)" in search results.
    pub distance: Option<String>,
    pub procedures: Vec<ProcedureLink>,
    pub phone_href: String,
    /// The website as shown: without `https://`, in pieces that may break after `/` and `.`
    /// (the template puts a `<wbr>` between them), so a long address wraps where it reads well.
    pub website_parts: Vec<String>,
    /// Placed by its postcode area, so its distance is approximate.
    pub approximate: bool,
}

/// A link to one page of results.
#[derive(Debug, Clone)]
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

/// What a search found, ready to show.
#[derive(Debug, Clone)]
pub struct ResultsView<'a> {
    pub heading: String,
    pub precision_note: String,
    pub cards: Vec<EntryCard<'a>>,
    /// Nothing was within the radius: `cards` are the nearest beyond it.
    pub beyond_radius: bool,
    /// Set when nothing at all matched the filters.
    pub nothing_matches: bool,
    /// A search of the widest radius, offered when this one found little.
    pub wider_href: Option<String>,
    /// "Showing 1 to 10 of 23".
    pub showing: String,
    pub pages: Vec<PageLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// A region in the browse lists, with how many listings it has.
#[derive(Debug, Clone)]
pub struct RegionLink {
    pub name: String,
    pub href: String,
    pub count: usize,
}

/// A nation and its regions.
#[derive(Debug, Clone)]
pub struct NationGroup {
    pub name: String,
    pub anchor: String,
    pub regions: Vec<RegionLink>,
}

/// Listings in one town, on a region page.
#[derive(Debug, Clone)]
pub struct TownGroup<'a> {
    pub name: String,
    pub cards: Vec<EntryCard<'a>>,
}

/// The script that fills in the visitor's location when they ask for it, in `static/`.
pub(crate) const LOCATION_SCRIPT: &str = "finder-location.js";

#[derive(Template)]
#[template(path = "find.html")]
pub struct FindTemplate<'a> {
    pub layout: Layout,
    /// [`LOCATION_SCRIPT`]'s fingerprinted address (kept for a year), when `static/` has it;
    /// without it the form still works, with no "use my location" button.
    pub location_script: Option<String>,
    pub sample: bool,
    pub form: SearchForm,
    pub procedures: Vec<ProcedureOption>,
    pub radii: [u32; 4],
    pub results: Option<ResultsView<'a>>,
    pub nations: Vec<NationGroup>,
}

#[derive(Template)]
#[template(path = "find_regions.html")]
pub struct FindRegionsTemplate {
    pub layout: Layout,
    pub sample: bool,
    pub nations: Vec<NationGroup>,
    pub total: usize,
}

#[derive(Template)]
#[template(path = "find_region.html")]
pub struct FindRegionTemplate<'a> {
    pub layout: Layout,
    pub sample: bool,
    pub region_name: String,
    pub nation_name: String,
    pub towns: Vec<TownGroup<'a>>,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "find_service.html")]
pub struct FindServiceTemplate<'a> {
    pub layout: Layout,
    pub sample: bool,
    pub card: EntryCard<'a>,
    /// A search from this listing's postcode.
    pub nearby_href: String,
}

/// Renders every finder page that is the same for every visitor.
pub fn prerender(
    config: &SiteConfig,
    library: &Library,
    finder: &Finder,
    stylesheet: &str,
    location_script: Option<&str>,
) -> Result<Vec<(String, CachedPage)>, RenderError> {
    let directory = &finder.directory;
    let sample = directory.has_samples();
    let mut pages = Vec::new();
    let mut add = |path: String, template: &dyn askama::DynTemplate| -> Result<(), RenderError> {
        let html = template.dyn_render().map_err(|source| RenderError {
            path: path.clone(),
            source,
        })?;
        pages.push((path, CachedPage::html_brotli_later(html)));
        Ok(())
    };

    let find = FindTemplate {
        layout: Layout::new(config, stylesheet, FIND_PATH, TITLE)
            .describe(DESCRIPTION)
            .crumbs([]),
        location_script: location_script.map(str::to_string),
        sample,
        form: SearchForm::default(),
        procedures: procedure_options(library),
        radii: RADII,
        results: None,
        nations: nation_groups(finder),
    };
    add(FIND_PATH.to_string(), &find)?;

    let browse = FindRegionsTemplate {
        layout: Layout::new(
            config,
            stylesheet,
            REGIONS_PATH,
            "Browse by nation and region",
        )
        .describe("Interventional radiology services listed by UK nation and region.")
        .crumbs([Crumb::new(TITLE, FIND_PATH)]),
        sample,
        nations: nation_groups(finder),
        total: directory.len(),
    };
    add(REGIONS_PATH.to_string(), &browse)?;

    for region in &REGIONS {
        let entries = directory.in_region(region);
        let mut towns: Vec<TownGroup> = Vec::new();
        for entry in &entries {
            let card = entry_card(library, entry, None, None);
            match towns.last_mut() {
                Some(group) if group.name == entry.town => group.cards.push(card),
                _ => towns.push(TownGroup {
                    name: entry.town.clone(),
                    cards: vec![card],
                }),
            }
        }
        let title = format!("Interventional radiologists in {}", region.name);
        let template = FindRegionTemplate {
            layout: Layout::new(config, stylesheet, &region.path(), &title)
                .describe(format!(
                    "Interventional radiology services in {}, by town, with the procedures each offers.",
                    region.name
                ))
                .crumbs([
                    Crumb::new(TITLE, FIND_PATH),
                    Crumb::new(
                        "Browse by region",
                        format!("{REGIONS_PATH}#{}", region.nation.anchor()),
                    ),
                ]),
            sample,
            region_name: region.name.to_string(),
            nation_name: region.nation.name().to_string(),
            count: entries.len(),
            towns,
        };
        add(region.path(), &template)?;
    }

    for entry in directory.entries() {
        let card = entry_card(library, entry, None, None);
        let template = FindServiceTemplate {
            layout: Layout::new(
                config,
                stylesheet,
                &entry.path(),
                format!("{}, {}", entry.name, entry.hospital),
            )
            .describe(format!(
                "{} at {}, {}: procedures offered and contact details.",
                entry.role, entry.hospital, entry.town
            ))
            .crumbs([
                Crumb::new(TITLE, FIND_PATH),
                Crumb::new(entry.region.name, entry.region.path()),
            ]),
            sample,
            nearby_href: search_href(&[("q", &entry.postcode)]),
            card,
        };
        add(entry.path(), &template)?;
    }
    Ok(pages)
}

/// Every procedure sheet, by title, for the form's list.
fn procedure_options(library: &Library) -> Vec<ProcedureOption> {
    library
        .procedures()
        .map(|p| ProcedureOption {
            slug: p.slug.clone(),
            title: p.meta.title.clone(),
        })
        .collect()
}

/// The nations with their regions and listing counts.
fn nation_groups(finder: &Finder) -> Vec<NationGroup> {
    let directory = &finder.directory;
    Nation::ALL
        .iter()
        .map(|nation| NationGroup {
            name: nation.name().to_string(),
            anchor: nation.anchor().to_string(),
            regions: REGIONS
                .iter()
                .filter(|r| r.nation == *nation)
                .map(|r| RegionLink {
                    name: r.name.to_string(),
                    href: r.path(),
                    count: directory.in_region(r).len(),
                })
                .collect(),
        })
        .collect()
}

/// A listing as shown on the site; `distance_km` when it is a search result.
fn entry_card<'a>(
    library: &Library,
    entry: &'a Entry,
    distance_km: Option<f64>,
    searched: Option<&str>,
) -> EntryCard<'a> {
    EntryCard {
        entry,
        id: format!("entry-{}", entry.slug),
        href: entry.path(),
        region_href: entry.region.path(),
        distance: distance_km.map(format_distance),
        procedures: {
            let mut links: Vec<ProcedureLink> = entry
                .procedures
                .iter()
                .filter_map(|slug| library.procedure(slug))
                .map(|sheet| ProcedureLink {
                    title: sheet.meta.title.clone(),
                    href: sheet.path(),
                    searched: searched == Some(sheet.slug.as_str()),
                })
                .collect();
            links.sort_by_key(|link| link.title.to_lowercase());
            links
        },
        phone_href: entry.phone_href(),
        website_parts: entry
            .website
            .as_deref()
            .map(web_address_parts)
            .unwrap_or_default(),
        approximate: entry.located == Located::Area,
    }
}

/// "1 mile (2 km)", "less than 1 mile", "36 miles (58 km)": whole miles and kilometres, because
/// a distance measured from the middle of a postcode or a town is never exact to a tenth.
fn format_distance(km: f64) -> String {
    let miles = km_to_miles(km);
    if miles < 1.0 {
        return "less than 1 mile".to_string();
    }
    let whole_miles = miles.round();
    let whole_km = km.round().max(1.0);
    let unit = if whole_miles == 1.0 { "mile" } else { "miles" };
    format!("{whole_miles:.0} {unit} ({whole_km:.0} km)")
}

/// `"https://www.leedsth.nhs.uk/services/radiology/"` as `["www.", "leedsth.", "nhs.", "uk/",
/// "services/", "radiology"]`: the scheme and a final `/` left out, a break allowed after each
/// `/` and `.`.
fn web_address_parts(url: &str) -> Vec<String> {
    let shown = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let shown = shown.strip_suffix('/').unwrap_or(shown);
    let mut parts = Vec::new();
    let mut current = String::new();
    for c in shown.chars() {
        current.push(c);
        if matches!(c, '/' | '.' | '?' | '&' | '-') {
            parts.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The query parameters of a search, as sent.
#[derive(Debug, Default)]
struct RawSearch {
    q: Option<String>,
    procedure: Option<String>,
    emergency: Option<String>,
    radius: Option<String>,
    page: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
}

impl RawSearch {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut raw = Self::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "q" => &mut raw.q,
                "procedure" => &mut raw.procedure,
                "emergency" => &mut raw.emergency,
                "radius" => &mut raw.radius,
                "page" => &mut raw.page,
                "lat" => &mut raw.lat,
                "lon" => &mut raw.lon,
                // Other parameters (tracking tags, say) are ignored.
                _ => continue,
            };
            // The first of a repeated parameter counts, as in a browser's own form handling.
            slot.get_or_insert(value);
        }
        raw
    }
}

/// The search form's parameters, checked.
struct Checked {
    form: SearchForm,
    /// A bad request: a value our form cannot send. Shown with the form, status 400.
    bad_request: bool,
    origin: Option<Origin>,
    page: usize,
}

/// Where to search from.
enum Origin {
    Typed(String),
    Coordinates(geo::LatLon),
}

fn check(raw: RawSearch, library: &Library) -> Checked {
    let mut form = SearchForm::default();
    let mut bad_request = false;

    form.procedure = raw.procedure.unwrap_or_default().trim().to_string();
    if !form.procedure.is_empty() && library.procedure(&form.procedure).is_none() {
        form.error(
            "procedure",
            "Choose a procedure from the list, or choose \u{201c}Any procedure\u{201d}",
        );
        form.procedure.clear();
        bad_request = true;
    }

    form.emergency_only = raw
        .emergency
        .is_some_and(|v| !matches!(v.trim(), "" | "no" | "0" | "false" | "off"));

    match raw.radius.as_deref().map(str::trim) {
        None | Some("") => {}
        Some(text) => match text.parse::<u32>() {
            Ok(radius) if RADII.contains(&radius) => form.radius = radius,
            _ => {
                form.error("radius", "Choose a distance from the list");
                bad_request = true;
            }
        },
    }

    let page = match raw.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                bad_request = true;
                form.errors.push(FormError {
                    field: "q",
                    message: "That page of results does not exist. Search again.".to_string(),
                });
                1
            }
        },
    };

    let mut origin = None;
    let typed = raw.q.as_deref().map(str::trim).unwrap_or_default();
    let typed_chars = typed.chars().count();
    if typed_chars > MAX_PLACE_CHARS {
        form.error(
            "q",
            format!("Postcode or town must be {MAX_PLACE_CHARS} characters or fewer"),
        );
        form.q = typed.chars().take(MAX_PLACE_CHARS).collect();
        bad_request = true;
    } else if !typed.chars().all(allowed_in_place) {
        form.error(
            "q",
            "Postcode or town must only include letters, numbers, spaces, hyphens and apostrophes",
        );
        form.q = typed.chars().filter(|c| allowed_in_place(*c)).collect();
        bad_request = true;
    } else {
        form.q = typed.to_string();
    }

    let coordinates = match (raw.lat.as_deref(), raw.lon.as_deref()) {
        (None, None) => None,
        (lat, lon) => {
            let read = lat
                .zip(lon)
                .and_then(|(lat, lon)| read_coordinates(lat, lon));
            if read.is_none() {
                form.error(
                    "q",
                    "Your location could not be read. Enter a postcode or town instead.",
                );
                bad_request = true;
            }
            read
        }
    };

    if form.errors.is_empty() {
        if !form.q.is_empty() {
            origin = Some(Origin::Typed(form.q.clone()));
        } else if let Some(point) = coordinates {
            if point.is_in_uk() {
                origin = Some(Origin::Coordinates(point));
            } else {
                form.error(
                    "q",
                    "Your location seems to be outside the UK. Enter a UK postcode or town instead.",
                );
            }
        } else if raw.q.is_some() {
            form.error("q", "Enter a postcode or town");
        }
    }
    Checked {
        form,
        bad_request,
        origin,
        page,
    }
}

/// The point the browser gave, when both figures are finite numbers.
fn read_coordinates(lat: &str, lon: &str) -> Option<geo::LatLon> {
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    (lat.is_finite() && lon.is_finite()).then(|| geo::LatLon::new(lat, lon))
}

/// Letters (in any alphabet, for Welsh and Gaelic names), digits, spaces and the punctuation
/// found in UK place names.
fn allowed_in_place(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c,
            ' ' | '-' | '\'' | '\u{2019}' | '.' | ',' | '&' | '(' | ')'
        )
}

/// `/find`: the form alone (pre-rendered), or a search and its results.
async fn find(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let site = state.site();
    let query = uri.query().unwrap_or_default();
    if query.is_empty() {
        return match site.page(FIND_PATH) {
            Some(page) => page.respond(StatusCode::OK, &headers),
            None => AppError::NotFound.into_response(),
        };
    }
    let library = &site.library;
    let (checked, unreadable) = if query.len() > MAX_QUERY_BYTES {
        (check(RawSearch::default(), library), true)
    } else {
        match Query::<Vec<(String, String)>>::try_from_uri(&uri) {
            Ok(Query(pairs)) => (check(RawSearch::from_pairs(pairs), library), false),
            Err(_) => (check(RawSearch::default(), library), true),
        }
    };
    let mut checked = checked;
    if unreadable {
        checked.form.error(
            "q",
            "Sorry, we could not read that search. Please try again using the form.",
        );
        checked.bad_request = true;
    }
    let status = if checked.bad_request {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match render_search(
        &state.0.config,
        site.stylesheet(),
        site.asset_url(LOCATION_SCRIPT),
        library,
        &site.finder,
        checked,
    ) {
        // A search names where someone lives: no shared cache may keep it.
        Ok(html) => private_html(status, html),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Runs a checked search and renders the form with its results or its problems.
fn render_search(
    config: &SiteConfig,
    stylesheet: &str,
    location_script: Option<&str>,
    library: &Library,
    finder: &Finder,
    checked: Checked,
) -> Result<String, askama::Error> {
    let Checked {
        mut form,
        origin,
        page,
        ..
    } = checked;
    let gazetteer = &finder.gazetteer;
    let place = match origin {
        Some(Origin::Coordinates(point)) => Some(Place {
            label: "your location".to_string(),
            point,
            precision: Precision::Coordinates,
        }),
        Some(Origin::Typed(text)) => match gazetteer.lookup(&text) {
            Lookup::Found(place) => Some(place),
            Lookup::UnknownPostcode(postcode) => {
                form.error(
                    "q",
                    format!(
                        "We could not find the postcode {postcode}. Check it and try again, or enter a town instead"
                    ),
                );
                None
            }
            Lookup::MalformedPostcode => {
                form.error(
                    "q",
                    "Enter a real postcode, like LS6 3EX, or the name of a town",
                );
                None
            }
            Lookup::UnknownTown(suggestions) => {
                form.error(
                    "q",
                    format!(
                        "We could not find a place called \u{201c}{text}\u{201d}. Check the spelling, or enter a postcode instead"
                    ),
                );
                form.suggestions = suggestions
                    .into_iter()
                    .map(|label| Suggestion {
                        href: search_link(&form, &label, form.radius, 1, None),
                        label,
                    })
                    .collect();
                None
            }
        },
        None => None,
    };
    let results = place
        .as_ref()
        .map(|place| search_results(library, finder, &form, place, page));
    let mut layout = match (&place, form.errors.is_empty()) {
        (Some(place), true) => Layout::new(
            config,
            stylesheet,
            FIND_PATH,
            format!("Results near {}", place.label),
        )
        .crumbs([Crumb::new(TITLE, FIND_PATH)]),
        _ => Layout::new(config, stylesheet, FIND_PATH, TITLE).crumbs([]),
    };
    if !form.errors.is_empty() {
        layout = layout.with_errors();
    }
    let template = FindTemplate {
        layout: layout.describe(DESCRIPTION).noindex(),
        location_script: location_script.map(str::to_string),
        sample: finder.directory.has_samples(),
        procedures: procedure_options(library),
        radii: RADII,
        results,
        nations: nation_groups(finder),
        form,
    };
    template.render()
}

fn search_results<'a>(
    library: &Library,
    finder: &'a Finder,
    form: &SearchForm,
    place: &Place,
    page: usize,
) -> ResultsView<'a> {
    let directory = &finder.directory;
    let procedure = (!form.procedure.is_empty()).then_some(form.procedure.as_str());
    let found = directory.search(&Search {
        origin: place.point,
        procedure,
        emergency_only: form.emergency_only,
        radius_miles: f64::from(form.radius),
    });
    let beyond_radius = found.within.is_empty();
    let hits = if beyond_radius {
        &found.nearest_beyond
    } else {
        &found.within
    };
    let total = hits.len();
    let page_count = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.min(page_count);
    let start = (page - 1) * PAGE_SIZE;
    let shown = &hits[start.min(total)..(start + PAGE_SIZE).min(total)];
    let cards = shown
        .iter()
        .map(|hit| {
            entry_card(
                library,
                &directory.entries()[hit.entry],
                Some(hit.distance_km),
                procedure,
            )
        })
        .collect();

    let (one, many) = describe_filters(library, form);
    let place_label = &place.label;
    let radius = form.radius;
    let heading = match (beyond_radius, total) {
        (true, _) => format!("No {many} within {radius} miles of {place_label}"),
        (false, 1) => format!("1 {one} within {radius} miles of {place_label}"),
        (false, n) => format!("{n} {many} within {radius} miles of {place_label}"),
    };
    let precision_note = match &place.precision {
        Precision::District(district) => format!(
            "Distances are in a straight line from the middle of the {district} postcode district. The journey by road is usually longer."
        ),
        Precision::Area { code, name } => format!(
            "We do not hold exact locations for postcodes, so distances are in a straight line from the middle of the {code} postcode area ({name}). Your own distance may be a few miles more or less. The journey by road is usually longer."
        ),
        Precision::Town => format!(
            "Distances are in a straight line from the centre of {place_label}. The journey by road is usually longer."
        ),
        Precision::County { town } => format!(
            "{place_label} is a large area, so distances are in a straight line from {town}, its county town. Yours may be many miles more or less: for a closer answer, search by your postcode or town. The journey by road is usually longer."
        ),
        Precision::Coordinates => "Distances are in a straight line from the location your device gave. The journey by road is usually longer.".to_string(),
    };
    let coordinates = (place.precision == Precision::Coordinates).then_some(place.point);
    let link = |radius: u32, page: usize| search_link(form, &form.q, radius, page, coordinates);
    let pages: Vec<PageLink> = if page_count > 1 {
        (1..=page_count)
            .map(|number| PageLink {
                number,
                href: link(radius, number),
                current: number == page,
            })
            .collect()
    } else {
        Vec::new()
    };
    let widest = RADII[RADII.len() - 1];
    ResultsView {
        heading,
        precision_note,
        nothing_matches: total == 0,
        beyond_radius,
        wider_href: (beyond_radius && radius < widest && total > 0).then(|| link(widest, 1)),
        showing: if total == 0 {
            String::new()
        } else if beyond_radius {
            format!("The nearest {} further away", shown.len())
        } else {
            format!(
                "Showing {} to {} of {total}",
                start + 1,
                start + shown.len()
            )
        },
        previous: (page > 1).then(|| link(radius, page - 1)),
        next: (page < page_count).then(|| link(radius, page + 1)),
        pages,
        cards,
    }
}

/// "services offering angioplasty with 24/7 emergency cover", in the singular and plural.
fn describe_filters(library: &Library, form: &SearchForm) -> (String, String) {
    let mut filters = String::new();
    if let Some(sheet) = library.procedure(&form.procedure) {
        filters.push_str(" offering ");
        filters.push_str(&lower_first(&sheet.meta.title));
    }
    if form.emergency_only {
        filters.push_str(" with 24/7 emergency cover");
    }
    (format!("service{filters}"), format!("services{filters}"))
}

/// "Angioplasty" becomes "angioplasty", but "TIPS (...)" keeps its capitals.
fn lower_first(title: &str) -> String {
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(title.chars().skip(1)).collect()
        }
        _ => title.to_string(),
    }
}

/// The address of a search with the form's filters, from `q` (or from coordinates).
fn search_link(
    form: &SearchForm,
    q: &str,
    radius: u32,
    page: usize,
    coordinates: Option<geo::LatLon>,
) -> String {
    let radius = radius.to_string();
    let page = page.to_string();
    let (lat, lon) = coordinates
        .map(|p| (format!("{:.2}", p.lat), format!("{:.2}", p.lon)))
        .unwrap_or_default();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if coordinates.is_some() && q.is_empty() {
        pairs.push(("lat", &lat));
        pairs.push(("lon", &lon));
    } else {
        pairs.push(("q", q));
    }
    if !form.procedure.is_empty() {
        pairs.push(("procedure", &form.procedure));
    }
    if form.emergency_only {
        pairs.push(("emergency", "yes"));
    }
    pairs.push(("radius", &radius));
    if page != "1" {
        pairs.push(("page", &page));
    }
    search_href(&pairs)
}

/// `/find?` with these parameters, encoded as a browser encodes a form.
fn search_href(pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{FIND_PATH}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_like_a_browser() {
        assert_eq!(
            search_href(&[("place", "LS6 3EX"), ("page", "2")]),
            "/find?place=LS6+3EX&page=2"
        );
        assert_eq!(
            search_href(&[("place", "King's Lynn & <x>")]),
            "/find?place=King%27s+Lynn+%26+%3Cx%3E"
        );
        assert_eq!(
            search_href(&[("place", "Ynys Môn")]),
            "/find?place=Ynys+M%C3%B4n"
        );
        let form = SearchForm {
            procedure: "angioplasty".into(),
            emergency_only: true,
            ..SearchForm::default()
        };
        assert_eq!(
            search_link(&form, "Leeds", 25, 2, None),
            "/find?q=Leeds&procedure=angioplasty&emergency=yes&radius=25&page=2"
        );
        assert_eq!(
            search_link(&form, "", 50, 1, Some(geo::LatLon::new(53.8123, -1.5555))),
            "/find?lat=53.81&lon=-1.56&procedure=angioplasty&emergency=yes&radius=50"
        );
    }

    #[test]
    fn web_addresses_break_after_slashes_and_dots() {
        let cases = [
            (
                "https://www.leedsth.nhs.uk/services/radiology/",
                vec!["www.", "leedsth.", "nhs.", "uk/", "services/", "radiology"],
            ),
            ("http://example.org", vec!["example.", "org"]),
            ("https://a.uk/x-ray", vec!["a.", "uk/", "x-", "ray"]),
        ];
        for (url, expected) in cases {
            assert_eq!(web_address_parts(url), expected, "{url}");
        }
    }

    #[test]
    fn distances_read_naturally() {
        let cases = [
            (0.0, "less than 1 mile"),
            (1.0, "less than 1 mile"),
            (1.7, "1 mile (2 km)"),
            (2.0921, "1 mile (2 km)"),
            (5.2, "3 miles (5 km)"),
            (57.9, "36 miles (58 km)"),
        ];
        for (km, expected) in cases {
            assert_eq!(format_distance(km), expected, "{km}");
        }
    }

    #[test]
    fn titles_are_lowered_only_when_they_are_not_abbreviations() {
        assert_eq!(lower_first("Angioplasty"), "angioplasty");
        assert_eq!(lower_first("TIPS (transjugular)"), "TIPS (transjugular)");
        assert_eq!(lower_first("PICC line"), "PICC line");
    }

    #[test]
    fn place_characters() {
        for ok in [
            "LS6 3EX",
            "King's Lynn",
            "Stoke-on-Trent",
            "Ynys Môn",
            "St. Albans",
            "Leeds, West Yorkshire",
        ] {
            assert!(ok.chars().all(allowed_in_place), "{ok}");
        }
        for bad in ["<script>", "Leeds;", "a\u{0}b", "50%", "x=1", "Leeds\n"] {
            assert!(!bad.chars().all(allowed_in_place), "{bad}");
        }
    }
}
