//! What a manager's connection is opened with: settings, grants and [`Limits`].

use keyway_types::{CredentialProvider, NoCredentials};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Resource limits of one manager's plugin instances.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock deadline of one call, including the plugin's HTTP waits.
    pub call_timeout: Duration,
    /// Linear memory cap of one instance, in bytes.
    pub memory_bytes: usize,
    /// The most instances serving this manager at once.
    pub max_instances: u32,
    /// The largest secret value accepted from the plugin, in bytes.
    pub max_value_bytes: usize,
    /// The most bytes the plugin's data directory may hold; past it writes are refused.
    pub data_dir_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(30),
            memory_bytes: 64 << 20,
            max_instances: 8,
            max_value_bytes: 1 << 20,
            data_dir_bytes: 256 << 20,
        }
    }
}

/// The most secrets one `list` page may hold.
pub const MAX_PAGE_ITEMS: usize = 10_000;

/// What a manager grants its plugin.
#[derive(Clone)]
pub struct ConnectionConfig {
    /// The plugin's settings (checked against its manifest).
    pub settings: serde_json::Value,
    /// Hosts allowed besides the manifest's defaults and the settings' URLs.
    pub egress: Vec<String>,
    /// Whether to add the manifest's default egress hosts.
    pub manifest_egress: bool,
    /// A directory preopened as `/data` for plugins that declare `data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Resource limits.
    pub limits: Limits,
    /// Credentials the host resolves for the plugin.
    pub credentials: Arc<dyn CredentialProvider>,
    /// Extra root certificates (PEM) the host trusts for this manager's HTTPS connections,
    /// besides the operating system's (for a backend signed by a private CA).
    pub ca_certificates: Vec<Vec<u8>>,
    /// The token scopes the manager allows (its `auth.scopes`); `None` allows what the manifest declares.
    /// A plugin gets tokens only for scopes its manifest declares and this allows.
    pub token_scopes: Option<Vec<String>>,
    /// The store of a plugin whose manifest says `storage = true`; `None` gives it a [`crate::FileStore`] in
    /// [`crate::store_path`] of `data_dir`.
    pub store: Option<crate::PluginStore>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            settings: serde_json::Value::Object(serde_json::Map::new()),
            egress: Vec::new(),
            manifest_egress: true,
            data_dir: None,
            limits: Limits::default(),
            credentials: Arc::new(NoCredentials),
            ca_certificates: Vec::new(),
            token_scopes: None,
            store: None,
        }
    }
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Settings can hold credentials: show only their names.
        let fields: Vec<&str> =
            self.settings.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        f.debug_struct("ConnectionConfig")
            .field("settings", &fields)
            .field("egress", &self.egress)
            .field("data_dir", &self.data_dir)
            .field("limits", &self.limits)
            .field("ca_certificates", &self.ca_certificates.len())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
