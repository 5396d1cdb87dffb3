//! The `irinfo` command: `serve` (the default) runs the website; `check` proof-reads the content;
//! `export` writes the pre-rendered site as files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use irinfo::config::SiteConfig;
use irinfo::{App, AppState, BuildError};

#[derive(Parser)]
#[command(
    name = "irinfo",
    version,
    about = "Patient information about interventional radiology"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// Settings file; without it, `site.toml` is used if it exists.
    #[arg(long, global = true, env = "IRINFO_CONFIG")]
    config: Option<PathBuf>,
    /// Folder of content to read, instead of the one in the settings.
    #[arg(long, global = true, env = "IRINFO_CONTENT")]
    content: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the website (the default).
    Serve(ServeArgs),
    /// Check all content without serving it.
    Check,
    /// Write every pre-rendered page and static file, with .gz and .br copies, into a folder.
    Export(ExportArgs),
}

#[derive(Args)]
struct ExportArgs {
    /// The folder to write into; it must be empty or not exist yet.
    dir: PathBuf,
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Address to listen on, such as 127.0.0.1:3000.
    #[arg(long, env = "IRINFO_ADDR")]
    addr: Option<SocketAddr>,
    /// Also serve pages marked `draft = true` (for previews; never on the live site).
    #[arg(long)]
    drafts: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            init_tracing();
            match serve(&cli.common, args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("irinfo: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check => check(&cli.common),
        Command::Export(args) => match export(&cli.common, &args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("irinfo: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "irinfo=info,tower_http=warn".into()),
        )
        .init();
}

fn load_config(common: &CommonArgs) -> anyhow::Result<SiteConfig> {
    let (path, must_exist) = match &common.config {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from("site.toml"), false),
    };
    let mut config = SiteConfig::load(&path, must_exist).context("invalid settings")?;
    if let Some(content) = &common.content {
        config.paths.content = content.clone();
    }
    Ok(config)
}

fn serve(common: &CommonArgs, args: ServeArgs) -> anyhow::Result<()> {
    let mut config = load_config(common)?;
    if let Some(addr) = args.addr {
        config.server.addr = addr;
    }
    config.server.drafts |= args.drafts;
    let started = std::time::Instant::now();
    let (site, diagnostics) = irinfo::build_servable_site(&config).map_err(|e| match e {
        BuildError::Content(d) => {
            anyhow::anyhow!("the content has errors, so the site was not started:\n{d}")
        }
        other => anyhow::Error::new(other),
    })?;
    for warning in diagnostics.warnings() {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        pages = site.paths().len(),
        "content loaded: {}",
        site.library.counts()
    );
    if config.server.drafts {
        tracing::warn!("serving drafts: do not use --drafts on the live site");
    }
    let state = AppState::new(App::new(config, site));
    irinfo::make_brotli_copies_in_background(state.site());
    irinfo::serve_per_core(state)
}

fn export(common: &CommonArgs, args: &ExportArgs) -> anyhow::Result<()> {
    let mut config = load_config(common)?;
    // Drafts are for previews on a server; an export is for publishing.
    config.server.drafts = false;
    let started = std::time::Instant::now();
    let (site, diagnostics) = irinfo::build_site(&config).map_err(|e| match e {
        BuildError::Content(d) => {
            anyhow::anyhow!("the content has errors, so nothing was exported:\n{d}")
        }
        other => anyhow::Error::new(other),
    })?;
    for warning in diagnostics.warnings() {
        eprintln!("{warning}");
    }
    let built = started.elapsed();
    let summary = irinfo::export::export(&site, &args.dir)
        .with_context(|| format!("exporting to {}", args.dir.display()))?;
    println!(
        "exported {} pages and {} static files ({} files, {} KiB) to {} \
         (site built in {} ms, written in {} ms)",
        summary.pages,
        summary.static_files,
        summary.files,
        summary.bytes / 1024,
        args.dir.display(),
        built.as_millis(),
        (started.elapsed() - built).as_millis(),
    );
    Ok(())
}

fn check(common: &CommonArgs) -> ExitCode {
    let config = match load_config(common) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("irinfo: {e:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = irinfo::content::Library::load(&irinfo::load_options(&config));
    print!("{}", outcome.diagnostics);
    let errors = outcome.diagnostics.error_count();
    let warnings = outcome.diagnostics.warning_count();
    match &outcome.library {
        Some(library) if errors == 0 => {
            println!("{}: {errors} errors, {warnings} warnings", library.counts());
            ExitCode::SUCCESS
        }
        _ => {
            println!("{errors} errors, {warnings} warnings");
            ExitCode::FAILURE
        }
    }
}
