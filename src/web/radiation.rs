//! Radiation doses as patients can see and compare them: the panel on each procedure sheet, the
//! table and chart at `/radiation/doses` (rendered once, with the site) and the comparison page at
//! `/radiation/compare` (rendered per request from the chosen entries).
//!
//! Every phrase comes from [`crate::radiation`] applied to the one table of doses in the
//! [`Library`]; the charts are inline SVG built here, so they need no JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::AppError;
use super::pages::private_html;
pub use super::views::DoseFacts;
use super::views::{Crumb, Layout, RadiationPanel};
use crate::config::{RadiationSettings, SiteConfig};
use crate::content::citations::source_anchor;
use crate::content::front_matter::XRays;
use crate::content::{DoseEntry, DoseGroup, DoseTable, Library, ProcedureSheet};
use crate::radiation::{self, RiskBand};

/// The fewest and most entries the comparison page compares.
pub const COMPARE_MIN: usize = 2;
pub const COMPARE_MAX: usize = 4;

/// Familiar exams a procedure's panel offers to compare it with, when the table has them.
const FAMILIAR_EXAMS: [&str; 2] = ["chest-x-ray", "ct-abdomen-pelvis"];

/// Routes for the pages that depend on the request. (`/radiation/doses` is pre-rendered.)
pub fn router() -> Router<AppState> {
    Router::new().route("/radiation/compare", get(compare))
}

impl DoseFacts {
    pub fn new(entry: &DoseEntry, table: &DoseTable, settings: &RadiationSettings) -> Self {
        let source_short = table
            .source(&entry.source)
            .map_or_else(|| entry.source.clone(), |s| s.short.clone());
        Self {
            id: entry.id.clone(),
            name: entry.name.clone(),
            note: entry.note.clone(),
            href: entry
                .procedure
                .as_ref()
                .map(|slug| format!("/procedures/{slug}")),
            msv: dose_figure(entry),
            label: if entry.msv.is_some() {
                "Typical dose"
            } else {
                "Typical range"
            },
            background: background_phrase(entry, settings.annual_background_msv),
            band: RiskBand::for_dose(
                entry.msv.unwrap_or(entry.highest_msv()),
                settings.risk_per_sievert,
            ),
            source_short,
            source_anchor: source_anchor(&entry.source),
        }
    }
}

/// An entry's dose as its source gives it, without the unit: "12", "5 to 50", or
/// "20 (range 5 to 50)".
pub fn dose_figure(entry: &DoseEntry) -> String {
    match (entry.msv, entry.range) {
        (Some(msv), None) => radiation::trim_number(msv),
        (None, Some((low, high))) => format!(
            "{} to {}",
            radiation::trim_number(low),
            radiation::trim_number(high)
        ),
        (Some(msv), Some((low, high))) => format!(
            "{} (range {} to {})",
            radiation::trim_number(msv),
            radiation::trim_number(low),
            radiation::trim_number(high)
        ),
        (None, None) => String::new(),
    }
}

/// The background comparison of an entry: of its typical dose, or of both ends of its range.
fn background_phrase(entry: &DoseEntry, annual_background_msv: f64) -> String {
    match (entry.msv, entry.range) {
        (Some(msv), _) => radiation::background_equivalent(msv, annual_background_msv),
        (None, Some((low, high))) => format!(
            "from {} to {}",
            radiation::background_equivalent(low, annual_background_msv),
            radiation::background_equivalent(high, annual_background_msv)
        ),
        (None, None) => String::new(),
    }
}

