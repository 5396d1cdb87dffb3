//! Pages rendered once and kept as bytes, with gzip and brotli copies made when the site is built.
//!
//! A page that does not depend on the request is the same for every visitor, so it is rendered
//! when the site is built and then served from memory. This keeps per-request work to a map
//! lookup and a header check, as cheap as a web server sending a static file.
//!
//! # Memory: the uncompressed body is not kept
//!
//! A page is kept as its gzip copy and its brotli copy only. The uncompressed (identity) body
//! is made again from the gzip copy when a client that accepts neither coding asks for it, and
//! each serving thread keeps the last few it made in a small cache ([`IDENTITY_CACHE_BYTES`]),
//! so a page asked for again and again (a load test, a monitor) is decompressed once. Why:
//!
//! - The identity body of an HTML page or API document is 3 to 6 times its compressed copies,
//!   so it was most of the memory the server held for each page (issue 22; the figures are in
//!   benches/README.md, "Memory at scale"). Browsers, crawlers and CDNs all accept gzip or
//!   brotli; identity clients are scripts and monitors.
//! - Making identity again is cheap and exact: libdeflate inflates a 30 KB page in tens of
//!   microseconds, and the bytes are the ones the page was compressed from, so the ETag (a hash
//!   of them, taken before they are dropped), the Content-Length and the body are exactly what
//!   they were when identity was kept. Brotli is made later from the gzip copy the same way.
//! - Keeping identity and making the compressed copies on demand instead would cost every
//!   browser request a compression (a brotli copy takes about a millisecond), not a rare client
//!   a decompression.
//! - The cache is per thread because the server runs one thread per core with its own
//!   connections (`serve_per_core`): no lock, no shared counter, nothing for the cores to wait on.
//!
//! A body that gzip does not make smaller (an image, a tiny file) has no gzip copy and is kept
//! as it is.

use std::cell::RefCell;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use bytes::Bytes;
use libdeflater::{CompressionLvl, Compressor, Decompressor};
use rustc_hash::FxHashMap;
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

/// How many bytes of identity bodies each thread keeps after making them from the gzip copy
/// (see the module documentation): a few dozen pages, so that a page asked for uncompressed
/// many times is decompressed once, while a crawl of every page costs no more than this.
pub const IDENTITY_CACHE_BYTES: usize = 2 * 1024 * 1024;

