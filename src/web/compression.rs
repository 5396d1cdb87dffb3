//! Compression of the pages made for each request: search results, the finder's answers, the
//! dose comparison, their suggestions and the API's problem documents.
//!
//! Every other page is compressed once, when the site is built ([`super::cached`]); these cannot
//! be, as they depend on the query. They are made whole in memory anyway (an askama template
//! rendered into a string), so this layer compresses the finished body in one call, and leaves
//! alone a response that is already encoded (the cached pages those routes also serve), is too
//! small to gain, or is not text.
//!
//! gzip at libdeflate's level 1 is used whenever the client accepts it, brotli (quality 2) only
//! for a client that accepts brotli alone. Measured on these pages (benches/README.md,
//! "Compressing pages made per request"): gzip 1 shrinks a page of search results 3 times,
//! a finder answer 7 times, in about 20 µs, a few per cent of the time the page takes to make;
//! brotli's fast qualities are no smaller than gzip 1 here (quality 1 is larger) and take three
//! times as long, and the qualities that are smaller (4 and 5, 8 to 13% fewer bytes) take ten
//! times as long. Brotli's gains are for the pages compressed once, at build time.
//!
//! The contact form is not behind this layer, on purpose: its page holds a secret (the form
//! token) beside text the visitor typed, the combination the BREACH attack needs to read a secret
//! through compressed sizes. None of the compressed pages holds a secret.

use std::cell::RefCell;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use libdeflater::{CompressionLvl, Compressor};

use super::cached::{self, AcceptedCodings, Encoding};

/// libdeflate's fastest level: for a per-request page, most of the gain at the least cost.
const GZIP_LEVEL: i32 = 1;
/// For clients that accept brotli but not gzip: the fast quality that is as small as gzip 1.
const BROTLI_QUALITY: i32 = 2;
/// Bodies shorter than this go as they are: the headers and framing would eat the gain.
const MIN_BYTES: usize = 512;
/// The largest body this layer compresses; larger ones (none today) go as they are, so that a
/// mistake elsewhere cannot make the server hold a huge body twice.
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The middleware: compresses the response to `request` when the client accepts it.
pub(crate) async fn compress_per_request(request: Request, next: Next) -> Response {
    let accepted = AcceptedCodings::of(request.headers());
    let encoding = if accepted.gzip {
        Encoding::Gzip
    } else if accepted.brotli {
        Encoding::Brotli
    } else {
        Encoding::Identity
    };
    let mut response = next.run(request).await;
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    if !is_text(&response) {
        return response;
    }
    // Whatever is sent, the answer depends on Accept-Encoding: caches must know.
    add_vary_accept_encoding(&mut response);
    if encoding == Encoding::Identity {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            // A body that failed or was too large: nothing of it can be sent now.
            tracing::error!("reading a response body to compress it: {error}");
            parts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(parts, Body::empty());
        }
    };
    if bytes.len() < MIN_BYTES {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let compressed = match encoding {
        Encoding::Brotli => brotli(&bytes),
        Encoding::Gzip => gzip(&bytes),
        Encoding::Identity => unreachable!("identity returned above"),
    };
    if compressed.is_empty() || compressed.len() >= bytes.len() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    if let Some(coding) = encoding.header_value() {
        parts
            .headers
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    parts.headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(compressed.len() as u64),
    );
    // A strong validator names one exact body; a page made per request has none to keep.
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(compressed))
}

/// HTML, JSON, XML, CSS, JavaScript and plain text: what compresses.
fn is_text(response: &Response) -> bool {
    let Some(value) = response.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let value = value.as_bytes();
    value.starts_with(b"text/")
        || value.starts_with(b"application/json")
        || value.starts_with(b"application/problem+json")
        || value.starts_with(b"application/xml")
        || value.starts_with(b"application/javascript")
}

fn add_vary_accept_encoding(response: &mut Response) {
    let varies = response.headers().get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|item| item.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !varies {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    thread_local! {
        // Each serving runtime has its own thread, so each has one compressor, reused.
        static GZIP: RefCell<Compressor> = RefCell::new(Compressor::new(
            CompressionLvl::new(GZIP_LEVEL).unwrap_or_default(),
        ));
    }
    GZIP.with_borrow_mut(|compressor| cached::gzip_with(compressor, data))
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        // A window no larger than the body: less to allocate for every response.
        lgwin: window_bits(data.len()),
        size_hint: data.len(),
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &data[..], &mut out, &params) {
        Ok(_) => out,
        // Writing to memory does not fail; if it did, the body goes uncompressed.
        Err(_) => Vec::new(),
    }
}

/// The smallest brotli window (2^bits bytes, 10 to 24) that holds `len` bytes.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.max(1).saturating_sub(1).leading_zeros();
    bits.clamp(10, 24) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brotli_window_fits_the_body() {
        for (len, bits) in [(0, 10), (1000, 10), (1025, 11), (65_536, 16), (65_537, 17)] {
            assert_eq!(window_bits(len), bits, "{len}");
        }
        assert_eq!(window_bits(usize::MAX), 24);
    }

    #[test]
    fn both_encodings_decode_to_the_body() {
        let body = "<li>Angioplasty: widening a narrowed artery</li>\n".repeat(200);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(body.as_bytes())[..], &mut decoded).unwrap();
        assert_eq!(decoded, body.as_bytes());
        let gz = gzip(body.as_bytes());
        let mut decompressor = libdeflater::Decompressor::new();
        let mut out = vec![0; body.len()];
        let n = decompressor.gzip_decompress(&gz, &mut out).unwrap();
        assert_eq!(&out[..n], body.as_bytes());
        assert!(gz.len() * 5 < body.len());
    }
}