/// The radiation panel of a procedure sheet: computed from the table when it has the procedure.
pub fn panel(sheet: &ProcedureSheet<'_>, library: &Library, config: &SiteConfig) -> RadiationPanel {
    let table = &library.doses;
    let entry = table.for_procedure(&sheet.slug);
    let compare = entry.and_then(|entry| {
        let others: Vec<&DoseEntry> = FAMILIAR_EXAMS
            .iter()
            .filter_map(|id| table.entry(id))
            .filter(|other| other.id != entry.id)
            .collect();
        (!others.is_empty()).then(|| {
            let names: Vec<String> = others.iter().map(|o| lower_first(&o.name)).collect();
            (
                compare_query(
                    std::iter::once(entry.id.as_str()).chain(others.iter().map(|o| o.id.as_str())),
                ),
                format!("Compare this dose with a {}", names.join(" and a ")),
            )
        })
    });
    RadiationPanel {
        uses_x_rays: match sheet.front.x_rays {
            XRays::Yes => "yes",
            XRays::Sometimes => "sometimes",
            XRays::No => "no",
        },
        dose: entry.map(|e| DoseFacts::new(e, table, &config.radiation)),
        compare,
    }
}

/// `/radiation/compare?items=a&items=b`: the address of a comparison.
pub fn compare_query<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let query: Vec<String> = ids.into_iter().map(|id| format!("items={id}")).collect();
    format!("/radiation/compare?{}", query.join("&"))
}

/// A logarithmic scale shared by every chart, so that bars of the same dose are the same length on
/// every page.
#[derive(Debug, Clone, Copy)]
pub struct LogScale {
    /// Powers of ten at the left and right ends.
    low_exponent: i32,
    high_exponent: i32,
}

impl LogScale {
    /// A scale from a decade below the lowest dose (so the smallest bar is still visible) to the
    /// decade at or above the highest.
    pub fn for_range(min_msv: f64, max_msv: f64) -> Self {
        let low = min_msv.max(1e-6).log10().floor() as i32 - 1;
        let high = (max_msv.max(1e-6).log10().ceil() as i32).max(low + 2);
        Self {
            low_exponent: low,
            high_exponent: high,
        }
    }

    /// The scale for everything in `table`.
    pub fn for_table(table: &DoseTable) -> Self {
        let (min, max) = table.range().unwrap_or((0.01, 100.0));
        Self::for_range(min, max)
    }

    /// Where `msv` falls, from 0 (left end) to 1 (right end).
    pub fn position(self, msv: f64) -> f64 {
        let span = f64::from(self.high_exponent - self.low_exponent);
        ((msv.max(1e-12).log10() - f64::from(self.low_exponent)) / span).clamp(0.0, 1.0)
    }
}

/// The geometry of a bar chart, in SVG user units; `_dose_chart.html` draws it.
///
/// The chart is drawn at the width it has on a 320 px phone (288 px: the screen less the page's
/// margins), so one user unit is one CSS pixel there and the smallest text is 14 px. Each dose has
/// a row for its name and a row for its bar and value; grid lines and the dashed reference line
/// are drawn only in the bar rows, and never through a value, so no line crosses any text. The
/// reference line is named in a key at the top of the chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Unique on the page; prefixes the ids of the title and description.
    pub id: String,
    pub title: String,
    pub description: String,
    pub width: u32,
    pub height: u32,
    /// The y of the scale's labels above and below the rows.
    pub top_labels_y: u32,
    pub bottom_labels_y: u32,
    pub ticks: Vec<ChartTick>,
    /// Pieces of the grid lines, between the texts.
    pub grid: Vec<ChartLine>,
    /// Pieces of the dashed line at a year of natural background, if it is on the scale.
    pub reference: Vec<ChartLine>,
    /// The key naming the dashed line: its two lines of text.
    pub reference_key: Option<(String, String)>,
    pub bars: Vec<ChartBar>,
}

/// A grid line's label at a power of ten.
#[derive(Debug, Clone)]
pub struct ChartTick {
    pub x: String,
    /// Empty for the line at the left end, which needs no label.
    pub label: String,
    pub anchor: &'static str,
}

/// A vertical piece of line.
#[derive(Debug, Clone)]
pub struct ChartLine {
    pub x: String,
    pub y1: u32,
    pub y2: u32,
}