/// One response body in every encoding the server offers, with its validators.
#[derive(Debug, Clone)]
pub struct CachedPage {
    pub content_type: &'static str,
    /// The uncompressed body, kept only when there is no gzip copy to make it from; otherwise
    /// empty, and [`CachedPage::identity`] inflates the gzip copy.
    kept_identity: Bytes,
    /// The length of the uncompressed body.
    identity_len: usize,
    /// The first 16 bytes of the SHA-256 of the uncompressed body: the ETag's hash, and the key
    /// of the identity cache.
    digest: [u8; 16],
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
    /// `body` itself is kept only if gzip does not make it smaller.
    pub(crate) fn brotli_later(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let identity: Bytes = body.into();
        let gzip = if is_compressible(content_type) {
            smaller_than(gzip(&identity), &identity)
        } else {
            Bytes::new()
        };
        let mut digest = [0; 16];
        digest.copy_from_slice(&Sha256::digest(&identity)[..16]);
        let hash = &hex::encode(digest);
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
        let identity_len = identity.len();
        // With a gzip copy to make it from, the body itself is dropped here.
        let kept_identity = if gzip.is_empty() {
            identity
        } else {
            Bytes::new()
        };
        Self {
            content_type,
            gzip,
            brotli: OnceLock::new(),
            kept_identity,
            identity_len,
            digest,
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

    /// Makes the brotli copy if it is not made yet, from the gzip copy. Safe to call from
    /// several threads.
    pub fn make_brotli(&self) {
        self.brotli.get_or_init(|| {
            let copy = if is_compressible(self.content_type) {
                // Not through the identity cache: a whole site passes through here once.
                let identity = self.inflate();
                smaller_than(brotli(&identity), &identity)
            } else {
                Bytes::new()
            };
            let length = HeaderValue::from(copy.len());
            (copy, length)
        });
    }

    /// The uncompressed body: the one kept, or the gzip copy inflated, through this thread's
    /// cache of recent ones (see the module documentation).
    pub fn identity(&self) -> Bytes {
        if self.gzip.is_empty() {
            return self.kept_identity.clone();
        }
        IDENTITY_CACHE.with_borrow_mut(|cache| {
            if let Some(body) = cache.get(&self.digest) {
                return body;
            }
            let body = self.inflate();
            cache.insert(self.digest, body.clone());
            body
        })
    }

    /// The uncompressed body made from the gzip copy, not cached.
    fn inflate(&self) -> Bytes {
        if self.gzip.is_empty() {
            return self.kept_identity.clone();
        }
        thread_local! {
            static GUNZIP: RefCell<Decompressor> = RefCell::new(Decompressor::new());
        }
        let mut out = vec![0; self.identity_len];
        let written = GUNZIP
            .with_borrow_mut(|decompressor| decompressor.gzip_decompress(&self.gzip, &mut out));
        // The copy was made by this process from a body of exactly this length: anything else
        // is a bug, and sending a wrong body under the page's ETag would be worse than failing.
        assert_eq!(
            written.ok(),
            Some(self.identity_len),
            "the gzip copy of a page inflates to its body"
        );
        Bytes::from(out)
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
        let body = self.bytes_for(encoding);
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
    /// Identity is made from the gzip copy if it is not kept (see [`CachedPage::identity`]).
    pub fn bytes_for(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Brotli => self.brotli().clone(),
            Encoding::Gzip => self.gzip.clone(),
            Encoding::Identity => self.identity(),
        }
    }

    /// Whether this page has a copy in `encoding`. Identity always exists.
    pub fn offers(&self, encoding: Encoding) -> bool {
        match encoding {
            Encoding::Brotli => !self.brotli().is_empty(),
            Encoding::Gzip => !self.gzip.is_empty(),
            Encoding::Identity => true,
        }
    }

    /// The bytes this page holds in memory: its compressed copies, and its body when that is
    /// kept. For the memory figures in the log and in tests.
    pub fn resident_bytes(&self) -> usize {
        self.kept_identity.len() + self.gzip.len() + self.brotli().len()
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

thread_local! {
    /// The identity bodies this thread made lately (see the module documentation).
    static IDENTITY_CACHE: RefCell<RecentlyUsed<[u8; 16], Bytes>> =
        RefCell::new(RecentlyUsed::new(IDENTITY_CACHE_BYTES));
}

/// Values by a digest of what they were made from, the least recently used dropped first once
/// they add up to more than `budget` bytes: the identity bodies a thread inflated lately, and
/// the leaflets a process keeps ([`super::leaflets`]). Small enough (a few dozen to a few
/// hundred entries) that finding the oldest by looking at each is cheaper than keeping them in
/// order on every hit.
#[derive(Debug)]
pub(crate) struct RecentlyUsed<K, V> {
    entries: FxHashMap<K, (V, u64)>,
    bytes: usize,
    budget: usize,
    /// Counts uses, to tell which entry was used longest ago.
    clock: u64,
}

/// What a [`RecentlyUsed`] counts against its budget: the bytes a value holds.
pub(crate) trait Resident {
    fn resident(&self) -> usize;
}

impl Resident for Bytes {
    fn resident(&self) -> usize {
        self.len()
    }
}

impl Resident for CachedPage {
    fn resident(&self) -> usize {
        self.resident_bytes()
    }
}

impl<K: Copy + Eq + std::hash::Hash, V: Clone + Resident> RecentlyUsed<K, V> {
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            entries: FxHashMap::default(),
            bytes: 0,
            budget,
            clock: 0,
        }
    }

    /// The value kept for `key`, marked as just used.
    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let (value, used) = self.entries.get_mut(key)?;
        *used = self.clock;
        Some(value.clone())
    }

    /// Keeps `value`, dropping the oldest entries to make room; a value over the whole budget
    /// is not kept.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.clock += 1;
        // The same digest is the same value: one kept already only needs its use noted.
        if let Some((_, used)) = self.entries.get_mut(&key) {
            *used = self.clock;
            return;
        }
        let size = value.resident();
        if size > self.budget {
            return;
        }
        while self.bytes + size > self.budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| *key)
            else {
                break;
            };
            if let Some((dropped, _)) = self.entries.remove(&oldest) {
                self.bytes -= dropped.resident();
            }
        }
        self.bytes += size;
        self.entries.insert(key, (value, self.clock));
    }

    /// Whether a value of `size` bytes more would push one out.
    pub(crate) fn is_full(&self, size: usize) -> bool {
        self.bytes + size > self.budget
    }

    /// Whether a value is kept for `key` (not counted as a use).
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Drops the values whose key `keep` refuses.
    pub(crate) fn retain(&mut self, keep: impl Fn(&K) -> bool) {
        self.entries.retain(|key, _| keep(key));
        self.bytes = self
            .entries
            .values()
            .map(|(value, _)| value.resident())
            .sum();
    }

    /// The bytes the values kept hold.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The starts of the content types worth compressing.
