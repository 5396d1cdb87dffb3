//! The JSON documents of the read-only API under `/api/v1`, rendered when the Site is built,
//! and [`resolve`], which maps a request's path and query to one of them or to a problem.
//!
//! The shapes written here are the ones `openapi.rs` describes; schemathesis checks every
//! response against that description (tests/it/open_data.rs).

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{API_ROOT, OpenData, Problem};
use crate::config::SiteConfig;
use crate::content::codes::CodeSystem;
use crate::content::front_matter::{
    ConditionFrontMatter, PageMeta, ProcedureFrontMatter, StatementFrontMatter, XRays,
};
use crate::content::markdown::RenderedMarkdown;
use crate::content::risks::Risk;
use crate::content::sources::{self, NumberedSource};
use crate::content::{Condition, KINDS, Library, Page, PageKind, TypedPage};
use crate::finder::{Entry, Finder, Located};

/// How many items one page of a list holds.
pub const PAGE_SIZE: usize = 20;

/// The highest page number a request may name; past a list's last page is a 404.
pub const MAX_PAGE: usize = 1_000_000;

/// The name of the OpenAPI schema of a kind's documents, if the API serves that kind: its pages
/// are then a collection named after the kind's folder (`/api/v1/procedures`), each at
/// `/api/v1/<folder>/<slug>`. A new kind must be decided here (the compiler asks), and one the
/// API serves needs its fields in `Writer::page` and its schema in `openapi.rs`.
pub fn page_schema(kind: PageKind) -> Option<&'static str> {
    match kind {
        PageKind::Procedure => Some("Procedure"),
        PageKind::Condition => Some("Condition"),
        PageKind::Statement => Some("Statement"),
        PageKind::Home | PageKind::Story | PageKind::Radiation | PageKind::About => None,
    }
}

/// One list the API offers under `/api/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// The pages of a kind the API serves (see [`page_schema`]).
    Pages(PageKind),
    /// The radiation doses of `radiation/doses.toml`.
    Doses,
    /// The finder's (sample) directory of services.
    Directory,
}

impl Collection {
    /// Every collection: the kinds the API serves, in the order of [`KINDS`], then the doses and
    /// the directory.
    pub fn all() -> Vec<Collection> {
        KINDS
            .iter()
            .filter(|spec| page_schema(spec.kind).is_some())
            .map(|spec| Collection::Pages(spec.kind))
            .chain([Collection::Doses, Collection::Directory])
            .collect()
    }

    /// Its name under `/api/v1`.
    pub fn name(self) -> &'static str {
        match self {
            Collection::Pages(kind) => kind.folder(),
            Collection::Doses => "doses",
            Collection::Directory => "directory",
        }
    }

    /// The OpenAPI schema of one of its items.
    pub fn schema(self) -> &'static str {
        match self {
            Collection::Pages(kind) => page_schema(kind).unwrap_or("Page"),
            Collection::Doses => "Dose",
            Collection::Directory => "DirectoryEntry",
        }
    }

    /// What names an item in its address: a page's slug or a dose's id.
    pub fn key(self) -> &'static str {
        match self {
            Collection::Doses => "id",
            Collection::Pages(_) | Collection::Directory => "slug",
        }
    }

    /// The list's path.
    pub fn path(self) -> String {
        format!("{API_ROOT}/{}", self.name())
    }
}

/// The code systems a condition can be looked up by: name in the address, and label.
pub const CODE_SYSTEMS: [(&str, &str); 2] = [("snomed-ct", "SNOMED CT"), ("icd-10", "ICD-10")];

/// What [`documents`] made.
#[derive(Debug, Default)]
pub struct Built {
    /// Key (path, or `path?page=N` after the first page) and JSON.
    pub documents: Vec<(String, String)>,
    /// How many pages each list has, by path.
    pub list_pages: HashMap<String, usize>,
}