/// One bar, with its label above it and its value after it (or inside the end of the bar or of
/// its range box, when the value does not fit after it, or under it when it fits nowhere else).
#[derive(Debug, Clone)]
pub struct ChartBar {
    pub label: String,
    pub value: String,
    pub label_y: u32,
    pub bar_y: u32,
    pub bar_width: String,
    /// For an entry with a range: where the outlined box from its lowest to its highest dose
    /// starts, and its width.
    pub range: Option<(String, String)>,
    pub value_x: String,
    pub value_y: u32,
    /// `chart-text`, or `chart-value-inside` for a value written inside the solid bar.
    pub value_class: &'static str,
    /// The value's `text-anchor`: `start`, or `end` for a value inside the end of a bar or box.
    pub value_anchor: &'static str,
}

/// Where a bar's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValuePlace {
    /// After the end of the bar, or of its range box.
    After,
    /// Inside the end of the solid bar, in the bar's text colour.
    InsideBar,
    /// Inside the end of the range box, past the solid bar.
    InsideRange,
    /// On a row of its own under the bar, when it fits nowhere in the bar's row.
    Below,
}

const CHART_WIDTH: u32 = 288;
const BAR_AREA: f64 = 272.0;
const KEY_HEIGHT: u32 = 44;
const SCALE_HEIGHT: u32 = 26;
const LABEL_ROW: u32 = 22;
const BAR_HEIGHT: u32 = 22;
const ROW_GAP: u32 = 10;
/// The extra row under a bar whose value fits nowhere beside it. Its text's baseline is at the
/// row's foot, so that even a font with tall ascenders (Noto Sans, Android's Roboto) keeps the
/// text clear of the lines that end just under the bar.
const VALUE_ROW: u32 = 24;
const VALUE_SIZE: f64 = 15.0;
/// A bar is never thinner than this, so even the smallest dose is visible.
const MIN_BAR: f64 = 2.0;

/// A generous width for bold text of `size` px: wider than the real text, so that a line left
/// out for it never touches it.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.75
}

