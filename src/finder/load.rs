//! Reads and checks the finder's data: geography tables, the operator's postcode-district CSV
//! and the directory of services. Every problem is reported as `path:line:col: message`, with
//! the rest of the content's problems, and loading goes on so that all of them are found at once.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use super::Finder;
use super::directory::{Directory, Entry, Located};
use super::gazetteer::{Area, County, Gazetteer, Town, normalise_name};
use super::geo::{LatLon, UK_LATITUDE, UK_LONGITUDE, km_to_miles};
use super::postcode::{self, Postcode};
use super::regions::{REGIONS, region_by_slug};
use crate::content::Diagnostics;
use crate::content::kinds::is_valid_slug;

/// The folder of geography tables under `content/`.
pub const GEOGRAPHY_FOLDER: &str = "geography";
/// The folder of directory files under `content/`.
pub const DIRECTORY_FOLDER: &str = "directory";
pub const AREAS_FILE: &str = "postcode-areas.toml";
pub const TOWNS_FILE: &str = "towns.toml";
pub const COUNTIES_FILE: &str = "counties.toml";

/// An entry placed by its postcode area further than this from its own coordinates is probably
/// mistyped; the editor is warned.
const SUSPICIOUS_MILES_FROM_AREA: f64 = 100.0;

/// Reads everything the finder needs. `procedures` are the slugs of the published procedure
/// sheets; `districts_csv` is the operator's optional table of postcode districts.
pub fn load(
    content_dir: &Path,
    districts_csv: Option<&Path>,
    procedures: &HashSet<&str>,
    diagnostics: &mut Diagnostics,
) -> Finder {
    let geography = content_dir.join(GEOGRAPHY_FOLDER);
    let areas = load_areas(&geography.join(AREAS_FILE), diagnostics);
    let towns = load_towns(&geography.join(TOWNS_FILE), diagnostics);
    let districts = districts_csv
        .map(|path| load_districts(path, diagnostics))
        .unwrap_or_default();
    let gazetteer = Gazetteer::new(areas, districts, towns);
    let counties = load_counties(&geography.join(COUNTIES_FILE), &gazetteer, diagnostics);
    let gazetteer = gazetteer.with_counties(counties);
    let entries = load_directory(
        &content_dir.join(DIRECTORY_FOLDER),
        &gazetteer,
        procedures,
        diagnostics,
    );
    Finder {
        gazetteer,
        directory: Directory::new(entries),
    }
}

/// A TOML file read whole, kept to point into when reporting problems.
struct Source {
    path: PathBuf,
    text: String,
}

impl Source {
    fn error(&self, d: &mut Diagnostics, span: Range<usize>, message: impl Into<String>) {
        d.error(&self.path, &self.text, span.start, message);
    }

    fn warning(&self, d: &mut Diagnostics, span: Range<usize>, message: impl Into<String>) {
        d.warning(&self.path, &self.text, span.start, message);
    }
}

