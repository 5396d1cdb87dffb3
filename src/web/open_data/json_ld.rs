//! schema.org JSON-LD for content pages: a `MedicalWebPage` with its publisher, audience,
//! version, breadcrumb trail and, on procedure and condition pages, what it is `about`.
//!
//! `lastReviewed` and `reviewedBy` are written only when a page records a `[clinical_review]`:
//! the shipped content has had none, and the page must not claim one. The JSON goes in a
//! `<script type="application/ld+json">`, a data block that browsers never run, so the strict
//! `script-src 'self'` of the CSP is untouched.

use serde_json::{Value, json};

use super::super::views::Crumb;
use crate::config::SiteConfig;
use crate::content::front_matter::PageMeta;
use crate::content::{Library, PageKind};

/// What a page's JSON-LD says besides its address, title and breadcrumbs (which the layout has).
#[derive(Debug, Clone)]
pub struct PageFacts {
    base: String,
    page: Value,
}

impl PageFacts {
    /// The facts of the page of `kind` with this slug and meta.
    pub fn new(
        config: &SiteConfig,
        library: &Library,
        kind: PageKind,
        slug: &str,
        meta: &PageMeta,
    ) -> Self {
        let base = config.site.base_url.clone();
        let url = format!("{base}{}", kind.page_path(slug));
        let review = &meta.review;
        let mut page = json!({
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "name": meta.title,
            "description": meta.summary,
            "inLanguage": "en-GB",
            "isPartOf": { "@type": "WebSite", "name": config.site.name, "url": format!("{base}/") },
            "publisher": { "@type": "Organization", "name": config.site.publisher, "url": format!("{base}/") },
            "audience": { "@type": "MedicalAudience", "audienceType": "Patient" },
        });
        if let Some(newest) = review.history.first() {
            page["dateModified"] = newest.date.iso().into();
            page["version"] = newest.version.clone().into();
        }
        if let Some(oldest) = review.history.last() {
            page["datePublished"] = oldest.date.iso().into();
        }
        if let Some(clinical) = &review.clinical_review {
            page["lastReviewed"] = clinical.date.iso().into();
            page["reviewedBy"] = json!({ "@type": "Person", "jobTitle": clinical.reviewer });
        }
        if let Some(about) = about(library, kind, slug, &url, &base) {
            page["about"] = about;
        }
        Self { base, page }
    }

    /// The JSON-LD for the page at `canonical` with these breadcrumbs (Home first, the page
    /// itself last), safe to put inside a `<script>` element.
    pub fn json_ld(&self, canonical: &str, title: &str, crumbs: &[Crumb]) -> String {
        let mut page = self.page.clone();
        page["url"] = canonical.into();
        let mut items: Vec<Value> = crumbs
            .iter()
            .map(|c| (c.label.as_str(), format!("{}{}", self.base, c.href)))
            .chain(std::iter::once((title, canonical.to_string())))
            .enumerate()
            .map(|(i, (name, item))| {
                json!({ "@type": "ListItem", "position": i + 1, "name": name, "item": item })
            })
            .collect();
        if crumbs.is_empty() {
            items.truncate(1);
        }
        page["breadcrumb"] = json!({ "@type": "BreadcrumbList", "itemListElement": items });
        script_safe(&page.to_string())
    }
}

/// What a procedure or condition page is about.
fn about(library: &Library, kind: PageKind, slug: &str, url: &str, base: &str) -> Option<Value> {
    match kind {
        PageKind::Procedure => {
            let sheet = library.procedure(slug)?;
            let mut about = json!({
                "@type": "MedicalProcedure",
                "name": sheet.meta.title,
                "description": sheet.meta.summary,
                "url": url,
            });
            if !sheet.front.also_known_as.is_empty() {
                about["alternateName"] = sheet.front.also_known_as.clone().into();
            }
            Some(about)
        }
        PageKind::Condition => {
            let condition = library.condition(slug)?;
            let front = &condition.front;
            let mut names: Vec<String> = Vec::new();
            if condition.meta.title != front.medical_name {
                names.push(condition.meta.title.clone());
            }
            names.extend(front.also_known_as.iter().cloned());
            let mut about = json!({
                "@type": "MedicalCondition",
                "name": front.medical_name,
                "description": condition.meta.summary,
                "url": url,
                "possibleTreatment": library.treatments_for(slug).iter().map(|p| json!({
                    "@type": "MedicalProcedure",
                    "name": p.meta.title,
                    "url": format!("{base}{}", PageKind::Procedure.page_path(&p.slug)),
                })).collect::<Vec<_>>(),
            });
            if !names.is_empty() {
                about["alternateName"] = names.into();
            }
            let codes: Vec<Value> = [("SNOMED CT", &front.snomed_ct), ("ICD-10", &front.icd10)]
                .into_iter()
                .flat_map(|(system, codes)| {
                    codes.iter().map(move |c| {
                        json!({ "@type": "MedicalCode", "codeValue": c.get_ref(), "codingSystem": system })
                    })
                })
                .collect();
            if !codes.is_empty() {
                about["code"] = codes.into();
            }
            Some(about)
        }
        _ => None,
    }
}

/// JSON that cannot end its `<script>` element early or open a comment: `<`, `>` and `&` are
/// written as JSON escapes, which mean the same characters.
pub fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let text = script_safe(&json!({ "name": "</script><!-- & more" }).to_string());
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "</script><!-- & more");
    }
}
