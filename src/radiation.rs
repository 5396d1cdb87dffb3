//! Radiation arithmetic in plain words: how long natural background radiation takes to give the
//! same dose, and which of the UK Health Security Agency's risk bands a dose falls in.
//!
//! Pure functions of a dose and the two settings in `[radiation]` (see [`crate::config`]), so the
//! phrases on every page are computed the same way and never written by hand.

use std::fmt;

/// Hours in an average year, counting leap years.
const HOURS_PER_YEAR: f64 = 365.25 * 24.0;

/// A relative tolerance for comparing a computed risk with a band edge. Doses such as 0.02 mSv
/// are not exact in binary, so a dose that lands on an edge on paper can come out a hair under
/// it; without this it would fall into the lower band.
const EDGE_TOLERANCE: f64 = 1e-9;

/// How long the UK's average natural background radiation takes to give `dose_msv`, as a phrase such as
/// "about 3 days" or "about 1.5 years".
///
/// Each unit is used until its rounded count would read better in the next unit, so the phrase
/// never says "about 24 hours" or "about 12 months". `annual_background_msv` must be positive.
pub fn background_equivalent(dose_msv: f64, annual_background_msv: f64) -> String {
    // Written so that NaN, zero and negative values all take this branch.
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !positive(dose_msv) || !positive(annual_background_msv) {
        return "none".to_string();
    }
    let years = dose_msv / annual_background_msv;
    let hours = years * HOURS_PER_YEAR;
    if hours < 1.0 {
        return "less than an hour".to_string();
    }
    let rounded_hours = hours.round();
    if rounded_hours < 24.0 {
        return about(rounded_hours, "hour", "hours");
    }
    let days = hours / 24.0;
    let rounded_days = days.round();
    if rounded_days < 14.0 {
        return about(rounded_days, "day", "days");
    }
    let rounded_weeks = (days / 7.0).round();
    if rounded_weeks < 9.0 {
        return about(rounded_weeks, "week", "weeks");
    }
    let rounded_months = (years * 12.0).round();
    if rounded_months < 12.0 {
        return about(rounded_months, "month", "months");
    }
    // Half years read naturally ("about 1.5 years") up to ten; beyond that whole years do.
    let half_years = (years * 2.0).round() / 2.0;
    if half_years < 10.0 {
        return about(half_years, "year", "years");
    }
    about(years.round(), "year", "years")
}

fn about(count: f64, one: &str, many: &str) -> String {
    let unit = if count == 1.0 { one } else { many };
    format!("about {} {unit}", trim_number(count))
}

/// A number without a trailing ".0": 12.0 gives "12", 0.014 gives "0.014".
pub fn trim_number(value: f64) -> String {
    // `Display` for f64 already prints the shortest form that reads back as the same number.
    format!("{value}")
}

/// The added lifetime risk of cancer from `dose_msv`, as a fraction (0.0001 is 1 in 10,000), using
/// a nominal risk coefficient per sievert (ICRP 103: about 0.05).
pub fn added_lifetime_risk(dose_msv: f64, risk_per_sievert: f64) -> f64 {
    (dose_msv / 1000.0 * risk_per_sievert).max(0.0)
}

/// The plain-language risk bands the UK Health Security Agency uses for the added lifetime risk
/// of cancer from a medical exposure, plus one band above them for the longest procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskBand {
    /// Under 1 in a million.
    Negligible,
    /// 1 in a million to 1 in 100,000.
    Minimal,
    /// 1 in 100,000 to 1 in 10,000.
    VeryLow,
    /// 1 in 10,000 to 1 in 1,000.
    Low,
    /// More than 1 in 1,000. UKHSA's bands stop at 1 in 1,000; a few long interventional
    /// procedures go beyond, and the site must still say something true about them.
    Moderate,
}

impl RiskBand {
    /// Every band, lowest first.
    pub const ALL: [RiskBand; 5] = [
        Self::Negligible,
        Self::Minimal,
        Self::VeryLow,
        Self::Low,
        Self::Moderate,
    ];

    /// The band a risk (a fraction) falls in. A risk exactly on an edge belongs to the band above
    /// it: "minimal" is "1 in a million to 1 in 100,000", so 1 in a million is minimal.
    pub fn for_risk(risk: f64) -> Self {
        // (upper edge, band below it), lowest first.
        const EDGES: [(f64, RiskBand); 4] = [
            (1e-6, RiskBand::Negligible),
            (1e-5, RiskBand::Minimal),
            (1e-4, RiskBand::VeryLow),
            (1e-3, RiskBand::Low),
        ];
        EDGES
            .iter()
            .find(|(edge, _)| risk < edge * (1.0 - EDGE_TOLERANCE))
            .map_or(Self::Moderate, |(_, band)| *band)
    }

