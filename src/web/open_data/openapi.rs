//! `/api/v1/openapi.json`: the OpenAPI 3.1 description of the API, exact enough that a
//! property-based tester (schemathesis, in tests/it/open_data.rs) checks every response against
//! it: every object lists all its properties as required and allows no others.

use serde_json::{Value, json};

use super::api::{Collection, MAX_PAGE, PAGE_SIZE};
use super::{API_ROOT, PROBLEM_JSON};
use crate::config::SiteConfig;
use crate::content::Library;
use crate::finder::Finder;

/// The description as JSON.
pub fn document(config: &SiteConfig, library: &Library, finder: &Finder) -> String {
    // One real key of each collection, as the example of its path parameter.
    let example = |collection: Collection| -> Option<String> {
        match collection {
            Collection::Pages(kind) => library.pages(kind).first().map(|p| p.slug.clone()),
            Collection::Doses => library.doses.entries.first().map(|d| d.id.clone()),
            Collection::Directory => finder.directory.entries().first().map(|e| e.slug.clone()),
        }
    };
    let code_example = |system: &str| -> Option<String> {
        library.conditions().find_map(|c| {
            let codes = if system == "icd-10" {
                &c.front.icd10
            } else {
                &c.front.snomed_ct
            };
            codes.first().map(|code| code.get_ref().clone())
        })
    };
    let mut paths = serde_json::Map::new();
    paths.insert(
        API_ROOT.to_string(),
        get("index", "What the API offers", &[], "Index", false),
    );
    for collection in Collection::all() {
        let name = collection.name();
        let item = collection.schema();
        paths.insert(collection.path(), list(name, &format!("{item}Summary")));
        let id = collection.key();
        paths.insert(
            format!("{API_ROOT}/{name}/{{{id}}}"),
            get(
                &format!("get-{name}"),
                &format!("One item of {name}"),
                &[with_example(
                    path_param(
                        id,
                        "Its slug or id, as in the list.",
                        json!({ "type": "string" }),
                    ),
                    example(collection),
                )],
                item,
                true,
            ),
        );
    }
    let code_systems = [
        (
            "snomed-ct",
            "lookup-snomed-ct",
            "A SNOMED CT concept id.",
            "^[1-9][0-9]{5,17}$",
        ),
        (
            "icd-10",
            "lookup-icd-10",
            "An ICD-10 code; case and the dot are optional. A code more specific than any on the site finds its three-character category.",
            "^[A-Za-z][0-9]{2}(\\.?[0-9A-Za-z]{1,4})?$",
        ),
    ];
    for (system, operation, description, pattern) in code_systems {
        paths.insert(
            format!("{API_ROOT}/codes/{system}/{{code}}"),
            get(
                operation,
                "The conditions with a clinical code, and the procedures that treat them",
                &[with_example(
                    path_param(
                        "code",
                        description,
                        json!({ "type": "string", "pattern": pattern }),
                    ),
                    code_example(system),
                )],
                "CodeLookup",
                true,
            ),
        );
    }
    let document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Interventional radiology patient information API",
            "version": "1",
            "description": "Read-only JSON for the site's procedure sheets, conditions, position statements, radiation doses and (sample) directory. Every response carries an ETag: send it in If-None-Match to get 304 when nothing changed. Errors are RFC 9457 problem details. Nothing has been clinically reviewed yet; each page's `review` says so.",
            "contact": { "name": config.site.publisher, "url": format!("{}/contact", config.site.base_url) },
        },
        "servers": [ { "url": config.site.base_url } ],
        "paths": paths,
        "components": { "schemas": schemas(), "responses": responses() },
    });
    document.to_string()
}

fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

fn with_example(mut parameter: Value, example: Option<String>) -> Value {
    if let Some(example) = example {
        parameter["example"] = example.into();
    }
    parameter
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn ok(schema: Value) -> Value {
    json!({
        "description": "The document.",
        "headers": {
            "ETag": { "description": "A strong validator of the body.", "schema": { "type": "string" } },
            "Cache-Control": { "description": "How long it may be reused.", "schema": { "type": "string" } },
        },
        "content": { "application/json": { "schema": schema } },
    })
}

fn get(
    operation: &str,
    summary: &str,
    parameters: &[Value],
    schema: &str,
    can_miss: bool,
) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert("200".into(), ok(reference(schema)));
    responses.insert(
        "304".into(),
        json!({ "$ref": "#/components/responses/NotModified" }),
    );
    responses.insert(
        "400".into(),
        json!({ "$ref": "#/components/responses/BadRequest" }),
    );
    if can_miss {
        responses.insert(
            "404".into(),
            json!({ "$ref": "#/components/responses/NotFound" }),
        );
    }
    json!({ "get": {
        "operationId": operation,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    }})
}

