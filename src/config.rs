//! Site settings: `site.toml`, with a default for every setting, so the site runs without one.
//!
//! Unknown keys are errors, like in content: a misspelt setting must not be ignored in silence.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything that can be set in `site.toml`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    pub site: SiteSettings,
    pub server: ServerSettings,
    pub paths: PathSettings,
    pub check: CheckSettings,
    pub contact: ContactSettings,
    pub mail: MailSettings,
    pub finder: FinderSettings,
    pub radiation: RadiationSettings,
    pub feedback: FeedbackSettings,
}

/// How the site presents itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteSettings {
    /// Shown in the header and in every `<title>`.
    pub name: String,
    /// The address the public uses, for canonical links and printed pages; no trailing slash.
    pub base_url: String,
    /// The organisation that publishes the site, named in the footer.
    pub publisher: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            name: "IR Info".to_string(),
            base_url: "http://127.0.0.1:3000".to_string(),
            publisher: "The Society for Interventional Radiology Patient Information (sample)"
                .to_string(),
        }
    }
}

/// How the server runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// The admin address, which serves `/metrics` (Prometheus) and nothing else; never the
    /// public one. `""` or `"off"` switches it off. Keep it on loopback or a private network.
    #[serde(deserialize_with = "deserialize_admin_addr")]
    pub admin_addr: Option<SocketAddr>,
    /// Serve pages marked `draft = true`, with a banner. Never on the live site.
    pub drafts: bool,
    /// Rebuild the site when content changes.
    pub watch: bool,
    /// Seconds a request may take before the server gives up on it.
    pub request_timeout_secs: u64,
    /// Seconds a request's header may take to arrive whole, counted from when the server starts
    /// waiting for it: slow senders are cut off, and so are keep-alive connections that send no
    /// next request.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may go without a byte read or written before it is closed. At least
    /// `request_timeout_secs`, since a request being answered moves no bytes.
    pub idle_timeout_secs: u64,
    /// Connections open at once, over all the server's threads; beyond this new connections wait
    /// until one closes (and one line is logged). Keep it below the file descriptor limit.
    pub max_connections: usize,
    /// Seconds browsers are told to use only https (Strict-Transport-Security), sent when
    /// `site.base_url` is https; 0 tells them to forget it.
    pub hsts_max_age_secs: u64,
    /// Whether Strict-Transport-Security covers every subdomain too. Only for a domain whose
    /// subdomains are all served over https.
    pub hsts_include_subdomains: bool,
    /// Serve on an address other machines can reach even though `site.base_url` names this
    /// machine only (for a trial on a private network). Without it such a server refuses to
    /// start: see [`SiteConfig::check_public_address`].
    pub allow_loopback_base_url: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            admin_addr: Some(SocketAddr::from(([127, 0, 0, 1], 3001))),
            drafts: false,
            watch: false,
            request_timeout_secs: 10,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 15,
            max_connections: 1024,
            hsts_max_age_secs: 31_536_000,
            hsts_include_subdomains: false,
            allow_loopback_base_url: false,
        }
    }
}

/// Reads an admin address as `server.admin_addr` and `--admin-addr` take it: `host:port`, or
/// `""` or `"off"` for none.
pub fn parse_admin_addr(text: &str) -> Result<Option<SocketAddr>, std::net::AddrParseError> {
    match text.trim() {
        "" | "off" => Ok(None),
        addr => addr.parse().map(Some),
    }
}

fn deserialize_admin_addr<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_admin_addr(&text).map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address such as \"127.0.0.1:3001\" (or \"off\")"
        ))
    })
}

/// Where the site's files are. Relative paths are relative to the working directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathSettings {
    pub content: PathBuf,
    #[serde(rename = "static")]
    pub static_files: PathBuf,
}

impl Default for PathSettings {
    fn default() -> Self {
        Self {
            content: PathBuf::from("content"),
            static_files: PathBuf::from("static"),
        }
    }
}

