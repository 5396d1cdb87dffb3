//! How long typesetting the leaflets takes: one sheet's leaflet (angioplasty, plain and with a
//! hospital's details), and every shipped sheet's, as the server does in the background after
//! it starts serving; and how much memory that costs the process. Run with
//! `cargo bench --bench leaflet`.
//!
//! The aims from issue 16: one leaflet under 150 ms, all of them within 10 s on 2 cores.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use irinfo::leaflet::LocalDetails;

use common::{build, shipped_config};

/// A line of /proc/self/status (such as `VmRSS`), in MiB, on Linux.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn leaflet_benches(c: &mut Criterion) {
    let config = shipped_config();
    let site = build(&config);
    // Every leaflet once, timed by hand (the server does this once per build, not in a loop);
    // only when measuring: in the dev profile of a test run it costs a minute and checks nothing
    // that tests/it/leaflets.rs does not.
    if common::measuring() {
        let before = status_mib("VmRSS:");
        let started = Instant::now();
        site.make_leaflets();
        let all = started.elapsed();
        let total_bytes: usize = site
            .leaflets
            .slugs()
            .iter()
            .map(|slug| {
                site.leaflets
                    .pdf(slug)
                    .expect("a sheet")
                    .expect("typeset")
                    .identity()
                    .len()
            })
            .sum();
        eprintln!(
            "all {} leaflets: {:.2} s on {} threads, {} KiB of PDF; resident memory {:.0} MiB before, {:.0} MiB after (peak {:.0} MiB)",
            site.leaflets.len(),
            all.as_secs_f64(),
            rayon::current_num_threads(),
            total_bytes / 1024,
            before.unwrap_or(f64::NAN),
            status_mib("VmRSS:").unwrap_or(f64::NAN),
            status_mib("VmHWM:").unwrap_or(f64::NAN),
        );
    }

    let leaflet = site
        .leaflets
        .get("angioplasty")
        .expect("shipped sheet")
        .clone();
    let details = LocalDetails {
        hospital: "St Elsewhere Hospital".into(),
        department: Some("Interventional radiology".into()),
        phone_in_hours: "020 7946 0000".into(),
        phone_out_of_hours: Some("020 7946 0999".into()),
        instructions: vec!["X-ray department, level 2".into()],
    };
    let mut group = c.benchmark_group("leaflet");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("one/angioplasty", |b| {
        b.iter(|| black_box(leaflet.typeset(None)))
    });
    group.bench_function("one/angioplasty-for-a-hospital", |b| {
        b.iter(|| black_box(leaflet.typeset(Some(&details))))
    });
    group.finish();
}

criterion_group!(benches, leaflet_benches);
criterion_main!(benches);
