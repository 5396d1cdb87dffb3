//! The crate's layers, checked from its source: config <- content <- (finder, search, mail,
//! radiation) <- web <- the application (lib.rs, main.rs and the commands). Every `crate::…`
//! path in `src/` (in `use` lines and in code) is an edge from the module it is written in to the
//! top-level module it names; an edge a layer does not allow fails the test, named with its file
//! and line. Within a top-level module, its files must not import each other in a circle.
//!
//! Test modules (`#[cfg(test)] mod …` to the end of a file) are not read: a test may reach for
//! fixtures anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layered top-level module and the top-level modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("config", &[]),
    ("content", &["config"]),
    ("finder", &["content", "config"]),
    ("search", &["content", "config"]),
    ("mail", &["content", "config"]),
    ("radiation", &["content", "config"]),
    ("feedback", &["content", "config"]),
    // The leaflets' typesetter: plain data in, a PDF out (the web layer gathers the data).
    ("leaflet", &["content", "config"]),
    (
        "web",
        &[
            "config",
            "content",
            "finder",
            "search",
            "mail",
            "radiation",
            "feedback",
            "leaflet",
        ],
    ),
];

/// The application: the crate root, the binary and the commands. They may use any layer; no
/// layer may use them.
const APPLICATION: &[&str] = &[
    "crate",
    "main",
    "check",
    "connections",
    "export",
    "logging",
    "reviews",
    "scaffold",
    "watch",
];

/// A use of one module by another, where it is written.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

/// Fails with `what` and the list, one a line, unless the list is empty.
fn assert_none(found: &[String], what: &str) {
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn every_import_follows_the_layers() {
    let edges = crate_edges(&irinfo::crate_dir().join("src"));
    assert!(edges.len() > 50, "only {} edges found", edges.len());
    assert_none(
        &forbidden_edges(&edges),
        "imports against the layers (see tests/it/layers.rs)",
    );
}

#[test]
fn no_module_imports_its_siblings_in_a_circle() {
    let edges = sibling_edges(&irinfo::crate_dir().join("src"));
    assert_none(&cycles(&edges), "modules that import each other");
}

/// The checker itself, on made-up edges: what it must refuse and what it must let through.
#[test]
fn the_checker_names_each_forbidden_edge() {
    let edge = |from: &str, to: &str| Edge {
        from: from.into(),
        to: to.into(),
        file: PathBuf::from(format!("src/{from}.rs")),
        line: 7,
    };
    let cases = [
        (edge("config", "mail"), true),
        (edge("content", "finder"), true),
        (edge("content", "web"), true),
        (edge("web", "crate"), true),
        (edge("finder", "search"), true),
        (edge("newmodule", "config"), true),
        (edge("content", "config"), false),
        (edge("web", "finder"), false),
        (edge("watch", "web"), false),
        (edge("content", "content"), false),
    ];
    for (edge, refused) in cases {
        let found = forbidden_edges(std::slice::from_ref(&edge));
        assert_eq!(!found.is_empty(), refused, "{edge:?}: {found:?}");
        if refused {
            assert!(
                found[0].starts_with(&format!(
                    "src/{}.rs:7: {} -> {}",
                    edge.from, edge.from, edge.to
                )),
                "{}",
                found[0]
            );
        }
    }
    let circle = [edge("web::a", "web::b"), edge("web::b", "web::a")];
    assert_eq!(cycles(&circle).len(), 1);
    assert!(cycles(&circle[..1]).is_empty());
}

/// `file:line: from -> to (why)` for every edge no layer allows.
fn forbidden_edges(edges: &[Edge]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    edges
        .iter()
        .filter(|e| e.from != e.to && !APPLICATION.contains(&e.from.as_str()))
        .filter_map(|e| {
            let why = match allowed.get(e.from.as_str()) {
                None => format!(
                    "`{}` is in no layer: add it to LAYERS or APPLICATION in tests/it/layers.rs",
                    e.from
                ),
                Some(may_use) if may_use.contains(&e.to.as_str()) => return None,
                Some(may_use) => format!("`{}` may only use {may_use:?}", e.from),
            };
            Some(format!(
                "{}:{}: {} -> {} ({why})",
                e.file.display(),
                e.line,
                e.from,
                e.to
            ))
        })
        .collect()
}

/// Each circle of sibling modules that import each other, as `a -> b -> a (file:line, …)`.
fn cycles(edges: &[Edge]) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for e in edges {
        graph.entry(&e.from).or_default().entry(&e.to).or_insert(e);
    }
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        let mut path = vec![*start];
        walk(&graph, &mut path, &mut found);
    }
    found.into_iter().collect()
}

