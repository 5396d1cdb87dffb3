//! Pages rendered once and kept as bytes, with gzip and brotli copies made when the site is built.
//!
//! A page that does not depend on the request is the same for every visitor, so it is rendered
//! when the site is built and then served from memory. This keeps per-request work to a map
//! lookup and a header check, as cheap as a web server sending a static file.

use std::cell::RefCell;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use bytes::Bytes;
use libdeflater::{CompressionLvl, Compressor};
use sha2::{Digest, Sha256};

/// How long browsers and caches may reuse a page before checking it again.
pub const HTML_CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=86400";

/// For files whose address changes whenever their content does: they can be kept for a year.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// How hard to work at compression. The copies are made once per build, and every page of the
/// site is compressed on every build, so these trade a few per cent of size for build time:
/// libdeflate's level 5 makes a procedure sheet as small as zlib's default (6) does, in two
/// thirds of the time; brotli 5 is about 6% smaller than 4 for HTML at twice the cost.
const GZIP_LEVEL: i32 = 5;
const BROTLI_QUALITY: i32 = 5;

/// The addresses of a map of pages, sorted.
pub(crate) fn sorted_keys(pages: &std::collections::HashMap<String, CachedPage>) -> Vec<&str> {
    let mut keys: Vec<&str> = pages.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// One response body in every encoding the server offers, with its validators.
#[derive(Debug, Clone)]
pub struct CachedPage {
    pub content_type: &'static str,
    pub identity: Bytes,
    /// Empty when gzip would not make the body smaller (an image, a tiny file).
    pub gzip: Bytes,
    /// Made with the page, or just after the site is built for pages made with
    /// [`CachedPage::html_brotli_later`]; empty when brotli would not make the body smaller.
    brotli: OnceLock<(Bytes, HeaderValue)>,
    /// A strong validator of the uncompressed body: a hash of its bytes, quoted. Each
    /// compressed copy has its own, this with `-gz` or `-br` inside the quotes, since a strong
    /// ETag names one exact body.
    pub etag: String,
    /// An HTTP date.
    pub last_modified: Option<String>,
    /// `last_modified` as a time, to compare with `If-Modified-Since`.
    modified_at: Option<jiff::Timestamp>,
    pub cache_control: &'static str,
    /// The headers above, made once: answering a request then parses and formats nothing.
    ready: ReadyHeaders,
}

#[derive(Debug, Clone)]
struct ReadyHeaders {
    /// The ETag of each copy, by [`Encoding::index`].
    etags: [HeaderValue; 3],
    last_modified: Option<HeaderValue>,
    cache_control: HeaderValue,
    content_type: HeaderValue,
    /// Content-Length of the gzip and identity copies; brotli's is kept with its copy.
    lengths: [HeaderValue; 2],
}

/// Which copy of a page to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value, or `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// The suffix of the precompressed file that web servers look for beside a file.
    pub fn file_suffix(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some(".br"),
            Encoding::Gzip => Some(".gz"),
            Encoding::Identity => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Encoding::Brotli => 0,
            Encoding::Gzip => 1,
            Encoding::Identity => 2,
        }
    }
}

