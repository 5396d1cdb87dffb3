//! The `irinfo` command: `serve` (the default) runs the website; `check` proof-reads the content;
//! `new` starts a page; `queue` lets staff see and steer the contact form's mail queue;
//! `export` writes the pre-rendered site as files; `feedback` reports and purges readers'
//! answers; `reviews` lists pages by next review and sends the review groups' digests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    Check(CheckArgs),
    /// Start a new page with every field and section to fill in.
    New(NewArgs),
    /// Write every pre-rendered page and static file, with .gz and .br copies, into a folder.
    Export(ExportArgs),
    /// See and manage the contact form's mail queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Readers' answers to "Was this page helpful?": report them, or delete old ones.
    #[command(subcommand)]
    Feedback(FeedbackCommand),
    /// Pages by next review (overdue, due within 30, 60, 90 days), with their review group
    /// and feedback.
    Reviews(ReviewsArgs),
    /// Each sheet's version against content/versions.lock; `--update` records the content's.
    Versions(VersionsArgs),
}

#[derive(Subcommand)]
enum FeedbackCommand {
    /// Per page: yes and no counts, the share that found it helpful, the change since the
    /// period before, the latest comments.
    Report {
        /// The first day counted (default: 30 days ago); the period ends now.
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<jiff::civil::Date>,
        /// Only pages of this kind, such as `procedure`.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Delete every answer given before a day (the server also does this itself, for answers
    /// older than feedback.keep_months).
    Purge {
        #[arg(long, value_name = "YYYY-MM-DD")]
        before: jiff::civil::Date,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Csv,
    Json,
}

#[derive(Args)]
struct ReviewsArgs {
    /// List as if today were this date, such as 2027-01-31.
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<jiff::civil::Date>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Queue each review group's digest now (and deliver it, if no server holds the spool).
    #[arg(long)]
    send_now: bool,
}

#[derive(Subcommand)]
enum QueueCommand {
    /// One line per message: id, state, age, attempts, next attempt, topic.
    List,
    /// Everything about one message, then the message itself.
    Show {
        /// The message id, as `list` shows it.
        id: String,
    },
    /// Send failed messages again, and deferred ones now. Without an id: all of them.
    Retry {
        /// Only this message.
        id: Option<String>,
    },
    /// Remove delivered messages from sent/.
    PurgeSent {
        /// Only those delivered more than this many days ago.
        #[arg(long)]
        older_than_days: Option<u64>,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// Treat warnings as errors: fail on anything that needs attention.
    #[arg(long)]
    strict: bool,
    /// Print the review schedule instead: overdue first, grouped by reviewer.
    #[arg(long)]
    reviews: bool,
    /// `human` reads like a compiler's output; `json` is for tools.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Check as if today were this date, such as 2027-01-31, to see what falls due.
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<jiff::civil::Date>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Args)]
struct NewArgs {
    /// What kind of page to start.
    #[arg(value_enum)]
    kind: NewKind,
    /// The page's slug: its file name and the last part of its address, such as `picc-line`.
    slug: String,
}

/// A kind of page `irinfo new` can start: every row of the kinds table with a `new_page`.
#[derive(Clone, Copy)]
struct NewKind(irinfo::content::PageKind);

impl ValueEnum for NewKind {
    fn value_variants<'a>() -> &'a [Self] {
        static KINDS: std::sync::LazyLock<Vec<NewKind>> = std::sync::LazyLock::new(|| {
            irinfo::content::KINDS
                .iter()
                .filter(|spec| spec.new_page.is_some())
                .map(|spec| NewKind(spec.kind))
                .collect()
        });
        &KINDS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.spec().name))
    }
}

#[derive(Args)]
struct VersionsArgs {
    /// Write content/versions.lock from the content as it is now.
    #[arg(long)]
    update: bool,
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
    /// The address the public uses, such as https://irinfo.example.org (site.base_url).
    #[arg(long, env = "IRINFO_BASE_URL")]
    base_url: Option<String>,
    /// Also serve pages marked `draft = true` (for previews; never on the live site).
    #[arg(long)]
    drafts: bool,
    /// Rebuild the site whenever a file in the content folder changes (for editing).
    #[arg(long)]
    watch: bool,
    /// Listen on a public address even though site.base_url names this machine only (for a
    /// trial on a private network; links in printed pages will not work elsewhere).
    #[arg(long)]
    allow_loopback_base_url: bool,
    /// Address for Prometheus metrics (`/metrics`), such as 127.0.0.1:3001, or `off`.
    #[arg(long, env = "IRINFO_ADMIN_ADDR", value_name = "HOST:PORT|off")]
    admin_addr: Option<String>,
    /// `human` lines, or `json`: one object a line, with one line per request.
    #[arg(long, env = "IRINFO_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Human)]
    log_format: LogFormatArg,
}