/// The contact form: who gets the messages, and how hard the form is to abuse.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactSettings {
    /// The From of every message: the site's own address, which the relay accepts mail from.
    pub sender: String,
    /// Who receives the messages on each topic.
    pub recipients: ContactRecipients,
    /// Submissions each client may make per hour, once its burst is used up.
    pub rate_per_hour: u32,
    /// Submissions a client may make in quick succession.
    pub burst: u32,
    /// Addresses of reverse proxies in front of the site. Only when the connection comes from
    /// one of these is `X-Forwarded-For` believed; otherwise anyone could claim any address.
    pub trusted_proxies: Vec<IpAddr>,
    /// Minutes a form stays valid after it is shown.
    pub form_valid_minutes: u64,
    /// Hex key (64 hex digits) for signing form tokens, so forms stay valid across restarts and
    /// across servers. Empty: a new random key at each start.
    pub form_key: String,
    /// Largest form submission accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Seconds a submission may take to arrive.
    pub body_timeout_secs: u64,
}

impl Default for ContactSettings {
    fn default() -> Self {
        Self {
            sender: "IR Info website <no-reply@example.org>".to_string(),
            recipients: ContactRecipients::default(),
            rate_per_hour: 20,
            burst: 5,
            trusted_proxies: Vec::new(),
            form_valid_minutes: 120,
            form_key: String::new(),
            body_limit_bytes: 32 * 1024,
            body_timeout_secs: 5,
        }
    }
}

/// The address that receives each topic of the contact form.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactRecipients {
    pub website: String,
    pub information_sheets: String,
    pub finding_a_radiologist: String,
    pub press: String,
    pub other: String,
}

impl Default for ContactRecipients {
    fn default() -> Self {
        let office = "Patient information team <enquiries@example.org>".to_string();
        Self {
            website: office.clone(),
            information_sheets: office.clone(),
            finding_a_radiologist: office.clone(),
            press: "Press office <press@example.org>".to_string(),
            other: office,
        }
    }
}

/// How TLS is used to reach the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a trusted network.
    None,
}

/// The mail queue and the relay it delivers to.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The spool folder that holds the queue.
    pub spool: PathBuf,
    /// The SMTP relay's host name. Empty: no relay, and messages wait in the queue.
    pub relay_host: String,
    pub relay_port: u16,
    pub relay_tls: RelayTls,
    /// User name for SMTP AUTH; empty for a relay that needs none.
    pub relay_user: String,
    /// Password for SMTP AUTH. The environment variable `IRINFO_SMTP_PASSWORD` overrides it,
    /// so the secret need not be in the file.
    pub relay_password: String,
    /// Seconds one delivery may take before it is given up and retried later.
    pub send_timeout_secs: u64,
    /// Seconds before the first retry; doubled at each retry up to `retry_max_secs`.
    pub retry_min_secs: u64,
    pub retry_max_secs: u64,
    /// Days a message is retried before it is moved to `failed/`.
    pub max_age_days: u64,
    /// Days a delivered message is kept in `sent/`; 0 removes it at once.
    pub keep_sent_days: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            spool: PathBuf::from("var/spool"),
            relay_host: String::new(),
            relay_port: 587,
            relay_tls: RelayTls::Starttls,
            relay_user: String::new(),
            relay_password: String::new(),
            send_timeout_secs: 60,
            retry_min_secs: 300,
            retry_max_secs: 4000,
            max_age_days: 5,
            keep_sent_days: 7,
        }
    }
}

/// "Was this page helpful?" (`[feedback]`): where answers are kept, for how long, how often a
/// client may answer, and the editorial digest each review group receives.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackSettings {
    /// The SQLite database file, created with its folder at startup. Used unless
    /// `database_url` is set.
    pub database: PathBuf,
    /// A PostgreSQL connection string (`postgresql://user@host/db` or `host=… dbname=…`), for
    /// several instances sharing one store. Empty: SQLite at `database`.
    pub database_url: String,
    /// Answers older than this many months are deleted (by the server at startup and then hourly).
    pub keep_months: u32,
    /// Answers each client may give per hour, once its burst is used up.
    pub rate_per_hour: u32,
    /// Answers a client may give in quick succession.
    pub burst: u32,
    /// Days between the digests sent to each review group; 0 sends none.
    pub digest_every_days: u32,
    /// Who receives each review group's digest: the group's name, as pages' `review_group`
    /// says it, to an address.
    pub review_groups: std::collections::BTreeMap<String, String>,
}

impl Default for FeedbackSettings {
    fn default() -> Self {
        Self {
            database: PathBuf::from("var/feedback/answers.sqlite3"),
            database_url: String::new(),
            keep_months: 12,
            rate_per_hour: 30,
            burst: 10,
            digest_every_days: 7,
            review_groups: std::collections::BTreeMap::new(),
        }
    }
}