/// Maps a request to the key of a document, or says what is wrong with it.
pub fn resolve(open_data: &OpenData, path: &str, query: Option<&str>) -> Result<String, Problem> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(pages) = open_data.pages_of(path) {
        let mut page = None;
        for (name, value) in &params {
            if name != "page" {
                return Err(unknown_parameter(name, "page"));
            }
            if page.is_some() {
                return Err(Problem::bad_parameter("page", "Give `page` once."));
            }
            page = Some(parse_page(value)?);
        }
        let page = page.unwrap_or(1);
        if page > pages {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                format!("There is no page {page} of {path}: it has {pages}."),
            ));
        }
        return Ok(list_key(path, page));
    }
    if let Some((name, _)) = params.first() {
        return Err(unknown_parameter(name, ""));
    }
    if let Some(rest) = path.strip_prefix(&format!("{API_ROOT}/codes/")) {
        return resolve_code(open_data, path, rest);
    }
    Ok(path.to_string())
}

fn unknown_parameter(name: &str, allowed: &str) -> Problem {
    let allowed = if allowed.is_empty() {
        "This address takes no parameters.".to_string()
    } else {
        format!("The only parameter here is `{allowed}`.")
    };
    Problem::bad_parameter(name, format!("Unknown parameter `{name}`. {allowed}"))
}

fn parse_page(value: &str) -> Result<usize, Problem> {
    // Digits only: no sign, no leading zero, no spaces.
    let digits =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && !value.starts_with('0');
    digits
        .then(|| value.parse::<usize>().ok())
        .flatten()
        .filter(|&n| (1..=MAX_PAGE).contains(&n))
        .ok_or_else(|| {
            Problem::bad_parameter(
                "page",
                format!("`page` must be a whole number from 1 to {MAX_PAGE}, not {value:?}."),
            )
        })
}

/// The key a page of a list is kept under.
pub fn list_key(path: &str, page: usize) -> String {
    if page == 1 {
        path.to_string()
    } else {
        format!("{path}?page={page}")
    }
}

fn resolve_code(open_data: &OpenData, path: &str, rest: &str) -> Result<String, Problem> {
    let Some((system, code)) = rest.split_once('/') else {
        return Err(Problem::not_found(path));
    };
    if !CODE_SYSTEMS.iter().any(|(name, _)| *name == system) || code.contains('/') {
        return Err(Problem::not_found(path));
    }
    let normalised = normalise_code(system, code).ok_or_else(|| {
        let expected = if system == "icd-10" {
            "an ICD-10 code such as I71.4"
        } else {
            "a SNOMED CT concept id: 6 to 18 digits"
        };
        Problem::bad_parameter("code", format!("{code:?} is not {expected}."))
    })?;
    let key = code_key(system, &normalised);
    if open_data.get(&key).is_some() {
        return Ok(key);
    }
    // A code more specific than any on the site falls back to its category.
    if let Some((category, _)) = normalised.split_once('.') {
        let key = code_key(system, category);
        if open_data.get(&key).is_some() {
            return Ok(key);
        }
    }
    Err(Problem::new(
        StatusCode::NOT_FOUND,
        format!("No condition on this site has the code {normalised}."),
    ))
}

fn code_key(system: &str, code: &str) -> String {
    format!("{API_ROOT}/codes/{system}/{code}")
}

/// A code of `system` (its name in the address) in its standard form, or `None`.
pub fn normalise_code(system: &str, code: &str) -> Option<String> {
    match system {
        "snomed-ct" => CodeSystem::SnomedCt.normalise(code),
        "icd-10" => CodeSystem::Icd10.normalise(code),
        _ => None,
    }
}

/// Builds every API document of `library` and the finder's directory.
pub fn documents(config: &SiteConfig, library: &Library, finder: &Finder) -> Built {
    let writer = Writer {
        base: &config.site.base_url,
        library,
        finder,
    };
    writer.all()
}

struct Writer<'a> {
    base: &'a str,
    library: &'a Library,
    finder: &'a Finder,
}