/// Lays out a chart of `entries`, in the order given. `alternative` ends the description by
/// saying where the same figures are written out, such as "The table below gives the same
/// figures."
pub fn bar_chart(
    id: &str,
    title: &str,
    alternative: &str,
    entries: &[&DoseEntry],
    scale: LogScale,
    settings: &RadiationSettings,
) -> BarChart {
    let units = |x: f64| format!("{:.1}", x);
    let background = settings.annual_background_msv;
    let position = scale.position(background);
    let reference_at = (position > 0.0 && position < 1.0).then_some(position * BAR_AREA);
    let key_height = if reference_at.is_some() {
        KEY_HEIGHT
    } else {
        0
    };
    let rows_top = key_height + SCALE_HEIGHT;
    let row_height = LABEL_ROW + BAR_HEIGHT + ROW_GAP;
    let tick_xs: Vec<(i32, f64)> = (scale.low_exponent..=scale.high_exponent)
        .map(|exponent| (exponent, scale.position(10f64.powi(exponent)) * BAR_AREA))
        .collect();
    let mut grid = Vec::new();
    let mut reference = Vec::new();
    let mut next_top = rows_top;
    let bars: Vec<ChartBar> = entries
        .iter()
        .map(|entry| {
            let top = next_top;
            let bar_y = top + LABEL_ROW;
            // The solid bar ends at the typical dose, or, for a range alone, at its lowest dose;
            // a range is drawn as an outlined box from its lowest to its highest dose.
            let solid = entry.msv.unwrap_or(entry.lowest_msv());
            let width = (scale.position(solid) * BAR_AREA).max(MIN_BAR);
            let range = entry.range.map(|(low, high)| {
                let start = scale.position(low) * BAR_AREA;
                let end = scale.position(high) * BAR_AREA;
                (start, (end - start).max(1.0))
            });
            let end = range.map_or(width, |(start, span)| width.max(start + span));
            let value = match entry.range {
                Some((low, high)) => format!(
                    "{} to {} mSv",
                    radiation::trim_number(low),
                    radiation::trim_number(high)
                ),
                None => format!("{} mSv", dose_figure(entry)),
            };
            let value_width = text_width(&value, VALUE_SIZE);
            // After the bar if it fits; else inside the end of the solid bar; else inside the
            // end of the range box, past the solid bar; else on a row of its own under the bar.
            let place = if end + 5.0 + value_width <= f64::from(CHART_WIDTH) {
                ValuePlace::After
            } else if width - 5.0 - value_width >= 0.0 {
                ValuePlace::InsideBar
            } else if range.is_some() && end - 5.0 - value_width >= width + 3.0 {
                ValuePlace::InsideRange
            } else {
                ValuePlace::Below
            };
            let (value_x, value_span) = match place {
                ValuePlace::After => (end + 5.0, Some((end, end + 5.0 + value_width))),
                ValuePlace::InsideBar => (width - 5.0, Some((width - 5.0 - value_width, width))),
                ValuePlace::InsideRange => (end - 5.0, Some((end - 5.0 - value_width, end))),
                ValuePlace::Below => (2.0, None),
            };
            // Lines run through the bar row only, and stop short of a value written there.
            let clear =
                |x: f64| value_span.is_none_or(|(left, right)| x < left - 3.0 || x > right + 3.0);
            let (y1, y2) = (bar_y, bar_y + BAR_HEIGHT + 2);
            for &(_, x) in &tick_xs {
                if clear(x) {
                    grid.push(ChartLine {
                        x: units(x),
                        y1,
                        y2,
                    });
                }
            }
            if let Some(x) = reference_at.filter(|&x| clear(x)) {
                reference.push(ChartLine {
                    x: units(x),
                    y1,
                    y2,
                });
            }
            let value_y = if place == ValuePlace::Below {
                bar_y + BAR_HEIGHT + VALUE_ROW
            } else {
                bar_y + 16
            };
            next_top += row_height
                + if place == ValuePlace::Below {
                    VALUE_ROW
                } else {
                    0
                };
            ChartBar {
                label: entry.name.clone(),
                value,
                label_y: top + 16,
                bar_y,
                bar_width: units(width),
                range: range.map(|(start, span)| (units(start), units(span))),
                value_x: units(value_x),
                value_y,
                value_class: if place == ValuePlace::InsideBar {
                    "chart-value-inside"
                } else {
                    "chart-text"
                },
                value_anchor: match place {
                    ValuePlace::InsideBar | ValuePlace::InsideRange => "end",
                    ValuePlace::After | ValuePlace::Below => "start",
                },
            }
        })
        .collect();
    let rows_bottom = next_top;
    let height = rows_bottom + SCALE_HEIGHT - ROW_GAP + 4;
    let ticks = scale_ticks(scale, &tick_xs);
    let reference_key = reference_at.map(|_| {
        (
            "Dashed line: a year of natural".to_string(),
            format!(
                "background radiation ({} mSv)",
                radiation::trim_number(background)
            ),
        )
    });
    let mut description = chart_description(entries, settings, reference_at.is_some());
    description.push(' ');
    description.push_str(alternative);
    BarChart {
        id: id.to_string(),
        title: title.to_string(),
        description,
        width: CHART_WIDTH,
        height,
        top_labels_y: key_height + 18,
        bottom_labels_y: rows_bottom + 12,
        ticks,
        grid,
        reference,
        reference_key,
        bars,
    }
}

