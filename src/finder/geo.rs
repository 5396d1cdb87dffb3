//! Points on the Earth and the great-circle distance between them.
//!
//! The finder ranks services by straight-line distance, which is what a patient can check on a
//! map. Road distance would need routing data the site does not hold.

/// The Earth's mean radius in kilometres (IUGG), the usual figure for haversine distances.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres in one statute mile.
pub const KM_PER_MILE: f64 = 1.609344;

/// A rough box around the UK, Northern Ireland and the islands (Scilly to Shetland). Coordinates
/// outside it are typing mistakes, such as a swapped latitude and longitude.
pub const UK_LATITUDE: std::ops::RangeInclusive<f64> = 49.8..=60.95;
pub const UK_LONGITUDE: std::ops::RangeInclusive<f64> = -8.7..=1.9;

/// A latitude and longitude in degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Whether the point lies in the box around the UK.
    pub fn is_in_uk(&self) -> bool {
        UK_LATITUDE.contains(&self.lat) && UK_LONGITUDE.contains(&self.lon)
    }

    /// Great-circle distance in kilometres.
    pub fn distance_km(&self, other: &LatLon) -> f64 {
        Radians::from(*self).distance_km(&Radians::from(*other))
    }
}

/// A point kept in radians with its latitude's cosine, so that comparing one place with many
/// entries does no repeated trigonometry for the entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radians {
    lat: f64,
    lon: f64,
    cos_lat: f64,
}

impl From<LatLon> for Radians {
    fn from(point: LatLon) -> Self {
        let lat = point.lat.to_radians();
        Self {
            lat,
            lon: point.lon.to_radians(),
            cos_lat: lat.cos(),
        }
    }
}

impl Radians {
    /// Haversine distance in kilometres: accurate to well under 0.5% at any distance in the UK.
    pub fn distance_km(&self, other: &Radians) -> f64 {
        let half_dlat = (other.lat - self.lat) / 2.0;
        let half_dlon = (other.lon - self.lon) / 2.0;
        let a = half_dlat.sin().powi(2) + self.cos_lat * other.cos_lat * half_dlon.sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// Kilometres to miles.
pub fn km_to_miles(km: f64) -> f64 {
    km / KM_PER_MILE
}

/// Miles to kilometres.
pub fn miles_to_km(miles: f64) -> f64 {
    miles * KM_PER_MILE
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEEDS: LatLon = LatLon::new(53.7997, -1.5492);
    const MANCHESTER: LatLon = LatLon::new(53.4808, -2.2426);
    const LONDON: LatLon = LatLon::new(51.5072, -0.1276);
    const EDINBURGH: LatLon = LatLon::new(55.9533, -3.1883);
    const BELFAST: LatLon = LatLon::new(54.5973, -5.9301);
    const LANDS_END: LatLon = LatLon::new(50.0657, -5.7132);
    const JOHN_O_GROATS: LatLon = LatLon::new(58.6373, -3.0689);
    const LERWICK: LatLon = LatLon::new(60.1546, -1.1494);

    #[test]
    fn known_straight_line_distances() {
        // (from, to, expected miles, tolerance in miles). Expected values are published
        // great-circle distances between the city centres.
        let cases = [
            (LEEDS, MANCHESTER, 36.0, 1.0),
            (LONDON, EDINBURGH, 332.0, 3.0),
            (LONDON, LEEDS, 170.0, 2.0),
            (BELFAST, EDINBURGH, 143.0, 3.0),
            (BELFAST, LONDON, 322.0, 3.0),
            (LANDS_END, JOHN_O_GROATS, 603.0, 5.0),
        ];
        for (from, to, miles, tolerance) in cases {
            let got = km_to_miles(from.distance_km(&to));
            assert!(
                (got - miles).abs() <= tolerance,
                "{from:?} to {to:?}: {got:.1} miles, expected about {miles}"
            );
        }
    }

    #[test]
    fn distance_is_symmetric_and_zero_at_the_same_point() {
        assert_eq!(LEEDS.distance_km(&LEEDS), 0.0);
        let there = BELFAST.distance_km(&LONDON);
        let back = LONDON.distance_km(&BELFAST);
        assert!((there - back).abs() < 1e-9);
        // Across the prime meridian: Greenwich to a point 1 km east is about 1 km.
        let greenwich = LatLon::new(51.4779, 0.0);
        let east = LatLon::new(51.4779, 1.0 / (111.32 * 51.4779_f64.to_radians().cos()));
        assert!((greenwich.distance_km(&east) - 1.0).abs() < 0.01);
    }

    #[test]
    fn antipodes_do_not_produce_nan() {
        let a = LatLon::new(0.0, 0.0);
        let b = LatLon::new(0.0, 180.0);
        let d = a.distance_km(&b);
        assert!(
            (d - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6,
            "{d}"
        );
    }

    #[test]
    fn uk_box_and_units() {
        for point in [LEEDS, BELFAST, LANDS_END, JOHN_O_GROATS, LERWICK] {
            assert!(point.is_in_uk(), "{point:?}");
        }
        for point in [
            LatLon::new(-1.5492, 53.7997),
            LatLon::new(48.8566, 2.3522),
            LatLon::new(f64::NAN, 0.0),
        ] {
            assert!(!point.is_in_uk(), "{point:?}");
        }
        assert!((miles_to_km(km_to_miles(42.0)) - 42.0).abs() < 1e-12);
    }
}
