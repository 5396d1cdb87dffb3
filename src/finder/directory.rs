//! The directory of interventional radiology services, and searching it by distance.
//!
//! Entries are read once from `content/directory/` and never change while the site runs, so
//! the search keeps a list of the entries that offer each procedure and only measures those.

use std::collections::HashMap;

use super::geo::{LatLon, Radians, miles_to_km};
use super::regions::Region;

/// How an entry's position was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Located {
    /// Latitude and longitude written in the entry.
    Given,
    /// The middle of its postcode district.
    District,
    /// The middle of its postcode area: approximate.
    Area,
}

/// One listing: a named interventional radiologist at a hospital or service.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The last part of `/find/services/{slug}`.
    pub slug: String,
    /// The person's name, such as "Dr A. Sample".
    pub name: String,
    /// Such as "Consultant interventional radiologist".
    pub role: String,
    /// The hospital or service.
    pub hospital: String,
    /// The street address, without town and postcode.
    pub address: String,
    pub town: String,
    /// Written the standard way, such as "LS1 3EX".
    pub postcode: String,
    pub region: &'static Region,
    pub point: LatLon,
    pub located: Located,
    /// Slugs of the procedure sheets for what the service offers.
    pub procedures: Vec<String>,
    /// Whether the service gives interventional radiology cover 24 hours a day, 7 days a week.
    pub emergency_24_7: bool,
    /// Whether there is an outpatient IR clinic.
    pub outpatient_clinic: bool,
    pub phone: String,
    pub website: Option<String>,
    /// An illustrative listing, not a real service.
    pub sample: bool,
}

impl Entry {
    /// The path of the entry's own page.
    pub fn path(&self) -> String {
        format!("/find/services/{}", self.slug)
    }

    /// The phone number as a `tel:` address: digits and a leading plus only.
    pub fn phone_href(&self) -> String {
        let digits: String = self
            .phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{digits}")
    }

    pub fn offers(&self, procedure: &str) -> bool {
        self.procedures.iter().any(|p| p == procedure)
    }
}

/// What to search for.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub origin: LatLon,
    /// Only entries offering this procedure (a sheet's slug).
    pub procedure: Option<&'a str>,
    /// Only entries with 24/7 emergency cover.
    pub emergency_only: bool,
    pub radius_miles: f64,
}

/// An entry and how far it is from the search's origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index into [`Directory::entries`].
    pub entry: usize,
    pub distance_km: f64,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Every match within the radius, nearest first.
    pub within: Vec<Hit>,
    /// When nothing is within the radius: the nearest few matches beyond it.
    pub nearest_beyond: Vec<Hit>,
}

/// How many matches beyond the radius to show when there are none within it.
pub const NEAREST_BEYOND: usize = 3;

/// Every entry, with an index by procedure.
#[derive(Debug, Default)]
pub struct Directory {
    /// Sorted by slug.
    entries: Vec<Entry>,
    positions: Vec<Radians>,
    by_procedure: HashMap<String, Vec<usize>>,
    by_slug: HashMap<String, usize>,
}

