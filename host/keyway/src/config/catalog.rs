//! `catalog:` in the configuration: where keyway keeps its own records (version history, error history,
//! lifecycle state) and the key that fingerprints and seals them.

use serde::Deserialize;

/// The catalog's settings. Zero configuration: SQLite at `<home>/catalog.db` with the key file
/// `<home>/catalog.key`, created on first use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// Keep records at all (default true). Without them keyway is a broker only: no version or error
    /// history.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// `postgres://…` for a catalog shared by a fleet of nodes, or `sqlite:PATH`; default SQLite in keyway's
    /// home. `${env:…}` and `${file:…}` references are resolved.
    #[serde(default)]
    pub url: Option<String>,
    /// The catalog key, 32 bytes in base64 (every node of a fleet needs the same one); default the file
    /// `catalog.key` in keyway's home. `${env:…}` and `${file:…}` references are resolved.
    #[serde(default)]
    pub key: Option<String>,
    /// The most errors kept per secret (default 200).
    #[serde(default)]
    pub errors_per_secret: Option<u32>,
    /// Days errors are kept (default 90).
    #[serde(default)]
    pub error_days: Option<u32>,
}

fn enabled() -> bool {
    true
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self { enabled: true, url: None, key: None, errors_per_secret: None, error_days: None }
    }
}
