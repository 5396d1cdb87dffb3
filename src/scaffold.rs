//! `irinfo new KIND SLUG`: starts a page with every front-matter field and, for a procedure
//! sheet, the nine required sections, so an editor fills in blanks rather than remembering fields.
//!
//! Every blank holds the word `TODO`, which `irinfo check` reports as an error until it is
//! replaced, and the page starts as a draft, so a half-written page is never published.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::content::PageKind;
use crate::content::kinds::PLAIN_NEW_PAGE;
use crate::content::kinds::is_valid_slug;

/// Why a page could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a valid slug: use lower-case letters, digits and single hyphens, such as `picc-line`"
    )]
    BadSlug(String),
    #[error("the home page already exists; edit content/index.md instead")]
    Home,
    #[error("{} already exists: edit it, or choose another slug", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes a new page of `kind` called `slug` under `content_dir` and returns its path. Never
/// overwrites: the file is created only if nothing is at that path.
pub fn create(
    content_dir: &Path,
    kind: PageKind,
    slug: &str,
    today: Date,
) -> Result<PathBuf, ScaffoldError> {
    if kind.spec().new_page.is_none() {
        return Err(ScaffoldError::Home);
    }
    if !is_valid_slug(slug) {
        return Err(ScaffoldError::BadSlug(slug.to_string()));
    }
    let dir = content_dir.join(kind.folder());
    let path = dir.join(format!("{slug}.md"));
    let io = |source| ScaffoldError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    // `create_new` fails if the file exists, even if it appeared a moment ago.
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ScaffoldError::Exists(path));
        }
        Err(e) => return Err(io(e)),
    };
    file.write_all(template(kind, today).as_bytes())
        .map_err(io)?;
    Ok(path)
}

/// The text of a new page of `kind`, from its row's
/// [`NewPageText`](crate::content::kinds::NewPageText); a plain article's for a kind without one.
pub fn template(kind: PageKind, today: Date) -> String {
    let text = kind.spec().new_page.unwrap_or(PLAIN_NEW_PAGE);
    let next_review = today
        .checked_add(jiff::Span::new().years(2))
        .unwrap_or(today);
    let mut front = String::from(
        "# Replace every placeholder below (the guide is content/README.md), then run\n\
         # `irinfo check`, which lists any left. The page stays hidden until `draft = false`.\n",
    );
    front.push_str(&format!(
        "title = \"TODO: {}\"\n\
         summary = \"TODO: one plain sentence of at most 160 characters, used in lists and search results.\"\n",
        text.title_hint
    ));
    front.push_str(&(text.fields)(today));
    front.push_str(&format!(
        "draft = true\n\
         sample = {}  # true for illustrative content, such as a made-up story\n\
         next_review = {next_review}\n\
         review_group = \"TODO: the group or role that will review the page\"\n\
         # [clinical_review] goes here only once a clinician has really reviewed the page:\n\
         # it needs `reviewer` (a role) and `date`.\n",
        text.sample
    ));
    front.push_str(text.tables);
    front.push_str(&format!(
        "\n[[history]]  # newest first; add an entry above this one for each change\n\
         version = \"1.0\"\n\
         date = {today}\n\
         change = \"First published.\"\n"
    ));
    let mut body = String::new();
    for (heading, hint) in text.sections {
        body.push_str(&format!("## {heading}\n\nTODO: {hint}.\n\n"));
    }
    format!(
        "+++\n{front}+++\n\n{}",
        body.trim_end_matches('\n').to_string() + "\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::front_matter::Category;
    use crate::content::library::PROCEDURE_SECTIONS;

    #[test]
    fn category_anchors_are_the_names_front_matter_takes() {
        #[derive(serde::Deserialize)]
        struct T {
            category: Category,
        }
        for category in Category::ALL {
            let parsed: T = toml::from_str(&format!("category = \"{}\"", category.anchor()))
                .unwrap_or_else(|e| panic!("{}: {e}", category.anchor()));
            assert_eq!(parsed.category, category);
        }
    }

    #[test]
    fn every_kind_but_home_has_a_template_with_placeholders() {
        let today = jiff::civil::date(2026, 11, 28);
        for kind in PageKind::ALL {
            if kind == PageKind::Home {
                continue;
            }
            let text = template(kind, today);
            assert!(text.starts_with("+++\n"), "{kind:?}");
            assert!(text.contains("draft = true"), "{kind:?}");
            assert!(text.contains("next_review = 2028-11-28"), "{kind:?}");
            assert!(text.contains("TODO"), "{kind:?}");
        }
        let sheet = template(PageKind::Procedure, today);
        for heading in PROCEDURE_SECTIONS {
            assert!(sheet.contains(&format!("\n## {heading}\n")), "{heading}");
        }
    }
}
