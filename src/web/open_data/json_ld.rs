//! schema.org JSON-LD for content pages: a `MedicalWebPage` with its publisher, audience,
//! version, breadcrumb trail and, on procedure and condition pages, what it is `about`.
//!
//! `lastReviewed` and `reviewedBy` are written only when a page records a `[clinical_review]`:
//! the shipped content has had none, and the page must not claim one. The JSON goes in a
//! `<script type="application/ld+json">`, a data block that browsers never run, so the strict
//! `script-src 'self'` of the CSP is untouched.

use serde_json::{Value, json};

use crate::config::SiteConfig;
use crate::content::front_matter::{ConditionFrontMatter, ProcedureFrontMatter};
use crate::content::{Library, Page, PageKind};

/// What a page's JSON-LD says besides its address, title and breadcrumbs (which the layout has).
#[derive(Debug, Clone)]
pub struct PageFacts {
    base: String,
    page: Value,
}

impl PageFacts {
    /// The facts of a page of any kind.
    pub fn new(config: &SiteConfig, library: &Library, page: &Page) -> Self {
        let base = config.site.base_url.clone();
        let url = format!("{base}{}", page.path());
        let meta = &page.meta;
        let review = &meta.review;
        let mut facts = json!({
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
            facts["dateModified"] = newest.date.iso().into();
            facts["version"] = newest.version.clone().into();
        }
        if let Some(oldest) = review.history.last() {
            facts["datePublished"] = oldest.date.iso().into();
        }
        if let Some(clinical) = &review.clinical_review {
            facts["lastReviewed"] = clinical.date.iso().into();
            facts["reviewedBy"] = json!({ "@type": "Person", "jobTitle": clinical.reviewer });
        }
        if let Some(about) = about(library, page, &url, &base) {
            facts["about"] = about;
        }
        Self { base, page: facts }
    }

    /// The JSON-LD for the page at `canonical` with these breadcrumbs, label and site path
    /// (Home first; the page itself is added last), safe to put inside a `<script>` element.
    pub fn json_ld<'a>(
        &self,
        canonical: &str,
        title: &str,
        crumbs: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    ) -> String {
        let mut page = self.page.clone();
        page["url"] = canonical.into();
        let no_crumbs = crumbs.len() == 0;
        let mut items: Vec<Value> = crumbs
            .map(|(label, href)| (label, format!("{}{href}", self.base)))
            .chain(std::iter::once((title, canonical.to_string())))
            .enumerate()
            .map(|(i, (name, item))| {
                json!({ "@type": "ListItem", "position": i + 1, "name": name, "item": item })
            })
            .collect();
        if no_crumbs {
            items.truncate(1);
        }
        page["breadcrumb"] = json!({ "@type": "BreadcrumbList", "itemListElement": items });
        script_safe(&page.to_string())
    }
}

/// What a page is about: a `MedicalProcedure` or a `MedicalCondition`, with the properties its
/// front matter supports; nothing for the other kinds. Adding a kind makes the compiler ask here.
fn about(library: &Library, page: &Page, url: &str, base: &str) -> Option<Value> {
    match page.kind {
        PageKind::Procedure => {
            let front = page.front::<ProcedureFrontMatter>()?;
            let mut about = json!({
                "@type": "MedicalProcedure",
                "name": page.meta.title,
                "description": page.meta.summary,
                "url": url,
            });
            if !front.also_known_as.is_empty() {
                about["alternateName"] = front.also_known_as.clone().into();
            }
            Some(about)
        }
        PageKind::Condition => {
            let front = page.front::<ConditionFrontMatter>()?;
            let mut names: Vec<String> = Vec::new();
            if page.meta.title != front.medical_name {
                names.push(page.meta.title.clone());
            }
            names.extend(front.also_known_as.iter().cloned());
            let mut about = json!({
                "@type": "MedicalCondition",
                "name": front.medical_name,
                "description": page.meta.summary,
                "url": url,
                "possibleTreatment": library.treatments_for(&page.slug).iter().map(|p| json!({
                    "@type": "MedicalProcedure",
                    "name": p.meta.title,
                    "url": format!("{base}{}", p.path()),
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
        PageKind::Home
        | PageKind::Story
        | PageKind::Radiation
        | PageKind::Statement
        | PageKind::About => None,
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