/// Reads and parses a TOML file; `None` (after reporting why) when it cannot be used, and
/// `None` silently when it does not exist: a site may have no finder.
fn read_toml<T: DeserializeOwned>(path: &Path, d: &mut Diagnostics) -> Option<(Source, T)> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            d.file_error(path, format!("cannot read the file: {e}"));
            return None;
        }
    };
    match toml::from_str::<T>(&text) {
        Ok(value) => Some((
            Source {
                path: path.to_path_buf(),
                text,
            },
            value,
        )),
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            d.error(path, &text, offset, e.message().trim().to_string());
            None
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreasFile {
    areas: Vec<AreaRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaRow {
    code: Spanned<String>,
    name: Spanned<String>,
    latitude: Spanned<f64>,
    longitude: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TownsFile {
    towns: Vec<TownRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TownRow {
    name: Spanned<String>,
    #[serde(default)]
    also: Vec<Spanned<String>>,
    latitude: Spanned<f64>,
    longitude: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountiesFile {
    counties: Vec<CountyRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountyRow {
    name: Spanned<String>,
    county_town: Spanned<String>,
    /// Where the county town was read, for the editor; not shown.
    source: Spanned<String>,
}

/// Reads the counties, if the file is there. Each must name a town the finder knows as its
/// county town, cite where that was read, and not take the name of a town.
fn load_counties(path: &Path, gazetteer: &Gazetteer, d: &mut Diagnostics) -> Vec<County> {
    if !path.exists() {
        return Vec::new();
    }
    let Some((source, file)) = read_toml::<CountiesFile>(path, d) else {
        return Vec::new();
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut counties = Vec::new();
    for row in file.counties {
        let name = row.name.get_ref().trim().to_string();
        let key = normalise_name(&name);
        if key.is_empty() {
            source.error(d, row.name.span(), "the name is empty");
            continue;
        }
        if !seen.insert(key) || gazetteer.town_point(&name).is_some() {
            source.error(
                d,
                row.name.span(),
                format!("`{name}` is already a county or a town the finder knows"),
            );
            continue;
        }
        let url = row.source.get_ref().trim();
        if !url.starts_with("https://") {
            source.error(
                d,
                row.source.span(),
                "give the web address (https://...) where the county town was read",
            );
            continue;
        }
        match gazetteer.town_point(row.county_town.get_ref()) {
            Some((town, point)) => counties.push(County { name, town, point }),
            None => source.error(
                d,
                row.county_town.span(),
                format!(
                    "unknown county town `{}`: add it to {TOWNS_FILE} first",
                    row.county_town.get_ref().trim()
                ),
            ),
        }
    }
    counties
}

/// Checks a latitude and longitude pair, reporting each bad one at its own place.
fn checked_point(
    source: &Source,
    d: &mut Diagnostics,
    latitude: &Spanned<f64>,
    longitude: &Spanned<f64>,
) -> Option<LatLon> {
    let lat = *latitude.get_ref();
    let lon = *longitude.get_ref();
    let mut ok = true;
    if !UK_LATITUDE.contains(&lat) {
        source.error(
            d,
            latitude.span(),
            format!(
                "bad coordinates: latitude {lat} is outside the UK ({} to {}); check it is not swapped with the longitude",
                UK_LATITUDE.start(),
                UK_LATITUDE.end()
            ),
        );
        ok = false;
    }
    if !UK_LONGITUDE.contains(&lon) {
        source.error(
            d,
            longitude.span(),
            format!(
                "bad coordinates: longitude {lon} is outside the UK ({} to {}); west of Greenwich is negative",
                UK_LONGITUDE.start(),
                UK_LONGITUDE.end()
            ),
        );
        ok = false;
    }
    ok.then_some(LatLon::new(lat, lon))
}

fn load_areas(path: &Path, d: &mut Diagnostics) -> Vec<Area> {
    let Some((source, file)) = read_toml::<AreasFile>(path, d) else {
        return Vec::new();
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut areas = Vec::new();
    for row in file.areas {
        let code = row.code.get_ref().trim().to_string();
        if !postcode::is_area(&code) {
            source.error(
                d,
                row.code.span(),
                format!(
                    "`{code}` is not a postcode area: write one or two capital letters, such as LS"
                ),
            );
            continue;
        }
        if !seen.insert(code.clone()) {
            source.error(
                d,
                row.code.span(),
                format!("the postcode area `{code}` is listed twice"),
            );
            continue;
        }
        let name = row.name.get_ref().trim().to_string();
        if name.is_empty() {
            source.error(
                d,
                row.name.span(),
                "the name is empty: write the area's main post town",
            );
        }
        if let Some(point) = checked_point(&source, d, &row.latitude, &row.longitude) {
            areas.push(Area { code, name, point });
        }
    }
    areas
}

fn load_towns(path: &Path, d: &mut Diagnostics) -> Vec<Town> {
    let Some((source, file)) = read_toml::<TownsFile>(path, d) else {
        return Vec::new();
    };
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut towns = Vec::new();
    for row in file.towns {
        let name = row.name.get_ref().trim().to_string();
        let mut names_ok = true;
        for written in std::iter::once(&row.name).chain(&row.also) {
            let key = normalise_name(written.get_ref());
            if key.is_empty() {
                source.error(d, written.span(), "the name is empty");
                names_ok = false;
            } else if let Some(first) = seen.get(&key) {
                source.error(
                    d,
                    written.span(),
                    format!(
                        "duplicate town name `{}`: {first} has it already",
                        written.get_ref().trim()
                    ),
                );
                names_ok = false;
            } else {
                seen.insert(key, name.clone());
            }
        }
        let point = checked_point(&source, d, &row.latitude, &row.longitude);
        if let (true, Some(point)) = (names_ok, point) {
            towns.push(Town {
                name,
                also: row
                    .also
                    .iter()
                    .map(|a| a.get_ref().trim().to_string())
                    .collect(),
                point,
            });
        }
    }
    towns
}

/// Column names accepted in the districts CSV, lower case.
const DISTRICT_COLUMNS: [&str; 4] = ["postcode", "outward", "outcode", "district"];
const LATITUDE_COLUMNS: [&str; 2] = ["latitude", "lat"];
const LONGITUDE_COLUMNS: [&str; 3] = ["longitude", "lon", "lng"];

/// Reads the operator's CSV of postcode districts (RFC 4180, read by the `csv` crate, so a
/// quoted field may hold a comma). A file that cannot be used is an error; a row that cannot be
/// used is a warning, and the rest of the file is still used.
fn load_districts(path: &Path, d: &mut Diagnostics) -> Vec<(String, LatLon)> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            d.file_error(
                path,
                format!("cannot read the postcode districts file set in site.toml [finder]: {e}"),
            );
            return Vec::new();
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            d.error(
                path,
                &text,
                csv_error_offset(&e),
                format!("cannot read the header line: {e}"),
            );
            return Vec::new();
        }
        None => {
            d.file_error(
                path,
                "the postcode districts file is empty: it needs a header line",
            );
            return Vec::new();
        }
    };
    let columns: Vec<String> = header
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.as_str()));
    let (Some(code_col), Some(lat_col), Some(lon_col)) = (
        find(&DISTRICT_COLUMNS),
        find(&LATITUDE_COLUMNS),
        find(&LONGITUDE_COLUMNS),
    ) else {
        d.file_error(
            path,
            "the header line must name the columns `postcode`, `latitude` and `longitude` (see the README)",
        );
        return Vec::new();
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut districts = Vec::new();
    let mut without_coordinates = 0;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                d.error(
                    path,
                    &text,
                    csv_error_offset(&e),
                    format!("cannot read this row: {e}"),
                );
                continue;
            }
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let field = |i: usize| match record.get(i) {
            Some(value) => (field_offset(&text, &record, i), value.trim()),
            None => (record_offset(&record), ""),
        };
        let (code_at, code) = field(code_col);
        let (lat_at, lat) = field(lat_col);
        let (lon_at, lon) = field(lon_col);
        let code: String = code
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !postcode::is_outward(&code) {
            d.warning(
                path,
                &text,
                code_at,
                format!("`{code}` is not a postcode district such as LS6; the row is skipped"),
            );
            continue;
        }
        if lat.is_empty() && lon.is_empty() {
            without_coordinates += 1;
            continue;
        }
        let parsed = (lat.parse::<f64>(), lon.parse::<f64>());
        let (Ok(lat_value), Ok(lon_value)) = parsed else {
            let at = if parsed.0.is_err() { lat_at } else { lon_at };
            d.error(
                path,
                &text,
                at,
                format!("`{code}`: the latitude and longitude must be numbers"),
            );
            continue;
        };
        let point = LatLon::new(lat_value, lon_value);
        if !point.is_in_uk() {
            d.warning(
                path,
                &text,
                lat_at,
                format!("`{code}`: {lat_value}, {lon_value} is outside the UK; the row is skipped"),
            );
            continue;
        }
        if !seen.insert(code.clone()) {
            d.warning(
                path,
                &text,
                code_at,
                format!("`{code}` is listed twice; the first is used"),
            );
            continue;
        }
        districts.push((code, point));
    }
    if without_coordinates > 0 {
        d.warning(
            path,
            &text,
            0,
            format!("{without_coordinates} district(s) have no coordinates (non-geographic districts, say) and were skipped"),
        );
    }
    districts
}

/// Where a record starts in the file.
fn record_offset(record: &csv::StringRecord) -> usize {
    record
        .position()
        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
}

/// Where field `i` of `record` is written in `text`, leading spaces and quotes skipped. The
/// record keeps each field's place in its own buffer, which has no commas or quotes, so the
/// field is written at that place after the record's start or later.
fn field_offset(text: &str, record: &csv::StringRecord, i: usize) -> usize {
    let start = record_offset(record);
    let value = record.get(i).unwrap_or_default().trim();
    let earliest = start + record.range(i).map_or(0, |r| r.start);
    let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    match text.get(earliest..line_end) {
        Some(rest) if !value.is_empty() => rest.find(value).map_or(earliest, |n| earliest + n),
        _ => earliest.min(text.len()),
    }
}

/// Where a CSV error happened, when the reader knows.
fn csv_error_offset(error: &csv::Error) -> usize {
    error
        .position()
        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    region: Spanned<String>,
    #[serde(default, rename = "entry")]
    entries: Vec<EntryRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRow {
    slug: Spanned<String>,
    name: Spanned<String>,
    role: Spanned<String>,
    hospital: Spanned<String>,
    address: Spanned<String>,
    town: Spanned<String>,
    postcode: Spanned<String>,
    latitude: Option<Spanned<f64>>,
    longitude: Option<Spanned<f64>>,
    procedures: Spanned<Vec<Spanned<String>>>,
    emergency_24_7: bool,
    outpatient_clinic: bool,
    phone: Spanned<String>,
    website: Option<Spanned<String>>,
    #[serde(default)]
    sample: bool,
}

/// Every `.toml` file in `dir` (not below it), sorted, except dotfiles.
fn toml_files(dir: &Path, d: &mut Diagnostics) -> Vec<PathBuf> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            d.file_error(dir, format!("cannot read the folder: {e}"));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = read
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !name.starts_with('.') && name.ends_with(".toml") && p.is_file()
        })
        .collect();
    files.sort();
    files
}

