//! Turning what a visitor typed into a place on the map.
//!
//! The site ships a table of postcode areas (such as LS, Leeds) and of towns and cities. An
//! operator may add a table of postcode districts (such as LS6); when it is there, postcodes are
//! placed by district, which is finer than by area. Town names are matched forgivingly, and a
//! close misspelling is answered with suggestions rather than a guess.

use std::collections::HashMap;

use super::geo::LatLon;
use super::postcode::{self, Postcode};

/// A postcode area and the middle of it.
#[derive(Debug, Clone)]
pub struct Area {
    /// One or two capital letters, such as `LS`.
    pub code: String,
    /// The main post town, such as "Leeds".
    pub name: String,
    pub point: LatLon,
}

/// A town or city.
#[derive(Debug, Clone)]
pub struct Town {
    pub name: String,
    /// Other names people use, such as "Hull" for Kingston upon Hull.
    pub also: Vec<String>,
    pub point: LatLon,
}

/// A county people search by ("Cornwall"), measured from its county town.
#[derive(Debug, Clone)]
pub struct County {
    pub name: String,
    /// The county town, as the finder knows it ("Truro").
    pub town: String,
    pub point: LatLon,
}

/// Every place the finder can search from.
#[derive(Debug, Default)]
pub struct Gazetteer {
    /// Sorted by code.
    areas: Vec<Area>,
    area_index: HashMap<String, usize>,
    districts: HashMap<String, LatLon>,
    towns: Vec<Town>,
    /// Normalised town names, aliases and area post towns, to the place they name.
    names: HashMap<String, NamedPlace>,
    counties: Vec<County>,
}

/// What a normalised name points at.
#[derive(Debug, Clone, Copy)]
enum NamedPlace {
    Town(usize),
    Area(usize),
    County(usize),
}

/// How precisely a place is known; said on the results page so nobody over-trusts a distance.
#[derive(Debug, Clone, PartialEq)]
pub enum Precision {
    /// The middle of a postcode district, such as LS6.
    District(String),
    /// The middle of a postcode area, such as LS (Leeds).
    Area { code: String, name: String },
    /// The centre of a town or city.
    Town,
    /// A whole county, measured from its county town (named here): a rough guide only.
    County { town: String },
    /// Coordinates the visitor's browser sent.
    Coordinates,
}

/// A place to measure distances from.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// As shown to the visitor: "LS6 3EX", "Leeds" or "your location".
    pub label: String,
    pub point: LatLon,
    pub precision: Precision,
}

/// What became of a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Place),
    /// A well-formed postcode whose area the site does not know (such as ZZ1 1AA).
    UnknownPostcode(String),
    /// Letters and digits that do not make a postcode (such as LS6 3E).
    MalformedPostcode,
    /// Not a postcode and not a town we know; with close matches, best first.
    UnknownTown(Vec<String>),
}

/// How many suggestions to offer for a misspelt town.
const SUGGESTION_LIMIT: usize = 3;

impl Gazetteer {
    /// Builds the lookup tables. Names are expected to be unique once normalised; the loader
    /// reports duplicates, and here a later one is simply ignored.
    pub fn new(mut areas: Vec<Area>, districts: Vec<(String, LatLon)>, towns: Vec<Town>) -> Self {
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        let mut names = HashMap::new();
        for (i, town) in towns.iter().enumerate() {
            for name in std::iter::once(&town.name).chain(&town.also) {
                names
                    .entry(normalise_name(name))
                    .or_insert(NamedPlace::Town(i));
            }
        }
        for (i, area) in areas.iter().enumerate() {
            // An area's post town is searchable too, unless a town of that name is listed.
            names
                .entry(normalise_name(&area.name))
                .or_insert(NamedPlace::Area(i));
        }
        let area_index = super::positions_by(&areas, |a| &a.code);
        Self {
            areas,
            area_index,
            districts: districts.into_iter().collect(),
            towns,
            names,
            counties: Vec::new(),
        }
    }

    /// Adds counties, each searchable by its name unless a town or post town has that name.
    pub fn with_counties(mut self, counties: Vec<County>) -> Self {
        for (i, county) in counties.iter().enumerate() {
            self.names
                .entry(normalise_name(&county.name))
                .or_insert(NamedPlace::County(i));
        }
        self.counties = counties;
        self
    }