impl<'a> Writer<'a> {
    fn all(&self) -> Built {
        let lib = self.library;
        let mut built = Built::default();
        let mut add = |key: String, value: Value| built.documents.push((key, value.to_string()));

        add(API_ROOT.to_string(), self.index());

        // Lists and their items.
        for collection in Collection::all() {
            let items: Vec<Value> = match collection {
                Collection::Pages(kind) => lib
                    .pages(kind)
                    .iter()
                    .map(|p| self.summary_item(p))
                    .collect(),
                Collection::Doses => lib
                    .doses
                    .entries
                    .iter()
                    .map(|d| {
                        json!({
                            "id": d.id,
                            "name": d.name,
                            "group": d.group.anchor(),
                            "api_url": self.api(&format!("doses/{}", d.id)),
                        })
                    })
                    .collect(),
                Collection::Directory => self
                    .finder
                    .directory
                    .entries()
                    .iter()
                    .map(|e| Value::Object(self.directory_summary(e)))
                    .collect(),
            };
            let path = collection.path();
            let pages = items.len().div_ceil(PAGE_SIZE).max(1);
            for page in 1..=pages {
                let chunk: Vec<Value> = items
                    .iter()
                    .skip((page - 1) * PAGE_SIZE)
                    .take(PAGE_SIZE)
                    .cloned()
                    .collect();
                add(
                    list_key(&path, page),
                    self.list_page(&path, chunk, page, pages, items.len()),
                );
            }
            built.list_pages.insert(path, pages);
        }

        // One document per page of each kind the API serves.
        for collection in Collection::all() {
            let Collection::Pages(kind) = collection else {
                continue;
            };
            for page in lib.pages(kind) {
                add(self.api_path_of(page), self.page(page));
            }
        }

        // The conditions by their codes.
        let mut codes: HashMap<(&str, String), Vec<Condition<'_>>> = HashMap::new();
        for condition in lib.conditions() {
            for code in &condition.front.snomed_ct {
                if let Some(code) = normalise_code("snomed-ct", code.get_ref()) {
                    codes
                        .entry(("snomed-ct", code))
                        .or_default()
                        .push(condition);
                }
            }
            for code in &condition.front.icd10 {
                if let Some(code) = normalise_code("icd-10", code.get_ref()) {
                    codes.entry(("icd-10", code)).or_default().push(condition);
                }
            }
        }
        for ((system, code), conditions) in codes {
            add(
                code_key(system, &code),
                self.code_lookup(system, &code, &conditions),
            );
        }
        for dose in &lib.doses.entries {
            add(
                self.api_path(&format!("doses/{}", dose.id)),
                self.dose(dose),
            );
        }
        for entry in self.finder.directory.entries() {
            add(
                self.api_path(&format!("directory/{}", entry.slug)),
                self.directory_entry(entry),
            );
        }
        built
    }

    fn api_path(&self, rest: &str) -> String {
        format!("{API_ROOT}/{rest}")
    }

    fn api(&self, rest: &str) -> String {
        format!("{}{API_ROOT}/{rest}", self.base)
    }

    fn page_url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The site path of a page's API document.
    fn api_path_of(&self, page: &Page) -> String {
        self.api_path(&format!("{}/{}", page.kind.folder(), page.slug))
    }

    fn index(&self) -> Value {
        let collections: serde_json::Map<String, Value> = Collection::all()
            .into_iter()
            .map(|c| (c.name().to_string(), Value::from(self.api(c.name()))))
            .collect();
        json!({
            "name": "Interventional radiology patient information API",
            "version": "1",
            "documentation": self.page_url("/open-data"),
            "openapi": self.api("openapi.json"),
            "collections": collections,
            "code_lookup": CODE_SYSTEMS
                .iter()
                .map(|(name, _)| format!("{}{API_ROOT}/codes/{name}/{{code}}", self.base))
                .collect::<Vec<_>>(),
        })
    }

    fn list_page(
        &self,
        path: &str,
        items: Vec<Value>,
        page: usize,
        pages: usize,
        total: usize,
    ) -> Value {
        let link = |n: usize| self.page_url(&list_key(path, n).replace(' ', "%20"));
        json!({
            "items": items,
            "page": page,
            "per_page": PAGE_SIZE,
            "total_items": total,
            "total_pages": pages,
            "links": {
                "self": link(page),
                "first": link(1),
                "last": link(pages),
                "next": (page < pages).then(|| link(page + 1)),
                "prev": (page > 1).then(|| link(page - 1)),
            },
        })
    }