fn load_directory(
    dir: &Path,
    gazetteer: &Gazetteer,
    procedures: &HashSet<&str>,
    d: &mut Diagnostics,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    // Where each slug was first written, for the duplicate message.
    let mut slugs: HashMap<String, String> = HashMap::new();
    for path in toml_files(dir, d) {
        let Some((source, file)) = read_toml::<DirectoryFile>(&path, d) else {
            continue;
        };
        let region = region_by_slug(file.region.get_ref().trim());
        if region.is_none() {
            let known: Vec<&str> = REGIONS.iter().map(|r| r.slug).collect();
            source.error(
                d,
                file.region.span(),
                format!(
                    "there is no region `{}`: use one of {}",
                    file.region.get_ref(),
                    known.join(", ")
                ),
            );
        }
        for row in file.entries {
            let checked = check_entry(&source, &row, gazetteer, procedures, &mut slugs, d);
            if let (Some(region), Some((point, located, postcode))) = (region, checked) {
                entries.push(Entry {
                    slug: row.slug.get_ref().clone(),
                    name: row.name.get_ref().trim().to_string(),
                    role: row.role.get_ref().trim().to_string(),
                    hospital: row.hospital.get_ref().trim().to_string(),
                    address: row.address.get_ref().trim().to_string(),
                    town: row.town.get_ref().trim().to_string(),
                    postcode,
                    region,
                    point,
                    located,
                    procedures: row
                        .procedures
                        .get_ref()
                        .iter()
                        .map(|p| p.get_ref().clone())
                        .collect(),
                    emergency_24_7: row.emergency_24_7,
                    outpatient_clinic: row.outpatient_clinic,
                    phone: row.phone.get_ref().trim().to_string(),
                    website: row.website.as_ref().map(|w| w.get_ref().trim().to_string()),
                    sample: row.sample,
                });
            }
        }
    }
    entries
}

