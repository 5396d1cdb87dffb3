//! The `irinfo` command: `serve` (the default) runs the website; `check` proof-reads the content;
//! `queue` lets staff see and steer the contact form's mail queue.

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
    /// See and manage the contact form's mail queue.
    #[command(subcommand)]
    Queue(QueueCommand),
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
        Command::Queue(command) => match queue_command(&cli.common, command) {
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
    let (site, diagnostics) = irinfo::build_site(&config).map_err(|e| match e {
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
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(irinfo::serve(state))
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
