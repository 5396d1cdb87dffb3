//! Site settings: `site.toml`, with a default for every setting, so the site runs without one.
//!
//! Unknown keys are errors, like in content: a misspelt setting must not be ignored in silence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Everything that can be set in `site.toml`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    pub site: SiteSettings,
    pub server: ServerSettings,
    pub paths: PathSettings,
    pub check: CheckSettings,
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
    /// Serve pages marked `draft = true`, with a banner. Never on the live site.
    pub drafts: bool,
    /// Rebuild the site when content changes.
    pub watch: bool,
    /// Seconds a request may take before the server gives up on it.
    pub request_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            drafts: false,
            watch: false,
            request_timeout_secs: 10,
        }
    }
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

impl CheckSettings {
    /// The limits in the form the proof-reader takes them.
    pub fn readability_limits(&self) -> crate::content::proofread::ReadabilityLimits {
        crate::content::proofread::ReadabilityLimits {
            min_reading_ease: self.min_reading_ease,
            max_sentence_words: self.max_sentence_words,
        }
    }
}

impl SiteConfig {
    /// Reads `path`. A missing file is an error only when the caller insists on it.
    pub fn load(path: &Path, must_exist: bool) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Self::default());
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))
    }

    /// Parses settings text; the error reads `line:col: message`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| {
            let (line, col) =
                crate::content::diagnostics::line_col(text, e.span().map_or(0, |s| s.start));
            format!("{line}:{col}: {}", e.message().trim())
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.site.name.trim().is_empty() {
            return Err("1:1: site.name must not be empty".to_string());
        }
        if !(self.site.base_url.starts_with("http://")
            || self.site.base_url.starts_with("https://"))
            || self.site.base_url.ends_with('/')
        {
            return Err(
                "1:1: site.base_url must start with http:// or https:// and have no trailing slash"
                    .to_string(),
            );
        }
        if !(0.0..=100.0).contains(&self.check.min_reading_ease) {
            return Err("1:1: check.min_reading_ease must be between 0 and 100".to_string());
        }
        if !(self.check.max_sentence_words >= 1.0 && self.check.max_sentence_words.is_finite()) {
            return Err("1:1: check.max_sentence_words must be at least 1".to_string());
        }
        if self.server.request_timeout_secs == 0 {
            return Err("1:1: server.request_timeout_secs must be at least 1".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file() {
        let config = SiteConfig::parse("").unwrap();
        assert_eq!(config.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.paths.content, PathBuf::from("content"));
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
            ("[check]\nmin_reading_ease = 120\n", "between 0 and 100"),
            ("[check]\nmax_sentence_words = 0\n", "at least 1"),
            ("[check]\nmin_reading_ease = \"high\"\n", "2:20:"),
        ];
        for (text, expected) in cases {
            let err = SiteConfig::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text:?} gave {err}");
        }
    }
}
