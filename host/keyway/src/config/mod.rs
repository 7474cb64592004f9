//! keyway's configuration: named secret managers on plugins, the shared cache,
//! audit, and where plugins and data live.
//!
//! ```yaml
//! default_manager: vault
//! cache: { max-entries: 10000, expire-after-write: 5m }
//! audit: { file: /var/log/keyway/audit.jsonl }
//! managers:
//!   vault:
//!     plugin: vault
//!     settings: { address: "https://vault.example.com:8200", auth_method: token, token: "${env:VAULT_TOKEN}" }
//!     prefix: "prod/"
//!     read_only: true
//!     access: { namespaces: [company.team], deny: ["*admin*"] }
//! ```

mod catalog;
mod interpolate;
mod load;
mod profiles;
mod renewal;
mod serve;

pub use catalog::CatalogConfig;
pub use interpolate::interpolate;
pub use load::{default_home, find_config_file, ConfigSource};
pub use profiles::{
    ApprovalPolicy, CharacterClass, ComplianceRules, GatedOperation, ProfileConfig, RepairMode, SyncPolicy,
};
pub use renewal::{RenewalRule, RotationHook};
pub use serve::{ClientConfig, ServeConfig, ServeLimits, TlsConfig};

use keyway_resolve::{AccessPolicy, CacheOptions, CacheOverrides, KeyRule, StepLimits};
use keyway_types::Tags;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The manager used when a placeholder names none (Kestra's `secret('NAME')`).
    #[serde(default)]
    pub default_manager: Option<String>,
    /// The shared cache, for all managers together.
    #[serde(default)]
    pub cache: CacheOptions,
    /// Audit records.
    #[serde(default)]
    pub audit: AuditConfig,
    /// Where plugins come from besides the built-in ones.
    #[serde(default)]
    pub plugins: PluginsConfig,
    /// The folder under which managers keep their data (`<home>/data/<manager>`); the default is
    /// `$KEYWAY_HOME`, else the user's data directory, else `./.keyway`.
    #[serde(default)]
    pub home: Option<PathBuf>,
    /// The secret managers, by name. Unless `builtin_local` is false, a manager `local` on the embedded store
    /// is there too when this does not define one.
    #[serde(default)]
    pub managers: BTreeMap<String, ManagerConfig>,
    /// Whether the built-in manager `local` is kept when `managers` does not define it (default true).
    #[serde(default = "yes")]
    pub builtin_local: bool,
    /// How large one step may be (placeholders, distinct secrets).
    #[serde(default)]
    pub resolve: StepLimits,
    /// Who may call `keyway serve`, and its bounds.
    #[serde(default)]
    pub serve: ServeConfig,
    /// keyway's own records: version and error history, lifecycle state.
    #[serde(default)]
    pub catalog: CatalogConfig,
    /// Secret profiles: secrets bound by name pattern, and their compliance rules.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            default_manager: None,
            cache: CacheOptions::default(),
            audit: AuditConfig::default(),
            plugins: PluginsConfig::default(),
            home: None,
            managers: BTreeMap::new(),
            builtin_local: true,
            resolve: StepLimits::default(),
            serve: ServeConfig::default(),
            catalog: CatalogConfig::default(),
            profiles: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The managers keyway serves: `managers`, plus the built-in `local` unless it is defined there or
    /// `builtin_local` is false.
    pub fn effective_managers(&self) -> BTreeMap<String, ManagerConfig> {
        let mut managers = self.managers.clone();
        if self.builtin_local && !managers.contains_key("local") {
            managers.insert("local".into(), ManagerConfig::built_in_local());
        }
        managers
    }
}

/// The environment variable holding the passphrase of the built-in `local` manager's store.
pub const LOCAL_PASSPHRASE_ENV: &str = "KEYWAY_LOCAL_PASSPHRASE";

impl ManagerConfig {
    /// The built-in manager `local`: the embedded encrypted store in `<home>/data/local`, sealed with the
    /// passphrase in `$KEYWAY_LOCAL_PASSPHRASE` when that is set, else with its key file.
    pub fn built_in_local() -> Self {
        let settings = match std::env::var_os(LOCAL_PASSPHRASE_ENV) {
            Some(_) => serde_json::json!({ "passphrase": format!("${{env:{LOCAL_PASSPHRASE_ENV}}}") }),
            None => serde_json::json!({}),
        };
        Self {
            plugin: "local".into(),
            settings,
            auth: None,
            prefix: None,
            default_tags: Default::default(),
            read_only: false,
            serve_expired: false,
            namespaces: None,
            renewal: Vec::new(),
            visible: Default::default(),
            egress: Vec::new(),
            access: Default::default(),
            keys: Default::default(),
            cache: Default::default(),
            data_dir: None,
            storage: None,
            limits: Default::default(),
            tls_ca_file: None,
        }
    }
}

/// Where audit records go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// A JSON-lines file; records also go to tracing (target `keyway::audit`).
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Also keep every record in keyway's records (the catalog's `audit` table): one trail for a fleet of
    /// nodes sharing PostgreSQL, with or without a file per node (default false).
    #[serde(default)]
    pub records: bool,
    /// What happens when the file or keyway's records cannot take a record: `closed` (the default) refuses
    /// every call whose record cannot be written; `open` serves it anyway and logs the failure.
    #[serde(default)]
    pub on_failure: AuditFailureMode,
}