    /// A page in a list: what it is and when it last changed.
    fn summary_item(&self, page: &Page) -> Value {
        let meta = &page.meta;
        let newest = meta.review.history.first();
        json!({
            "slug": page.slug,
            "title": meta.title,
            "summary": meta.summary,
            "url": self.page_url(&page.path()),
            "api_url": self.page_url(&self.api_path_of(page)),
            "version": newest.map(|h| h.version.clone()),
            "last_changed": newest.map(|h| h.date.iso()),
            "sample": meta.sample,
        })
    }

    /// A link to another page: enough to show it and to fetch it (`api_url` is null for kinds
    /// the API does not serve, such as stories).
    fn link(&self, page: &Page) -> Value {
        let in_api = page_schema(page.kind).is_some();
        json!({
            "slug": page.slug,
            "title": page.meta.title,
            "summary": page.meta.summary,
            "url": self.page_url(&page.path()),
            "api_url": in_api.then(|| self.page_url(&self.api_path_of(page))),
        })
    }

    /// Links to the pages of `kind` with these slugs, in order; a slug with no page is skipped.
    fn links<'s>(&self, kind: PageKind, slugs: impl IntoIterator<Item = &'s str>) -> Vec<Value> {
        slugs
            .into_iter()
            .filter_map(|slug| self.library.page(kind, slug))
            .map(|p| self.link(p))
            .collect()
    }

    fn procedure_link(&self, slug: &str) -> Option<Value> {
        let p = self.library.page(PageKind::Procedure, slug)?;
        Some(self.link(p))
    }

    /// The document of a page of a kind the API serves: what every page has, and its kind's own
    /// fields.
    fn page(&self, page: &Page) -> Value {
        let lib = self.library;
        let (numbered, extra) = match page.kind {
            PageKind::Procedure => {
                let sheet = typed::<ProcedureFrontMatter>(page);
                self.procedure(sheet)
            }
            PageKind::Condition => {
                let condition = typed::<ConditionFrontMatter>(page);
                (
                    page_sources(&page.meta, &page.body, lib),
                    self.condition(condition),
                )
            }
            PageKind::Statement => {
                let statement = typed::<StatementFrontMatter>(page);
                (
                    page_sources(&page.meta, &page.body, lib),
                    self.statement(statement),
                )
            }
            PageKind::Home | PageKind::Story | PageKind::Radiation | PageKind::About => (
                page_sources(&page.meta, &page.body, lib),
                Value::Object(serde_json::Map::new()),
            ),
        };
        let mut map = self.page_common(page, &numbered);
        extend(&mut map, extra);
        Value::Object(map)
    }

    /// What every page document has: addresses, version, review and history, sections, sources.
    fn page_common(
        &self,
        page: &Page,
        numbered: &[NumberedSource<'_>],
    ) -> serde_json::Map<String, Value> {
        let meta = &page.meta;
        let body = &page.body;
        let review = &meta.review;
        let newest = review.history.first();
        let value = json!({
            "slug": page.slug,
            "title": meta.title,
            "summary": meta.summary,
            "url": self.page_url(&page.path()),
            "api_url": self.page_url(&self.api_path_of(page)),
            "sample": meta.sample,
            "version": newest.map(|h| json!({
                "version": h.version,
                "date": h.date.iso(),
                "change": h.change,
            })),
            "review": {
                "status": if review.clinical_review.is_some() {
                    "clinically reviewed"
                } else {
                    "awaiting clinical review"
                },
                "review_group": review.review_group,
                "next_review": meta.next_review.iso(),
                "clinical_review": review.clinical_review.as_ref().map(|c| json!({
                    "reviewer": c.reviewer,
                    "date": c.date.iso(),
                })),
            },
            "history": review.history.iter().map(|h| json!({
                "version": h.version,
                "date": h.date.iso(),
                "change": h.change,
            })).collect::<Vec<_>>(),
            "sections": sections(body),
            "sources": numbered.iter().map(|n| json!({
                "number": n.number,
                "id": n.source.id,
                "citation": n.source.citation(),
                "title": n.source.title,
                "url": n.source.url,
                "kind": n.source.kind.label(),
                "year": n.source.year,
            })).collect::<Vec<_>>(),
        });
        match value {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object is an object"),
        }
    }

    /// A procedure sheet's sources (its dose's last) and its own fields.
    fn procedure<'l>(
        &self,
        sheet: TypedPage<'l, ProcedureFrontMatter>,
    ) -> (Vec<NumberedSource<'l>>, Value)
    where
        'a: 'l,
    {
        let lib = self.library;
        let mut cited: Vec<String> =
            sources::page_citations(&sheet.meta, &sheet.body, &sheet.front.risks, 0, 0)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
        let dose = lib.doses.for_procedure(&sheet.slug);
        if let Some(dose) = dose {
            cited.push(dose.source.clone());
        }
        let numbered = sources::numbered(cited, &lib.bibliography);
        let front = sheet.front;
        let extra = json!({
            "also_known_as": front.also_known_as,
            "category": front.category.get_ref().label(),
            "x_rays": match front.x_rays {
                XRays::Yes => "yes",
                XRays::Sometimes => "sometimes",
                XRays::No => "no",
            },
            "risks": front.risks.iter().map(|r| risk(r.get_ref())).collect::<Vec<_>>(),
            "get_help": front.get_help.as_ref().filter(|h| !h.is_empty()).map(|h| json!({
                "call_999": h.call_999,
                "same_day": h.same_day,
                "non_urgent": h.non_urgent,
            })),
            "conditions": self.links(PageKind::Condition, front.conditions.iter().map(|c| c.get_ref().as_str())),
            "related": self.links(PageKind::Procedure, front.related.iter().map(|r| r.get_ref().as_str())),
            "stories": lib.stories_about(&sheet.slug).into_iter()
                .map(|s| self.link(s.page)).collect::<Vec<_>>(),
            "dose": dose.map(|d| self.dose(d)),
        });
        (numbered, extra)
    }

    /// A condition's own fields.
    fn condition(&self, condition: Condition<'_>) -> Value {
        let lib = self.library;
        let front = condition.front;
        json!({
            "medical_name": front.medical_name,
            "also_known_as": front.also_known_as,
            "other_treatments": front.other_treatments,
            "codes": codes(condition),
            "nhs_url": front.nhs_url.as_ref().map(|u| u.get_ref().clone()),
            "nice_url": front.nice_url.as_ref().map(|u| u.get_ref().clone()),
            "treatments": lib.treatments_for(&condition.slug).into_iter()
                .map(|p| self.link(p.page)).collect::<Vec<_>>(),
        })
    }

    fn code_lookup(&self, system: &str, code: &str, conditions: &[Condition<'_>]) -> Value {
        let lib = self.library;
        let mut treatments: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for condition in conditions {
            for p in lib.treatments_for(&condition.slug) {
                if seen.insert(p.page.slug.as_str()) {
                    treatments.push(self.link(p.page));
                }
            }
        }
        json!({
            "system": system,
            "code": code,
            "conditions": conditions.iter().map(|c| {
                let mut link = self.link(c.page);
                link["codes"] = codes(*c);
                link
            }).collect::<Vec<_>>(),
            "treatments": treatments,
        })
    }

    /// A position statement's own fields.
    fn statement(&self, statement: TypedPage<'_, StatementFrontMatter>) -> Value {
        let lib = self.library;
        let front = statement.front;
        json!({
            "issued": front.issued.iso(),
            "status": front.status.label().to_lowercase(),
            "superseded_by": front.superseded_by.as_ref()
                .and_then(|s| lib.page(PageKind::Statement, s.get_ref()))
                .map(|s| self.link(s)),
            "supersedes": lib.statements()
                .filter(|s| s.front.superseded_by.as_ref().is_some_and(|r| *r.get_ref() == statement.slug))
                .map(|s| self.link(s.page))
                .collect::<Vec<_>>(),
        })
    }

    fn dose(&self, dose: &crate::content::doses::DoseEntry) -> Value {
        let source = self.library.doses.source(&dose.source);
        json!({
            "id": dose.id,
            "name": dose.name,
            "group": dose.group.anchor(),
            "group_label": dose.group.label(),
            "msv": dose.msv,
            "msv_low": dose.range.map(|r| r.0),
            "msv_high": dose.range.map(|r| r.1),
            "note": dose.note,
            "source": {
                "id": dose.source,
                "citation": source.map(|s| s.citation.clone()),
                "url": source.and_then(|s| s.url.clone()),
            },
            "procedure": dose.procedure.as_deref().and_then(|p| self.procedure_link(p)),
            "api_url": self.api(&format!("doses/{}", dose.id)),
        })
    }

    /// What the directory's list gives of a listing: who and where, and its addresses.
    fn directory_summary(&self, entry: &Entry) -> Map<String, Value> {
        let mut summary = Map::new();
        extend(
            &mut summary,
            json!({
                "slug": entry.slug,
                "name": entry.name,
                "hospital": entry.hospital,
                "town": entry.town,
                "sample": entry.sample,
                "url": self.page_url(&entry.path()),
                "api_url": self.api(&format!("directory/{}", entry.slug)),
            }),
        );
        summary
    }

    /// A listing's own record: its summary and everything else about it.
    fn directory_entry(&self, entry: &Entry) -> Value {
        let mut record = self.directory_summary(entry);
        extend(
            &mut record,
            json!({
                "role": entry.role,
                "address": entry.address,
                "postcode": entry.postcode,
                "region": { "slug": entry.region.slug, "name": entry.region.name },
                "latitude": entry.point.lat,
                "longitude": entry.point.lon,
                "location_precision": match entry.located {
                    Located::Given => "given",
                    Located::District => "postcode-district",
                    Located::Area => "postcode-area",
                },
                "procedures": entry.procedures.iter().filter_map(|p| self.procedure_link(p)).collect::<Vec<_>>(),
                "emergency_24_7": entry.emergency_24_7,
                "outpatient_clinic": entry.outpatient_clinic,
                "phone": entry.phone,
                "website": entry.website,
            }),
        );
        Value::Object(record)
    }
}

fn extend(map: &mut Map<String, Value>, extra: Value) {
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
}

/// A page's sources, numbered as on the page: body citations first, then `sources`.
fn page_sources<'a>(
    meta: &PageMeta,
    body: &RenderedMarkdown,
    lib: &'a Library,
) -> Vec<NumberedSource<'a>> {
    let cited = sources::page_citations(meta, body, &[], 0, 0)
        .into_iter()
        .map(|(id, _)| id);
    sources::numbered(cited, &lib.bibliography)
}