impl CachedPage {
    /// Compresses `body` both ways and hashes it. Done once per page when the site is built.
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let page = Self::brotli_later(content_type, body);
        page.make_brotli();
        page
    }

    /// Gzips and hashes `body`, leaving the brotli copy to [`CachedPage::make_brotli`]. Brotli
    /// costs several times what gzip does, so the site is built (and served) without it first.
    pub(crate) fn brotli_later(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let identity: Bytes = body.into();
        let gzip = if is_compressible(content_type) {
            smaller_than(gzip(&identity), &identity)
        } else {
            Bytes::new()
        };
        let hash = &hex::encode(Sha256::digest(&identity))[..32];
        let etag = format!("\"{hash}\"");
        let tag = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{hash}{suffix}\""))
                .expect("hex is a valid header value")
        };
        let length = |bytes: &Bytes| HeaderValue::from(bytes.len());
        let ready = ReadyHeaders {
            etags: [tag("-br"), tag("-gz"), tag("")],
            last_modified: None,
            cache_control: HeaderValue::from_static(HTML_CACHE_CONTROL),
            content_type: HeaderValue::from_static(content_type),
            lengths: [length(&gzip), length(&identity)],
        };
        Self {
            content_type,
            gzip,
            brotli: OnceLock::new(),
            identity,
            etag,
            last_modified: None,
            modified_at: None,
            cache_control: HTML_CACHE_CONTROL,
            ready,
        }
    }

    pub fn html(body: String) -> Self {
        Self::new("text/html; charset=utf-8", body)
    }

    /// An HTML page whose brotli copy is made later, by [`CachedPage::make_brotli`]; until then
    /// clients that accept brotli get the gzip copy.
    pub fn html_brotli_later(body: String) -> Self {
        Self::brotli_later("text/html; charset=utf-8", body)
    }

    /// Makes the brotli copy if it is not made yet. Safe to call from several threads.
    pub fn make_brotli(&self) {
        self.brotli.get_or_init(|| {
            let copy = if is_compressible(self.content_type) {
                smaller_than(brotli(&self.identity), &self.identity)
            } else {
                Bytes::new()
            };
            let length = HeaderValue::from(copy.len());
            (copy, length)
        });
    }

    /// The brotli copy; empty while it is not made, or when it would not be smaller.
    pub fn brotli(&self) -> &Bytes {
        static NONE: Bytes = Bytes::new();
        self.brotli.get().map_or(&NONE, |(bytes, _)| bytes)
    }

    pub fn with_last_modified(mut self, last_modified: Option<String>) -> Self {
        self.ready.last_modified = last_modified
            .as_deref()
            .and_then(|date| HeaderValue::from_str(date).ok());
        self.modified_at = last_modified.as_deref().and_then(parse_http_date);
        self.last_modified = last_modified;
        self
    }

    pub fn with_cache_control(mut self, cache_control: &'static str) -> Self {
        self.ready.cache_control = HeaderValue::from_static(cache_control);
        self.cache_control = cache_control;
        self
    }

    /// Builds the response for a request with these headers: the best encoding the client
    /// accepts, or 304 when the client's copy of that encoding is current.
    pub fn respond(&self, status: StatusCode, request: &HeaderMap) -> Response<Body> {
        let encoding = self.best_offered(negotiate(request));
        if status == StatusCode::OK && self.is_not_modified(request, encoding) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            self.validator_headers(response.headers_mut(), encoding);
            return response;
        }
        self.respond_with(status, encoding)
    }

    /// Whether the client's copy of the `encoding` body is current (RFC 9110, 13.1): by
    /// `If-None-Match` when the request has one, otherwise by `If-Modified-Since`.
    fn is_not_modified(&self, request: &HeaderMap, encoding: Encoding) -> bool {
        if request.contains_key(header::IF_NONE_MATCH) {
            return etag_matches(request, &self.ready.etags[encoding.index()]);
        }
        let (Some(modified), Some(since)) =
            (self.modified_at, request.get(header::IF_MODIFIED_SINCE))
        else {
            return false;
        };
        since
            .to_str()
            .ok()
            .and_then(parse_http_date)
            .is_some_and(|since| modified <= since)
    }

    /// Builds the response with the best copy for a client that accepts `accepted`.
    pub fn respond_encoded(&self, status: StatusCode, accepted: Encoding) -> Response<Body> {
        self.respond_with(status, self.best_offered(accepted))
    }

    fn respond_with(&self, status: StatusCode, encoding: Encoding) -> Response<Body> {
        let body = self.bytes_for(encoding).clone();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        self.validator_headers(headers, encoding);
        if let Some(coding) = encoding.header_value() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        headers.insert(header::CONTENT_TYPE, self.ready.content_type.clone());
        let length = match encoding {
            Encoding::Brotli => self.brotli.get().map(|(_, length)| length),
            Encoding::Gzip => Some(&self.ready.lengths[0]),
            Encoding::Identity => Some(&self.ready.lengths[1]),
        };
        if let Some(length) = length {
            headers.insert(header::CONTENT_LENGTH, length.clone());
        }
        response
    }

    fn validator_headers(&self, headers: &mut HeaderMap, encoding: Encoding) {
        headers.reserve(8);
        headers.insert(header::ETAG, self.ready.etags[encoding.index()].clone());
        headers.insert(header::CACHE_CONTROL, self.ready.cache_control.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Some(date) = &self.ready.last_modified {
            headers.insert(header::LAST_MODIFIED, date.clone());
        }
    }

    /// The copy a client with this `Accept-Encoding` gets; may be empty if it is not offered.
    pub fn bytes_for(&self, encoding: Encoding) -> &Bytes {
        match encoding {
            Encoding::Brotli => self.brotli(),
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => &self.identity,
        }
    }

    /// Whether this page has a copy in `encoding`. Identity always exists.
    pub fn offers(&self, encoding: Encoding) -> bool {
        encoding == Encoding::Identity || !self.bytes_for(encoding).is_empty()
    }

    /// The copy actually sent to a client whose best accepted coding is `accepted`: a client
    /// that takes brotli also takes gzip (every browser does), and everyone takes identity.
    pub fn best_offered(&self, accepted: Encoding) -> Encoding {
        [Encoding::Brotli, Encoding::Gzip, Encoding::Identity]
            .into_iter()
            .skip(accepted.index())
            .find(|&encoding| self.offers(encoding))
            .unwrap_or(Encoding::Identity)
    }
}

