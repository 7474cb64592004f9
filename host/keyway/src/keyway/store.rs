//! Maintenance of the embedded store's data directory: re-keying it under a new
//! passphrase or key (`keyway store rekey`).
//!
//! The re-key runs natively in the host, as the operator, with the store's
//! write lock held (the same lock file the plugin's writes take in every
//! process), so no write runs meanwhile while reads go on; see
//! [`keyway_plugin_local::rekey`] for why it is safe to kill at any point.

use super::Keyway;
use crate::config::interpolate;
use crate::error::KeywayError;
use keyway_plugin_local::keyring::KeySource;
use keyway_plugin_local::rekey::{rekey, RekeyReport};
use keyway_resolve::{AuditRecord, Identity};
use keyway_types::ProviderError;
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What the store is sealed with after a re-key.
#[non_exhaustive]
pub enum NewStoreKey {
    /// A passphrase (at least 12 characters), stretched with Argon2id.
    Passphrase(Zeroizing<String>),
    /// A key: 32 bytes in base64.
    Key(Zeroizing<String>),
}

impl std::fmt::Debug for NewStoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Passphrase(_) => "NewStoreKey::Passphrase(<redacted>)",
            Self::Key(_) => "NewStoreKey::Key(<redacted>)",
        })
    }
}

/// The outcome of a re-key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RekeyOutcome {
    /// The store's directory.
    pub data_dir: PathBuf,
    /// What the plugin's re-key did.
    pub report: RekeyReport,
}

impl Keyway {
    /// Seals the embedded store of `manager` (a manager on the built-in `local` plugin) with a new data key
    /// and `new` credential, re-encrypting every file. The current credential comes from the manager's
    /// settings; afterwards only `new` opens the store, so the configuration must name it before the next
    /// use. `identity` must be allowed to use the manager; the re-key is audited (operation `rekey`).
    pub async fn rekey_store(
        &self,
        identity: &Identity,
        manager: &str,
        new: NewStoreKey,
    ) -> Result<RekeyOutcome, KeywayError> {
        let config = self.shared.slot(manager)?.config.clone();
        let record = AuditRecord::new(Arc::new(identity.clone()), "rekey", manager, "");
        let result = async {
            self.authorize_name(identity, manager, None)?;
            if config.plugin != "local" {
                return Err(KeywayError::InvalidInput(format!(
                    "manager '{manager}' runs plugin '{}'; only stores of the built-in plugin 'local' are re-keyed \
                     by keyway (other backends rotate their keys themselves)",
                    config.plugin
                )));
            }
            if config.read_only {
                return Err(KeywayError::InvalidInput(format!(
                    "manager '{manager}' is read-only (managers.{manager}.read_only)"
                )));
            }
            let in_host_store = config.storage == Some(crate::config::StorageKind::Records)
                || config.settings.get("store").and_then(serde_json::Value::as_str).is_some_and(|s| s.trim() == "host");
            if in_host_store {
                return Err(KeywayError::InvalidInput(format!(
                    "manager '{manager}' keeps its records in the host's store (storage: records or store: host), which \
                     `keyway store rekey` does not re-key yet; only stores in a data directory are"
                )));
            }
            let old = current_key_source(manager, &config.settings)?;
            let new = match new {
                NewStoreKey::Passphrase(text) => KeySource::Passphrase(text),
                NewStoreKey::Key(text) => KeySource::Setting(text),
            };
            let data_dir = self.shared.data_dir(manager, &config);
            let dir = data_dir.clone();
            let work = tokio::task::spawn_blocking(move || {
                let _lock = keyway_runtime::lock_data_dir(&dir).map_err(|err| {
                    ProviderError::Unavailable(format!(
                        "cannot lock {}: {err}",
                        keyway_runtime::write_lock_path(&dir).display()
                    ))
                })?;
                rekey(&dir, &old, &new).map_err(ProviderError::from)
            });
            // The lock waits for a write in flight elsewhere, which its call deadline bounds.
            let report = match work.await {
                Ok(Ok(report)) => report,
                Ok(Err(source)) => {
                    let source = match source {
                        ProviderError::Configuration(message) => {
                            return Err(KeywayError::Config { message: format!("managers.{manager}: {message}") })
                        }
                        other => other,
                    };
                    return Err(KeywayError::Backend { manager: manager.into(), source });
                }
                Err(_) => {
                    return Err(KeywayError::Backend {
                        manager: manager.into(),
                        source: ProviderError::Other(
                            "the re-key stopped unexpectedly; run it again to finish it".into(),
                        ),
                    })
                }
            };
            Ok(RekeyOutcome { data_dir, report })
        }
        .await;
        self.audit(record, &result).await?;
        result
    }
}

/// The credential the manager's settings give: `key`, `passphrase`, or else the key file.
fn current_key_source(manager: &str, settings: &serde_json::Value) -> Result<KeySource, KeywayError> {
    let mut settings = if settings.is_null() { serde_json::json!({}) } else { settings.clone() };
    interpolate(&mut settings, &format!("managers.{manager}.settings"))?;
    let text = |field: &str| {
        settings
            .get(field)
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.trim().is_empty())
            .map(|text| Zeroizing::new(text.to_owned()))
    };
    let source = match (text("key"), text("passphrase")) {
        (Some(_), Some(_)) => {
            return Err(KeywayError::Config {
                message: format!("managers.{manager}.settings: both `key` and `passphrase` are set; keep one"),
            })
        }
        (Some(key), None) => KeySource::Setting(key),
        (None, Some(passphrase)) => KeySource::Passphrase(passphrase),
        (None, None) => KeySource::KeyFile,
    };
    if let Some(object) = settings.as_object_mut() {
        for value in object.values_mut() {
            if let serde_json::Value::String(text) = value {
                zeroize::Zeroize::zeroize(text);
            }
        }
    }
    Ok(source)
}
