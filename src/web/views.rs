//! The askama templates and the data each one needs.
//!
//! Every page template extends `_layout.html` and carries a [`Layout`] with what the frame of the
//! page needs: title, description, navigation, breadcrumbs and banners.

use askama::Template;

use crate::config::SiteConfig;
use crate::content::front_matter::Category;
use crate::content::{
    Condition, HomePage, KINDS, Page, PatientStory, PositionStatement, ProcedureSheet,
};
use crate::radiation::RiskBand;

/// A link in the breadcrumb trail.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: String,
}

impl Crumb {
    pub fn new(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            href: href.into(),
        }
    }
}

/// An entry of the main navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The entries of the main navigation that are not a kind's list: where each goes among the
/// kinds' entries (a kind's `nav_position` in [`KINDS`]), its label and the path whose pages it
/// covers.
const OTHER_NAVIGATION: [(usize, &str, &str); 2] = [
    (2, "Find an interventional radiologist", "/find"),
    (6, "Contact", "/contact"),
];

/// The main navigation, label and path, in order: the kinds with a `nav_position` and the rest.
fn navigation() -> &'static [(&'static str, &'static str)] {
    static NAVIGATION: std::sync::LazyLock<Vec<(&str, &str)>> = std::sync::LazyLock::new(|| {
        let mut entries: Vec<(usize, &str, &str)> = KINDS
            .iter()
            .filter_map(|spec| Some((spec.nav_position?, spec.crumb, spec.route)))
            .chain(OTHER_NAVIGATION)
            .collect();
        entries.sort_by_key(|(position, ..)| *position);
        entries
            .into_iter()
            .map(|(_, label, href)| (label, href))
            .collect()
    });
    &NAVIGATION
}

#[cfg(test)]
mod navigation_tests {
    use super::*;

    #[test]
    fn every_place_in_the_navigation_is_taken_once() {
        let positions: Vec<usize> = KINDS
            .iter()
            .filter_map(|spec| spec.nav_position)
            .chain(OTHER_NAVIGATION.iter().map(|(position, ..)| *position))
            .collect();
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..positions.len()).collect::<Vec<_>>());
        assert_eq!(navigation().len(), positions.len());
    }

    #[test]
    fn every_kind_names_templates_that_exist() {
        let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for spec in &KINDS {
            for name in std::iter::once(spec.template).chain(spec.list_template) {
                assert!(templates.join(name).is_file(), "{:?}: {name}", spec.kind);
            }
        }
    }
}

/// What the shared layout needs to frame a page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_name: String,
    pub publisher: String,
    /// The page title, without the site name.
    pub title: String,
    /// The meta description.
    pub description: String,
    /// The full canonical address of the page.
    pub canonical: String,
    /// The address a printed page says it was printed from: the canonical one, or none when
    /// `site.base_url` names this machine (a loopback address on paper helps nobody).
    pub print_address: Option<String>,
    pub nav: Vec<NavItem>,
    /// Pages above this one; empty on the home page.
    pub breadcrumbs: Vec<Crumb>,
    pub noindex: bool,
    pub draft: bool,
    pub sample: bool,
    /// What is in the header search box.
    pub query: String,
    /// The stylesheet's address.
    pub stylesheet: String,
    /// Put before the `<title>` only, such as "Error: " when a form is shown with problems.
    pub title_prefix: &'static str,
    /// Leaves the search box out of the header, on the search page which has its own: one
    /// search box on a page, never two.
    pub hide_header_search: bool,
    /// The search suggestions script (fingerprinted), on pages whose search box offers them.
    pub suggest_script: Option<String>,
    /// A content page's schema.org facts, written as JSON-LD (see [`super::open_data::json_ld`]).
    pub structured: Option<super::open_data::json_ld::PageFacts>,
    /// On a content page, its path: the layout then asks "Was this page helpful?" (see
    /// [`super::feedback`]).
    pub feedback: Option<String>,
}