#[derive(Clone, Copy, Default, ValueEnum)]
enum LogFormatArg {
    #[default]
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            irinfo::logging::init(match args.log_format {
                LogFormatArg::Human => irinfo::logging::LogFormat::Human,
                LogFormatArg::Json => irinfo::logging::LogFormat::Json,
            });
            success_or_say_why(serve(&cli.common, args))
        }
        Command::Check(args) => check(&cli.common, &args),
        Command::Versions(args) => exit_code_or_say_why(versions(&cli.common, &args)),
        Command::New(args) => new_page(&cli.common, &args),
        Command::Export(args) => success_or_say_why(export(&cli.common, &args)),
        Command::Queue(command) => success_or_say_why(queue_command(&cli.common, command)),
        Command::Feedback(command) => success_or_say_why(feedback_command(&cli.common, command)),
        Command::Reviews(args) => success_or_say_why(reviews_command(&cli.common, &args)),
    }
}

/// The exit code of a command that only says whether it worked: success, or failure once the
/// error has been printed.
fn success_or_say_why(outcome: anyhow::Result<()>) -> ExitCode {
    exit_code_or_say_why(outcome.map(|()| ExitCode::SUCCESS))
}

/// The command's own exit code, or failure once the error has been printed.
fn exit_code_or_say_why(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    outcome.unwrap_or_else(|e| {
        eprintln!("irinfo: {e:#}");
        ExitCode::FAILURE
    })
}

/// The settings, or `None` once what is wrong with them has been printed.
fn load_config_or_say_why(common: &CommonArgs) -> Option<SiteConfig> {
    load_config(common)
        .map_err(|e| eprintln!("irinfo: {e:#}"))
        .ok()
}

fn load_config(common: &CommonArgs) -> anyhow::Result<SiteConfig> {
    let (path, must_exist) = match &common.config {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from("site.toml"), false),
    };
    let mut config = SiteConfig::load(&path, must_exist).context("invalid settings")?;
    // These settings have no single place in the file, so the error names the file alone.
    irinfo::mail::validate_settings(&config.contact, &config.mail)
        .with_context(|| path.display().to_string())
        .context("invalid settings")?;
    irinfo::reviews::validate_settings(&config)
        .with_context(|| path.display().to_string())
        .context("invalid settings")?;
    if let Some(content) = &common.content {
        config.paths.content = content.clone();
    }
    Ok(config)
}

/// Midnight UTC at the start of `date`, in unix seconds.
fn day_start(date: jiff::civil::Date) -> anyhow::Result<i64> {
    Ok(date
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .context("that date is out of range")?
        .timestamp()
        .as_second())
}

fn open_store(config: &SiteConfig) -> anyhow::Result<irinfo::feedback::FeedbackStore> {
    irinfo::feedback::FeedbackStore::open(&config.feedback).context("opening the feedback store")
}

