//! [`Keyway`]: the configured managers, the shared resolver, and the
//! capability API flow nodes call, all checked against the caller's identity.

use crate::auth::credentials_for;
use crate::config::{interpolate, Config, ConfigSource, ManagerConfig};
use crate::error::KeywayError;
use crate::manager::{Manager, ManagerRules};
use crate::plugins::PluginRegistry;
use keyway_resolve::{Auditor, Identity, ManagerOptions, ResolvedStep, Resolver, SecretSource, SharedSecret};
use keyway_runtime::{ConnectionConfig, Limits, Runtime, RuntimeConfig, RuntimeError};
use keyway_types::{
    BoxFuture, Capabilities, DeleteMode, ListPage, ListRequest, Operation, ProviderError, Secret, SecretMetadata,
    SecretValue, Timestamp, UpdateRequest, VersionInfo, VersionSelector, WriteOptions,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// keyway, configured: secret managers on sandboxed plugins behind one resolver.
pub struct Keyway {
    shared: Arc<Shared>,
    resolver: Resolver,
    source: ConfigSource,
}

struct Shared {
    runtime: Runtime,
    registry: PluginRegistry,
    home: PathBuf,
    slots: BTreeMap<String, Slot>,
}

struct Slot {
    config: ManagerConfig,
    manager: OnceCell<Arc<Manager>>,
}

impl std::fmt::Debug for Keyway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyway")
            .field("managers", &self.shared.slots.keys().collect::<Vec<_>>())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Keyway {
    /// Loads the configuration (`explicit`, `$KEYWAY_CONFIG`, `./keyway.yaml`, the user's config
    /// folder, or the built-in default) and opens keyway on it.
    pub async fn load(explicit: Option<&Path>) -> Result<Self, KeywayError> {
        let (config, source) = Config::load(explicit)?;
        Self::open(config, source).await
    }

    /// Opens keyway on `config`. Managers connect to their plugins on first use, so one
    /// misconfigured manager does not stop the others.
    pub async fn open(config: Config, source: ConfigSource) -> Result<Self, KeywayError> {
        let home = config.home();
        let cache_dir = config.plugins.cache_dir.clone().unwrap_or_else(|| home.join("cache"));
        let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(cache_dir), ..RuntimeConfig::default() })?;
        let registry = PluginRegistry::new(config.plugins.dir.clone());
        if let Some(default) = &config.default_manager {
            if !config.managers.contains_key(default) {
                return Err(KeywayError::Config {
                    message: format!("default_manager '{default}' is not among the managers"),
                });
            }
        }
        let slots = config
            .managers
            .iter()
            .map(|(name, manager)| (name.clone(), Slot { config: manager.clone(), manager: OnceCell::new() }))
            .collect();
        let shared = Arc::new(Shared { runtime, registry, home, slots });
        let auditor = match &config.audit.file {
            Some(path) => Auditor::to_file(path)
                .map_err(|err| KeywayError::Config { message: format!("audit file {}: {err}", path.display()) })?,
            None => Auditor::tracing_only(),
        };
        let mut builder = Resolver::builder().cache(config.cache.clone()).auditor(auditor);
        if let Some(default) = &config.default_manager {
            builder = builder.default_manager(default.clone());
        }
        for (name, manager) in &config.managers {
            let options =
                ManagerOptions { access: manager.access.clone(), keys: manager.keys, cache: manager.cache.clone() };
            let source: Arc<dyn SecretSource> = Arc::new(LazyManager { shared: shared.clone(), name: name.clone() });
            builder = builder.manager(name.clone(), source, options);
        }
        let resolver = builder.build().map_err(|err| KeywayError::Config { message: err.to_string() })?;
        Ok(Self { shared, resolver, source })
    }

    /// Where the configuration came from.
    pub fn config_source(&self) -> &ConfigSource {
        &self.source
    }

    /// The configured managers' names.
    pub fn manager_names(&self) -> Vec<&str> {
        self.shared.slots.keys().map(String::as_str).collect()
    }

    /// A manager's configuration.
    pub fn manager_config(&self, name: &str) -> Result<&ManagerConfig, KeywayError> {
        self.shared.slot(name).map(|slot| &slot.config)
    }

    /// The manager `name`, connecting to its plugin on first use.
    pub async fn manager(&self, name: &str) -> Result<Arc<Manager>, KeywayError> {
        self.shared.manager(name).await
    }

    /// The plugin registry.
    pub fn plugins(&self) -> &PluginRegistry {
        &self.shared.registry
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.shared.runtime
    }

    /// The shared resolver: placeholders, cache, access rules, audit and masking.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Resolves every placeholder in a flow step's configuration for `identity`.
    pub async fn resolve(&self, identity: &Identity, step: &serde_json::Value) -> Result<ResolvedStep, KeywayError> {
        Ok(self.resolver.resolve(identity, step).await?)
    }

    /// Reads a secret for a flow node: value and full metadata, through the cache, checked and audited.
    pub async fn get(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Arc<SharedSecret>, KeywayError> {
        self.shared.slot(manager)?;
        Ok(self.resolver.get(identity, manager, name, selector).await?)
    }

    /// Reads metadata only, checked against the identity (no cache, no value).
    pub async fn describe(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<SecretMetadata, KeywayError> {
        self.shared.slot(manager)?;
        self.resolver.authorize(identity, manager, Some(name))?;
        let target = self.manager(manager).await?;
        target.describe(name, selector).await.map_err(|source| KeywayError::Backend { manager: manager.into(), source })
    }

    /// Creates a secret.
    pub async fn create(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let perform = || async { self.shared.connected(manager).await?.create(name, value, options).await };
        Ok(self.resolver.write(identity, manager, name, Operation::Create, perform).await?)
    }

    /// Changes a secret.
    pub async fn update(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        request: &UpdateRequest,
    ) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let perform = || async { self.shared.connected(manager).await?.update(name, request).await };
        Ok(self.resolver.write(identity, manager, name, Operation::Update, perform).await?)
    }

    /// Deletes a secret; returns when a recoverable deletion becomes permanent.
    pub async fn delete(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        mode: DeleteMode,
    ) -> Result<Option<Timestamp>, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let perform = || async { self.shared.connected(manager).await?.delete(name, mode).await };
        Ok(self.resolver.write(identity, manager, name, Operation::Delete, perform).await?)
    }

    /// Recovers a deleted secret.
    pub async fn restore(&self, identity: &Identity, manager: &str, name: &str) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let perform = || async { self.shared.connected(manager).await?.restore(name).await };
        Ok(self.resolver.write(identity, manager, name, Operation::Restore, perform).await?)
    }

    /// Lists secrets' metadata; names the identity may not use are left out.
    pub async fn list(
        &self,
        identity: &Identity,
        manager: &str,
        request: &ListRequest,
    ) -> Result<ListPage, KeywayError> {
        self.shared.slot(manager)?;
        self.resolver.authorize(identity, manager, None)?;
        let target = self.manager(manager).await?;
        let mut page =
            target.list(request).await.map_err(|source| KeywayError::Backend { manager: manager.into(), source })?;
        page.secrets.retain(|meta| self.resolver.authorize(identity, manager, Some(&meta.name)).is_ok());
        Ok(page)
    }

    /// Lists a secret's versions.
    pub async fn versions(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
    ) -> Result<Vec<VersionInfo>, KeywayError> {
        self.shared.slot(manager)?;
        self.resolver.authorize(identity, manager, Some(name))?;
        let target = self.manager(manager).await?;
        target.versions(name).await.map_err(|source| KeywayError::Backend { manager: manager.into(), source })
    }

    /// Flushes audit records to their file.
    pub fn flush(&self) {
        if let Err(err) = self.resolver.auditor().flush() {
            tracing::warn!(error = %err, "cannot flush the audit file");
        }
    }
}

