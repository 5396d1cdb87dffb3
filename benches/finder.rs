//! How fast the finder searches: 5,000 generated entries spread over Great Britain and Northern
//! Ireland, searched from Leeds with a procedure filter, as a patient following a procedure
//! sheet's "find" link would. Target: a median under 1 ms.
//!
//! Run with `cargo bench --bench finder`; criterion writes the median to
//! `target/criterion/finder/*/new/estimates.json`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
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
    c.bench_function(
        "search 5000 entries, angioplasty within 50 miles of Leeds",
        |b| b.iter(|| black_box(directory.search(black_box(&query)))),
    );
    let wide = Query {
        radius_miles: 100.0,
        emergency_only: true,
        ..query.clone()
    };
    c.bench_function(
        "search 5000 entries, angioplasty, 24/7 only, within 100 miles",
        |b| b.iter(|| black_box(directory.search(black_box(&wide)))),
    );
    let unfiltered = Query {
        procedure: None,
        ..query
    };
    c.bench_function("search 5000 entries, any procedure within 50 miles", |b| {
        b.iter(|| black_box(directory.search(black_box(&unfiltered))))
    });
}

criterion_group!(benches, search);
criterion_main!(benches);