/// The scale's labels at each power of ten (`tick_xs`: each exponent and its x), the last one
/// ending at the right end. A label that would come within 4 units of the one after it is left
/// out (its grid line stays), so that on a scale of many decades "100" and "1000" never run
/// together; the right end keeps its label.
fn scale_ticks(scale: LogScale, tick_xs: &[(i32, f64)]) -> Vec<ChartTick> {
    // Digits are a little over half the 14 px text size, points about a quarter; generous.
    let width = |label: &str| -> f64 {
        label
            .chars()
            .map(|c| if c == '.' { 4.5 } else { 8.5 })
            .sum()
    };
    let mut next_left = f64::INFINITY;
    let mut ticks: Vec<ChartTick> = tick_xs
        .iter()
        .rev()
        .map(|&(exponent, x)| {
            let last = exponent == scale.high_exponent;
            let mut label = if exponent == scale.low_exponent {
                String::new()
            } else {
                decade_label(exponent)
            };
            let w = width(&label);
            let (left, right) = if last {
                (x - w, x)
            } else {
                (x - w / 2.0, x + w / 2.0)
            };
            if !label.is_empty() {
                if right + 4.0 > next_left {
                    label.clear();
                } else {
                    next_left = left;
                }
            }
            ChartTick {
                x: format!("{:.1}", x),
                label,
                anchor: if last { "end" } else { "middle" },
            }
        })
        .collect();
    ticks.reverse();
    ticks
}

/// "0.001", "1", "100": the value at a power of ten, written out.
fn decade_label(exponent: i32) -> String {
    if exponent >= 0 {
        format!("{}", 10u64.pow(exponent as u32))
    } else {
        format!("{:.*}", (-exponent) as usize, 10f64.powi(exponent))
    }
}

fn chart_description(
    entries: &[&DoseEntry],
    settings: &RadiationSettings,
    has_reference: bool,
) -> String {
    let lowest = entries
        .iter()
        .min_by(|a, b| a.sort_msv().total_cmp(&b.sort_msv()));
    let highest = entries
        .iter()
        .max_by(|a, b| a.sort_msv().total_cmp(&b.sort_msv()));
    let mut text = match (lowest, highest) {
        (Some(low), Some(high)) if entries.len() > 1 => format!(
            "{} bars on a logarithmic scale, where each grid line is ten times the one before. \
             The lowest dose is {} at {} mSv; the highest is {} at {} mSv.",
            entries.len(),
            low.name,
            dose_figure(low),
            high.name,
            dose_figure(high),
        ),
        (Some(only), _) => format!(
            "One bar on a logarithmic scale: {} at {} mSv.",
            only.name,
            dose_figure(only)
        ),
        _ => "No doses to show.".to_string(),
    };
    if has_reference {
        text.push_str(&format!(
            " A dashed line marks {} mSv, about one year of natural background radiation.",
            radiation::trim_number(settings.annual_background_msv)
        ));
    }
    text
}

/// One group of the table at `/radiation/doses`: its chart and its rows, lowest dose first.
#[derive(Debug, Clone)]
pub struct DoseGroupView {
    pub id: String,
    pub heading: String,
    pub chart: BarChart,
    pub rows: Vec<DoseFacts>,
}

/// A risk band and whether UKHSA defines it, for the key on the doses page.
#[derive(Debug, Clone)]
pub struct BandKey {
    pub label: &'static str,
    pub range: &'static str,
    pub ukhsa: bool,
}

/// What both radiation pages say about how the figures are worked out.
#[derive(Debug, Clone)]
pub struct Method {
    pub background_msv: String,
    pub background_source: String,
    /// "5%".
    pub risk_percent: String,
    pub risk_source: String,
    pub bands: Vec<BandKey>,
}

