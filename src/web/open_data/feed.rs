//! `/feed.xml`: an Atom feed (RFC 4287) of new and changed pages, one entry per `[[history]]`
//! entry of every published page, newest first, each with its change summary.

use super::sitemap::escape;
use crate::config::SiteConfig;
use crate::content::Library;

/// How many entries the feed holds: enough for a reader who checks monthly.
pub const FEED_LIMIT: usize = 100;

/// The feed as XML.
pub fn atom(config: &SiteConfig, library: &Library) -> String {
    let base = config.site.base_url.as_str();
    let mut entries = Vec::new();
    for page in library.all_pages() {
        if page.meta.draft {
            continue;
        }
        let history = &page.meta.review.history;
        for (i, change) in history.iter().enumerate() {
            // The oldest entry is the page's first publication.
            let kind = if i + 1 == history.len() {
                "New"
            } else {
                "Changed"
            };
            entries.push((change.date, page.path(), page, change, kind));
        }
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    entries.truncate(FEED_LIMIT);
    let updated = entries
        .first()
        .map_or_else(|| "1970-01-01".to_string(), |e| e.0.iso());

    let mut xml = String::with_capacity(entries.len() * 600 + 800);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n");
    xml.push_str(&format!(
        "<title>{} - new and changed pages</title>\n<subtitle>Patient information sheets and position statements as they are published and changed.</subtitle>\n",
        escape(&config.site.name)
    ));
    xml.push_str(&format!("<id>{}/feed.xml</id>\n", escape(base)));
    xml.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}/feed.xml\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>\n",
        escape(base),
        escape(base)
    ));
    xml.push_str(&format!("<updated>{updated}T00:00:00Z</updated>\n"));
    xml.push_str(&format!(
        "<author><name>{}</name><uri>{}/</uri></author>\n",
        escape(&config.site.publisher),
        escape(base)
    ));
    for (date, path, page, change, kind) in entries {
        let url = format!("{base}{path}");
        xml.push_str("<entry>\n");
        xml.push_str(&format!(
            "<title>{}: {} (version {})</title>\n",
            kind,
            escape(&page.meta.title),
            escape(&change.version)
        ));
        xml.push_str(&format!(
            "<id>{}#version-{}</id>\n",
            escape(&url),
            escape(&change.version)
        ));
        xml.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&url)
        ));
        xml.push_str(&format!("<updated>{}T00:00:00Z</updated>\n", date.iso()));
        xml.push_str(&format!(
            "<category term=\"{}\" label=\"{}\"/>\n",
            match page.kind.folder() {
                "" => "home",
                folder => folder,
            },
            escape(page.kind.label())
        ));
        xml.push_str(&format!("<summary>{}</summary>\n", escape(&change.change)));
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}