fn list(name: &str, item: &str) -> Value {
    let page = json!({
        "name": "page",
        "in": "query",
        "required": false,
        "description": format!("Which page of the list, from 1; each holds {PAGE_SIZE} items."),
        "schema": { "type": "integer", "minimum": 1, "maximum": MAX_PAGE },
    });
    let mut list = get(
        &format!("list-{name}"),
        &format!("The {name}, {PAGE_SIZE} to a page"),
        &[page],
        &format!("{item}List"),
        true,
    );
    list["get"]["responses"]["404"]["description"] = "There is no such page.".into();
    list
}

/// An object that has exactly these properties, all of them required.
fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": properties })
}

fn nullable(type_name: &str) -> Value {
    json!({ "type": [type_name, "null"] })
}

fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn uri() -> Value {
    json!({ "type": "string", "format": "uri" })
}

fn list_schema(item: &str) -> Value {
    object(json!({
        "items": array_of(reference(item)),
        "page": { "type": "integer", "minimum": 1 },
        "per_page": { "type": "integer", "const": PAGE_SIZE },
        "total_items": { "type": "integer", "minimum": 0 },
        "total_pages": { "type": "integer", "minimum": 1 },
        "links": object(json!({
            "self": uri(), "first": uri(), "last": uri(),
            "next": { "type": ["string", "null"], "format": "uri" },
            "prev": { "type": ["string", "null"], "format": "uri" },
        })),
    }))
}

