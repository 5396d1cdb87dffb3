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
        // The first leaflet a process typesets, before typst has memoised anything: the most a
        // visitor can wait for one, bar a loaded machine.
        let first = site.leaflets.get("angioplasty").expect("shipped sheet");
        let started = Instant::now();
        black_box(first.typeset(None).expect("typeset"));
        eprintln!(
            "the first leaflet in a fresh process (angioplasty): {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
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
        let after = status_mib("VmRSS:");
        // What the server keeps: it hands freed memory back once the leaflets are made.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim has no preconditions; it only releases free pages of the heap.
        unsafe {
            libc::malloc_trim(0);
        }
        eprintln!(
            "all {} leaflets: {:.2} s on {} threads, {} KiB of PDF; resident memory {:.0} MiB before, {:.0} MiB after, {:.0} MiB once freed memory is handed back (peak {:.0} MiB)",
            site.leaflets.len(),
            all.as_secs_f64(),
            rayon::current_num_threads(),
            total_bytes / 1024,
            before.unwrap_or(f64::NAN),
            after.unwrap_or(f64::NAN),
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
    // A hospital's leaflet is new each time (its details differ), as a request for one is; the
    // plain one above is the same each time, so typst's memo cache answers much of it.
    let mut hospital_number = 0_u32;
    group.bench_function("one/angioplasty-for-a-new-hospital", |b| {
        b.iter(|| {
            hospital_number += 1;
            let details = LocalDetails {
                hospital: format!("St Elsewhere Hospital {hospital_number}"),
                ..details.clone()
            };
            black_box(leaflet.typeset(Some(&details)))
        })
    });
    group.finish();
}

criterion_group!(benches, leaflet_benches);
criterion_main!(benches);