const COMPRESSIBLE_TYPES: [&str; 7] = [
    "text/",
    "image/svg+xml",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "application/manifest+json",
];

/// Text compresses well; images, fonts and archives are compressed already.
fn is_compressible(content_type: &str) -> bool {
    COMPRESSIBLE_TYPES
        .iter()
        .any(|start| content_type.starts_with(start))
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
        assert_eq!(decoded, page.identity());
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &page.brotli()[..], &mut decoded).unwrap();
        assert_eq!(decoded, page.identity());
    }

    async fn body_of(response: Response<Body>) -> Vec<u8> {
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    }

    #[tokio::test]
    async fn identity_made_from_gzip_is_the_original_body_with_its_etag_and_length() {
        let body = (0..400)
            .map(|i| format!("<li>line {i}</li>"))
            .collect::<String>();
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let page = CachedPage::html(body.clone());
        assert!(!page.gzip.is_empty());
        assert_eq!(
            page.kept_identity.len(),
            0,
            "only the compressed copies are kept"
        );
        assert_eq!(page.resident_bytes(), page.gzip.len() + page.brotli().len());
        // Made twice: once inflated, once from this thread's cache.
        for _ in 0..2 {
            let response = page.respond(StatusCode::OK, &HeaderMap::new());
            assert_eq!(response.status(), StatusCode::OK);
            let headers = response.headers().clone();
            assert!(!headers.contains_key(header::CONTENT_ENCODING));
            assert_eq!(headers[header::ETAG], format!("\"{}\"", &hash[..32]));
            assert_eq!(headers[header::CONTENT_LENGTH], body.len().to_string());
            assert_eq!(body_of(response).await, body.as_bytes());
        }
        assert_eq!(page.identity(), body.as_bytes());
        assert_eq!(page.inflate(), body.as_bytes());
    }

    #[test]
    fn a_body_gzip_does_not_shrink_is_kept_as_it_is() {
        let page = CachedPage::html("<p>hi</p>".to_string());
        assert!(page.gzip.is_empty());
        assert_eq!(page.identity(), "<p>hi</p>".as_bytes());
        assert_eq!(page.resident_bytes(), "<p>hi</p>".len());
        let png = CachedPage::new("image/png", vec![7; 4000]);
        assert!(png.gzip.is_empty() && !png.offers(Encoding::Brotli));
        assert_eq!(png.identity(), vec![7; 4000]);
    }

    #[test]
    fn the_identity_cache_keeps_the_recently_used_within_its_budget() {
        let mut cache = RecentlyUsed::new(100);
        let body = |n: u8| Bytes::from(vec![n; 40]);
        cache.insert([1; 16], body(1));
        cache.insert([2; 16], body(2));
        // 1 is used, so 2 is the oldest when 3 needs room.
        assert_eq!(cache.get(&[1; 16]), Some(body(1)));
        cache.insert([3; 16], body(3));
        assert_eq!(cache.get(&[2; 16]), None);
        assert_eq!(cache.get(&[1; 16]), Some(body(1)));
        assert_eq!(cache.get(&[3; 16]), Some(body(3)));
        assert_eq!(cache.bytes, 80);
        // The same body again is kept once; one over the budget is not kept at all.
        cache.insert([3; 16], body(3));
        assert_eq!(cache.bytes, 80);
        cache.insert([4; 16], Bytes::from(vec![4; 101]));
        assert_eq!(cache.get(&[4; 16]), None);
        assert_eq!(cache.bytes, 80);
        assert!(cache.bytes <= cache.budget);
    }
}