    /// The band for a dose, with the given risk coefficient.
    pub fn for_dose(dose_msv: f64, risk_per_sievert: f64) -> Self {
        Self::for_risk(added_lifetime_risk(dose_msv, risk_per_sievert))
    }

    /// The band's name, as shown to patients: "Very low".
    pub fn label(self) -> &'static str {
        match self {
            Self::Negligible => "Negligible",
            Self::Minimal => "Minimal",
            Self::VeryLow => "Very low",
            Self::Low => "Low",
            Self::Moderate => "Moderate",
        }
    }

    /// The range of risk the band covers, in words.
    pub fn range(self) -> &'static str {
        match self {
            Self::Negligible => "less than 1 in a million",
            Self::Minimal => "between 1 in a million and 1 in 100,000",
            Self::VeryLow => "between 1 in 100,000 and 1 in 10,000",
            Self::Low => "between 1 in 10,000 and 1 in 1,000",
            Self::Moderate => "more than 1 in 1,000",
        }
    }

    /// A stable name for CSS classes and anchors: "very-low".
    pub fn slug(self) -> &'static str {
        match self {
            Self::Negligible => "negligible",
            Self::Minimal => "minimal",
            Self::VeryLow => "very-low",
            Self::Low => "low",
            Self::Moderate => "moderate",
        }
    }

    /// Whether the band is one of the four UKHSA defines (the top band is the site's own).
    pub fn is_ukhsa_band(self) -> bool {
        self != Self::Moderate
    }
}

impl fmt::Display for RiskBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How many times bigger `larger` is than `smaller`, in words: "about 500 times", "about 2.5
/// times", or "about the same". Two significant figures at most, because effective doses are
/// estimates and more precision would mislead.
pub fn ratio_phrase(larger: f64, smaller: f64) -> String {
    if !(larger > 0.0 && smaller > 0.0) {
        return "not comparable".to_string();
    }
    let ratio = larger / smaller;
    if ratio < 1.05 {
        return "about the same as".to_string();
    }
    let rounded = round_significant(ratio, 2);
    format!("about {} times", group_thousands(rounded))
}

/// Rounds to `digits` significant figures.
fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits - 1 - magnitude);
    (value * factor).round() / factor
}