/// The typed view of a page whose kind's row names `F` as its type.
fn typed<F: crate::content::kinds::PageFrontMatter>(page: &Page) -> TypedPage<'_, F> {
    TypedPage::of(page).expect("a page's front matter is its kind's type")
}

/// A condition's codes, in their standard form.
fn codes(condition: Condition<'_>) -> Value {
    let norm = |system: &str, codes: &[toml::Spanned<String>]| -> Vec<String> {
        codes
            .iter()
            .filter_map(|c| normalise_code(system, c.get_ref()))
            .collect()
    };
    json!({
        "snomed_ct": norm("snomed-ct", &condition.front.snomed_ct),
        "icd10": norm("icd-10", &condition.front.icd10),
    })
}

/// A risk with its computed band.
fn risk(risk: &Risk) -> Value {
    let frequency = risk.parsed_frequency();
    json!({
        "what": risk.what_text(),
        "frequency": risk.frequency.as_ref().map(|f| f.get_ref().clone()),
        "band": frequency.as_ref().map(|f| f.band_label()),
        "bands": frequency.as_ref().map_or_else(Vec::new, |f| {
            let (low, high) = f.bands();
            crate::content::risks::Band::SCALE
                .iter()
                .filter(|b| (low..=high).contains(b))
                .map(|b| b.slug())
                .collect()
        }),
        "in_words": frequency.as_ref().map(|f| f.in_words()),
        "frequency_unknown": risk.unknown_reason(),
        "treatment": risk.treatment_text(),
        "sources": risk.sources.iter().map(|s| s.get_ref().clone()).collect::<Vec<_>>(),
    })
}