/// Text compresses well; images, fonts and archives are compressed already.
fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("application/javascript")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("application/manifest+json")
}

/// The compressed copy, or nothing if it is no smaller than the original.
fn smaller_than(compressed: Vec<u8>, identity: &[u8]) -> Bytes {
    if compressed.len() < identity.len() {
        Bytes::from(compressed)
    } else {
        Bytes::new()
    }
}

/// Picks br, then gzip, then identity, honouring `q=0` refusals.
pub fn negotiate(request: &HeaderMap) -> Encoding {
    let accepted = AcceptedCodings::of(request);
    if accepted.brotli {
        Encoding::Brotli
    } else if accepted.gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The compressed codings a request's `Accept-Encoding` allows (`*` allows both; `q=0` refuses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptedCodings {
    pub brotli: bool,
    pub gzip: bool,
}

impl AcceptedCodings {
    /// Reads every `Accept-Encoding` header of `request`.
    pub fn of(request: &HeaderMap) -> Self {
        let mut accepted = Self::default();
        for value in request.get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                if refused {
                    continue;
                }
                if coding.eq_ignore_ascii_case("br") {
                    accepted.brotli = true;
                } else if coding.eq_ignore_ascii_case("gzip")
                    || coding.eq_ignore_ascii_case("x-gzip")
                {
                    accepted.gzip = true;
                } else if coding == "*" {
                    accepted.brotli = true;
                    accepted.gzip = true;
                }
            }
        }
        accepted
    }
}

/// `If-None-Match` compares weakly: `W/"x"` matches `"x"` (RFC 9110, 13.1.2).
fn etag_matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    request.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',').any(|candidate| {
                let candidate = candidate.trim();
                candidate == "*" || candidate.trim_start_matches("W/").as_bytes() == etag
            })
        })
    })
}