/// "70000" as "70,000"; numbers under 1,000 as they are.
fn group_thousands(value: f64) -> String {
    if value < 1000.0 {
        return trim_number(value);
    }
    let digits = format!("{}", value.round() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any yearly figure will do for the arithmetic; 2.7 keeps the cases easy to check by hand.
    /// (The site uses the natural part, 2.3 mSv: see `RadiationSettings`.)
    const UK_BACKGROUND: f64 = 2.7;
    const ICRP_103: f64 = 0.05;

    /// Checks the phrase for each dose against the UK background rate.
    fn assert_background_phrases(cases: &[(f64, &str)]) {
        for &(dose, expected) in cases {
            assert_eq!(
                background_equivalent(dose, UK_BACKGROUND),
                expected,
                "{dose} mSv"
            );
        }
    }

    #[test]
    fn background_equivalents_at_the_boundaries() {
        let cases = [
            (0.0, "none"),
            (-1.0, "none"),
            (f64::NAN, "none"),
            // 0.0002 mSv is about 39 minutes of background.
            (0.0002, "less than an hour"),
            (0.001, "about 3 hours"),
            (0.014, "about 2 days"),
            (0.02, "about 3 days"),
            (0.1, "about 2 weeks"),
            (0.7, "about 3 months"),
            (0.9, "about 4 months"),
            (2.7, "about 1 year"),
            (4.0, "about 1.5 years"),
            (10.0, "about 3.5 years"),
            (55.0, "about 20 years"),
            (70.0, "about 26 years"),
        ];
        assert_background_phrases(&cases);
    }

    #[test]
    fn units_change_where_the_rounded_count_would_read_badly() {
        // Doses chosen from the background rate so each lands just either side of a unit change.
        let per_hour = UK_BACKGROUND / HOURS_PER_YEAR;
        let cases = [
            (0.99 * per_hour, "less than an hour"),
            (1.0 * per_hour, "about 1 hour"),
            (23.4 * per_hour, "about 23 hours"),
            (23.6 * per_hour, "about 1 day"),
            (13.4 * 24.0 * per_hour, "about 13 days"),
            (13.6 * 24.0 * per_hour, "about 2 weeks"),
            (8.4 * 7.0 * 24.0 * per_hour, "about 8 weeks"),
            (8.6 * 7.0 * 24.0 * per_hour, "about 2 months"),
            (11.4 / 12.0 * UK_BACKGROUND, "about 11 months"),
            (11.6 / 12.0 * UK_BACKGROUND, "about 1 year"),
            (9.7 * UK_BACKGROUND, "about 9.5 years"),
            (9.8 * UK_BACKGROUND, "about 10 years"),
            (10.4 * UK_BACKGROUND, "about 10 years"),
            (10.6 * UK_BACKGROUND, "about 11 years"),
        ];
        assert_background_phrases(&cases);
    }

    #[test]
    fn the_background_setting_changes_the_phrase() {
        assert_eq!(background_equivalent(2.7, 2.7), "about 1 year");
        assert_eq!(background_equivalent(2.7, 5.4), "about 6 months");
        assert_eq!(background_equivalent(1.0, 0.0), "none");
    }

    #[test]
    fn risk_bands_for_doses_and_risks_with_edges_in_the_band_above() {
        // With 5% per sievert, 1 in a million is 0.02 mSv, and each band is ten times the last.
        let cases = [
            (0.0, RiskBand::Negligible),
            (0.001, RiskBand::Negligible),
            (0.014, RiskBand::Negligible),
            (0.0199, RiskBand::Negligible),
            (0.02, RiskBand::Minimal),
            (0.1999, RiskBand::Minimal),
            (0.2, RiskBand::VeryLow),
            (1.999, RiskBand::VeryLow),
            (2.0, RiskBand::Low),
            (2.7, RiskBand::Low),
            (10.0, RiskBand::Low),
            (19.99, RiskBand::Low),
            (20.0, RiskBand::Moderate),
            (55.0, RiskBand::Moderate),
            (1000.0, RiskBand::Moderate),
        ];
        for (dose, expected) in cases {
            assert_eq!(RiskBand::for_dose(dose, ICRP_103), expected, "{dose} mSv");
        }
        let risks = [
            (0.999_999e-6, RiskBand::Negligible),
            (1e-6, RiskBand::Minimal),
            (1e-5, RiskBand::VeryLow),
            (1e-4, RiskBand::Low),
            (1e-3, RiskBand::Moderate),
        ];
        for (risk, expected) in risks {
            assert_eq!(RiskBand::for_risk(risk), expected, "risk {risk}");
        }
    }

    #[test]
    fn risk_is_dose_times_coefficient() {
        let cases = [
            (10.0, 0.05, 5e-4),
            (1.0, 0.05, 5e-5),
            (0.0, 0.05, 0.0),
            (2.0, 0.1, 2e-4),
        ];
        for (dose, coefficient, expected) in cases {
            let risk = added_lifetime_risk(dose, coefficient);
            assert!((risk - expected).abs() < 1e-15, "{dose} x {coefficient}");
        }
    }

    #[test]
    fn bands_are_ordered_and_described() {
        assert!(RiskBand::ALL.is_sorted(), "{:?}", RiskBand::ALL);
        assert_eq!(RiskBand::VeryLow.to_string(), "Very low");
        assert_eq!(
            RiskBand::Minimal.range(),
            "between 1 in a million and 1 in 100,000"
        );
        assert!(!RiskBand::Moderate.is_ukhsa_band());
    }

    #[test]
    fn ratios_in_words() {
        let cases = [
            (10.0, 0.02, "about 500 times"),
            (70.0, 0.001, "about 70,000 times"),
            (12.0, 7.0, "about 1.7 times"),
            (2.0, 1.0, "about 2 times"),
            (1.0, 1.0, "about the same as"),
            (1.0, 0.0, "not comparable"),
        ];
        for (larger, smaller, expected) in cases {
            assert_eq!(
                ratio_phrase(larger, smaller),
                expected,
                "{larger}/{smaller}"
            );
        }
    }

    #[test]
    fn numbers_print_without_needless_decimals() {
        assert_eq!(trim_number(12.0), "12");
        assert_eq!(trim_number(0.014), "0.014");
        assert_eq!(trim_number(1.5), "1.5");
    }
}