impl Layout {
    /// A layout for the page at `path`, linking `stylesheet` (the fingerprinted address from
    /// [`Site::stylesheet`](super::Site::stylesheet); there is no default, so no page can link
    /// the plain one by being forgotten).
    pub fn new(
        config: &SiteConfig,
        stylesheet: impl Into<String>,
        path: &str,
        title: impl Into<String>,
    ) -> Self {
        let nav = navigation()
            .iter()
            .map(|(label, href)| NavItem {
                label,
                href,
                current: path == *href || path.starts_with(&format!("{href}/")),
            })
            .collect();
        Self {
            site_name: config.site.name.clone(),
            publisher: config.site.publisher.clone(),
            title: title.into(),
            description: String::new(),
            canonical: format!("{}{}", config.site.base_url, path),
            print_address: (!crate::config::names_this_machine(&config.site.base_url))
                .then(|| format!("{}{}", config.site.base_url, path)),
            nav,
            breadcrumbs: Vec::new(),
            noindex: false,
            draft: false,
            sample: false,
            query: String::new(),
            stylesheet: stylesheet.into(),
            title_prefix: "",
            hide_header_search: false,
            suggest_script: None,
            structured: None,
            feedback: None,
        }
    }

    /// Asks "Was this page helpful?" about the page at `path` at the foot of the page.
    pub fn ask_feedback(mut self, path: impl Into<String>) -> Self {
        self.feedback = Some(path.into());
        self
    }

    /// Gives the page its schema.org JSON-LD and makes its Open Graph type "article".
    pub fn structured(mut self, facts: super::open_data::json_ld::PageFacts) -> Self {
        self.structured = Some(facts);
        self
    }

    /// The page's JSON-LD, ready for a `<script type="application/ld+json">`.
    pub fn json_ld(&self) -> Option<String> {
        let crumbs = || {
            self.breadcrumbs
                .iter()
                .map(|c| (c.label.as_str(), c.href.as_str()))
        };
        self.structured
            .as_ref()
            .map(|facts| facts.json_ld(&self.canonical, &self.title, crumbs()))
    }

    /// The Open Graph type: content pages are articles, the rest websites.
    pub fn og_type(&self) -> &'static str {
        if self.structured.is_some() {
            "article"
        } else {
            "website"
        }
    }

    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds the trail of pages above this one; Home is always first.
    pub fn crumbs(mut self, crumbs: impl IntoIterator<Item = Crumb>) -> Self {
        self.breadcrumbs = std::iter::once(Crumb::new("Home", "/"))
            .chain(crumbs)
            .collect();
        self
    }

    /// Adds one more page to the end of the breadcrumb trail.
    pub fn crumb(mut self, crumb: Crumb) -> Self {
        self.breadcrumbs.push(crumb);
        self
    }

    pub fn flags(mut self, draft: bool, sample: bool) -> Self {
        self.draft = draft;
        self.noindex |= draft;
        self.sample = sample;
        self
    }

    pub fn noindex(mut self) -> Self {
        self.noindex = true;
        self
    }

    /// For the search page: no search box in the header, and the suggestions script (when the
    /// static folder has it; without it the box is a plain search box).
    pub fn search_page(mut self, suggest_script: Option<&str>) -> Self {
        self.hide_header_search = true;
        self.suggest_script = suggest_script.map(str::to_string);
        self
    }

    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// Marks a form page shown again with problems: its `<title>` starts "Error: ", so screen
    /// reader users hear at once that something needs fixing (a GOV.UK pattern).
    pub fn with_errors(mut self) -> Self {
        self.title_prefix = "Error: ";
        self
    }

    /// The `<title>`: the page, then the site.
    pub fn full_title(&self) -> String {
        if self.title == self.site_name {
            format!("{}{}", self.title_prefix, self.title)
        } else {
            format!("{}{} - {}", self.title_prefix, self.title, self.site_name)
        }
    }
}

/// A link to another page, with its summary, as used in lists.
#[derive(Debug, Clone)]
pub struct ListItem {
    pub title: String,
    pub href: String,
    pub summary: String,
}

impl ListItem {
    pub fn new(title: &str, href: String, summary: &str) -> Self {
        Self {
            title: title.to_string(),
            href,
            summary: summary.to_string(),
        }
    }
}

/// A group of links under a heading, such as procedures of one category or one letter.
#[derive(Debug, Clone)]
pub struct ListGroup {
    pub id: String,
    pub heading: String,
    pub items: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub home: HomePage<'a>,
    pub procedure_count: usize,
    pub condition_count: usize,
}

#[derive(Template)]
#[template(path = "procedure_list.html")]
pub struct ProcedureListTemplate {
    pub layout: Layout,
    pub by_category: Vec<ListGroup>,
    pub by_letter: Vec<ListGroup>,
}

/// What the radiation panel on a procedure sheet says; built by [`super::radiation::panel`].
#[derive(Debug, Clone)]
pub struct RadiationPanel {
    pub uses_x_rays: &'static str,
    /// The typical dose and what it means, when the table of doses has this procedure.
    pub dose: Option<DoseFacts>,
    /// A link comparing this procedure with familiar exams: its address and its words.
    pub compare: Option<(String, String)>,
}