fn feedback_command(common: &CommonArgs, command: FeedbackCommand) -> anyhow::Result<()> {
    use std::io::Write;
    let config = load_config(common)?;
    let now = jiff::Timestamp::now();
    match command {
        FeedbackCommand::Report {
            since,
            kind,
            format,
        } => {
            if let Some(kind) = &kind {
                let known: Vec<&str> = irinfo::content::KINDS.iter().map(|k| k.name).collect();
                anyhow::ensure!(
                    known.contains(&kind.as_str()),
                    "--kind {kind:?} is not a kind of page; use one of: {}",
                    known.join(", ")
                );
            }
            let since = match since {
                Some(date) => day_start(date)?,
                None => now.as_second() - 30 * 86_400,
            };
            let store = open_store(&config)?;
            let report =
                irinfo::feedback::report::build(&store, since, now.as_second(), kind.as_deref())?;
            let text = match format {
                ReportFormat::Text => report.render_text(),
                ReportFormat::Csv => report.render_csv(),
                ReportFormat::Json => report.render_json(),
            };
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        FeedbackCommand::Purge { before } => {
            let store = open_store(&config)?;
            let removed = store.purge_before(day_start(before)?)?;
            println!("Deleted {removed} answer(s) given before {before}.");
        }
    }
    Ok(())
}

fn reviews_command(common: &CommonArgs, args: &ReviewsArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let config = load_config(common)?;
    let now = jiff::Timestamp::now();
    let today = args
        .today
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date());
    let outcome = irinfo::load_content(&irinfo::load_options(&config));
    let Some(content) = outcome.content else {
        anyhow::bail!(
            "the content has errors, so there is no review schedule: run `irinfo check` to see them"
        );
    };
    let store = open_store(&config)?;
    if args.send_now {
        let queue = irinfo::mail::MailQueue::new(config.mail.spool.clone());
        let post = irinfo::reviews::DigestPost {
            config: &config,
            library: &content.library,
            store: &store,
            queue: &queue,
        };
        let sent = post.send_now(now)?;
        if sent.is_empty() {
            println!("No review group has an address in feedback.review_groups: nothing sent.");
            return Ok(());
        }
        for group in &sent {
            println!("Queued the digest for {group}.");
        }
        deliver_now(&config, &queue)?;
        return Ok(());
    }
    let since = irinfo::reviews::retention_cutoff(now, config.feedback.keep_months);
    let counts = irinfo::reviews::counts_by_page(store.counts(since, now.as_second() + 1, None)?);
    let lines = irinfo::reviews::review_lines(&content.library, today, &counts);
    let since_text = jiff::Timestamp::from_second(since)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let text = match args.format {
        OutputFormat::Human => irinfo::reviews::render_reviews(&lines, today, &since_text),
        OutputFormat::Json => irinfo::reviews::render_reviews_json(&lines, today, &since_text),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

/// Delivers what is due in the spool now, unless a running server holds it (its worker then
/// sends the digests within half a minute).
fn deliver_now(config: &SiteConfig, queue: &irinfo::mail::MailQueue) -> anyhow::Result<()> {
    let _lock = match queue.lock() {
        Ok(lock) => lock,
        Err(irinfo::mail::QueueError::InUse { .. }) => {
            println!("The running server will send them within a minute.");
            return Ok(());
        }
        Err(e) => return Err(e).context("locking the mail spool"),
    };
    let worker = irinfo::mail::DeliveryWorker::from_settings(
        &config.mail,
        queue.clone(),
        std::sync::Arc::new(irinfo::mail::SystemClock),
    )
    .context("the SMTP relay settings")?;
    let Some(worker) = worker else {
        println!("No SMTP relay is set (mail.relay_host): the digests wait in the mail queue.");
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime")?;
    let report = runtime.block_on(worker.run_once());
    println!(
        "Delivered {}, deferred {}, failed {}.",
        report.delivered.len(),
        report.deferred.len(),
        report.failed.len()
    );
    Ok(())
}

fn serve(common: &CommonArgs, args: ServeArgs) -> anyhow::Result<()> {
    let mut config = load_config(common)?;
    if let Some(addr) = args.addr {
        config.server.addr = addr;
    }
    if let Some(base_url) = args.base_url {
        config
            .set_base_url(base_url)
            .context("invalid --base-url")?;
    }
    config.server.drafts |= args.drafts;
    config.server.watch |= args.watch;
    config.server.allow_loopback_base_url |= args.allow_loopback_base_url;
    config.check_public_address().context("refusing to start")?;
    if let Some(admin) = &args.admin_addr {
        config.server.admin_addr = irinfo::config::parse_admin_addr(admin)
            .with_context(|| format!("--admin-addr {admin:?} is not an address (or off)"))?;
    }
    if config.server.admin_addr.is_some() {
        // Before the content is built, so that the build's metrics are recorded.
        irinfo::web::ops::install_recorder();
    }
    let started = std::time::Instant::now();
    let (site, diagnostics) = build_site(&config, "the site was not started")?;
    for warning in diagnostics.warnings() {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        pages = site.paths().len(),
        "content loaded: {}",
        irinfo::counts(&site.library, &site.finder)
    );
    if config.server.drafts {
        tracing::warn!("serving drafts: do not use --drafts on the live site");
    }
    let state = AppState::new(App::new(config, site).context("cannot start")?);
    irinfo::finish_site_in_background(state.site());
    irinfo::serve_per_core(state)
}

/// The site built from `config`'s content; content with errors is reported as the errors, "so
/// `what_not`" (what was not done because of them).
fn build_site(
    config: &SiteConfig,
    what_not: &str,
) -> anyhow::Result<(irinfo::web::Site, irinfo::content::Diagnostics)> {
    irinfo::build_servable_site(config).map_err(|e| match e {
        BuildError::Content(d) => anyhow::anyhow!("the content has errors, so {what_not}:\n{d}"),
        other => anyhow::Error::new(other),
    })
}

fn export(common: &CommonArgs, args: &ExportArgs) -> anyhow::Result<()> {
    let mut config = load_config(common)?;
    // Drafts are for previews on a server; an export is for publishing.
    config.server.drafts = false;
    let started = std::time::Instant::now();
    // No search index: search results need the server, so they are not exported. The export
    // makes the brotli copies itself.
    let (site, diagnostics) = build_site(&config, "nothing was exported")?;
    for warning in diagnostics.warnings() {
        eprintln!("{warning}");
    }
    let built = started.elapsed();
    let summary = irinfo::export::export(&site, &args.dir)
        .with_context(|| format!("exporting to {}", args.dir.display()))?;
    println!(
        "exported {} pages, {} leaflets and {} static files ({} files, {} KiB) to {} \
         (site built in {} ms, written in {} ms)",
        summary.pages,
        summary.leaflets,
        summary.static_files,
        summary.files,
        summary.bytes / 1024,
        args.dir.display(),
        built.as_millis(),
        (started.elapsed() - built).as_millis(),
    );
    println!(
        "with {} open-data documents: sitemap, robots.txt, feed and API",
        summary.documents
    );
    Ok(())
}

/// `irinfo versions [--update]`: lists the sheets whose text or version is not recorded in
/// content/versions.lock (exit 1 when there are any), or records them all.
fn versions(common: &CommonArgs, args: &VersionsArgs) -> anyhow::Result<ExitCode> {
    use irinfo::content::versions::VersionLock;
    let config = load_config(common)?;
    let mut options = irinfo::load_options(&config);
    options.include_drafts = true;
    let outcome = irinfo::load_content(&options);
    let Some(content) = outcome.content else {
        anyhow::bail!(
            "the content has errors (run `irinfo check`):\n{}",
            outcome.diagnostics
        );
    };
    let dir = &config.paths.content;
    if args.update {
        let lock = VersionLock::of(&content.library);
        let path = lock
            .write(dir)
            .with_context(|| format!("writing the lock in {}", dir.display()))?;
        println!(
            "recorded {} sheets' versions in {}",
            lock.sheets.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let lock = VersionLock::read(dir)?.unwrap_or_default();
    let warnings = lock.check(&content.library);
    for warning in &warnings {
        println!("{warning}");
    }
    println!(
        "{} sheets, {} not recorded as they are",
        content.library.procedures().len(),
        warnings.len()
    );
    Ok(if warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check(common: &CommonArgs, args: &CheckArgs) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let Some(config) = load_config_or_say_why(common) else {
        return ExitCode::from(2);
    };
    let today = args
        .today
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date());
    let report = irinfo::check::run(&config, args.strict, today);
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match (args.reviews, args.format) {
        (false, OutputFormat::Human) => report.render_human(colour),
        (false, OutputFormat::Json) => report.render_json(),
        (true, OutputFormat::Json) => {
            irinfo::check::render_schedule_json(&report.review_schedule(), today)
        }
        (true, OutputFormat::Human) => {
            let mut text = if report.preview.is_some() {
                irinfo::check::render_schedule(&report.review_schedule(), today, colour)
            } else {
                "The content has errors, so there is no review schedule.\n".to_string()
            };
            if report.failed() {
                text.push_str(&format!(
                    "\n{}: run `irinfo check` to see them\n",
                    report.summary()
                ));
            }
            text
        }
    };
    // A closed pipe (`irinfo check | head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn new_page(common: &CommonArgs, args: &NewArgs) -> ExitCode {
    use irinfo::scaffold::ScaffoldError;
    let Some(config) = load_config_or_say_why(common) else {
        return ExitCode::from(2);
    };
    let today = jiff::ZonedDateTime::now().date();
    match irinfo::scaffold::create(&config.paths.content, args.kind.0, &args.slug, today) {
        Ok(path) => {
            println!(
                "created {}: fill in every TODO, then run `irinfo check`",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e @ ScaffoldError::BadSlug(_)) => {
            eprintln!("irinfo: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("irinfo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn queue_command(common: &CommonArgs, command: QueueCommand) -> anyhow::Result<()> {
    use irinfo::mail::{MailQueue, QueueId};
    let config = load_config(common)?;
    let queue = MailQueue::new(config.mail.spool.clone());
    let now = jiff::Timestamp::now();
    match command {
        QueueCommand::List => {
            let entries = queue
                .list()
                .with_context(|| format!("reading the spool {}", queue.root().display()))?;
            if entries.is_empty() {
                println!("The mail queue in {} is empty.", queue.root().display());
                return Ok(());
            }
            println!(
                "{:<44} {:<9} {:>8} {:>8}  {:<22} TOPIC",
                "ID", "STATE", "AGE", "ATTEMPTS", "NEXT ATTEMPT"
            );
            for entry in entries {
                let age = entry
                    .created
                    .map_or_else(|| "?".to_string(), |c| human_duration(now, c));
                let next = match entry.status {
                    irinfo::mail::MessageStatus::Queued | irinfo::mail::MessageStatus::Deferred => {
                        match entry.state.next_attempt_at() {
                            Some(at) if at > now => {
                                at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
                            }
                            _ => "now".to_string(),
                        }
                    }
                    _ => "-".to_string(),
                };
                let topic = if entry.topic.is_empty() {
                    "-"
                } else {
                    &entry.topic
                };
                println!(
                    "{:<44} {:<9} {:>8} {:>8}  {:<22} {topic}",
                    entry.id.as_str(),
                    entry.status.label(),
                    age,
                    entry.state.attempts,
                    next
                );
            }
        }
        QueueCommand::Show { id } => {
            let id = QueueId::parse(&id)?;
            let (status, path) = queue.find(&id)?;
            println!("Id:           {id}");
            println!("State:        {}", status.label());
            println!("File:         {}", path.display());
            let folder = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("queue");
            let state = queue.state(folder, &id);
            println!("Attempts:     {}", state.attempts);
            if let Some(at) = state.next_attempt_at() {
                println!("Next attempt: {}", at.strftime("%Y-%m-%d %H:%M:%S UTC"));
            }
            if let Some(error) = &state.last_error {
                println!("Last error:   {error}");
            }
            match queue.read(folder, &id) {
                Ok(message) => {
                    println!(
                        "Created:      {} ({} ago)",
                        message.created.strftime("%Y-%m-%d %H:%M:%S UTC"),
                        human_duration(now, message.created)
                    );
                    println!("Topic:        {}", message.topic);
                    println!("Message-ID:   {}", message.message_id);
                    println!(
                        "Envelope:     from {} to {}",
                        message.envelope_from,
                        message.envelope_to.join(", ")
                    );
                    println!();
                    print!(
                        "{}",
                        String::from_utf8_lossy(&message.body).replace("\r\n", "\n")
                    );
                }
                Err(e) => println!("Cannot read:  {e}"),
            }
        }
        QueueCommand::Retry { id } => {
            let id = id.as_deref().map(QueueId::parse).transpose()?;
            let touched = queue.retry(id.as_ref(), now)?;
            if touched.is_empty() {
                println!("Nothing to retry: no failed or deferred messages.");
            }
            for id in touched {
                println!("{id}: will be sent at the next delivery run");
            }
        }
        QueueCommand::PurgeSent { older_than_days } => {
            let before = older_than_days
                .map(|days| {
                    now.checked_sub(jiff::SignedDuration::from_hours(
                        days.saturating_mul(24).min(1_000_000) as i64,
                    ))
                })
                .transpose()
                .context("that many days ago is out of range")?;
            let removed = queue.purge_sent(before)?;
            println!(
                "Removed {removed} delivered message(s) from {}.",
                queue.root().join("sent").display()
            );
        }
    }
    Ok(())
}

/// "45s", "12m", "3h 5m", "2d 4h".
fn human_duration(now: jiff::Timestamp, then: jiff::Timestamp) -> String {
    let seconds = now.duration_since(then).as_secs().max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86400 => format!("{}h {}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d {}h", seconds / 86400, seconds % 86400 / 3600),
    }
}
