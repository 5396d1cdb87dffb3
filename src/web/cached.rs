//! Pages rendered once and kept as bytes, with gzip and brotli copies made at the same time.
//!
//! A page that does not depend on the request is the same for every visitor, so it is rendered
//! when the site is built and then served from memory. This keeps per-request work to a map
//! lookup and a header check, as cheap as a web server sending a static file.

use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// How long browsers and caches may reuse a page before checking it again.
pub const HTML_CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=86400";

/// One response body in every encoding the server offers, with its validators.
#[derive(Debug, Clone)]
pub struct CachedPage {
    pub content_type: &'static str,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
    /// A strong validator: a hash of the uncompressed bytes, quoted.
    pub etag: String,
    /// An HTTP date.
    pub last_modified: Option<String>,
    pub cache_control: &'static str,
}

/// Which copy of a page to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl CachedPage {
    /// Compresses `body` both ways and hashes it. Done once per page when the site is built.
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let identity: Bytes = body.into();
        let etag = format!("\"{}\"", &hex(&Sha256::digest(&identity))[..32]);
        Self {
            content_type,
            gzip: Bytes::from(gzip(&identity)),
            brotli: Bytes::from(brotli(&identity)),
            identity,
            etag,
            last_modified: None,
            cache_control: HTML_CACHE_CONTROL,
        }
    }

    pub fn html(body: String) -> Self {
        Self::new("text/html; charset=utf-8", body)
    }

    pub fn with_last_modified(mut self, last_modified: Option<String>) -> Self {
        self.last_modified = last_modified;
        self
    }

    pub fn with_cache_control(mut self, cache_control: &'static str) -> Self {
        self.cache_control = cache_control;
        self
    }

    /// Builds the response for a request with these headers: 304 when the client's copy is
    /// current, otherwise the best encoding the client accepts.
    pub fn respond(&self, status: StatusCode, request: &HeaderMap) -> Response<Body> {
        let mut builder = Response::builder()
            .header(header::ETAG, &self.etag)
            .header(header::CACHE_CONTROL, self.cache_control)
            .header(header::VARY, "Accept-Encoding");
        if let Some(date) = &self.last_modified {
            builder = builder.header(header::LAST_MODIFIED, date);
        }
        if status == StatusCode::OK && etag_matches(request, &self.etag) {
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .expect("valid response");
        }
        let (body, encoding) = match negotiate(request) {
            Encoding::Brotli => (self.brotli.clone(), Some("br")),
            Encoding::Gzip => (self.gzip.clone(), Some("gzip")),
            Encoding::Identity => (self.identity.clone(), None),
        };
        if let Some(encoding) = encoding {
            builder = builder.header(header::CONTENT_ENCODING, encoding);
        }
        builder
            .status(status)
            .header(header::CONTENT_TYPE, self.content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("valid response")
    }

    /// The copy a client with this `Accept-Encoding` gets.
    pub fn bytes_for(&self, encoding: Encoding) -> &Bytes {
        match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => &self.identity,
        }
    }
}

/// Picks br, then gzip, then identity, honouring `q=0` refusals.
pub fn negotiate(request: &HeaderMap) -> Encoding {
    let mut brotli = false;
    let mut gzip = false;
    for value in request.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match coding.as_str() {
                "br" => brotli = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    brotli = true;
                    gzip = true;
                }
                _ => {}
            }
        }
    }
    if brotli {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn etag_matches(request: &HeaderMap, etag: &str) -> bool {
    request.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',').any(|candidate| {
                let candidate = candidate.trim();
                candidate == "*" || candidate.trim_start_matches("W/") == etag
            })
        })
    })
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
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        brotli::BrotliDecompress(&mut &page.brotli[..], &mut decoded).unwrap();
        assert_eq!(decoded, page.identity);
    }
}