/// Whether calls that cannot be audited are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditFailureMode {
    /// Refuse them (no value is handed out, no write is started, while the audit file fails).
    #[default]
    Closed,
    /// Serve them; the failure is logged.
    Open,
}

/// Plugin locations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// A folder of third-party plugins: each `NAME.wasm` with its manifest `NAME.toml`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Where precompiled plugins are cached (default `<home>/cache`); kept private (0700).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// The operator's grants to third-party plugins, by name: a plugin's manifest only *requests* egress;
    /// it gets it when a grant here names the plugin's exact content (its SHA-256). `keyway plugin trust
    /// FILE.wasm` prints the grant to add. Built-in plugins are trusted as built.
    #[serde(default)]
    pub grants: BTreeMap<String, PluginGrant>,
}

/// The operator's grant to one third-party plugin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginGrant {
    /// The SHA-256 of the `.wasm` file the grant is for (hex); another build of the plugin gets nothing.
    pub sha256: String,
    /// The egress patterns granted; absent: exactly what the manifest requests.
    #[serde(default)]
    pub egress: Option<Vec<String>>,
}

/// One named secret manager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerConfig {
    /// The plugin that talks to the backend (`local`, `aws`, `azure`, `vault`, … or a third-party plugin's name).
    pub plugin: String,
    /// The plugin's settings, checked against its manifest. Strings may use `${env:NAME}` and `${file:PATH}`.
    #[serde(default)]
    pub settings: serde_json::Value,
    /// How the host obtains credentials for the plugin: `{type: aws, ...}` (AWS credentials through
    /// aws-config) or `{type: azure, ...}` (Azure tokens through azure_identity). Parsed when the
    /// manager is first used, after `${env:...}` references are filled in.
    #[serde(default)]
    pub auth: Option<serde_json::Value>,
    /// Prepended to every secret name on the backend and stripped from listings, to keep tenants apart.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Tags added to every secret this manager creates.
    #[serde(default)]
    pub default_tags: Tags,
    /// Refuse every write through this manager.
    #[serde(default)]
    pub read_only: bool,
    /// Serve secrets past their expiry or before their not-before time (for backends that rotate late);
    /// refused by default.
    #[serde(default)]
    pub serve_expired: bool,
    /// Secrets kept by namespace, as Kestra keeps them: `{layout: "{namespace}/{name}", inherit: true}`.
    /// A Kestra placeholder's secret is then looked up in its `namespace='…'`, else the calling flow's
    /// namespace, and (with `inherit`) in the namespaces above it, nearest first.
    #[serde(default)]
    pub namespaces: Option<keyway_resolve::manager::NamespaceLayout>,
    /// Secrets keyway renews by itself (`keyway serve` runs them; `keyway renew` runs one now).
    #[serde(default)]
    pub renewal: Vec<RenewalRule>,
    /// Only secrets matching this filter are visible; the rest behave as if they did not exist.
    #[serde(default)]
    pub visible: VisibilityFilter,
    /// Hosts the plugin may reach besides its manifest's defaults and its settings' URLs.
    #[serde(default)]
    pub egress: Vec<String>,
    /// Who may use the manager, and which names.
    #[serde(default)]
    pub access: AccessPolicy,
    /// How `${secret:MANAGER/NAME/KEY}` is split into a name and a key.
    #[serde(default)]
    pub keys: KeyRule,
    /// Cache settings for this manager, over the global ones.
    #[serde(default)]
    pub cache: CacheOverrides,
    /// The data directory granted to plugins that keep files (default `<home>/data/<manager>`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Where a plugin whose manifest says `storage = true` keeps its store (`keyway:store/kv`): `data_dir`
    /// (the default: a folder beside the data directory, on this machine) or `records` (keyway's records, the
    /// catalog's database: one store for every node on one PostgreSQL). Refused for other plugins.
    #[serde(default)]
    pub storage: Option<StorageKind>,
    /// Resource limits of the plugin's instances.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// A PEM file of extra root certificates to trust for this manager's HTTPS (a private CA).
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
}

/// Which secrets a manager shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityFilter {
    /// When not empty, only names starting with one of these.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Only secrets carrying all these tags.
    #[serde(default)]
    pub tags: Tags,
}

impl VisibilityFilter {
    /// Whether the filter shows everything.
    pub fn is_open(&self) -> bool {
        self.prefixes.is_empty() && self.tags.is_empty()
    }

    /// Whether `name` passes the prefix part.
    pub fn shows_name(&self, name: &str) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// Whether `tags` pass the tag part.
    pub fn shows_tags(&self, tags: &Tags) -> bool {
        self.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
    }
}

/// Where a manager's plugin keeps its store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    /// A folder beside the manager's data directory, on this machine.
    #[default]
    DataDir,
    /// The table `plugin_store` of keyway's records (the catalog), shared by every node on it.
    Records,
}

/// Resource limits of a manager's plugin instances.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Deadline of one call, in milliseconds (default 30000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Memory cap of one instance, in MiB (default 64).
    #[serde(default)]
    pub memory_mib: Option<u64>,
    /// The most instances serving the manager at once (default 8).
    #[serde(default)]
    pub max_instances: Option<u32>,
    /// The largest secret value accepted, in KiB (default 1024).
    #[serde(default)]
    pub max_value_kib: Option<u64>,
    /// The most the plugin's data directory may hold, in MiB (default 256); past it writes are refused.
    #[serde(default)]
    pub data_dir_mib: Option<u64>,
}