/// Checks one entry; gives its position and tidied postcode when it can be listed.
fn check_entry(
    source: &Source,
    row: &EntryRow,
    gazetteer: &Gazetteer,
    procedures: &HashSet<&str>,
    slugs: &mut HashMap<String, String>,
    d: &mut Diagnostics,
) -> Option<(LatLon, Located, String)> {
    let errors_before = d.error_count();
    let slug = row.slug.get_ref();
    if !is_valid_slug(slug) {
        source.error(
            d,
            row.slug.span(),
            format!(
                "`{slug}` is not a valid slug: use lower-case letters, digits and single hyphens"
            ),
        );
    } else if let Some(first) = slugs.get(slug) {
        source.error(
            d,
            row.slug.span(),
            format!("duplicate slug `{slug}`: {first} has it already"),
        );
    } else {
        let (line, col) =
            crate::content::diagnostics::line_col(&source.text, row.slug.span().start);
        slugs.insert(
            slug.clone(),
            format!("{}:{line}:{col}", source.path.display()),
        );
    }
    for (field, value) in [
        ("name", &row.name),
        ("role", &row.role),
        ("hospital", &row.hospital),
        ("address", &row.address),
        ("town", &row.town),
    ] {
        if value.get_ref().trim().is_empty() {
            source.error(d, value.span(), format!("`{field}` is empty"));
        }
    }
    if row.procedures.get_ref().is_empty() {
        source.error(
            d,
            row.procedures.span(),
            "list at least one procedure: the slugs of procedure sheets this service offers",
        );
    }
    let mut listed: HashSet<&str> = HashSet::new();
    for procedure in row.procedures.get_ref() {
        let name = procedure.get_ref().as_str();
        if !procedures.contains(name) {
            source.error(
                d,
                procedure.span(),
                format!("there is no procedure sheet with the slug `{name}`"),
            );
        } else if !listed.insert(name) {
            source.warning(d, procedure.span(), format!("`{name}` is listed twice"));
        }
    }
    check_phone(source, &row.phone, d);
    if let Some(website) = &row.website {
        let url = website.get_ref().trim();
        let host_part = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or_default();
        if host_part.is_empty()
            || url
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '<')
        {
            source.error(
                d,
                website.span(),
                "the web address must be a full address starting with https://",
            );
        }
    }

    let postcode = Postcode::parse(row.postcode.get_ref()).filter(|p| p.inward.is_some());
    let Some(postcode) = postcode else {
        source.error(
            d,
            row.postcode.span(),
            format!(
                "`{}` is not a full postcode, such as LS1 3EX",
                row.postcode.get_ref()
            ),
        );
        return None;
    };
    let by_postcode = gazetteer.place_postcode(&postcode);
    let position = match (&row.latitude, &row.longitude) {
        (Some(latitude), Some(longitude)) => {
            let point = checked_point(source, d, latitude, longitude)?;
            if let Some(area) = gazetteer.area(&postcode.area) {
                let miles = km_to_miles(point.distance_km(&area.point));
                if miles > SUSPICIOUS_MILES_FROM_AREA {
                    source.warning(
                        d,
                        latitude.span(),
                        format!(
                            "these coordinates are {miles:.0} miles from the middle of the {} postcode area: check them and the postcode",
                            area.code
                        ),
                    );
                }
            }
            Some((point, Located::Given))
        }
        (None, None) => match by_postcode {
            Some(place) => {
                let located = match place.precision {
                    super::Precision::District(_) => Located::District,
                    _ => Located::Area,
                };
                Some((place.point, located))
            }
            None => {
                source.error(
                    d,
                    row.postcode.span(),
                    format!(
                        "cannot tell where `{postcode}` is: the postcode area {} is not in {GEOGRAPHY_FOLDER}/{AREAS_FILE}; add `latitude` and `longitude`",
                        postcode.area
                    ),
                );
                None
            }
        },
        (Some(only), None) | (None, Some(only)) => {
            source.error(
                d,
                only.span(),
                "give both `latitude` and `longitude`, or neither to place the entry by its postcode",
            );
            None
        }
    };
    let (point, located) = position?;
    (d.error_count() == errors_before).then(|| (point, located, postcode.to_string()))
}