/// The finder (`[finder]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FinderSettings {
    /// A CSV of postcode districts with latitude and longitude (format in the README). Without
    /// it, postcodes are placed by their postcode area, which is coarser.
    pub postcode_districts: Option<PathBuf>,
}

/// The figures the radiation pages compute with: `[radiation]` in `site.toml`. Each comes with
/// its source, which the pages show next to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadiationSettings {
    /// The average yearly dose to people in the UK from natural background radiation (radiation
    /// in the environment, almost all natural), in millisieverts: the yardstick for "about the
    /// same as N days of natural background radiation". Not the 2.7 mSv from all sources, which
    /// counts medical X-rays and scans too.
    pub annual_background_msv: f64,
    /// Where `annual_background_msv` comes from, shown on the page.
    pub background_source: String,
    /// The added lifetime risk of cancer per sievert of effective dose, as a fraction.
    pub risk_per_sievert: f64,
    /// Where `risk_per_sievert` comes from, shown on the page.
    pub risk_source: String,
}

/// The source of the natural background figure, as the pages show it.
pub const BACKGROUND_SOURCE: &str = "Public Health England, Ionising radiation exposure of the UK \
    population: 2010 review (PHE-CRCE-026). It found about 2.3 mSv a year from radiation in the \
    environment, almost all of it natural, and about 2.7 mSv a year from all sources, medical \
    X-rays and scans included";

impl Default for RadiationSettings {
    fn default() -> Self {
        Self {
            annual_background_msv: 2.3,
            background_source: BACKGROUND_SOURCE.to_string(),
            risk_per_sievert: 0.05,
            risk_source: "International Commission on Radiological Protection, \
                ICRP Publication 103 (2007): a nominal risk of about 5% per sievert"
                .to_string(),
        }
    }
}

/// What `irinfo check` holds the writing to: `[check]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSettings {
    /// Warn about a page whose Flesch reading ease is below this (60 is plain English).
    pub min_reading_ease: f64,
    /// Warn about a page whose sentences average more words than this.
    pub max_sentence_words: f64,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            min_reading_ease: 60.0,
            max_sentence_words: 20.0,
        }
    }
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse, or names an unknown or mistyped setting, at this place.
    #[error("{}{line}:{col}: {message}", in_file(path.as_deref(), ":"))]
    Syntax {
        path: Option<PathBuf>,
        line: usize,
        col: usize,
        message: String,
    },
    /// A value out of range: the message names the setting, which has no single place.
    #[error("{}{message}", in_file(path.as_deref(), ": "))]
    Invalid {
        path: Option<PathBuf>,
        message: &'static str,
    },
    /// The server would answer other machines, but every address it writes into pages (canonical
    /// links, printed pages, the sitemap, share links) would point at the machine the reader is on.
    #[error(
        "the server would listen on {addr}, which other machines can reach, but site.base_url is \
         {base_url}, which names this machine only: printed pages, share links and the sitemap \
         would point there. Set site.base_url to the public address (such as \
         https://irinfo.example.org), or listen on a loopback address such as 127.0.0.1:3000; \
         for a trial on a private network, pass --allow-loopback-base-url (or set \
         server.allow_loopback_base_url = true)"
    )]
    LoopbackBaseUrl { addr: SocketAddr, base_url: String },
}

/// `site.toml` and then `separator`, or nothing when the text did not come from a file.
fn in_file(path: Option<&Path>, separator: &str) -> String {
    path.map(|p| format!("{}{separator}", p.display()))
        .unwrap_or_default()
}

impl ConfigError {
    /// The same error, said to be in the file at `path`.
    fn in_file(mut self, file: &Path) -> Self {
        match &mut self {
            Self::Syntax { path, .. } | Self::Invalid { path, .. } => {
                *path = Some(file.to_path_buf());
            }
            Self::Read { .. } | Self::LoopbackBaseUrl { .. } => {}
        }
        self
    }
}

