//! The contract's `connection`: settings, capabilities, and each operation
//! handed to the [`LocalStore`] rooted at the granted data directory.

use crate::keyring::KeySource;
use crate::store::{LocalStore, StoreOptions, SweepReport, DEFAULT_RECOVERY_DAYS};
use keyway_plugin_sdk::prelude::*;
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// Where the host preopens the manager's data directory inside the sandbox.
pub const DATA_DIR: &str = "/data";

/// Leftovers of interrupted writes younger than this are left alone by sweeps.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// The plugin's settings (see `manifest.toml`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalSettings {
    /// The key, base64; empty or absent means the passphrase or else the key file.
    #[serde(default)]
    key: Option<Zeroizing<String>>,
    /// The passphrase the store is sealed with.
    #[serde(default)]
    passphrase: Option<Zeroizing<String>>,
    /// The default recovery window of deletes, in days.
    #[serde(default)]
    recovery_days: Option<u32>,
    /// Where the records live: `files` in the data directory (default) or `host`, the host's store.
    #[serde(default)]
    store: Option<String>,
}

/// Where a connection's records live.
enum Backend {
    /// Files in the data directory.
    Files(LocalStore),
    /// The host's store (`keyway:store/kv`).
    #[cfg(target_arch = "wasm32")]
    Host(crate::shared::SharedStore<crate::shared::host::HostKv>),
}

/// Runs one operation on whichever backend the connection has.
macro_rules! on_store {
    ($self:expr, $store:ident => $call:expr) => {
        match &$self.store {
            Backend::Files($store) => $call,
            #[cfg(target_arch = "wasm32")]
            Backend::Host($store) => $call,
        }
    };
}

/// One connection to the store in the data directory, or in the host's store.
pub struct Local {
    store: Backend,
}

impl Local {
    /// Logs a sweep's outcome when it did or hit something (the files backend sweeps; the host's store does not).
    #[cfg_attr(not(target_arch = "wasm32"), allow(irrefutable_let_patterns))]
    fn after_write(&self) {
        let Backend::Files(store) = &self.store else { return };
        let Some(SweepReport { purged, leftovers, problems }) = store.sweep_if_due(STALE_AFTER) else {
            return;
        };
        if !purged.is_empty() || leftovers > 0 {
            let purged_count = purged.len().to_string();
            let leftovers = leftovers.to_string();
            host::log(
                host::Level::Info,
                "local store cleaned up",
                &[("purged_secrets", &purged_count), ("leftover_files", &leftovers)],
            );
        }
        for problem in problems {
            host::log(host::Level::Warn, "local store clean-up failed", &[("problem", &problem)]);
        }
    }
}

impl Local {
    /// A connection keeping its records in the host's store.
    #[cfg(target_arch = "wasm32")]
    fn on_host(key: &KeySource, options: StoreOptions) -> Result<Self> {
        let store = crate::shared::SharedStore::open(crate::shared::host::HostKv, key, options)?;
        Ok(Self { store: Backend::Host(store) })
    }

    /// Natively there is no host's store.
    #[cfg(not(target_arch = "wasm32"))]
    fn on_host(_key: &KeySource, _options: StoreOptions) -> Result<Self> {
        Err(ProviderError::Configuration("store: host needs the plugin to run in keyway's sandbox".into()))
    }
}

impl Provider for Local {
    fn open(settings: Settings) -> Result<Self> {
        let settings: LocalSettings = settings.parse()?;
        let present = |text: &Option<Zeroizing<String>>| text.as_ref().is_some_and(|text| !text.trim().is_empty());
        let key = match (settings.key, settings.passphrase) {
            (key, passphrase) if present(&key) && present(&passphrase) => {
                return Err(ProviderError::Configuration(
                    "both `key` and `passphrase` are set; the store is sealed with one of them: keep that one".into(),
                ))
            }
            (Some(key), _) if !key.trim().is_empty() => KeySource::Setting(key),
            (_, Some(passphrase)) if !passphrase.trim().is_empty() => KeySource::Passphrase(passphrase),
            _ => KeySource::KeyFile,
        };
        let recovery_days = settings.recovery_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
        if !(1..=365).contains(&recovery_days) {
            return Err(ProviderError::Configuration(format!("recovery_days is {recovery_days}; use 1 to 365")));
        }
        let options = StoreOptions { recovery_days };
        match settings.store.as_deref().map(str::trim) {
            None | Some("" | "files") => {}
            Some("host") => return Self::on_host(&key, options),
            Some(other) => {
                return Err(ProviderError::Configuration(format!(
                    "store is '{}'; use files (the data directory) or host (the host's store)",
                    other.chars().take(40).collect::<String>()
                )))
            }
        }
        if !Path::new(DATA_DIR).is_dir() {
            return Err(ProviderError::Configuration(format!(
                "no data directory: {DATA_DIR} is not available, so the host did not grant one to this manager"
            )));
        }
        let store = LocalStore::open(DATA_DIR, &key, options)?;
        Ok(Self { store: Backend::Files(store) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        Ok(on_store!(self, store => store.get(name, selector))?)
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        Ok(on_store!(self, store => store.describe(name, selector))?)
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        let metadata = on_store!(self, store => store.create(name, &value, options))?;
        self.after_write();
        Ok(metadata)
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        let metadata = on_store!(self, store => store.update(name, &request))?;
        self.after_write();
        Ok(metadata)
    }

    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let purge_at = on_store!(self, store => store.delete(name, mode))?;
        self.after_write();
        Ok(purge_at)
    }

    fn restore(&self, name: &str) -> Result<SecretMetadata> {
        let metadata = on_store!(self, store => store.restore(name))?;
        self.after_write();
        Ok(metadata)
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        Ok(on_store!(self, store => store.list(request))?)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        Ok(on_store!(self, store => store.versions(name))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_agree_with_the_manifest() -> std::result::Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), |settings| settings.parse::<LocalSettings>());
        Ok(())
    }
}