/// A UK phone number: digits and spaces, ten or eleven digits starting with 0, or +44.
fn check_phone(source: &Source, phone: &Spanned<String>, d: &mut Diagnostics) {
    let text = phone.get_ref().trim();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let allowed = text
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || (i == 0 && c == '+'));
    let national = if let Some(rest) = digits.strip_prefix("44").filter(|_| text.starts_with('+')) {
        format!("0{rest}")
    } else {
        digits
    };
    if !allowed || !national.starts_with('0') || !(10..=11).contains(&national.len()) {
        source.error(
            d,
            phone.span(),
            format!("`{text}` is not a UK phone number: write it like 0113 496 0000"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_comma_stays_in_its_field_and_offsets_point_at_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("districts.csv");
        let text = "name,postcode,latitude,longitude\n\"Leeds, city centre\",LS1,53.7965,-1.5478\n\"Kirkstall, Leeds\", LS5 ,north,-1.6\n";
        fs::write(&path, text).unwrap();
        let mut d = Diagnostics::default();
        let districts = load_districts(&path, &mut d);
        assert_eq!(districts.len(), 1, "{d}");
        assert_eq!(districts[0].0, "LS1");
        let report = d.to_string();
        assert!(
            report.contains(&format!("{}:3:26: error: `LS5`", path.display())),
            "{report}"
        );
    }
}
