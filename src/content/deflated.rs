//! Bytes kept deflated in memory (raw DEFLATE, libdeflate), for data that is held for a long
//! time and read rarely: the search index's copies of long page texts, and every sheet's
//! leaflet data. One place for the compressor and decompressor each thread keeps, so callers
//! neither repeat the buffer handling nor disagree on it.

use std::cell::RefCell;

use libdeflater::{CompressionLvl, Compressor, Decompressor};

/// Bytes deflated, with the length they inflate to.
#[derive(Debug, Clone)]
pub struct Deflated {
    bytes: Box<[u8]>,
    len: usize,
}

impl Deflated {
    /// `data` deflated at libdeflate's default level (6), or `None` when that would not make
    /// it smaller.
    pub fn new(data: &[u8]) -> Option<Self> {
        thread_local! {
            static DEFLATE: RefCell<Compressor> =
                RefCell::new(Compressor::new(CompressionLvl::default()));
        }
        let bytes = DEFLATE.with_borrow_mut(|compressor| {
            let mut out = vec![0; compressor.deflate_compress_bound(data.len())];
            let written = compressor.deflate_compress(data, &mut out).ok()?;
            out.truncate(written);
            Some(out)
        })?;
        (bytes.len() < data.len()).then(|| Self {
            bytes: bytes.into_boxed_slice(),
            len: data.len(),
        })
    }

    /// The bytes it was made from; `None` only if they do not inflate to their length (a bug).
    pub fn inflate(&self) -> Option<Vec<u8>> {
        thread_local! {
            static INFLATE: RefCell<Decompressor> = RefCell::new(Decompressor::new());
        }
        let mut out = vec![0; self.len];
        let written = INFLATE.with_borrow_mut(|d| d.deflate_decompress(&self.bytes, &mut out));
        matches!(written, Ok(written) if written == self.len).then_some(out)
    }

    /// The length of the bytes it was made from.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it was made from nothing (never: nothing does not deflate smaller).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes it holds.
    pub fn resident_bytes(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflated_bytes_inflate_to_what_they_were_and_incompressible_ones_are_refused() {
        let text = "Blocked kidneys, a stent: ünïcode words & more. ".repeat(60);
        let deflated = Deflated::new(text.as_bytes()).unwrap();
        assert!(deflated.resident_bytes() < text.len() / 3);
        assert_eq!(deflated.len(), text.len());
        assert_eq!(deflated.inflate().unwrap(), text.as_bytes());
        // A few bytes only grow when deflated.
        assert!(Deflated::new(b"ab").is_none());
        assert!(Deflated::new(b"").is_none());
    }
}