    /// The point of a town or post town known by this name (ignoring case and punctuation).
    pub fn town_point(&self, name: &str) -> Option<(String, LatLon)> {
        match self.names.get(&normalise_name(name))? {
            NamedPlace::Town(i) => Some((self.towns[*i].name.clone(), self.towns[*i].point)),
            NamedPlace::Area(i) => Some((self.areas[*i].name.clone(), self.areas[*i].point)),
            NamedPlace::County(_) => None,
        }
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.area_index.get(code).map(|&i| &self.areas[i])
    }

    pub fn district(&self, outward: &str) -> Option<LatLon> {
        self.districts.get(outward).copied()
    }

    pub fn area_count(&self) -> usize {
        self.areas.len()
    }

    pub fn district_count(&self) -> usize {
        self.districts.len()
    }

    pub fn towns(&self) -> &[Town] {
        &self.towns
    }

    /// The best point for a postcode: its district when known, else its area.
    pub fn place_postcode(&self, postcode: &Postcode) -> Option<Place> {
        let label = postcode.to_string();
        if let Some(district) = &postcode.district {
            if let Some(point) = self.district(district) {
                return Some(Place {
                    label,
                    point,
                    precision: Precision::District(district.clone()),
                });
            }
        }
        let area = self.area(&postcode.area)?;
        Some(Place {
            label,
            point: area.point,
            precision: Precision::Area {
                code: area.code.clone(),
                name: area.name.clone(),
            },
        })
    }

    /// Finds what `text` names: a postcode (whole or part) or a town.
    pub fn lookup(&self, text: &str) -> Lookup {
        let text = text.trim();
        if let Some(postcode) = Postcode::parse(text) {
            if let Some(place) = self.place_postcode(&postcode) {
                return Lookup::Found(place);
            }
            // One or two letters that are not an area might still be a (very short) town name.
            if postcode.district.is_some() {
                return Lookup::UnknownPostcode(postcode.to_string());
            }
        } else if postcode::looks_like_postcode(text) {
            return Lookup::MalformedPostcode;
        }
        let key = normalise_name(text);
        let found = |label: &str, point: LatLon, precision: Precision| {
            Lookup::Found(Place {
                label: label.to_string(),
                point,
                precision,
            })
        };
        match self.names.get(&key) {
            Some(NamedPlace::Town(i)) => {
                let town = &self.towns[*i];
                found(&town.name, town.point, Precision::Town)
            }
            Some(NamedPlace::Area(i)) => {
                let area = &self.areas[*i];
                found(&area.name, area.point, Precision::Town)
            }
            Some(NamedPlace::County(i)) => {
                let county = &self.counties[*i];
                let town = county.town.clone();
                found(&county.name, county.point, Precision::County { town })
            }
            None => Lookup::UnknownTown(self.suggest(&key)),
        }
    }

    /// Town names close to a misspelt one, best first.
    pub fn suggest(&self, key: &str) -> Vec<String> {
        if key.chars().count() < 3 {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f64, String)> = self
            .names
            .iter()
            .filter_map(|(name, place)| {
                let edits = strsim::damerau_levenshtein(key, name);
                let similarity = strsim::jaro_winkler(key, name);
                let allowed_edits = if name.chars().count() >= 7 { 2 } else { 1 };
                (edits <= allowed_edits || similarity >= 0.9)
                    .then(|| (edits, similarity, self.display_name(*place)))
            })
            .collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut suggestions: Vec<String> = Vec::new();
        for (_, _, name) in scored {
            if !suggestions.contains(&name) {
                suggestions.push(name);
            }
            if suggestions.len() == SUGGESTION_LIMIT {
                break;
            }
        }
        suggestions
    }

    fn display_name(&self, place: NamedPlace) -> String {
        match place {
            NamedPlace::Town(i) => self.towns[i].name.clone(),
            NamedPlace::Area(i) => self.areas[i].name.clone(),
            NamedPlace::County(i) => self.counties[i].name.clone(),
        }
    }
}

