//! The finder: find an interventional radiologist by postcode or town, procedure and distance.
//!
//! Data comes from `content/geography/` (postcode areas and towns), an optional operator CSV of
//! postcode districts, and `content/directory/` (the listings). It is read and checked with the
//! rest of the content by [`load()`] (called from `irinfo::load_content`), kept in the `Site`, and
//! searched in memory.

pub(crate) mod directory;
pub(crate) mod gazetteer;
pub(crate) mod geo;
pub(crate) mod load;
pub(crate) mod postcode;
pub(crate) mod regions;

pub use directory::{Directory, Entry, Hit, Located, Query, Results};
pub use gazetteer::{Gazetteer, Lookup, Place, Precision};
pub use geo::LatLon;
pub use load::load;
pub use regions::{Nation, REGIONS, Region};

/// Everything the finder searches: places to search from, and the directory to search.
#[derive(Debug, Default)]
pub struct Finder {
    pub gazetteer: Gazetteer,
    pub directory: Directory,
}

/// Where each item stands in `items`, by its `key`: the index the directory keeps by slug and
/// the gazetteer by postcode area.
fn positions_by<T>(
    items: &[T],
    key: impl Fn(&T) -> &String,
) -> std::collections::HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item).clone(), i))
        .collect()
}
