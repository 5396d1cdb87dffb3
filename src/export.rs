//! `irinfo export DIR`: the pre-rendered site as files, for nginx, a CDN or object storage.
//!
//! Every page is written with the very bytes the server sends, plus `.gz` and `.br` siblings
//! (the names nginx's `gzip_static` and `brotli_static` look for). A page at `/procedures/tips`
//! becomes `procedures/tips.html`, which nginx (`try_files $uri.html`), Netlify, Cloudflare Pages
//! and GitHub Pages all serve at the address without `.html`. Static files are written under both
//! their plain and their fingerprinted names, and the 404 page as `404.html`. Each sheet's
//! leaflet is typeset and written at its address (`procedures/tips/leaflet.pdf`).

use std::path::{Path, PathBuf};

use crate::web::Site;
use crate::web::cached::{CachedPage, Encoding};

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub pages: usize,
    pub static_files: usize,
    /// Sitemap, robots file, feed and API documents (see [`crate::web::open_data`]).
    pub documents: usize,
    /// The sheets' PDF leaflets (see [`crate::web::leaflets`]).
    pub leaflets: usize,
    /// Files written, compressed copies included.
    pub files: usize,
    pub bytes: u64,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} is not empty: export into a new or empty folder, so no old page is left behind")]
    NotEmpty(PathBuf),
    #[error("the page address {0:?} cannot be a file name")]
    UnsafePath(String),
    #[error(transparent)]
    Leaflet(#[from] crate::leaflet::LeafletError),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes every pre-rendered page and static file of `site` into `dir`, which must be empty or
/// not yet exist.
pub fn export(site: &Site, dir: &Path) -> Result<ExportSummary, ExportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ExportError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Err(e) => return Err(io(dir)(e)),
    }

    site.make_brotli_copies();
    let mut summary = ExportSummary::default();
    for path in site.paths() {
        let page = site.page(path).expect("listed by paths()");
        write_copies(dir, &page_file(path)?, page, &mut summary)?;
        summary.pages += 1;
    }
    for key in site.open_data.keys() {
        // Later pages of a list need the server's `?page=N`.
        if key.contains('?') {
            continue;
        }
        let document = site.open_data.get(key).expect("listed by keys()");
        write_copies(dir, &document_file(key)?, document, &mut summary)?;
        summary.documents += 1;
    }
    site.leaflets.for_each_pdf(|slug, pdf| {
        let path = crate::web::leaflets::leaflet_path(slug);
        let relative = path.strip_prefix('/').unwrap_or(&path);
        check_relative(relative, &path)?;
        write_copies(dir, relative, &pdf?, &mut summary)?;
        summary.leaflets += 1;
        Ok::<(), ExportError>(())
    })?;
    write_copies(dir, "404.html", site.not_found(), &mut summary)?;
    for path in site.assets.paths() {
        let file = site.assets.get(path).expect("listed by paths()");
        let relative = path.strip_prefix('/').unwrap_or(path);
        check_relative(relative, path)?;
        write_copies(dir, relative, file, &mut summary)?;
        summary.static_files += 1;
    }
    Ok(summary)
}

/// The file a page address is written to: `/` is `index.html`, `/a/b` is `a/b.html`.
pub fn page_file(path: &str) -> Result<String, ExportError> {
    if path == "/" {
        return Ok("index.html".to_string());
    }
    let relative = path.strip_prefix('/').unwrap_or(path);
    check_relative(relative, path)?;
    Ok(format!("{relative}.html"))
}

/// The file an open-data document is written to: `/sitemap.xml` keeps its name, an API address
/// without an extension gets `.json` (`/api/v1/procedures` is `api/v1/procedures.json`; serve it
/// with `try_files $uri.json $uri`, as `scripts/nginx-export.conf` does).
pub fn document_file(path: &str) -> Result<String, ExportError> {
    let relative = path.strip_prefix('/').unwrap_or(path);
    check_relative(relative, path)?;
    let last = relative.rsplit('/').next().unwrap_or(relative);
    if last.contains('.') && !relative.starts_with("api/v1/codes/") {
        Ok(relative.to_string())
    } else {
        Ok(format!("{relative}.json"))
    }
}

/// Refuses anything that could land outside the export folder or is not a plain name.
fn check_relative(relative: &str, path: &str) -> Result<(), ExportError> {
    let plain = !relative.is_empty()
        && relative.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        });
    if plain {
        Ok(())
    } else {
        Err(ExportError::UnsafePath(path.to_string()))
    }
}

/// Writes the page at `relative` with a sibling for each compressed copy it has.
fn write_copies(
    dir: &Path,
    relative: &str,
    page: &CachedPage,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let target = dir.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ExportError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    for encoding in [Encoding::Identity, Encoding::Gzip, Encoding::Brotli] {
        if !page.offers(encoding) {
            continue;
        }
        let mut file = target.clone().into_os_string();
        file.push(encoding.file_suffix().unwrap_or_default());
        let file = PathBuf::from(file);
        let bytes = page.bytes_for(encoding);
        std::fs::write(&file, &bytes).map_err(|source| ExportError::Io {
            path: file.clone(),
            source,
        })?;
        // The file's time becomes nginx's Last-Modified, so it is set to the page's own.
        if let Some(modified) = page.last_modified.as_deref().and_then(parse_http_date) {
            std::fs::File::options()
                .write(true)
                .open(&file)
                .and_then(|f| f.set_modified(modified))
                .map_err(|source| ExportError::Io {
                    path: file.clone(),
                    source,
                })?;
        }
        summary.files += 1;
        summary.bytes += bytes.len() as u64;
    }
    Ok(())
}

/// Reads an HTTP date as written by `cached::http_date`.
fn parse_http_date(date: &str) -> Option<std::time::SystemTime> {
    let civil = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", date)
        .ok()?
        .to_datetime()
        .ok()?;
    let timestamp = jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()?;
    let seconds = u64::try_from(timestamp.as_second()).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_read_back_to_the_same_second() {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        let written = crate::web::cached::http_date(time).unwrap();
        assert_eq!(parse_http_date(&written), Some(time));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn open_data_documents_keep_their_names_and_api_documents_become_json_files() {
        let cases = [
            ("/sitemap.xml", Some("sitemap.xml")),
            ("/robots.txt", Some("robots.txt")),
            ("/api/v1/openapi.json", Some("api/v1/openapi.json")),
            ("/api/v1/procedures", Some("api/v1/procedures.json")),
            (
                "/api/v1/codes/icd-10/I71.4",
                Some("api/v1/codes/icd-10/I71.4.json"),
            ),
            ("/api/../x", None),
        ];
        for (path, expected) in cases {
            assert_eq!(document_file(path).ok().as_deref(), expected, "{path}");
        }
    }

    #[test]
    fn page_addresses_become_html_files_and_nothing_escapes() {
        let cases = [
            ("/", Some("index.html")),
            ("/procedures", Some("procedures.html")),
            (
                "/procedures/angioplasty",
                Some("procedures/angioplasty.html"),
            ),
            ("/../etc/passwd", None),
            ("/a//b", None),
            ("/a/.hidden", None),
            ("/a\\b", None),
            ("/trailing/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(page_file(path).ok().as_deref(), expected, "{path}");
        }
    }
}
