//! `/sitemap.xml` and `/robots.txt`.
//!
//! The sitemap lists every pre-rendered HTML page that is not a draft: content pages with the
//! date of their newest `[[history]]` entry, list pages with the newest date of the pages under
//! them, other pages without a date (nothing records when they changed). Past the format's limit
//! of 50,000 addresses, `/sitemap.xml` becomes a sitemap index of `/sitemaps/N.xml` files.

use std::collections::{HashMap, HashSet};

use crate::content::Library;
use crate::content::front_matter::ContentDate;

/// The most addresses one sitemap file may hold (sitemaps.org).
pub const URL_LIMIT: usize = 50_000;

/// Addresses robots are asked not to crawl: results of what someone typed, and the API.
pub const DISALLOWED: [&str; 4] = ["/search", "/find?", "/radiation/compare", "/api/"];

/// One address of the sitemap: its path and the date it last changed, if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    pub path: String,
    pub lastmod: Option<String>,
}

/// The sitemap's addresses: every path in `html_paths` except drafts, with its last change.
pub fn entries(library: &Library, html_paths: &[&str]) -> Vec<SitemapUrl> {
    let mut changed: HashMap<String, ContentDate> = HashMap::new();
    let mut drafts = HashSet::new();
    for page in library.all_pages() {
        if page.meta.draft {
            drafts.insert(page.path());
            continue;
        }
        if let Some(newest) = page.meta.review.history.first() {
            changed.insert(page.path(), newest.date);
        }
    }
    if let Some(newest) = library.doses.review.history.first() {
        changed.insert("/radiation/doses".to_string(), newest.date);
    }
    let mut paths: Vec<&str> = html_paths
        .iter()
        .copied()
        .filter(|p| !drafts.contains(*p))
        .filter(|p| !DISALLOWED.iter().any(|d| p.starts_with(d)))
        .collect();
    paths.sort_unstable();
    paths
        .into_iter()
        .map(|path| {
            let own = changed.get(path).copied();
            let prefix = format!("{path}/");
            let under = (path != "/")
                .then(|| {
                    changed
                        .iter()
                        .filter(|(p, _)| p.starts_with(&prefix))
                        .map(|(_, d)| *d)
                        .max()
                })
                .flatten();
            SitemapUrl {
                path: path.to_string(),
                lastmod: own.max(under).map(|d| d.iso()),
            }
        })
        .collect()
}

/// The sitemap files: `/sitemap.xml` alone, or past `limit` addresses an index and its parts.
pub fn documents(base: &str, urls: &[SitemapUrl], limit: usize) -> Vec<(String, String)> {
    if urls.len() <= limit {
        return vec![("/sitemap.xml".to_string(), urlset(base, urls))];
    }
    let mut files = Vec::new();
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (i, chunk) in urls.chunks(limit).enumerate() {
        let path = format!("/sitemaps/{}.xml", i + 1);
        index.push_str(&format!(
            "<sitemap><loc>{}</loc>",
            escape(&format!("{base}{path}"))
        ));
        if let Some(newest) = chunk.iter().filter_map(|u| u.lastmod.as_deref()).max() {
            index.push_str(&format!("<lastmod>{newest}</lastmod>"));
        }
        index.push_str("</sitemap>\n");
        files.push((path, urlset(base, chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("/sitemap.xml".to_string(), index));
    files
}

fn urlset(base: &str, urls: &[SitemapUrl]) -> String {
    let mut xml = String::with_capacity(urls.len() * 100 + 200);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str(&format!(
            "<url><loc>{}</loc>",
            escape(&format!("{base}{}", url.path))
        ));
        if let Some(lastmod) = &url.lastmod {
            xml.push_str(&format!("<lastmod>{lastmod}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// `/robots.txt`: every page may be crawled except results, and the sitemap is named.
pub fn robots(base: &str) -> String {
    let mut text = String::from(
        "# Every page may be crawled. Search and finder results, dose comparisons and the API\n\
         # depend on what someone asked, so they are left out; the sitemap lists the pages.\n\
         User-agent: *\n",
    );
    for path in DISALLOWED {
        text.push_str(&format!("Disallow: {path}\n"));
    }
    text.push_str(&format!("\nSitemap: {base}/sitemap.xml\n"));
    text
}

/// Escapes text for XML content and attributes.
pub fn escape(text: &str) -> String {
    super::super::escape_markup(text, "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(n: usize) -> Vec<SitemapUrl> {
        (0..n)
            .map(|i| SitemapUrl {
                path: format!("/p/{i}"),
                lastmod: Some(format!("2026-11-{:02}", i % 28 + 1)),
            })
            .collect()
    }

    #[test]
    fn a_sitemap_past_the_limit_becomes_an_index_of_parts() {
        let cases = [
            (3, 3, vec!["/sitemap.xml"]),
            (
                7,
                3,
                vec![
                    "/sitemap.xml",
                    "/sitemaps/1.xml",
                    "/sitemaps/2.xml",
                    "/sitemaps/3.xml",
                ],
            ),
        ];
        for (count, limit, expected) in cases {
            let files = documents("https://x.test", &urls(count), limit);
            let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(paths, expected, "{count} urls, limit {limit}");
            let listed: usize = files
                .iter()
                .map(|(_, xml)| xml.matches("<url>").count())
                .sum();
            assert_eq!(listed, count);
            if count > limit {
                assert!(files[0].1.contains("<sitemapindex"));
                assert!(
                    files[0]
                        .1
                        .contains("<loc>https://x.test/sitemaps/3.xml</loc>")
                );
            }
        }
    }

    #[test]
    fn robots_names_the_sitemap_and_keeps_results_out() {
        let text = robots("https://x.test");
        for line in [
            "Disallow: /search",
            "Disallow: /find?",
            "Sitemap: https://x.test/sitemap.xml",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
    }
}
