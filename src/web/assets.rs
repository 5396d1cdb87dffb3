//! The files under `static/`, read once when the site is built and served from memory, each
//! under two addresses: its plain name (`/static/site.css`, cached briefly) and a fingerprinted
//! name with a hash of its content (`/static/site.3f9a1c2b.css`, cached for a year).
//!
//! Pages link to the fingerprinted name. When a file changes, its name changes, so browsers can
//! keep every copy forever without ever showing a stale one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::cached::{CachedPage, IMMUTABLE_CACHE_CONTROL, http_date};

/// How long a browser may keep a file asked for by its plain name, which does not change.
pub const PLAIN_CACHE_CONTROL: &str = "public, max-age=3600";

/// Files larger than this stay on disk and are streamed by the static-file service instead.
const LARGEST_IN_MEMORY: u64 = 8 * 1024 * 1024;

/// How many hexadecimal digits of the content hash go into a fingerprinted name.
const FINGERPRINT_DIGITS: usize = 8;

/// Every static file, by both of its addresses.
#[derive(Debug, Default)]
pub struct StaticAssets {
    /// File name under `static/` (such as `site.css`) to its fingerprinted address.
    fingerprinted: HashMap<String, String>,
    /// Address (plain or fingerprinted) to the file.
    files: HashMap<String, CachedPage>,
}

/// A static file could not be read while the site was built.
#[derive(Debug, thiserror::Error)]
#[error("reading the static file {path}: {source}")]
pub struct AssetError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl StaticAssets {
    /// Reads every file below `dir`, except hidden ones. A missing folder gives no files.
    pub fn load(dir: &Path) -> Result<Self, AssetError> {
        let mut found = Vec::new();
        collect_files(dir, dir, &mut found)?;
        found.sort();
        let loaded: Vec<_> = found
            .into_par_iter()
            .map(|name| {
                let path = dir.join(&name);
                let error = |source| AssetError {
                    path: path.clone(),
                    source,
                };
                let metadata = std::fs::metadata(&path).map_err(error)?;
                if metadata.len() > LARGEST_IN_MEMORY {
                    return Ok(None);
                }
                let bytes = std::fs::read(&path).map_err(error)?;
                let fingerprint =
                    hex::encode(Sha256::digest(&bytes))[..FINGERPRINT_DIGITS].to_string();
                let page = CachedPage::new(content_type(&name), bytes)
                    .with_last_modified(metadata.modified().ok().and_then(http_date));
                Ok(Some((name, fingerprint, page)))
            })
            .collect();
        let mut assets = Self::default();
        for entry in loaded {
            let Some((name, fingerprint, page)) = entry? else {
                continue;
            };
            let fingerprinted = format!("/static/{}", fingerprinted_name(&name, &fingerprint));
            assets.files.insert(
                fingerprinted.clone(),
                page.clone().with_cache_control(IMMUTABLE_CACHE_CONTROL),
            );
            assets.files.insert(
                format!("/static/{name}"),
                page.with_cache_control(PLAIN_CACHE_CONTROL),
            );
            assets.fingerprinted.insert(name, fingerprinted);
        }
        Ok(assets)
    }

    /// The fingerprinted address of the file `name` under `static/`, if it was read.
    pub fn url(&self, name: &str) -> Option<&str> {
        self.fingerprinted.get(name).map(String::as_str)
    }

    /// The file at this address (`/static/...`), if it is held in memory.
    pub fn get(&self, path: &str) -> Option<&CachedPage> {
        self.files.get(path)
    }

    /// Every address held, sorted; used by the export.
    pub fn paths(&self) -> Vec<&str> {
        super::cached::sorted_keys(&self.files)
    }
}

/// `site.css` with fingerprint `3f9a1c2b` becomes `site.3f9a1c2b.css`.
fn fingerprinted_name(name: &str, fingerprint: &str) -> String {
    let (folder, file) = match name.rsplit_once('/') {
        Some((folder, file)) => (format!("{folder}/"), file),
        None => (String::new(), name),
    };
    match file.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => {
            format!("{folder}{stem}.{fingerprint}.{extension}")
        }
        _ => format!("{folder}{file}.{fingerprint}"),
    }
}

/// Paths below `root`, relative to it with `/` separators, skipping hidden files and folders
/// (an editor's swap file, a `.git` folder) and precompressed copies, which are made here.
/// Only regular files are taken: a link is taken only when it leads to a regular file inside
/// `root` (a link to `/etc/passwd` must not be served), and linked folders are not entered.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), AssetError> {
    let error = |source| AssetError {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == root => return Ok(()),
        Err(e) => return Err(error(e)),
    };
    for entry in entries {
        let entry = entry.map_err(error)?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(error)?;
        if file_type.is_dir() {
            collect_files(root, &path, out)?;
        } else if file_type.is_symlink() && !links_to_a_file_inside(root, &path) {
            tracing::warn!(
                path = %path.display(),
                "not serving a link that leads out of the static folder or not to a file"
            );
        } else if (file_type.is_file() || file_type.is_symlink())
            && !(name.ends_with(".gz") || name.ends_with(".br"))
        {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let Some(relative) = relative.to_str() else {
                continue;
            };
            out.push(relative.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    Ok(())
}

/// Whether the link at `link` resolves to a regular file inside `root`, through no hidden name.
fn links_to_a_file_inside(root: &Path, link: &Path) -> bool {
    let (Ok(real_root), Ok(real)) = (root.canonicalize(), link.canonicalize()) else {
        return false;
    };
    real.strip_prefix(&real_root).is_ok_and(|inside| {
        !inside.components().any(|part| {
            part.as_os_str()
                .to_str()
                .is_none_or(|name| name.starts_with('.'))
        })
    }) && std::fs::metadata(&real).is_ok_and(|metadata| metadata.is_file())
}

/// The Content-Type for a file name, from its extension.
fn content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_go_before_the_extension() {
        let cases = [
            ("site.css", "site.3f9a1c2b.css"),
            ("img/logo.png", "img/logo.3f9a1c2b.png"),
            ("LICENSE", "LICENSE.3f9a1c2b"),
            ("js/app.min.js", "js/app.min.3f9a1c2b.js"),
        ];
        for (name, expected) in cases {
            assert_eq!(fingerprinted_name(name, "3f9a1c2b"), expected, "{name}");
        }
    }

    #[test]
    fn types_by_extension() {
        assert_eq!(content_type("site.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a/b.SVG"), "image/svg+xml");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
