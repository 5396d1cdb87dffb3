//! Helpers the benchmarks share: the shipped settings, loading a Library as published on a fixed
//! day, and copying a content folder to add generated pages to.

#![allow(dead_code)]

use std::path::Path;

use irinfo::config::SiteConfig;
use irinfo::content::LoadOptions;
use irinfo::web::Site;
use irinfo::{App, AppState, Content};

/// Whether the benchmark is measuring (`cargo bench` passes `--bench`) rather than being run
/// once as a test by `cargo test --all-targets`. A test run only has to show that every
/// benchmark works, so the large generated inputs are made small: in the dev profile they took
/// minutes of CI (scripts/test) for nothing that a test checks.
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// How many generated pages to add: `full` when measuring, a handful in a test run.
pub fn generated_count(full: usize) -> usize {
    if measuring() { full } else { full.min(20) }
}

/// Settings that read the shipped content and static files.
pub fn shipped_config() -> SiteConfig {
    let mut config = SiteConfig::default();
    config.paths.content = irinfo::crate_dir().join("content");
    config.paths.static_files = irinfo::crate_dir().join("static");
    config
}

/// The published content of `config` (Library and finder data), as of a fixed day so that review
/// dates do not change what is measured. Panics with the content's problems if it does not load.
pub fn load(config: &SiteConfig) -> Content {
    let outcome = irinfo::load_content(
        &LoadOptions::published(
            config.paths.content.clone(),
            config.paths.static_files.clone(),
            jiff::civil::date(2026, 11, 28),
        )
        .serving(irinfo::web::GENERATED_PATHS),
    );
    outcome
        .content
        .unwrap_or_else(|| panic!("content has errors:\n{}", outcome.diagnostics))
}

/// The Site built from `config`'s published content. Panics if it does not build.
pub fn build(config: &SiteConfig) -> Site {
    let content = load(config);
    Site::build(content.library, content.finder, config).expect("site builds")
}

/// The whole router on `site`, and a single-threaded runtime to drive it in process.
pub fn router_and_runtime(
    config: SiteConfig,
    site: Site,
) -> (axum::Router, tokio::runtime::Runtime) {
    let router = irinfo::web::router(AppState::new(
        App::new(config, site).expect("random source"),
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    (router, runtime)
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
