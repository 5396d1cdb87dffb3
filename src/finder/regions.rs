//! The four UK nations and the regions the finder's directory is browsed by.
//!
//! England is split into its nine regions; Scotland, Wales and Northern Ireland are one region
//! each. The list is fixed here rather than in content because pages and addresses depend on it.

/// A UK nation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nation {
    England,
    Scotland,
    Wales,
    NorthernIreland,
}

impl Nation {
    pub const ALL: [Nation; 4] = [
        Self::England,
        Self::Scotland,
        Self::Wales,
        Self::NorthernIreland,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::England => "England",
            Self::Scotland => "Scotland",
            Self::Wales => "Wales",
            Self::NorthernIreland => "Northern Ireland",
        }
    }

    /// The id of the nation's section on the browse page.
    pub fn anchor(self) -> &'static str {
        match self {
            Self::England => "england",
            Self::Scotland => "scotland",
            Self::Wales => "wales",
            Self::NorthernIreland => "northern-ireland",
        }
    }
}

/// A region: its slug (the last part of `/find/regions/{slug}`), its name and its nation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    pub slug: &'static str,
    pub name: &'static str,
    pub nation: Nation,
}

/// Every region, in the order the browse page lists them.
pub const REGIONS: [Region; 12] = [
    region("north-east", "North East", Nation::England),
    region("north-west", "North West", Nation::England),
    region(
        "yorkshire-and-the-humber",
        "Yorkshire and the Humber",
        Nation::England,
    ),
    region("east-midlands", "East Midlands", Nation::England),
    region("west-midlands", "West Midlands", Nation::England),
    region("east-of-england", "East of England", Nation::England),
    region("london", "London", Nation::England),
    region("south-east", "South East", Nation::England),
    region("south-west", "South West", Nation::England),
    region("scotland", "Scotland", Nation::Scotland),
    region("wales", "Wales", Nation::Wales),
    region(
        "northern-ireland",
        "Northern Ireland",
        Nation::NorthernIreland,
    ),
];

const fn region(slug: &'static str, name: &'static str, nation: Nation) -> Region {
    Region { slug, name, nation }
}

/// The region with this slug.
pub fn region_by_slug(slug: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.slug == slug)
}

impl Region {
    /// The path of the region's page.
    pub fn path(&self) -> String {
        format!("/find/regions/{}", self.slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nation_has_a_region_and_slugs_are_unique() {
        for nation in Nation::ALL {
            assert!(REGIONS.iter().any(|r| r.nation == nation), "{nation:?}");
        }
        let mut slugs: Vec<&str> = REGIONS.iter().map(|r| r.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), REGIONS.len());
        assert_eq!(
            REGIONS
                .iter()
                .filter(|r| r.nation == Nation::England)
                .count(),
            9
        );
        assert_eq!(region_by_slug("london").unwrap().name, "London");
        assert!(region_by_slug("mars").is_none());
        for r in &REGIONS {
            assert!(crate::content::kinds::is_valid_slug(r.slug), "{}", r.slug);
        }
    }
}