impl Method {
    fn new(settings: &RadiationSettings) -> Self {
        Self {
            background_msv: radiation::trim_number(settings.annual_background_msv),
            background_source: settings.background_source.clone(),
            risk_percent: format!(
                "{}%",
                radiation::trim_number((settings.risk_per_sievert * 1000.0).round() / 10.0)
            ),
            risk_source: settings.risk_source.clone(),
            bands: RiskBand::ALL
                .iter()
                .map(|b| BandKey {
                    label: b.label(),
                    range: b.range(),
                    ukhsa: b.is_ukhsa_band(),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "radiation_doses.html")]
pub struct DosesTemplate<'a> {
    pub layout: Layout,
    pub groups: Vec<DoseGroupView>,
    pub table: &'a DoseTable,
    pub method: Method,
}

/// The page at `/radiation/doses`, rendered once with the site.
pub fn doses_page<'a>(
    library: &'a Library,
    config: &SiteConfig,
    stylesheet: &str,
) -> DosesTemplate<'a> {
    let table = &library.doses;
    let scale = LogScale::for_table(table);
    let groups = DoseGroup::ALL
        .iter()
        .filter_map(|group| {
            let entries: Vec<&DoseEntry> = table.group(*group).collect();
            (!entries.is_empty()).then(|| DoseGroupView {
                id: group.anchor().to_string(),
                heading: group.label().to_string(),
                chart: bar_chart(
                    &format!("chart-{}", group.anchor()),
                    &format!("Typical doses: {}", group.label()),
                    "The table below gives the same figures.",
                    &entries,
                    scale,
                    &config.radiation,
                ),
                rows: entries
                    .iter()
                    .map(|e| DoseFacts::new(e, table, &config.radiation))
                    .collect(),
            })
        })
        .collect();
    DosesTemplate {
        layout: Layout::new(config, stylesheet, "/radiation/doses", "Typical radiation doses")
            .describe(
                "Typical radiation doses from X-rays, CT scans, nuclear medicine scans and interventional radiology, compared with natural background radiation.",
            )
            .crumbs([Crumb::new("Radiation", "/radiation")]),
        groups,
        table,
        method: Method::new(&config.radiation),
    }
}

/// A checkbox on the comparison form.
#[derive(Debug, Clone)]
pub struct CompareOption {
    pub id: String,
    pub name: String,
    pub msv: String,
    pub checked: bool,
}

/// The checkboxes of one group.
#[derive(Debug, Clone)]
pub struct CompareGroup {
    pub id: String,
    pub heading: String,
    pub options: Vec<CompareOption>,
}

#[derive(Template)]
#[template(path = "radiation_compare.html")]
pub struct CompareTemplate {
    pub layout: Layout,
    /// What was wrong with the choice; shown in the error summary and by the checkboxes.
    pub error: Option<String>,
    /// The id of the first checkbox, for the error summary's link.
    pub first_option: String,
    pub groups: Vec<CompareGroup>,
    /// The chosen entries, lowest dose first; empty until a valid choice is made.
    pub results: Vec<DoseFacts>,
    pub chart: Option<BarChart>,
    /// Each chosen item above the lowest, compared with the lowest: "‘CT scan’ gives about 500
    /// times the dose of ‘Chest X-ray’."
    pub summary: Vec<String>,
    /// The full address of this comparison, to share.
    pub share_url: Option<String>,
    pub method: Method,
}

/// Why a choice of entries cannot be compared, in words for the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceError {
    /// The address could not be read as a form at all.
    Unreadable,
    Unknown {
        count: usize,
    },
    TooFew,
    TooMany {
        count: usize,
    },
}

impl ChoiceError {
    pub fn message(&self) -> String {
        match self {
            Self::Unreadable => "We could not read the choice in the address. The link may be broken. Please choose again below.".to_string(),
            Self::Unknown { count: 1 } => "One of the tests in the address is not in our table. The link may be old or mistyped. Please choose again below.".to_string(),
            Self::Unknown { count } => format!(
                "{count} of the tests in the address are not in our table. The link may be old or mistyped. Please choose again below."
            ),
            Self::TooFew => format!(
                "Choose at least {COMPARE_MIN} tests or procedures to compare."
            ),
            Self::TooMany { count } => format!(
                "Choose no more than {COMPARE_MAX} tests or procedures. You chose {count}."
            ),
        }
    }
}