impl Directory {
    /// Indexes `entries`. Slugs are expected to be unique (the loader checks).
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| a.slug.cmp(&b.slug));
        let positions = entries.iter().map(|e| Radians::from(e.point)).collect();
        let mut by_procedure: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            for procedure in &entry.procedures {
                let list = by_procedure.entry(procedure.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let by_slug = super::positions_by(&entries, |e| &e.slug);
        Self {
            entries,
            positions,
            by_procedure,
            by_slug,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, slug: &str) -> Option<&Entry> {
        self.by_slug.get(slug).map(|&i| &self.entries[i])
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether any entry is a sample listing, in which case every finder page says so.
    pub fn has_samples(&self) -> bool {
        self.entries.iter().any(|e| e.sample)
    }

    /// Entries in a region, by town and then name.
    pub fn in_region(&self, region: &Region) -> Vec<&Entry> {
        let mut found: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.region.slug == region.slug)
            .collect();
        found.sort_by(|a, b| (&a.town, &a.name).cmp(&(&b.town, &b.name)));
        found
    }

    /// Entries matching the query's filters, by great-circle distance from its origin. Ties are
    /// broken by slug, so the order never changes between identical searches.
    pub fn search(&self, query: &Query<'_>) -> Results {
        let origin = Radians::from(query.origin);
        let radius_km = miles_to_km(query.radius_miles);
        let mut hits: Vec<Hit> = match query.procedure {
            Some(procedure) => self
                .by_procedure
                .get(procedure)
                .map(|list| self.measure(&origin, list.iter().copied(), query.emergency_only))
                .unwrap_or_default(),
            None => self.measure(&origin, 0..self.entries.len(), query.emergency_only),
        };
        let by_distance = |a: &Hit, b: &Hit| {
            a.distance_km
                .total_cmp(&b.distance_km)
                .then(a.entry.cmp(&b.entry))
        };
        let within_count = hits.iter().filter(|h| h.distance_km <= radius_km).count();
        if within_count == 0 {
            let keep = NEAREST_BEYOND.min(hits.len());
            if keep > 0 && keep < hits.len() {
                hits.select_nth_unstable_by(keep - 1, by_distance);
            }
            hits.truncate(keep);
            hits.sort_unstable_by(by_distance);
            return Results {
                within: Vec::new(),
                nearest_beyond: hits,
            };
        }
        hits.retain(|h| h.distance_km <= radius_km);
        hits.sort_unstable_by(by_distance);
        Results {
            within: hits,
            nearest_beyond: Vec::new(),
        }
    }

    fn measure(
        &self,
        origin: &Radians,
        candidates: impl Iterator<Item = usize>,
        emergency_only: bool,
    ) -> Vec<Hit> {
        candidates
            .filter(|&i| !emergency_only || self.entries[i].emergency_24_7)
            .map(|i| Hit {
                entry: i,
                distance_km: origin.distance_km(&self.positions[i]),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finder::geo::km_to_miles;
    use crate::finder::regions::REGIONS;

    fn entry(slug: &str, lat: f64, lon: f64, procedures: &[&str], emergency: bool) -> Entry {
        Entry {
            slug: slug.into(),
            name: "Dr A. Sample".into(),
            role: "Consultant".into(),
            hospital: "Sample hospital".into(),
            address: "1 Sample Road".into(),
            town: slug.into(),
            postcode: "LS1 3EX".into(),
            region: &REGIONS[2],
            point: LatLon::new(lat, lon),
            located: Located::Given,
            procedures: procedures.iter().map(|p| p.to_string()).collect(),
            emergency_24_7: emergency,
            outpatient_clinic: false,
            phone: "0113 496 0000".into(),
            website: None,
            sample: true,
        }
    }

    fn directory() -> Directory {
        Directory::new(vec![
            entry(
                "leeds",
                53.7997,
                -1.5492,
                &["angioplasty", "picc-line"],
                true,
            ),
            entry("bradford", 53.7960, -1.7594, &["angioplasty"], false),
            entry("york", 53.9600, -1.0873, &["picc-line"], true),
            entry("manchester", 53.4808, -2.2426, &["angioplasty"], true),
            entry("london", 51.5072, -0.1276, &["angioplasty"], true),
            entry("belfast", 54.5973, -5.9301, &["angioplasty"], false),
        ])
    }

    fn slugs(directory: &Directory, hits: &[Hit]) -> Vec<String> {
        hits.iter()
            .map(|h| directory.entries()[h.entry].slug.clone())
            .collect()
    }

    #[test]
    fn nearest_first_within_the_radius_with_filters() {
        let d = directory();
        let leeds = LatLon::new(53.7997, -1.5492);
        let cases: [(Option<&str>, bool, f64, &[&str]); 5] = [
            (
                None,
                false,
                50.0,
                &["leeds", "bradford", "york", "manchester"],
            ),
            (
                Some("angioplasty"),
                false,
                50.0,
                &["leeds", "bradford", "manchester"],
            ),
            (Some("angioplasty"), true, 50.0, &["leeds", "manchester"]),
            (Some("picc-line"), false, 10.0, &["leeds"]),
            (
                Some("angioplasty"),
                false,
                1000.0,
                &["leeds", "bradford", "manchester", "london", "belfast"],
            ),
        ];
        for (procedure, emergency_only, radius_miles, expected) in cases {
            let results = d.search(&Query {
                origin: leeds,
                procedure,
                emergency_only,
                radius_miles,
            });
            assert_eq!(
                slugs(&d, &results.within),
                expected,
                "{procedure:?} {emergency_only} {radius_miles}"
            );
            assert!(results.nearest_beyond.is_empty());
        }
    }

    #[test]
    fn nothing_within_the_radius_gives_the_nearest_beyond_it() {
        let d = directory();
        // Glasgow: nothing within 10 miles.
        let results = d.search(&Query {
            origin: LatLon::new(55.8642, -4.2518),
            procedure: Some("angioplasty"),
            emergency_only: false,
            radius_miles: 10.0,
        });
        assert!(results.within.is_empty());
        assert_eq!(
            slugs(&d, &results.nearest_beyond),
            ["belfast", "bradford", "leeds"]
        );
        // Glasgow to Belfast is about 110 miles in a straight line.
        let miles = km_to_miles(results.nearest_beyond[0].distance_km);
        assert!((105.0..115.0).contains(&miles), "{miles}");
        // A procedure nobody offers finds nothing at all.
        let none = d.search(&Query {
            origin: LatLon::new(57.1497, -2.0943),
            procedure: Some("tips"),
            emergency_only: false,
            radius_miles: 100.0,
        });
        assert!(none.within.is_empty() && none.nearest_beyond.is_empty());
    }

    #[test]
    fn lookups_and_region_lists() {
        let d = directory();
        assert_eq!(d.len(), 6);
        assert_eq!(d.entry("york").unwrap().town, "york");
        assert!(d.entry("nowhere").is_none());
        assert_eq!(d.in_region(&REGIONS[2]).len(), 6);
        assert!(d.in_region(&REGIONS[0]).is_empty());
        assert_eq!(d.entries()[0].phone_href(), "tel:01134960000");
    }
}