fn walk<'a>(
    graph: &BTreeMap<&'a str, BTreeMap<&'a str, &'a Edge>>,
    path: &mut Vec<&'a str>,
    found: &mut BTreeSet<String>,
) {
    let here = *path.last().expect("a path has a start");
    for (next, edge) in graph.get(here).into_iter().flatten() {
        if *next == path[0] {
            // Reported once, from its smallest module.
            if path.iter().all(|m| m >= next) {
                found.insert(format!(
                    "{} -> {next} ({}:{})",
                    path.join(" -> "),
                    edge.file.display(),
                    edge.line
                ));
            }
        } else if !path.contains(next) {
            path.push(next);
            walk(graph, path, found);
            path.pop();
        }
    }
}

/// Every edge between top-level modules.
fn crate_edges(src: &Path) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (file, module) in modules(src) {
        let top = module.split("::").next().unwrap_or_default().to_string();
        for (line, text) in code_lines(&file) {
            for path in paths_after(&text, "crate::")
                .into_iter()
                .chain(paths_after(&text, "irinfo::"))
            {
                let target = top_level(src, &path);
                edges.push(Edge {
                    from: top.clone(),
                    to: target,
                    file: relative(src, &file),
                    line,
                });
            }
            // `super::` in a top-level file (or a folder's mod.rs) is the crate root.
            let depth = module.matches("::").count();
            if depth == 0 && module != "crate" && module != "main" {
                for path in paths_after(&text, "super::") {
                    if !is_module(src, &path[0]) {
                        edges.push(Edge {
                            from: top.clone(),
                            to: "crate".into(),
                            file: relative(src, &file),
                            line,
                        });
                    }
                }
            }
        }
    }
    edges
}

/// Every edge between two files of one folder (not its mod.rs, which ties them together).
fn sibling_edges(src: &Path) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (file, module) in modules(src) {
        let Some((parent, _)) = module.rsplit_once("::") else {
            continue;
        };
        let folder = src.join(parent.replace("::", "/"));
        for (line, text) in code_lines(&file) {
            let crate_prefix = format!("crate::{parent}::");
            let named = paths_after(&text, "super::")
                .into_iter()
                .chain(paths_after(&text, &crate_prefix));
            for path in named {
                let sibling = &path[0];
                if folder.join(format!("{sibling}.rs")).is_file()
                    || folder.join(sibling).join("mod.rs").is_file()
                {
                    let to = format!("{parent}::{sibling}");
                    if to != module {
                        edges.push(Edge {
                            from: module.clone(),
                            to,
                            file: relative(src, &file),
                            line,
                        });
                    }
                }
            }
        }
    }
    edges
}

/// Every `.rs` file under `src` with its module path: `crate`, `main`, `web`, `web::site`, …
fn modules(src: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    collect(src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let inside = file.strip_prefix(src).unwrap_or(&file);
            let mut parts: Vec<String> = inside
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let module = match parts.join("::").as_str() {
                "lib" => "crate".to_string(),
                other => other.to_string(),
            };
            (file, module)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of code of a file with their numbers: comments and test modules left out.
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(file).expect("read source");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

/// The module paths written after `prefix` on a line: `crate::web::site::Site` gives
/// `["web", "site", "Site"]`; `crate::{config, web::Site}` gives both.
fn paths_after(line: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let path = segments(item.trim());
                if !path.is_empty() {
                    paths.push(path);
                }
            }
        } else {
            let path = segments(rest);
            if !path.is_empty() {
                paths.push(path);
            }
        }
    }
    paths
}

fn segments(text: &str) -> Vec<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The top-level module a `crate::` path names, or `crate` for an item of the crate root.
fn top_level(src: &Path, path: &[String]) -> String {
    if is_module(src, &path[0]) {
        path[0].clone()
    } else {
        "crate".to_string()
    }
}

fn is_module(src: &Path, name: &str) -> bool {
    src.join(format!("{name}.rs")).is_file() || src.join(name).join("mod.rs").is_file()
}

fn relative(src: &Path, file: &Path) -> PathBuf {
    let root = src.parent().unwrap_or(src);
    file.strip_prefix(root).unwrap_or(file).to_path_buf()
}
