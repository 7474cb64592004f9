//! Opening a manager's connection: settings checked against the manifest, egress, the data directory, a
//! first instance and the plugin's capabilities.

use super::invoke::describe_trap;
use super::quota::DataQuota;
use super::{Connection, ConnectionConfig, Inner};
use crate::bindings::{self, capabilities_from_wit};
use crate::data_dir::{create_private_dir, tighten_permissions, write_lock_path};
use crate::egress::EgressPolicy;
use crate::error::{CallError, RuntimeError};
use crate::plugin::Plugin;
use crate::pool::{InstanceFactory, InstancePool};
use crate::redact::Redactor;
use crate::runtime::Runtime;
use std::sync::Arc;

impl Runtime {
    /// Opens `manager`'s connection to `plugin`: validates the settings against the
    /// manifest, builds the egress allowlist, opens a first instance (so bad settings
    /// fail now) and reads the capabilities.
    pub async fn connect(
        &self,
        plugin: &Arc<Plugin>,
        manager: &str,
        config: ConnectionConfig,
    ) -> Result<Connection, RuntimeError> {
        let manifest = plugin.manifest();
        valid_manager_name(manager)?;
        manifest.validate(manager, &config.settings)?;
        let mut egress = EgressPolicy::deny_all();
        let refused = |field: &str, err: crate::egress::PatternError| RuntimeError::Settings {
            manager: manager.into(),
            field: field.into(),
            problem: err.to_string(),
        };
        if config.manifest_egress {
            for pattern in &manifest.egress {
                egress.allow(pattern).map_err(|err| refused("egress (the plugin's manifest)", err))?;
            }
        }
        for url in manifest.egress_urls(&config.settings) {
            egress.allow(url).map_err(|err| refused("settings", err))?;
        }
        for pattern in &config.egress {
            egress.allow(pattern).map_err(|err| refused("egress", err))?;
        }
        let data_dir = if manifest.data_dir {
            let dir = config.data_dir.clone().ok_or_else(|| RuntimeError::Settings {
                manager: manager.into(),
                field: "data_dir".into(),
                problem: format!("is required: plugin '{}' keeps its data in a directory", manifest.name),
            })?;
            create_private_dir(&dir).map_err(|err| RuntimeError::Settings {
                manager: manager.into(),
                field: "data_dir".into(),
                problem: format!("cannot be created at {}: {err}", dir.display()),
            })?;
            Some(dir)
        } else {
            None
        };
        let limits = config.limits;
        let max_instances = manifest.max_instances.map_or(limits.max_instances, |m| m.min(limits.max_instances));
        let egress = Arc::new(egress);
        let http = self.http_client(&config.ca_certificates, egress.clone()).map_err(|problem| {
            RuntimeError::Settings { manager: manager.into(), field: "tls_ca_file".into(), problem }
        })?;
        let factory = InstanceFactory {
            plugin: plugin.clone(),
            engine: self.engine.clone(),
            http,
            policy: egress.clone(),
            data_dir,
            memory_bytes: limits.memory_bytes.min(self.config.max_memory_bytes),
            credentials: config.credentials.clone(),
            manager: Arc::from(manager),
            settings_json: config.settings.to_string(),
            redactor: Redactor::from_settings(manifest, &config.settings),
            grant: Arc::new(crate::sandbox::CredentialGrant {
                aws: manifest.credentials.aws,
                scopes: manifest
                    .credentials
                    .scopes
                    .iter()
                    .filter(|scope| config.token_scopes.as_ref().is_none_or(|allowed| allowed.contains(scope)))
                    .cloned()
                    .collect(),
            }),
            open_timeout: limits.call_timeout,
            store: crate::store::grant_for(manager, manifest, &config)?,
        };
        let open_error = |source| RuntimeError::Open {
            manager: manager.into(),
            plugin: plugin.name().into(),
            source: Box::new(source),
        };
        let mut first = factory.create().await.map_err(open_error)?;
        if let Some(dir) = &factory.data_dir {
            // WASI cannot set file modes: keep what the plugin created (keys, secrets) private to the owner.
            if let Err(err) = tighten_permissions(dir, 4) {
                tracing::warn!(manager, dir = %dir.display(), error = %err, "cannot restrict permissions in the data directory");
            }
        }
        let connection = bindings::ProviderExports::connection(first.bindings.keyway_provider_provider());
        let asked = connection.call_capabilities(&mut first.store, first.handle);
        let capabilities = match tokio::time::timeout(limits.call_timeout, asked).await {
            Ok(Ok(capabilities)) => capabilities,
            Ok(Err(err)) => {
                return Err(open_error(CallError::Crashed {
                    plugin: plugin.name().into(),
                    operation: "capabilities".into(),
                    reason: describe_trap(&err),
                }))
            }
            Err(_) => {
                return Err(open_error(CallError::Deadline {
                    plugin: plugin.name().into(),
                    operation: "capabilities".into(),
                    limit_ms: limits.call_timeout.as_millis() as u64,
                }))
            }
        };
        let process_lock =
            factory.data_dir.as_ref().filter(|_| manifest.serialize_writes).map(|dir| write_lock_path(dir));
        let quota = factory.data_dir.clone().map(|dir| DataQuota {
            dir,
            limit: limits.data_dir_bytes,
            last: std::sync::Mutex::new(None),
            over: std::sync::atomic::AtomicBool::new(false),
        });
        let pool = InstancePool::new(factory, max_instances, self.config.reuse_instances);
        pool.put(first);
        Ok(Connection {
            inner: Arc::new(Inner {
                manager: manager.into(),
                plugin: plugin.clone(),
                pool,
                capabilities: capabilities_from_wit(capabilities),
                limits,
                egress,
                write_lock: manifest.serialize_writes.then(|| tokio::sync::Mutex::new(())),
                process_lock,
                quota,
            }),
        })
    }
}

/// Checks a manager's name before it names anything on disk: letters, digits, `-`, `_` and `.`, starting
/// with a letter or digit, no `..`, at most 64 characters.
fn valid_manager_name(manager: &str) -> Result<(), RuntimeError> {
    let valid = manager.len() <= 64
        && manager.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && manager.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !manager.contains("..");
    if valid {
        return Ok(());
    }
    Err(RuntimeError::Settings {
        manager: manager.chars().filter(|c| !c.is_control()).take(64).collect(),
        field: "name".into(),
        problem: "a manager's name starts with a letter or digit and holds only letters, digits, '-', '_' and '.' \
                  (no '..', at most 64 characters)"
            .into(),
    })
}