/// A heading in the HTML: start, end, and its id and text.
type Cut<'a> = (usize, usize, Option<(&'a str, &'a str)>);

/// The body cut at its `##` headings: each section's HTML and plain text. Text before the first
/// heading, if any, is a section with no heading.
pub fn sections(body: &RenderedMarkdown) -> Vec<Value> {
    let html = body.html.as_str();
    // Where each heading starts and ends, with its id and text.
    let mut cuts: Vec<Cut<'_>> = Vec::new();
    let mut from = 0;
    for heading in body.sections() {
        let opening = format!("<h2 id=\"{}\"", heading.id);
        let Some(start) = html[from..].find(&opening).map(|i| i + from) else {
            continue;
        };
        let Some(end) = html[start..]
            .find("</h2>")
            .map(|i| i + start + "</h2>".len())
        else {
            continue;
        };
        cuts.push((
            start,
            end,
            Some((heading.id.as_str(), heading.text.as_str())),
        ));
        from = end;
    }
    let mut out = Vec::new();
    let first = cuts.first().map_or(html.len(), |c| c.0);
    let intro = html[..first].trim();
    if !intro.is_empty() {
        out.push(section(None, intro));
    }
    for (i, (_, end, heading)) in cuts.iter().enumerate() {
        let next = cuts.get(i + 1).map_or(html.len(), |c| c.0);
        out.push(section(*heading, html[*end..next].trim()));
    }
    out
}