/// One entry of the table with everything computed from it, ready to show.
#[derive(Debug, Clone)]
pub struct DoseFacts {
    pub id: String,
    pub name: String,
    pub note: Option<String>,
    /// The procedure sheet, for interventional entries.
    pub href: Option<String>,
    /// "12", "5 to 50" or "20 (range 5 to 50)", without a unit.
    pub msv: String,
    /// "Typical dose", or "Typical range" when the source gives only a range.
    pub label: &'static str,
    /// "about 4.5 years".
    pub background: String,
    pub band: RiskBand,
    pub source_short: String,
    pub source_anchor: String,
}

#[derive(Template)]
#[template(path = "procedure.html")]
pub struct ProcedureTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub sheet: ProcedureSheet<'a>,
    pub category_label: &'static str,
    pub category_anchor: &'static str,
    pub radiation: RadiationPanel,
    pub treats: Vec<ListItem>,
    pub related: Vec<ListItem>,
    pub stories: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "condition_list.html")]
pub struct ConditionListTemplate {
    pub layout: Layout,
    pub groups: Vec<ListGroup>,
}

#[derive(Template)]
#[template(path = "condition.html")]
pub struct ConditionTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub condition: Condition<'a>,
    pub treatments: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "story_list.html")]
pub struct StoryListTemplate {
    pub layout: Layout,
    /// The stories, newest first.
    pub items: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "story.html")]
pub struct StoryTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub story: PatientStory<'a>,
    pub procedures: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "statement_list.html")]
pub struct StatementListTemplate<'a> {
    pub layout: Layout,
    pub statements: Vec<PositionStatement<'a>>,
}

#[derive(Template)]
#[template(path = "statement.html")]
pub struct StatementTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub statement: PositionStatement<'a>,
    /// The statement that replaced this one.
    pub successor: Option<ListItem>,
    /// Statements this one replaced.
    pub predecessors: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "radiation_list.html")]
pub struct RadiationListTemplate {
    pub layout: Layout,
    /// The guides.
    pub items: Vec<ListItem>,
}

#[derive(Template)]
#[template(path = "about_list.html")]
pub struct AboutListTemplate {
    pub layout: Layout,
    pub items: Vec<ListItem>,
}

/// A radiation guide or an about page: a plain article.
#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticleTemplate<'a> {
    pub layout: Layout,
    /// Sources, risks and care cards (see [`super::authority`]).
    pub authority: super::authority::AuthorityView,
    pub page: &'a Page,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub status: u16,
}

/// Groups procedures or conditions by the first letter of their title.
pub fn group_by_letter(items: Vec<ListItem>) -> Vec<ListGroup> {
    let mut groups: Vec<ListGroup> = Vec::new();
    for item in items {
        let letter = item
            .title
            .chars()
            .next()
            .map(|c| c.to_ascii_uppercase())
            .filter(char::is_ascii_alphabetic)
            .unwrap_or('#');
        match groups.last_mut() {
            Some(group) if group.heading.starts_with(letter) => group.items.push(item),
            _ => groups.push(ListGroup {
                id: format!("letter-{}", letter.to_ascii_lowercase()),
                heading: letter.to_string(),
                items: vec![item],
            }),
        }
    }
    groups
}

/// The label of a category, for templates.
pub fn category_groups(sheets: &[ProcedureSheet<'_>]) -> Vec<ListGroup> {
    Category::ALL
        .iter()
        .filter_map(|category| {
            let items: Vec<ListItem> = sheets
                .iter()
                .filter(|s| *s.front.category.get_ref() == *category)
                .map(|s| ListItem::new(&s.meta.title, s.path(), &s.meta.summary))
                .collect();
            (!items.is_empty()).then(|| ListGroup {
                id: category.anchor().to_string(),
                heading: category.label().to_string(),
                items,
            })
        })
        .collect()
}

/// The page for people that explains the feed, sitemap and API (see [`super::open_data`]).
#[derive(Template)]
#[template(path = "open_data.html")]
pub struct OpenDataTemplate {
    pub layout: Layout,
    pub api_root: &'static str,
    pub page_size: usize,
}

impl OpenDataTemplate {
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            api_root: super::open_data::API_ROOT,
            page_size: super::open_data::api::PAGE_SIZE,
        }
    }
}