impl SiteConfig {
    /// Reads `path`. A missing file is an error only when the caller insists on it.
    pub fn load(path: &Path, must_exist: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Parses settings text; a syntax error reads `line:col: message`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| {
            let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
            ConfigError::Syntax {
                path: None,
                line,
                col,
                message: e.message().trim().to_string(),
            }
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: None,
            message,
        })?;
        Ok(config)
    }

    /// Replaces `site.base_url` (from the command line), holding it to the same rules as the file.
    pub fn set_base_url(&mut self, base_url: String) -> Result<(), ConfigError> {
        self.site.base_url = base_url;
        self.validate().map_err(|message| ConfigError::Invalid {
            path: None,
            message,
        })
    }

    /// Refuses a server that others can reach (any address but a loopback one) while
    /// `site.base_url` is a loopback address or `localhost`, the default: a public deployment that
    /// forgot to set it would print `http://127.0.0.1:3000` on every leaflet and share link.
    /// `server.allow_loopback_base_url` overrides it.
    pub fn check_public_address(&self) -> Result<(), ConfigError> {
        let addr = self.server.addr;
        if addr.ip().is_loopback() || self.server.allow_loopback_base_url {
            return Ok(());
        }
        if names_this_machine(&self.site.base_url) {
            return Err(ConfigError::LoopbackBaseUrl {
                addr,
                base_url: self.site.base_url.clone(),
            });
        }
        Ok(())
    }

    /// The first value out of range, if any.
    fn validate(&self) -> Result<(), &'static str> {
        if self.site.name.trim().is_empty() {
            return Err("site.name must not be empty");
        }
        if !(self.site.base_url.starts_with("http://")
            || self.site.base_url.starts_with("https://"))
            || self.site.base_url.ends_with('/')
        {
            return Err(
                "site.base_url must start with http:// or https:// and have no trailing slash",
            );
        }
        if !(0.0..=100.0).contains(&self.check.min_reading_ease) {
            return Err("check.min_reading_ease must be between 0 and 100");
        }
        if !(self.check.max_sentence_words >= 1.0 && self.check.max_sentence_words.is_finite()) {
            return Err("check.max_sentence_words must be at least 1");
        }
        if self.server.request_timeout_secs == 0 {
            return Err("server.request_timeout_secs must be at least 1");
        }
        let server = &self.server;
        if server.header_read_timeout_secs == 0 || server.max_connections == 0 {
            return Err(
                "server.header_read_timeout_secs and server.max_connections must be at least 1",
            );
        }
        if server.idle_timeout_secs < server.request_timeout_secs {
            return Err("server.idle_timeout_secs must be at least server.request_timeout_secs");
        }
        let feedback = &self.feedback;
        if feedback.keep_months == 0 || feedback.keep_months > 120 {
            return Err("feedback.keep_months must be between 1 and 120");
        }
        if feedback.rate_per_hour == 0 || feedback.burst == 0 {
            return Err("feedback.rate_per_hour and feedback.burst must be at least 1");
        }
        if feedback.digest_every_days > 366 {
            return Err("feedback.digest_every_days must be at most 366 (0 sends no digests)");
        }
        if feedback.database_url.trim().is_empty() && feedback.database.as_os_str().is_empty() {
            return Err("feedback.database must not be empty when feedback.database_url is");
        }
        let radiation = &self.radiation;
        if !(radiation.annual_background_msv.is_finite() && radiation.annual_background_msv > 0.0) {
            return Err("radiation.annual_background_msv must be a positive number");
        }
        if !(radiation.risk_per_sievert > 0.0 && radiation.risk_per_sievert <= 1.0) {
            return Err(
                "radiation.risk_per_sievert must be a fraction above 0 and at most 1, such as 0.05",
            );
        }
        if radiation.background_source.trim().is_empty() || radiation.risk_source.trim().is_empty()
        {
            return Err(
                "radiation.background_source and radiation.risk_source must name their source",
            );
        }
        Ok(())
    }
}