fn section(heading: Option<(&str, &str)>, html: &str) -> Value {
    json!({
        "id": heading.map(|h| h.0),
        "heading": heading.map(|h| h.1),
        "html": html,
        "text": plain_text(html),
    })
}

/// The words of sanitised HTML: tags dropped, blocks on their own lines, entities decoded.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split([' ', '>'])
            .next()
            .unwrap_or("");
        if matches!(
            name,
            "p" | "li" | "h3" | "h4" | "tr" | "br" | "ul" | "ol" | "table" | "blockquote"
        ) && (tag.starts_with('/') || name == "br")
        {
            text.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        let cases = [
            ("<p>One &amp; two</p><p>Three</p>", "One & two\nThree"),
            ("<ul><li>a</li><li>b <em>c</em></li></ul>", "a\nb c"),
            (
                "<p>1 &lt; 2 <sup><a href=\"#s\">[1]</a></sup></p>",
                "1 < 2 [1]",
            ),
        ];
        for (html, expected) in cases {
            assert_eq!(plain_text(html), expected, "{html}");
        }
    }

    #[test]
    fn bad_page_numbers_name_the_parameter() {
        let open_data = OpenData {
            documents: HashMap::new(),
            list_pages: HashMap::from([("/api/v1/procedures".to_string(), 2)]),
        };
        let path = "/api/v1/procedures";
        type Expected<'a> = Result<&'a str, (u16, Option<&'a str>)>;
        let cases: [(Option<&str>, Expected<'_>); 11] = [
            (None, Ok("/api/v1/procedures")),
            (Some("page=1"), Ok("/api/v1/procedures")),
            (Some("page=2"), Ok("/api/v1/procedures?page=2")),
            (Some("page=3"), Err((404, None))),
            (Some("page=-1"), Err((400, Some("page")))),
            (Some("page=0"), Err((400, Some("page")))),
            (Some("page=%2B1"), Err((400, Some("page")))),
            (Some("page=1000001"), Err((400, Some("page")))),
            (Some("page=999999"), Err((404, None))),
            (Some("page=1&page=2"), Err((400, Some("page")))),
            (Some("fields=title"), Err((400, Some("fields")))),
        ];
        for (query, expected) in cases {
            let got =
                resolve(&open_data, path, query).map_err(|p| (p.status.as_u16(), p.parameter));
            let expected = expected
                .map(str::to_string)
                .map_err(|(s, p)| (s, p.map(str::to_string)));
            assert_eq!(got, expected, "{query:?}");
        }
        let detail = resolve(&open_data, "/api/v1/procedures/x", Some("q=1")).unwrap_err();
        assert_eq!(detail.parameter.as_deref(), Some("q"));
    }
}
