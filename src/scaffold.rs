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
use crate::content::front_matter::Category;
use crate::content::library::{PROCEDURE_SECTIONS, is_valid_slug};

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
    if kind == PageKind::Home {
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

/// The text of a new page of `kind`.
pub fn template(kind: PageKind, today: Date) -> String {
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
        match kind {
            PageKind::Procedure => "the name of the procedure that patients know",
            PageKind::Condition => "the name of the condition that patients use",
            PageKind::Story => "a short headline in the patient's words",
            PageKind::Statement => "the statement's title",
            _ => "the page title",
        }
    ));
    let kind_fields = match kind {
        PageKind::Procedure => format!(
            "also_known_as = []  # other names and abbreviations, such as [\"PTA\", \"balloon angioplasty\"]\n\
             conditions = []  # slugs of the conditions it treats, from content/conditions/\n\
             category = \"TODO\"  # one of: {}\n\
             x_rays = \"TODO\"  # \"yes\", \"sometimes\" or \"no\"\n\
             related = []  # slugs of other procedure sheets worth reading\n\
             # The dose, if any, is written once, in radiation/doses.toml (`procedure = \"<slug>\"`).\n\
             sources = [\"TODO\"]  # at least 3 ids from content/sources/*.toml, besides [@id] in the text\n\
             search_terms = []  # words searchers type that are not shown, such as US spellings\n",
            Category::ALL
                .iter()
                .map(|c| c.anchor())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PageKind::Condition => "medical_name = \"TODO: the medical name\"\n\
             also_known_as = []  # other names patients use\n\
             other_treatments = \"TODO: one line on treatments that are not IR\"\n\
             # nhs_url = \"https://www.nhs.uk/conditions/...\"\n\
             # nice_url = \"https://www.nice.org.uk/guidance/...\"\n"
            .to_string(),
        PageKind::Story => format!(
            "procedures = [\"TODO\"]  # slugs of the procedure sheets the story is about\n\
             published = {today}\n"
        ),
        PageKind::Statement => format!(
            "issued = {today}\n\
             status = \"current\"  # \"current\", \"superseded\" or \"withdrawn\"\n\
             # superseded_by = \"slug-of-the-newer-statement\"  # only when status = \"superseded\"\n"
        ),
        _ => String::new(),
    };
    front.push_str(&kind_fields);
    front.push_str(&format!(
        "draft = true\n\
         sample = {}  # true for illustrative content, such as a made-up story\n\
         next_review = {next_review}\n\
         review_group = \"TODO: the group or role that will review the page\"\n\
         # [clinical_review] goes here only once a clinician has really reviewed the page:\n\
         # it needs `reviewer` (a role) and `date`.\n",
        kind == PageKind::Story
    ));
    let history = format!(
        "\n[[history]]  # newest first; add an entry above this one for each change\n\
         version = \"1.0\"\n\
         date = {today}\n\
         change = \"First published.\"\n"
    );
    if kind == PageKind::Procedure {
        front.push_str(
            "\n[professional]  # the section for healthcare professionals\n\
             indications = []\n\
             contraindications = []\n\
             referral = \"TODO: how to refer a patient\"\n\
             guidance = []  # such as { title = \"NICE IPG367: ...\", url = \"https://www.nice.org.uk/guidance/ipg367\" }\n",
        );
    }
    front.push_str(&history);
    if kind == PageKind::Procedure {
        front.push_str(
            "\n# One [[risks]] block per risk, most common first. Never write a band word such as\n\
             # \"rare\": the site works it out from the number. See content/README.md.\n\
             [[risks]]\n\
             what = \"TODO: what happens, in plain words\"\n\
             # frequency = \"1 in 100\"  # \"N in M\" or \"N to N2 in M\", as the source you read gives it\n\
             # sources = [\"source-id\"]  # needed with a frequency\n\
             frequency_unknown = \"TODO: why no published figure is known (remove this when you give a frequency)\"\n\
             # treatment = \"what is done about it\"\n\
             \n\
             # [get_help]  # the care cards shown at the end of \"Afterwards\"\n\
             # call_999 = [\"you have chest pain\"]  # \"Call 999 or go to A&E now if\"\n\
             # same_day = [\"you have a high temperature\"]  # \"Get help the same day if\"\n\
             # non_urgent = [\"your wound is still sore after a week\"]  # \"Contact your team or GP if\"\n",
        );
    }
    let sections: Vec<(&str, &str)> = match kind {
        PageKind::Procedure => PROCEDURE_SECTIONS
            .iter()
            .map(|heading| (*heading, procedure_hint(heading)))
            .collect(),
        PageKind::Condition => vec![
            (
                "What is it?",
                "what the condition is, in two or three short sentences",
            ),
            ("Symptoms", "what people notice"),
            (
                "How interventional radiology can help",
                "which procedures help, with links such as [angioplasty](/procedures/angioplasty)",
            ),
            ("Other treatments", "the treatments that are not IR"),
        ],
        PageKind::Story => vec![
            ("Before", "what was wrong, in the patient's own words"),
            ("The procedure", "what it was like on the day"),
            ("Afterwards", "how things went after"),
        ],
        PageKind::Statement => vec![
            ("Background", "why the society is making this statement"),
            ("Our position", "what the society's position is"),
            ("What this means for patients", "what changes for patients"),
        ],
        _ => vec![("TODO: a heading", "the first part of the page")],
    };
    let mut body = String::new();
    for (heading, hint) in sections {
        body.push_str(&format!("## {heading}\n\nTODO: {hint}.\n\n"));
    }
    format!(
        "+++\n{front}+++\n\n{}",
        body.trim_end_matches('\n').to_string() + "\n"
    )
}

/// What to write under each required section of a procedure sheet.
fn procedure_hint(heading: &str) -> &'static str {
    match heading {
        "What is it?" => "say what the procedure is in two or three short sentences",
        "Why do I need it?" => "say what it treats or finds, and link to the condition pages",
        "Are there alternatives?" => "list the other choices, such as surgery or medicines",
        "Before the procedure" => "tests, medicines to stop, eating and drinking, consent",
        "What happens during the procedure?" => "step by step, from arriving to leaving the room",
        "Afterwards" => {
            "recovery and going home; when to get help goes in [get_help], which the site adds here"
        }
        "Risks and how common they are" => {
            "a short introduction only: the risks go in [[risks]], which the site lists here"
        }
        "Radiation" => "whether X-rays are used; the site adds the dose panel itself",
        _ => "what to ask, as a list",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