/// Reads an HTTP date in its preferred form (`Sun, 06 Nov 1994 08:49:37 GMT`); `None` for any
/// other text, which then validates nothing.
pub fn parse_http_date(text: &str) -> Option<jiff::Timestamp> {
    let civil = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", text.trim())
        .ok()?
        .to_datetime()
        .ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

/// Formats seconds since 1970 as an HTTP date.
pub fn http_date(time: std::time::SystemTime) -> Option<String> {
    let timestamp = jiff::Timestamp::try_from(time).ok()?;
    Some(timestamp.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// A header value that is always valid: our own constant strings.
pub fn static_header(value: &'static str) -> HeaderValue {
    HeaderValue::from_static(value)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    thread_local! {
        // A compressor holds its match-finding tables; one per thread is reused for every page.
        static GZIP: RefCell<Compressor> = RefCell::new(Compressor::new(
            CompressionLvl::new(GZIP_LEVEL).unwrap_or_default(),
        ));
    }
    GZIP.with_borrow_mut(|compressor| {
        let mut out = gzip_with(compressor, data);
        out.shrink_to_fit();
        out
    })
}

/// `data` as gzip, made with `compressor` (whose level it keeps). The buffer is the library's
/// own bound for this input, so it cannot run out; if it did, the empty result means "no gzip
/// copy" and the body is sent uncompressed.
pub(crate) fn gzip_with(compressor: &mut Compressor, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0; compressor.gzip_compress_bound(data.len())];
    let written = compressor.gzip_compress(data, &mut out).unwrap_or(0);
    out.truncate(written);
    out
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        size_hint: data.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_has_its_own_etag_and_its_own_304() {
        let page = CachedPage::html("<p>hello hello hello</p>".repeat(20));
        let cases = [(None, ""), (Some("gzip"), "-gz"), (Some("br, gzip"), "-br")];
        let mut seen = Vec::new();
        for (accept, suffix) in cases {
            let mut request = HeaderMap::new();
            if let Some(accept) = accept {
                request.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(accept));
            }
            let fresh = page.respond(StatusCode::OK, &request);
            assert_eq!(fresh.status(), StatusCode::OK);
            let etag = fresh.headers()[header::ETAG].clone();
            assert!(
                etag.to_str().unwrap().ends_with(&format!("{suffix}\"")),
                "{etag:?}"
            );
            assert!(!seen.contains(&etag), "{etag:?} is shared");
            seen.push(etag.clone());
            request.insert(header::IF_NONE_MATCH, etag.clone());
            let again = page.respond(StatusCode::OK, &request);
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{accept:?}");
            assert_eq!(again.headers()[header::ETAG], etag);
        }
    }

    #[test]
    fn if_modified_since_compares_with_last_modified() {
        let page = CachedPage::html("<p>a page</p>".to_string())
            .with_last_modified(Some("Tue, 01 Dec 2026 10:00:00 GMT".to_string()));
        let cases = [
            ("Tue, 01 Dec 2026 10:00:00 GMT", StatusCode::NOT_MODIFIED),
            ("Tue, 01 Dec 2026 10:00:01 GMT", StatusCode::NOT_MODIFIED),
            ("Tue, 01 Dec 2026 09:59:59 GMT", StatusCode::OK),
            ("yesterday", StatusCode::OK),
        ];
        for (since, expected) in cases {
            let mut request = HeaderMap::new();
            request.insert(header::IF_MODIFIED_SINCE, HeaderValue::from_static(since));
            assert_eq!(
                page.respond(StatusCode::OK, &request).status(),
                expected,
                "{since}"
            );
            // If-None-Match, when present, decides alone.
            request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
            assert_eq!(
                page.respond(StatusCode::OK, &request).status(),
                StatusCode::OK
            );
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn encoding_negotiation() {
        let cases = [
            (vec![], Encoding::Identity),
            (vec![("accept-encoding", "gzip")], Encoding::Gzip),
            (
                vec![("accept-encoding", "gzip, deflate, br")],
                Encoding::Brotli,
            ),
            (vec![("accept-encoding", "br;q=0, gzip")], Encoding::Gzip),
            (vec![("accept-encoding", "identity")], Encoding::Identity),
            (vec![("accept-encoding", "*")], Encoding::Brotli),
            (vec![("accept-encoding", "GZIP;q=0.5")], Encoding::Gzip),
        ];
        for (pairs, expected) in cases {
            assert_eq!(negotiate(&headers(&pairs)), expected, "{pairs:?}");
        }
    }

    #[test]
    fn etag_gives_304_and_compressed_copies_round_trip() {
        let page = CachedPage::html("<p>hello hello hello</p>".repeat(20));
        let fresh = page.respond(StatusCode::OK, &headers(&[]));
        assert_eq!(fresh.status(), StatusCode::OK);
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&page.etag).unwrap(),
        );
        assert_eq!(
            page.respond(StatusCode::OK, &h).status(),
            StatusCode::NOT_MODIFIED
        );
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(page.respond(StatusCode::OK, &h).status(), StatusCode::OK);

        let mut decoded = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&page.gzip[..]),
            &mut decoded,
        )
        .unwrap();
        assert_eq!(decoded, page.identity);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &page.brotli()[..], &mut decoded).unwrap();
        assert_eq!(decoded, page.identity);
    }
}