fn page_properties() -> serde_json::Map<String, Value> {
    let value = json!({
        "slug": string(),
        "title": string(),
        "summary": string(),
        "url": uri(),
        "api_url": uri(),
        "sample": { "type": "boolean" },
        "version": { "oneOf": [ reference("HistoryEntry"), { "type": "null" } ] },
        "review": reference("Review"),
        "history": array_of(reference("HistoryEntry")),
        "sections": array_of(reference("Section")),
        "sources": array_of(reference("Source")),
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

fn page_object(extra: Value) -> Value {
    let mut properties = page_properties();
    if let Value::Object(extra) = extra {
        properties.extend(extra);
    }
    object(Value::Object(properties))
}

fn schemas() -> Value {
    let summary = object(json!({
        "slug": string(), "title": string(), "summary": string(), "url": uri(), "api_url": uri(),
        "version": nullable("string"),
        "last_changed": { "type": ["string", "null"], "format": "date" },
        "sample": { "type": "boolean" },
    }));
    let mut schemas = serde_json::Map::new();
    let mut put = |name: &str, schema: Value| {
        schemas.insert(name.to_string(), schema);
    };
    put(
        "Index",
        object(json!({
            "name": string(), "version": string(), "documentation": uri(), "openapi": uri(),
            "collections": object(Collection::all().into_iter().map(|c| (c.name().to_string(), uri())).collect::<serde_json::Map<_, _>>().into()),
            "code_lookup": array_of(string()),
        })),
    );
    put(
        "Link",
        object(json!({
            "slug": string(), "title": string(), "summary": string(), "url": uri(),
            "api_url": { "type": ["string", "null"], "format": "uri" },
        })),
    );
    put(
        "HistoryEntry",
        object(json!({ "version": string(), "date": date(), "change": string() })),
    );
    put(
        "Review",
        object(json!({
            "status": { "type": "string", "enum": ["awaiting clinical review", "clinically reviewed"] },
            "review_group": string(),
            "next_review": date(),
            "clinical_review": { "oneOf": [
                object(json!({ "reviewer": string(), "date": date() })),
                { "type": "null" },
            ]},
        })),
    );
    put(
        "Section",
        object(json!({
            "id": nullable("string"),
            "heading": nullable("string"),
            "html": { "type": "string", "description": "Sanitised HTML; links are relative to the page's url." },
            "text": string(),
        })),
    );
    put(
        "Source",
        object(json!({
            "number": { "type": "integer", "minimum": 1 },
            "id": string(), "citation": string(), "title": string(), "url": uri(), "kind": string(),
            "year": nullable("integer"),
        })),
    );
    put(
        "Risk",
        object(json!({
            "what": string(),
            "frequency": { "type": ["string", "null"], "description": "As written: \"1 to 5 in 1000\"." },
            "band": { "type": ["string", "null"], "description": "Computed from the frequency on the fixed scale: \"Common to very common\"." },
            "bands": array_of(json!({ "type": "string", "enum": ["very-common", "common", "uncommon", "rare", "very-rare"] })),
            "in_words": nullable("string"),
            "frequency_unknown": { "type": ["string", "null"], "description": "Why no figure is known." },
            "treatment": nullable("string"),
            "sources": array_of(string()),
        })),
    );
    put(
        "GetHelp",
        object(json!({
            "call_999": array_of(string()), "same_day": array_of(string()), "non_urgent": array_of(string()),
        })),
    );
    let codes = object(json!({ "snomed_ct": array_of(string()), "icd10": array_of(string()) }));
    put("Codes", codes);
    put(
        "Dose",
        object(json!({
            "id": string(), "name": string(), "group": string(), "group_label": string(),
            "msv": nullable("number"), "msv_low": nullable("number"), "msv_high": nullable("number"),
            "note": nullable("string"),
            "source": object(json!({
                "id": string(), "citation": nullable("string"),
                "url": { "type": ["string", "null"], "format": "uri" },
            })),
            "procedure": { "oneOf": [ reference("Link"), { "type": "null" } ] },
            "api_url": uri(),
        })),
    );
    put(
        "DoseSummary",
        object(json!({ "id": string(), "name": string(), "group": string(), "api_url": uri() })),
    );
    put(
        "Procedure",
        page_object(json!({
            "also_known_as": array_of(string()),
            "category": string(),
            "x_rays": { "type": "string", "enum": ["yes", "sometimes", "no"] },
            "risks": array_of(reference("Risk")),
            "get_help": { "oneOf": [ reference("GetHelp"), { "type": "null" } ] },
            "conditions": array_of(reference("Link")),
            "related": array_of(reference("Link")),
            "stories": array_of(reference("Link")),
            "dose": { "oneOf": [ reference("Dose"), { "type": "null" } ] },
        })),
    );
    put(
        "Condition",
        page_object(json!({
            "medical_name": string(),
            "also_known_as": array_of(string()),
            "other_treatments": string(),
            "codes": reference("Codes"),
            "nhs_url": { "type": ["string", "null"], "format": "uri" },
            "nice_url": { "type": ["string", "null"], "format": "uri" },
            "treatments": array_of(reference("Link")),
        })),
    );
    put(
        "Statement",
        page_object(json!({
            "issued": date(),
            "status": { "type": "string", "enum": ["current", "superseded", "withdrawn"] },
            "superseded_by": { "oneOf": [ reference("Link"), { "type": "null" } ] },
            "supersedes": array_of(reference("Link")),
        })),
    );
    put(
        "DirectoryEntry",
        object(json!({
            "slug": string(), "name": string(), "role": string(), "hospital": string(),
            "address": string(), "town": string(), "postcode": string(),
            "region": object(json!({ "slug": string(), "name": string() })),
            "latitude": { "type": "number", "minimum": -90, "maximum": 90 },
            "longitude": { "type": "number", "minimum": -180, "maximum": 180 },
            "location_precision": { "type": "string", "enum": ["given", "postcode-district", "postcode-area"] },
            "procedures": array_of(reference("Link")),
            "emergency_24_7": { "type": "boolean" },
            "outpatient_clinic": { "type": "boolean" },
            "phone": string(),
            "website": { "type": ["string", "null"], "format": "uri" },
            "sample": { "type": "boolean", "description": "An illustrative listing, not a real service." },
            "url": uri(), "api_url": uri(),
        })),
    );
    put(
        "DirectoryEntrySummary",
        object(json!({
            "slug": string(), "name": string(), "hospital": string(), "town": string(),
            "sample": { "type": "boolean" }, "url": uri(), "api_url": uri(),
        })),
    );
    put(
        "CodeLookup",
        object(json!({
            "system": { "type": "string", "enum": ["snomed-ct", "icd-10"] },
            "code": { "type": "string", "description": "The code on the site that matched." },
            "conditions": array_of(json!({ "type": "object", "additionalProperties": false,
                "required": ["slug", "title", "summary", "url", "api_url", "codes"],
                "properties": {
                    "slug": string(), "title": string(), "summary": string(), "url": uri(),
                    "api_url": { "type": ["string", "null"], "format": "uri" },
                    "codes": reference("Codes"),
                } })),
            "treatments": array_of(reference("Link")),
        })),
    );
    put(
        "Problem",
        object(json!({
            "type": string(), "title": string(),
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": string(),
        })),
    );
    schemas.insert(
        "BadParameterProblem".to_string(),
        object(json!({
            "type": string(), "title": string(),
            "status": { "type": "integer", "const": 400 },
            "detail": string(),
            "parameter": { "type": "string", "description": "The parameter at fault." },
        })),
    );
    // Every page kind's list items are alike; each collection has a list of its summaries.
    for collection in Collection::all() {
        let item = format!("{}Summary", collection.schema());
        if matches!(collection, Collection::Pages(_)) {
            schemas.insert(item.clone(), summary.clone());
        }
        schemas.insert(format!("{item}List"), list_schema(&item));
    }
    Value::Object(schemas)
}

fn responses() -> Value {
    let problem = |schema: &str, description: &str| {
        json!({
            "description": description,
            "content": { PROBLEM_JSON: { "schema": reference(schema) } },
        })
    };
    json!({
        "NotModified": { "description": "The copy named in If-None-Match is current." },
        "BadRequest": problem("BadParameterProblem", "A parameter is unknown or has a bad value; `parameter` names it."),
        "NotFound": problem("Problem", "Nothing has that slug, id or code."),
    })
}