/// A town name reduced to what identifies it: lower case, "&" as "and", "Saint" as "st",
/// hyphens as spaces, no full stops or apostrophes, and nothing after a comma (so
/// "Leeds, West Yorkshire" finds Leeds).
pub fn normalise_name(name: &str) -> String {
    let before_comma = name.split(',').next().unwrap_or_default();
    let cleaned: String = before_comma
        .chars()
        .filter(|c| !matches!(c, '.' | '\'' | '\u{2019}'))
        .map(|c| if c == '-' { ' ' } else { c })
        .collect::<String>()
        .to_lowercase()
        .replace('&', " and ");
    cleaned
        .split_whitespace()
        .map(|word| if word == "saint" { "st" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Gazetteer {
        let areas = vec![
            Area {
                code: "LS".into(),
                name: "Leeds".into(),
                point: LatLon::new(53.80, -1.55),
            },
            Area {
                code: "HG".into(),
                name: "Harrogate".into(),
                point: LatLon::new(53.99, -1.54),
            },
        ];
        let town = |name: &str, also: &[&str], lat: f64, lon: f64| Town {
            name: name.into(),
            also: also.iter().map(|&a| a.into()).collect(),
            point: LatLon::new(lat, lon),
        };
        let towns = vec![
            town("Kingston upon Hull", &["Hull"], 53.74, -0.33),
            town("St Albans", &[], 51.75, -0.34),
            town("Stoke-on-Trent", &["Stoke"], 53.00, -2.18),
            town("Leek", &[], 53.10, -2.02),
        ];
        Gazetteer::new(
            areas,
            vec![("LS6".into(), LatLon::new(53.82, -1.58))],
            towns,
        )
    }

    #[test]
    fn postcodes_use_the_finest_level_known() {
        let g = sample();
        let Lookup::Found(place) = g.lookup("ls6 3ex") else {
            panic!()
        };
        assert_eq!(place.label, "LS6 3EX");
        assert_eq!(place.precision, Precision::District("LS6".into()));
        let Lookup::Found(place) = g.lookup("LS7 1AB") else {
            panic!()
        };
        assert!(matches!(place.precision, Precision::Area { ref code, .. } if code == "LS"));
        let Lookup::Found(place) = g.lookup("hg") else {
            panic!()
        };
        assert_eq!(place.point, LatLon::new(53.99, -1.54));
        assert_eq!(
            g.lookup("ZZ1 1AA"),
            Lookup::UnknownPostcode("ZZ1 1AA".into())
        );
        assert_eq!(g.lookup("LS6 3E"), Lookup::MalformedPostcode);
        assert_eq!(g.lookup("12345"), Lookup::MalformedPostcode);
    }

    #[test]
    fn towns_are_found_however_they_are_written() {
        let g = sample();
        for typed in [
            "Hull",
            "kingston upon hull",
            "  KINGSTON   UPON HULL ",
            "Hull, East Yorkshire",
        ] {
            assert!(
                matches!(g.lookup(typed), Lookup::Found(ref p) if p.label == "Kingston upon Hull"),
                "{typed}"
            );
        }
        for typed in ["St. Albans", "Saint Albans", "st albans"] {
            assert!(
                matches!(g.lookup(typed), Lookup::Found(ref p) if p.label == "St Albans"),
                "{typed}"
            );
        }
        assert!(matches!(g.lookup("stoke on trent"), Lookup::Found(_)));
        // An area's post town is a place too.
        assert!(
            matches!(g.lookup("harrogate"), Lookup::Found(ref p) if p.precision == Precision::Town)
        );
    }

    #[test]
    fn close_misspellings_are_suggested_and_far_ones_are_not() {
        let g = sample();
        let cases: [(&str, &[&str]); 6] = [
            ("Leads", &["Leeds"]),
            ("Lek", &["Leek"]),
            ("Harogate", &["Harrogate"]),
            ("Kingston upon Hul", &["Kingston upon Hull"]),
            ("Timbuktu", &[]),
            ("xq", &[]),
        ];
        for (typed, expected) in cases {
            match g.lookup(typed) {
                Lookup::UnknownTown(suggestions) => {
                    assert_eq!(suggestions, expected, "{typed}");
                }
                other => panic!("{typed}: {other:?}"),
            }
        }
    }
}