/// Checks the ids from the address: known, distinct, and between two and four of them. Returns
/// the known ids (in the order given) whatever happens, so the form can keep them ticked.
pub fn check_choice<'a>(
    table: &'a DoseTable,
    requested: &[String],
) -> (Vec<&'a DoseEntry>, Option<ChoiceError>) {
    let mut chosen: Vec<&DoseEntry> = Vec::new();
    let mut unknown = 0;
    for id in requested {
        match table.entry(id.trim()) {
            Some(entry) if !chosen.iter().any(|c| c.id == entry.id) => chosen.push(entry),
            Some(_) => {}
            None => unknown += 1,
        }
    }
    let error = if unknown > 0 {
        Some(ChoiceError::Unknown { count: unknown })
    } else if chosen.len() > COMPARE_MAX {
        Some(ChoiceError::TooMany {
            count: chosen.len(),
        })
    } else if chosen.len() < COMPARE_MIN {
        Some(ChoiceError::TooFew)
    } else {
        None
    };
    (chosen, error)
}

/// The most `items` values read from one address; more is certainly too many, and reading them
/// all would only cost time.
const MAX_ITEMS_READ: usize = 50;

/// `GET /radiation/compare`: the form, and the comparison when two to four entries are chosen.
async fn compare(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, AppError> {
    let site = state.site();
    let config = &state.0.config;
    let table = &site.library.doses;
    let (chosen, error) = match query {
        Ok(Query(pairs)) => {
            // The form sends `submitted`, so that sending it with nothing ticked is an error,
            // while the first visit (no query at all) is not.
            let submitted = pairs.iter().any(|(key, _)| key == "submitted");
            let requested: Vec<String> = pairs
                .into_iter()
                .filter(|(key, value)| key == "items" && !value.trim().is_empty())
                .map(|(_, value)| value)
                .take(MAX_ITEMS_READ)
                .collect();
            if requested.is_empty() && !submitted {
                (Vec::new(), None)
            } else {
                check_choice(table, &requested)
            }
        }
        Err(_) => (Vec::new(), Some(ChoiceError::Unreadable)),
    };
    let page = compare_page(table, config, site.stylesheet(), &chosen, error.as_ref());
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = page.render()?;
    if error.is_some() {
        Ok(private_html(status, html))
    } else {
        Ok((status, Html(html)).into_response())
    }
}

/// The comparison page for a choice (valid or not).
pub fn compare_page(
    table: &DoseTable,
    config: &SiteConfig,
    stylesheet: &str,
    chosen: &[&DoseEntry],
    error: Option<&ChoiceError>,
) -> CompareTemplate {
    let settings = &config.radiation;
    let mut sorted: Vec<&DoseEntry> = chosen.to_vec();
    sorted.sort_by(|a, b| a.sort_msv().total_cmp(&b.sort_msv()));
    let valid = error.is_none() && sorted.len() >= COMPARE_MIN;
    let results: Vec<DoseFacts> = if valid {
        sorted
            .iter()
            .map(|e| DoseFacts::new(e, table, settings))
            .collect()
    } else {
        Vec::new()
    };
    let chart = valid.then(|| {
        bar_chart(
            "chart-compare",
            "Typical doses compared",
            "The same figures are written out below the chart.",
            &sorted,
            LogScale::for_table(table),
            settings,
        )
    });
    // Every chosen item is compared with the lowest: with four chosen, three sentences.
    let summary: Vec<String> = match sorted.split_first() {
        Some((low, higher)) if valid => higher
            .iter()
            .map(|high| {
                let ratio = radiation::ratio_phrase(high.sort_msv(), low.sort_msv());
                // Names are quoted as labels, so no article ("a", "an") has to be guessed.
                if ratio == "about the same as" {
                    format!(
                        "‘{}’ and ‘{}’ give about the same dose.",
                        low.name, high.name
                    )
                } else {
                    format!("‘{}’ gives {ratio} the dose of ‘{}’.", high.name, low.name)
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let share_url = valid.then(|| {
        format!(
            "{}{}",
            config.site.base_url,
            compare_query(chosen.iter().map(|e| e.id.as_str()))
        )
    });
    let groups = DoseGroup::ALL
        .iter()
        .filter_map(|group| {
            let options: Vec<CompareOption> = table
                .group(*group)
                .map(|e| CompareOption {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    msv: dose_figure(e),
                    checked: chosen.iter().any(|c| c.id == e.id),
                })
                .collect();
            (!options.is_empty()).then(|| CompareGroup {
                id: group.anchor().to_string(),
                heading: group.label().to_string(),
                options,
            })
        })
        .collect::<Vec<_>>();
    // "Error:" goes before the <title> only, where screen readers announce it first; the
    // breadcrumb trail names the page as it always is.
    let mut layout = Layout::new(config, stylesheet, "/radiation/compare", "Compare radiation doses")
        .describe("Choose two to four X-rays, scans or procedures and compare their typical radiation doses side by side.")
        .crumbs([Crumb::new("Radiation", "/radiation")]);
    if error.is_some() {
        layout = layout.with_errors();
    }
    CompareTemplate {
        layout,
        error: error.map(ChoiceError::message),
        first_option: groups.first().and_then(|g| g.options.first()).map_or_else(
            || "compare-submit".to_string(),
            |o| format!("item-{}", o.id),
        ),
        groups,
        results,
        chart,
        summary,
        share_url,
        method: Method::new(settings),
    }
}

/// "Chest X-ray" as "chest X-ray", for use mid-sentence; names that start with an abbreviation
/// ("CT scan", "TIPS") are left alone.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            let mut out: String = first.to_lowercase().collect();
            out.push(second);
            out.extend(chars);
            out
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_a_decade_below_the_lowest_dose() {
        let scale = LogScale::for_range(0.001, 70.0);
        assert_eq!((scale.low_exponent, scale.high_exponent), (-4, 2));
        let cases = [
            (0.0001, 0.0),
            (0.001, 1.0 / 6.0),
            (1.0, 4.0 / 6.0),
            (100.0, 1.0),
            (1e6, 1.0),
            (0.0, 0.0),
        ];
        for (msv, expected) in cases {
            assert!(
                (scale.position(msv) - expected).abs() < 1e-12,
                "{msv}: {}",
                scale.position(msv)
            );
        }
    }

    #[test]
    fn scale_labels_never_run_together_and_the_right_end_keeps_its_label() {
        // Seven decades in 272 units, about 39 apart: "100" would touch "1000" at the right end.
        // The labels of the ticks at the decades `exponents` on `scale`.
        let labels = |scale: LogScale, exponents: std::ops::RangeInclusive<i32>| -> Vec<String> {
            let tick_xs: Vec<(i32, f64)> = exponents
                .map(|e| (e, scale.position(10f64.powi(e)) * BAR_AREA))
                .collect();
            scale_ticks(scale, &tick_xs)
                .into_iter()
                .map(|t| t.label)
                .collect()
        };
        let scale = LogScale::for_range(0.001, 150.0);
        assert_eq!((scale.low_exponent, scale.high_exponent), (-4, 3));
        assert_eq!(
            labels(scale, -4..=3),
            ["", "0.001", "0.01", "0.1", "1", "10", "", "1000"]
        );
        // Five decades (about 54 units apart) have room for every label.
        let scale = LogScale::for_range(0.01, 70.0);
        assert_eq!(labels(scale, -3..=2), ["", "0.01", "0.1", "1", "10", "100"]);
    }

    #[test]
    fn decades_are_written_out() {
        let cases = [(-3, "0.001"), (-1, "0.1"), (0, "1"), (2, "100")];
        for (exponent, expected) in cases {
            assert_eq!(decade_label(exponent), expected);
        }
    }

    #[test]
    fn names_are_lowered_only_when_they_are_ordinary_words() {
        let cases = [
            ("Chest X-ray", "chest X-ray"),
            ("CT scan of the head", "CT scan of the head"),
            ("TIPS (a shunt)", "TIPS (a shunt)"),
            ("IVU", "IVU"),
        ];
        for (name, expected) in cases {
            assert_eq!(lower_first(name), expected);
        }
    }

    #[test]
    fn comparison_addresses_repeat_items() {
        assert_eq!(
            compare_query(["a", "b-c"]),
            "/radiation/compare?items=a&items=b-c"
        );
    }
}
