//! How fast the finder searches: 5,000 generated entries spread over Great Britain and Northern
//! Ireland, searched from Leeds with a procedure filter, as a patient following a procedure
//! sheet's "find" link would. Target: a median under 1 ms.
//!
//! Run with `cargo bench --bench finder`. After criterion's own report, the median of each
//! search is printed from criterion's estimates (`target/criterion/finder/*/new/estimates.json`).

use std::hint::black_box;

use criterion::Criterion;
use irinfo::finder::{Directory, Entry, LatLon, Located, Query, REGIONS};

/// Procedure slugs to spread over the generated entries (the shipped sheets' slugs).
const PROCEDURES: [&str; 12] = [
    "angioplasty",
    "angiogram",
    "arterial-stenting",
    "embolisation-for-bleeding",
    "uterine-fibroid-embolisation",
    "picc-line",
    "nephrostomy",
    "image-guided-biopsy",
    "vertebroplasty",
    "tips",
    "biliary-drainage",
    "endovascular-aneurysm-repair",
];

/// A small deterministic generator, so every run measures the same directory.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn generated_directory(count: usize) -> Directory {
    let mut random = Lcg(42);
    let entries = (0..count)
        .map(|i| {
            let lat = 50.0 + random.next() * 8.5;
            let lon = -6.0 + random.next() * 7.7;
            let procedures = PROCEDURES
                .iter()
                .filter(|_| random.next() < 0.4)
                .map(|p| p.to_string())
                .collect();
            Entry {
                slug: format!("generated-{i:05}"),
                name: format!("Dr {i} Sample"),
                role: "Consultant interventional radiologist".into(),
                hospital: "Generated sample hospital".into(),
                address: "1 Sample Road".into(),
                town: "Sampletown".into(),
                postcode: "LS1 3EX".into(),
                region: &REGIONS[i % REGIONS.len()],
                point: LatLon::new(lat, lon),
                located: Located::Given,
                procedures,
                emergency_24_7: random.next() < 0.5,
                outpatient_clinic: random.next() < 0.5,
                phone: "0113 496 0000".into(),
                website: None,
                sample: true,
            }
        })
        .collect();
    Directory::new(entries)
}

/// The searches measured, by criterion id under the `finder` group.
fn search(c: &mut Criterion) {
    let directory = generated_directory(5_000);
    let leeds = LatLon::new(53.7997, -1.5492);
    let query = Query {
        origin: leeds,
        procedure: Some("angioplasty"),
        emergency_only: false,
        radius_miles: 50.0,
    };
    assert!(
        !directory.search(&query).within.is_empty(),
        "the bench must find something"
    );
    let wide = Query {
        radius_miles: 100.0,
        emergency_only: true,
        ..query.clone()
    };
    let unfiltered = Query {
        procedure: None,
        ..query.clone()
    };
    let mut group = c.benchmark_group("finder");
    group.bench_function("procedure_within_50_miles", |b| {
        b.iter(|| black_box(directory.search(black_box(&query))))
    });
    group.bench_function("procedure_24_7_within_100_miles", |b| {
        b.iter(|| black_box(directory.search(black_box(&wide))))
    });
    group.bench_function("any_procedure_within_50_miles", |b| {
        b.iter(|| black_box(directory.search(black_box(&unfiltered))))
    });
    group.finish();
}

/// Prints the median criterion estimated for each search, against the 1 ms target.
fn report_medians() {
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    let group = std::path::Path::new(&target)
        .join("criterion")
        .join("finder");
    let Ok(benches) = std::fs::read_dir(&group) else {
        return;
    };
    let mut lines: Vec<String> = benches
        .filter_map(Result::ok)
        .filter_map(|bench| {
            let text = std::fs::read_to_string(bench.path().join("new/estimates.json")).ok()?;
            let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
            let nanos = estimates["median"]["point_estimate"].as_f64()?;
            let verdict = if nanos < 1_000_000.0 { "under" } else { "OVER" };
            Some(format!(
                "finder/{}: median {:.1} µs ({verdict} the 1 ms target)",
                bench.file_name().to_string_lossy(),
                nanos / 1000.0
            ))
        })
        .collect();
    lines.sort();
    for line in lines {
        println!("{line}");
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    search(&mut criterion);
    criterion.final_summary();
    report_medians();
}