/// Whether an address's host is this machine only: a loopback IP address, `localhost` or a name
/// under `.localhost` (which resolvers keep on the machine, RFC 6761).
pub fn names_this_machine(base_url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(base_url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// The 1-based line and column (in characters) of a byte offset into settings text. (The content
/// layer has its own, for diagnostics; the settings depend on nothing else in the crate.)
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        1 + before.bytes().filter(|&b| b == b'\n').count(),
        1 + before[line_start..].chars().count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file() {
        let config = SiteConfig::parse("").unwrap();
        assert_eq!(config.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config.server.admin_addr,
            Some(SocketAddr::from(([127, 0, 0, 1], 3001)))
        );
        assert_eq!(config.paths.content, PathBuf::from("content"));
        assert_eq!(config.radiation.annual_background_msv, 2.3);
        assert_eq!(config.radiation.risk_per_sievert, 0.05);
        assert_eq!(config.feedback.keep_months, 12);
        assert_eq!(config.feedback.digest_every_days, 7);
        assert!(config.feedback.database_url.is_empty());
    }

    #[test]
    fn a_reachable_server_needs_a_public_base_url() {
        // (listen on, base_url, allowed to start)
        let cases = [
            ("127.0.0.1:3000", "http://127.0.0.1:3000", true),
            ("[::1]:3000", "http://localhost:3000", true),
            ("0.0.0.0:3000", "http://127.0.0.1:3000", false),
            ("0.0.0.0:3000", "http://127.8.0.1:3000", false),
            ("[::]:3000", "http://[::1]:3000", false),
            ("192.168.1.5:80", "http://localhost", false),
            ("192.168.1.5:80", "http://LOCALHOST.:8080", false),
            ("192.168.1.5:80", "http://irinfo.localhost", false),
            ("0.0.0.0:3000", "https://irinfo.example.org", true),
            ("0.0.0.0:3000", "http://192.168.1.5:3000", true),
            ("0.0.0.0:3000", "http://localhost.example.org", true),
        ];
        for (addr, base_url, allowed) in cases {
            let mut config = SiteConfig::default();
            config.server.addr = addr.parse().unwrap();
            config.site.base_url = base_url.to_string();
            let outcome = config.check_public_address();
            assert_eq!(outcome.is_ok(), allowed, "{addr} with {base_url}");
            if let Err(e) = outcome {
                let text = e.to_string();
                assert!(
                    text.contains(addr) && text.contains(base_url) && text.contains("--allow"),
                    "{text}"
                );
            }
            config.server.allow_loopback_base_url = true;
            assert!(config.check_public_address().is_ok(), "override: {addr}");
        }
    }

    #[test]
    fn the_admin_address_can_be_moved_or_switched_off() {
        let admin = |text: &str| SiteConfig::parse(text).unwrap().server.admin_addr;
        assert_eq!(
            admin("[server]\nadmin_addr = \"10.0.0.5:9100\"\n"),
            Some(SocketAddr::from(([10, 0, 0, 5], 9100)))
        );
        assert_eq!(admin("[server]\nadmin_addr = \"off\"\n"), None);
        assert_eq!(admin("[server]\nadmin_addr = \"\"\n"), None);
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let cases = [
            ("[site]\nnmae = \"x\"\n", "2:1: unknown field `nmae`"),
            ("[server]\naddr = \"nowhere\"\n", "2:8:"),
            (
                "[site]\nbase_url = \"example.org\"\n",
                "base_url must start",
            ),
            ("[server]\nrequest_timeout_secs = 0\n", "at least 1"),
            (
                "[server]\nadmin_addr = \"metrics\"\n",
                "2:14: \"metrics\" is not an address",
            ),
            ("[server]\nheader_read_timeout_secs = 0\n", "at least 1"),
            ("[server]\nmax_connections = 0\n", "at least 1"),
            (
                "[server]\nidle_timeout_secs = 5\nrequest_timeout_secs = 10\n",
                "idle_timeout_secs must be at least",
            ),
            ("[check]\nmin_reading_ease = 120\n", "between 0 and 100"),
            ("[check]\nmax_sentence_words = 0\n", "at least 1"),
            ("[check]\nmin_reading_ease = \"high\"\n", "2:20:"),
            (
                "[radiation]\nannual_background_msv = 0\n",
                "annual_background_msv must be a positive number",
            ),
            ("[radiation]\nrisk_per_sievert = 5\n", "at most 1"),
            (
                "[radiation]\nrisk_source = \" \"\n",
                "must name their source",
            ),
            ("[feedback]\nkeep_months = 0\n", "between 1 and 120"),
            ("[feedback]\nburst = 0\n", "at least 1"),
            ("[feedback]\ndatabse = \"x\"\n", "unknown field `databse`"),
            (
                "[radiation]\nbackground_msv = 2\n",
                "unknown field `background_msv`",
            ),
        ];
        for (text, expected) in cases {
            let err = SiteConfig::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?} gave {err}");
        }
    }
}