impl Shared {
    fn slot(&self, name: &str) -> Result<&Slot, KeywayError> {
        self.slots.get(name).ok_or_else(|| KeywayError::UnknownManager {
            manager: name.into(),
            known: self.slots.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    async fn manager(&self, name: &str) -> Result<Arc<Manager>, KeywayError> {
        let slot = self.slot(name)?;
        slot.manager.get_or_try_init(|| self.connect(name, &slot.config)).await.cloned()
    }

    /// [`manager`](Self::manager) with a failure to connect as the backend's error, keeping its kind
    /// (a backend that is down at open is unavailable, not misconfigured).
    async fn connected(&self, name: &str) -> Result<Arc<Manager>, ProviderError> {
        self.manager(name).await.map_err(|err| match err {
            KeywayError::Backend { source, .. } => source,
            KeywayError::Runtime(RuntimeError::Open { source, .. }) => source.into_provider_error(),
            KeywayError::Config { message } => ProviderError::Configuration(message),
            other => ProviderError::Configuration(other.to_string()),
        })
    }

    async fn connect(&self, name: &str, config: &ManagerConfig) -> Result<Arc<Manager>, KeywayError> {
        let plugin = self.registry.get(&self.runtime, &config.plugin)?;
        let mut settings = config.settings.clone();
        if settings.is_null() {
            settings = serde_json::json!({});
        }
        interpolate(&mut settings, &format!("managers.{name}.settings"))?;
        let mut auth = config.auth.clone();
        if let Some(auth) = auth.as_mut() {
            interpolate(auth, &format!("managers.{name}.auth"))?;
        }
        let credentials = credentials_for(name, auth.as_ref())?;
        let defaults = Limits::default();
        let limits = Limits {
            call_timeout: config.limits.timeout_ms.map_or(defaults.call_timeout, Duration::from_millis),
            memory_bytes: config.limits.memory_mib.map_or(defaults.memory_bytes, |m| (m as usize) << 20),
            max_instances: config.limits.max_instances.unwrap_or(defaults.max_instances),
            max_value_bytes: config.limits.max_value_kib.map_or(defaults.max_value_bytes, |k| (k as usize) << 10),
        };
        let data_dir = config.data_dir.clone().unwrap_or_else(|| self.home.join("data").join(name));
        let ca_certificates = match &config.tls_ca_file {
            Some(path) => vec![std::fs::read(path).map_err(|err| KeywayError::Config {
                message: format!("managers.{name}.tls_ca_file: cannot read {}: {err}", path.display()),
            })?],
            None => Vec::new(),
        };
        let connection_config = ConnectionConfig {
            settings,
            egress: config.egress.clone(),
            manifest_egress: true,
            data_dir: Some(data_dir),
            limits,
            credentials,
            ca_certificates,
        };
        let connection = self.runtime.connect(&plugin, name, connection_config).await?;
        let rules = ManagerRules {
            prefix: config.prefix.clone().unwrap_or_default(),
            default_tags: config.default_tags.clone(),
            read_only: config.read_only,
            visible: config.visible.clone(),
        };
        Ok(Arc::new(Manager::new(name, connection, rules)))
    }
}

/// A manager that connects on its first call; the resolver holds these.
struct LazyManager {
    shared: Arc<Shared>,
    name: String,
}

impl LazyManager {
    async fn connected(&self) -> Result<Arc<Manager>, ProviderError> {
        self.shared.connected(&self.name).await
    }
}

impl SecretSource for LazyManager {
    fn get<'a>(&'a self, name: &'a str, selector: &'a VersionSelector) -> BoxFuture<'a, Result<Secret, ProviderError>> {
        Box::pin(async move { self.connected().await?.get(name, selector).await })
    }

    fn describe<'a>(
        &'a self,
        name: &'a str,
        selector: &'a VersionSelector,
    ) -> BoxFuture<'a, Result<SecretMetadata, ProviderError>> {
        Box::pin(async move { self.connected().await?.describe(name, selector).await })
    }

    fn capabilities(&self) -> Capabilities {
        self.shared
            .slots
            .get(&self.name)
            .and_then(|slot| slot.manager.get())
            .map(|manager| manager.capabilities())
            .unwrap_or_default()
    }
}

/// Splits `MANAGER/NAME` (the name may contain slashes).
pub fn parse_reference(reference: &str) -> Result<(&str, &str), KeywayError> {
    match reference.split_once('/') {
        Some((manager, name)) if !manager.is_empty() && !name.is_empty() => Ok((manager, name)),
        _ => Err(KeywayError::InvalidInput(format!(
            "'{reference}' is not MANAGER/NAME; write for example local/db/password"
        ))),
    }
}
