//! [`Keyway`]: the configured managers, the shared resolver, and the
//! capability API flow nodes call, all checked against the caller's identity
//! and audited. Front ends (the CLI, the HTTP service) call only this facade:
//! it offers no path to a backend, a cached value or the cache's controls
//! that skips the access check or the audit record.

use crate::auth::{credentials_for, token_scopes};
use crate::clients::ClientRegistry;
use crate::config::{interpolate, AuditFailureMode, Config, ConfigSource, GatedOperation, ManagerConfig, ServeConfig};
use crate::error::KeywayError;
use crate::manager::{Manager, ManagerRules};
use crate::plugins::PluginRegistry;

mod approvals;
mod audit_trail;
pub mod check;
mod compliance;
mod fleet;
mod namespaces;
mod plugin_store;
mod profiles;
mod records;
mod renew;
mod scheduler;
mod source;
mod store;
mod sync;
mod typed;
pub use approvals::{principal, ApprovalOutcome, ApprovalView, ProposedChange, ProposedUpdate, RevealedValue};
pub use compliance::{compliance_identity, Finding};
pub use fleet::{FleetLink, FleetTask};
use keyway_resolve::{
    AuditRecord, Auditor, CacheScope, CachedSecretInfo, Disclosure, Identity, ManagerOptions, Masker, ResolvedStep,
    Resolver, SecretSource, SharedSecret, StepPath,
};
use keyway_runtime::{ConnectionConfig, Limits, Plugin, Runtime, RuntimeConfig, RuntimeError};
use keyway_types::{
    BoxFuture, Capabilities, DeleteMode, ListPage, ListRequest, Operation, ProviderError, Secret, SecretMetadata,
    SecretValue, Timestamp, UpdateRequest, VersionInfo, VersionSelector, WriteOptions,
};
use profiles::Via;
pub use records::actor as actor_text;
pub use renew::{renewal_identity, RenewOutcome};
pub use scheduler::{LEASE_LIFETIME, LEASE_RENEW_EVERY};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
pub use store::{NewStoreKey, RekeyOutcome};
pub use sync::sync_identity;
use tokio::sync::OnceCell;

/// keyway, configured: secret managers on sandboxed plugins behind one resolver.
pub struct Keyway {
    shared: Arc<Shared>,
    resolver: Resolver,
    fleet: fleet::Fleet,
    source: ConfigSource,
    audit_mode: AuditFailureMode,
    serve: ServeConfig,
    default_manager: Option<String>,
    profiles: BTreeMap<String, crate::config::ProfileConfig>,
    sync: sync::SyncState,
    scheduler: scheduler::SchedulerLease,
}

/// A step resolved for a caller who sees it masked: every value this call resolved is `******`.
#[derive(Debug)]
pub struct MaskedStep {
    /// The step with its placeholders' values masked.
    pub value: serde_json::Value,
    /// How many distinct secrets were resolved into it.
    pub secrets: usize,
}

/// A manager as operators see it: whether its plugin connects, what it supports, where it may connect to.
#[derive(Debug, Clone)]
pub struct ManagerStatus {
    /// `Ok`, or why the manager could not be opened.
    pub status: Result<(), String>,
    /// The operations it supports, by name.
    pub capabilities: Vec<&'static str>,
    /// The hosts its plugin may reach.
    pub egress: Vec<String>,
}

struct Shared {
    runtime: Runtime,
    registry: PluginRegistry,
    home: PathBuf,
    cache_dir: PathBuf,
    slots: BTreeMap<String, Slot>,
    records: records::Records,
    metrics: crate::metrics::Metrics,
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
        let runtime = Runtime::new(RuntimeConfig { cache_dir: Some(cache_dir.clone()), ..RuntimeConfig::default() })?;
        let registry = PluginRegistry::new(config.plugins.dir.clone(), config.plugins.grants.clone());
        let managers = config.effective_managers();
        if let Some(default) = &config.default_manager {
            if !managers.contains_key(default) {
                return Err(KeywayError::Config {
                    message: format!("default_manager '{default}' is not among the managers"),
                });
            }
        }
        let slots = managers
            .iter()
            .map(|(name, manager)| (name.clone(), Slot { config: manager.clone(), manager: OnceCell::new() }))
            .collect();
        profiles::check_profiles(&config.profiles, &managers, config.catalog.enabled)?;
        for (name, manager) in &managers {
            if let Some(layout) = &manager.namespaces {
                layout.check().map_err(|problem| KeywayError::Config {
                    message: format!("managers.{name}.namespaces: {problem}"),
                })?;
            }
        }
        plugin_store::check_storage(&managers, config.catalog.enabled, &registry)?;
        let records = records::Records::new(&config.catalog, &home)?;
        let metrics = crate::metrics::Metrics::default();
        let shared = Arc::new(Shared { runtime, registry, home, cache_dir, slots, records, metrics });
        let scheduler = scheduler::SchedulerLease::default();
        let trail = match (config.audit.records, shared.records.setup()) {
            (false, _) => None,
            (true, None) => {
                return Err(KeywayError::Config {
                    message: "audit.records keeps audit records in keyway's records, which are disabled; set \
                              catalog.enabled: true or audit.records: false"
                        .into(),
                })
            }
            (true, Some(setup)) => Some(Box::new(
                audit_trail::RecordsTrail::new(setup, scheduler.node())
                    .map_err(|err| KeywayError::Config { message: format!("audit.records: {err}") })?,
            ) as Box<dyn keyway_resolve::SharedTrail>),
        };
        let auditor = Auditor::new(config.audit.file.as_deref(), trail).map_err(|err| KeywayError::Config {
            message: match &config.audit.file {
                Some(path) => format!("audit file {}: {err}", path.display()),
                None => format!("audit: {err}"),
            },
        })?;
        let mut builder = Resolver::builder().cache(config.cache.clone()).auditor(auditor).step_limits(config.resolve);
        if let Some(default) = &config.default_manager {
            builder = builder.default_manager(default.clone());
        }
        for (name, manager) in &managers {
            let options = ManagerOptions {
                access: manager.access.clone(),
                keys: manager.keys,
                cache: manager.cache.clone(),
                serve_expired: manager.serve_expired,
                namespaces: manager.namespaces.clone(),
            };
            let source: Arc<dyn SecretSource> = Arc::new(LazyManager { shared: shared.clone(), name: name.clone() });
            builder = builder.manager(name.clone(), source, options);
        }
        let resolver = builder.build().map_err(|err| KeywayError::Config { message: err.to_string() })?;
        Ok(Self {
            shared,
            resolver,
            fleet: fleet::Fleet::default(),
            source,
            audit_mode: config.audit.on_failure,
            serve: config.serve,
            default_manager: config.default_manager.clone(),
            profiles: config.profiles,
            sync: sync::SyncState::default(),
            scheduler,
        })
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

    /// The manager `name`, connecting to its plugin on first use. Not public: calls on it would skip the
    /// access check and the audit.
    pub(crate) async fn manager(&self, name: &str) -> Result<Arc<Manager>, KeywayError> {
        self.shared.manager(name).await
    }

    /// A manager's status for operators (connects it): no secret is read.
    pub async fn manager_status(&self, name: &str) -> Result<ManagerStatus, KeywayError> {
        self.shared.slot(name)?;
        Ok(match self.manager(name).await {
            Ok(manager) => ManagerStatus {
                status: Ok(()),
                capabilities: manager.capabilities().names(),
                egress: manager.connection().egress(),
            },
            Err(err) => ManagerStatus { status: Err(err.to_string()), capabilities: Vec::new(), egress: Vec::new() },
        })
    }

    /// Whether `identity` may use `manager` at all (its access rules admit the caller). No audit record:
    /// this tells no secret's existence.
    pub fn may_use(&self, identity: &Identity, manager: &str) -> bool {
        self.authorize_name(identity, manager, None).is_ok()
    }

    /// The largest value `manager` accepts, in bytes.
    pub fn max_value_bytes(&self, manager: &str) -> Result<usize, KeywayError> {
        let config = &self.shared.slot(manager)?.config;
        Ok(config.limits.max_value_kib.map_or(Limits::default().max_value_bytes, |kib| (kib as usize) << 10))
    }

    /// The `serve:` section of the configuration.
    pub fn serve_config(&self) -> &ServeConfig {
        &self.serve
    }

    /// The clients of the HTTP service (see [`ClientRegistry::from_config`]).
    pub fn clients(&self, token_env: Option<&str>) -> Result<ClientRegistry, KeywayError> {
        ClientRegistry::from_config(&self.serve, &self.shared.home, token_env)
    }

    /// Every plugin this configuration can use, built-in first, then those of `plugins.dir`, each loaded (from
    /// the compile cache when it can) or with the error that keeps it from loading. Plugins are code, not
    /// secrets: listing them calls no plugin and needs no access to any manager.
    pub fn plugin_listing(&self) -> Vec<(String, Result<Arc<Plugin>, KeywayError>)> {
        self.shared.registry.listing(&self.shared.runtime)
    }

    /// The masker holding every value this process resolved so far, to hide them in its own output (the
    /// CLI's `exec`). A long-running service masks each answer with that call's own values instead.
    pub fn masker(&self) -> &Masker {
        self.resolver.masker()
    }

    /// Resolves every placeholder in a flow step's configuration for `identity`.
    pub async fn resolve(&self, identity: &Identity, step: &serde_json::Value) -> Result<ResolvedStep, KeywayError> {
        let step =
            &*self.place_in_namespaces(identity, step).map_err(|error| self.failed(identity, "resolve", error))?;
        let span = resolution_span("resolve", identity);
        let resolved = tracing::Instrument::instrument(self.resolver.resolve(identity, step), span)
            .await
            .map_err(|error| self.failed(identity, "resolve", error.into()))?;
        self.confirm_audit().await?;
        Ok(resolved)
    }

    /// Resolves a step for a caller who sees it masked: the values never leave keyway, and only the values
    /// this call resolved are masked (masking cannot be used to test a guess against other secrets).
    pub async fn resolve_masked(
        &self,
        identity: &Identity,
        step: &serde_json::Value,
    ) -> Result<MaskedStep, KeywayError> {
        let step = &*self.place_in_namespaces(identity, step)?;
        let span = resolution_span("resolve", identity);
        let root = StepPath::root();
        let resolving = self.resolver.resolve_with(identity, &root, step, Disclosure::Masked);
        let resolved = tracing::Instrument::instrument(resolving, span).await?;
        self.confirm_audit().await?;
        let secrets = resolved.secrets();
        let (mut value, masker) = resolved.into_parts();
        mask_tree(&mut value, &masker);
        Ok(MaskedStep { value, secrets })
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
        if let Err(error) = self.check_namespace(identity, manager, name) {
            self.record_refusal(identity, "get", "denied", manager, name).await;
            return Err(error);
        }
        let span = resolution_span("get", identity);
        let secret = tracing::Instrument::instrument(self.resolver.get(identity, manager, name, selector), span)
            .await
            .map_err(|error| self.failed(identity, "get", error.into()))?;
        self.confirm_audit().await?;
        Ok(secret)
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
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "describe", manager, name);
        record.selector = selector.clone();
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let target = self.manager(manager).await?;
            target
                .describe(name, selector)
                .await
                .map_err(|source| KeywayError::Backend { manager: manager.into(), source })
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Creates a secret. A secret of a profile is synchronised to its copies after; when the profile's
    /// approval policy gates creation, nothing is written and [`KeywayError::PendingApproval`] names the
    /// request.
    pub async fn create(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, KeywayError> {
        self.create_via(identity, manager, name, value, options, Via::Caller).await
    }

    pub(crate) async fn create_via(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
        via: Via,
    ) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        self.check_value_size(manager, value)?;
        // keyway's records open before the backend is touched: a write they could not record is not made.
        self.shared.records.catalog().await?;
        let options = &self.typed_options(manager, value, options).await?;
        let bound = self.bound_for_write(identity, manager, name, via).await?;
        if via != Via::Sync {
            self.check_compliance(
                identity,
                manager,
                name,
                value,
                options.secret_type.as_deref(),
                &options.tags,
                options.expires_at,
            )
            .await?;
        }
        if let Some(policy) = self.gate(bound.as_ref(), GatedOperation::Create, via) {
            let change = ProposedChange {
                identity: identity.clone(),
                options: Some(options.clone()),
                update: None,
                mode: None,
                new_source: None,
            };
            let bound = bound.as_ref().ok_or_else(|| KeywayError::Catalog("a gated write lost its profile".into()))?;
            return Err(self
                .request_approval(identity, bound, policy, GatedOperation::Create, manager, name, Some(value), change)
                .await);
        }
        self.audit_intent(identity, "create", manager, name).await?;
        let perform = || async {
            let target = self.shared.connected(manager).await?;
            match target.create(name, value, options).await {
                // A backend without expiries or types: keyway keeps them in its records and applies them.
                Err(ProviderError::Unsupported(_)) if options.expires_at.is_some() || options.secret_type.is_some() => {
                    let plain = WriteOptions { expires_at: None, secret_type: None, ..options.clone() };
                    let mut written = target.create(name, value, &plain).await?;
                    written.expires_at = options.expires_at;
                    written.secret_type.clone_from(&options.secret_type);
                    Ok(written)
                }
                other => other,
            }
        };
        let written = self
            .write_announced(identity, manager, name, Operation::Create, perform)
            .await
            .map_err(|error| self.failed(identity, "create", error))?;
        self.record_written(identity, manager, value, &written).await?;
        self.confirm_write_audit().await?;
        if let Some(bound) = &bound {
            self.propagate(bound, name).await;
        }
        Ok(written)
    }

    /// Changes a secret. A secret of a profile is synchronised to its copies after; when the profile's
    /// approval policy gates updates, nothing is written and [`KeywayError::PendingApproval`] names the
    /// request.
    pub async fn update(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        request: &UpdateRequest,
    ) -> Result<SecretMetadata, KeywayError> {
        self.update_via(identity, manager, name, request, Via::Caller).await
    }

    pub(crate) async fn update_via(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        request: &UpdateRequest,
        via: Via,
    ) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        if let Some(value) = &request.value {
            self.check_value_size(manager, value)?;
        }
        self.shared.records.catalog().await?;
        let request = &self.typed_request(manager, name, request).await?;
        let bound = self.bound_for_write(identity, manager, name, via).await?;
        if let (Some(value), false) = (&request.value, via == Via::Sync) {
            self.check_update_compliance(identity, manager, name, value, request).await?;
        }
        if let Some(policy) = self.gate(bound.as_ref(), GatedOperation::Update, via) {
            let change = ProposedChange {
                identity: identity.clone(),
                options: None,
                update: Some(ProposedUpdate::of(request)),
                mode: None,
                new_source: None,
            };
            let bound = bound.as_ref().ok_or_else(|| KeywayError::Catalog("a gated write lost its profile".into()))?;
            let value = request.value.as_ref();
            return Err(self
                .request_approval(identity, bound, policy, GatedOperation::Update, manager, name, value, change)
                .await);
        }
        self.audit_intent(identity, "update", manager, name).await?;
        let perform = || async {
            let target = self.shared.connected(manager).await?;
            match target.update(name, request).await {
                // A backend without expiries: keyway keeps it in its records and applies it.
                Err(ProviderError::Unsupported(_)) if request.expires_at.is_some() => {
                    let plain = UpdateRequest { expires_at: None, ..request.clone() };
                    let mut written = target.update(name, &plain).await?;
                    written.expires_at = request.expires_at;
                    Ok(written)
                }
                other => other,
            }
        };
        let written = self
            .write_announced(identity, manager, name, Operation::Update, perform)
            .await
            .map_err(|error| self.failed(identity, "update", error))?;
        let mut written = written;
        if let Some(value) = &request.value {
            if written.secret_type.is_none() {
                written.secret_type = self.known_type(manager, name).await;
            }
            self.record_written(identity, manager, value, &written).await?;
        }
        self.confirm_write_audit().await?;
        if let Some(bound) = &bound {
            self.propagate(bound, name).await;
        }
        Ok(written)
    }

    /// Deletes a secret; returns when a recoverable deletion becomes permanent. A secret of a profile is
    /// deleted from its copies too; when the profile's approval policy gates deletion, nothing is deleted
    /// and [`KeywayError::PendingApproval`] names the request.
    pub async fn delete(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        mode: DeleteMode,
    ) -> Result<Option<Timestamp>, KeywayError> {
        self.delete_via(identity, manager, name, mode, Via::Caller).await
    }

    pub(crate) async fn delete_via(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        mode: DeleteMode,
        via: Via,
    ) -> Result<Option<Timestamp>, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let bound = self.bound_for_write(identity, manager, name, via).await?;
        if let Some(policy) = self.gate(bound.as_ref(), GatedOperation::Delete, via) {
            let change = ProposedChange {
                identity: identity.clone(),
                options: None,
                update: None,
                mode: Some(mode),
                new_source: None,
            };
            let bound = bound.as_ref().ok_or_else(|| KeywayError::Catalog("a gated write lost its profile".into()))?;
            return Err(self
                .request_approval(identity, bound, policy, GatedOperation::Delete, manager, name, None, change)
                .await);
        }
        self.audit_intent(identity, "delete", manager, name).await?;
        let perform = || async { self.shared.connected(manager).await?.delete(name, mode).await };
        let purge_at = self
            .write_announced(identity, manager, name, Operation::Delete, perform)
            .await
            .map_err(|error| self.failed(identity, "delete", error))?;
        self.confirm_write_audit().await?;
        if let Some(bound) = &bound {
            self.propagate(bound, name).await;
        }
        Ok(purge_at)
    }

    /// Recovers a deleted secret (and, for a secret of a profile, its copies).
    pub async fn restore(&self, identity: &Identity, manager: &str, name: &str) -> Result<SecretMetadata, KeywayError> {
        // Access is checked before the manager connects: a refused caller reaches no backend.
        self.shared.slot(manager)?;
        let bound = self.bound_for_write(identity, manager, name, Via::Caller).await?;
        self.audit_intent(identity, "restore", manager, name).await?;
        let perform = || async { self.shared.connected(manager).await?.restore(name).await };
        let restored = self
            .write_announced(identity, manager, name, Operation::Restore, perform)
            .await
            .map_err(|error| self.failed(identity, "restore", error))?;
        self.confirm_write_audit().await?;
        if let Some(bound) = &bound {
            self.propagate(bound, name).await;
        }
        Ok(restored)
    }

    /// The profile a write of `manager/name` concerns (none for keyway's own copies); a write to a copy is
    /// refused, naming its source.
    async fn bound_for_write(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        via: Via,
    ) -> Result<Option<profiles::Bound>, KeywayError> {
        if via == Via::Sync {
            return Ok(None);
        }
        // A caller who may not use the secret learns nothing of its profile.
        self.authorize_name(identity, manager, Some(name))?;
        let bound = self.bound(manager, name).await?;
        if let Some(copy) = bound.as_ref().filter(|bound| bound.is_copy) {
            return Err(KeywayError::InvalidInput(format!(
                "'{manager}/{name}' is a synchronised copy of '{}/{name}' (profile {}): write to the source and \
                 keyway copies it here",
                copy.source, copy.profile
            )));
        }
        Ok(bound)
    }

    /// Lists secrets' metadata; names the identity may not use are left out.
    pub async fn list(
        &self,
        identity: &Identity,
        manager: &str,
        request: &ListRequest,
    ) -> Result<ListPage, KeywayError> {
        self.shared.slot(manager)?;
        let record =
            AuditRecord::new(Arc::new(identity.clone()), "list", manager, request.prefix.as_deref().unwrap_or(""));
        let result = async {
            self.authorize_name(identity, manager, None)?;
            let target = self.manager(manager).await?;
            let mut page = target
                .list(request)
                .await
                .map_err(|source| KeywayError::Backend { manager: manager.into(), source })?;
            page.secrets.retain(|meta| self.authorize_name(identity, manager, Some(&meta.name)).is_ok());
            Ok(page)
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Lists a secret's versions.
    pub async fn versions(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
    ) -> Result<Vec<VersionInfo>, KeywayError> {
        self.shared.slot(manager)?;
        let record = AuditRecord::new(Arc::new(identity.clone()), "versions", manager, name);
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let target = self.manager(manager).await?;
            target.versions(name).await.map_err(|source| KeywayError::Backend { manager: manager.into(), source })
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// What the cache holds, for operators: the entries of secrets `identity` may read (names, versions,
    /// ages, expiry and hits, never values). Audited.
    pub async fn cache_entries(&self, identity: &Identity) -> Result<Vec<CachedSecretInfo>, KeywayError> {
        let entries: Vec<CachedSecretInfo> = self
            .resolver
            .cached_secrets()
            .into_iter()
            .filter(|entry| self.authorize_name(identity, &entry.manager, Some(&entry.name)).is_ok())
            .collect();
        let record = AuditRecord::new(Arc::new(identity.clone()), "cache-view", "", "");
        self.audit(record, &Ok::<(), KeywayError>(())).await?;
        Ok(entries)
    }

    /// Drops cache entries at once (revocation) and returns how many. `identity` must be allowed on what it
    /// clears: one secret, a manager, or every manager for the whole cache. Audited, refusals included.
    pub async fn clear_cache(&self, identity: &Identity, scope: CacheScope) -> Result<usize, KeywayError> {
        let (manager, name) = match &scope {
            CacheScope::All => ("", ""),
            CacheScope::Manager(manager) => (manager.as_str(), ""),
            CacheScope::Secret { manager, name } => (manager.as_str(), name.as_str()),
        };
        let record = AuditRecord::new(Arc::new(identity.clone()), "cache-clear", manager, name);
        let result = async {
            match &scope {
                CacheScope::All => {
                    for manager in self.manager_names() {
                        self.authorize_name(identity, manager, None)?;
                    }
                }
                CacheScope::Manager(manager) => {
                    self.shared.slot(manager)?;
                    self.authorize_name(identity, manager, None)?;
                }
                CacheScope::Secret { manager, name } => {
                    self.shared.slot(manager)?;
                    self.authorize_name(identity, manager, Some(name))?;
                }
            }
            let dropped = self.resolver.cached_secrets().iter().filter(|entry| in_scope(&scope, entry)).count();
            self.resolver.clear_cache(scope.clone()).await?;
            self.announce_cleared(&scope).await?;
            Ok(dropped)
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Records a call a front end refused before it reached keyway: a failed authentication
    /// (`unauthenticated`), an identity outside the client's scope (`out-of-scope`), a request refused at
    /// the door (`refused`). `operation` names what was asked (`authenticate`, `get`, `resolve`, …).
    pub async fn record_refusal(
        &self,
        identity: &Identity,
        operation: &'static str,
        outcome: &'static str,
        manager: &str,
        name: &str,
    ) {
        let mut record = AuditRecord::new(Arc::new(identity.clone()), operation, manager, name);
        record.outcome = outcome;
        self.resolver.auditor().record(record);
        // A refusal is answered as refused whether or not its record could be written.
        let _ = self.resolver.auditor().confirm().await;
    }

    /// Writes `record` with the outcome of `result`, and confirms it reached the audit file when audits
    /// fail closed.
    async fn audit<T>(&self, mut record: AuditRecord, result: &Result<T, KeywayError>) -> Result<(), KeywayError> {
        if let Err(error) = result {
            record.outcome = outcome_of(error);
        }
        self.resolver.auditor().record(record);
        self.confirm_audit().await
    }

    /// Fails when audits fail closed and the records so far could not be written.
    async fn confirm_audit(&self) -> Result<(), KeywayError> {
        if self.audit_mode == AuditFailureMode::Open {
            return Ok(());
        }
        self.resolver.auditor().confirm().await.map_err(|err| {
            tracing::error!(target: "keyway::audit", error = %err, "refusing a call that could not be audited");
            KeywayError::AuditUnavailable(format!(
                "the call was refused because its audit record could not be written ({err}); fix the audit file \
                 (audit.file) or keyway's records (audit.records), or set audit.on_failure: open"
            ))
        })
    }

    /// Before a write reaches a backend, when audits fail closed to a file: records that it starts (outcome
    /// `started`) and waits for that record to reach the file, so a write that cannot be audited never
    /// happens. Its outcome is recorded after it, as for every call.
    async fn audit_intent(
        &self,
        identity: &Identity,
        operation: &'static str,
        manager: &str,
        name: &str,
    ) -> Result<(), KeywayError> {
        let auditor = self.resolver.auditor();
        if self.audit_mode == AuditFailureMode::Open || !auditor.has_file() {
            return Ok(());
        }
        let mut record = AuditRecord::new(Arc::new(identity.clone()), operation, manager, name);
        record.outcome = "started";
        auditor.record(record);
        auditor.confirm().await.map_err(|err| {
            tracing::error!(target: "keyway::audit", error = %err, "refusing a write that could not be audited");
            KeywayError::AuditUnavailable(format!(
                "the write was refused because its audit record could not be written ({err}); fix the audit file \
                 (audit.file) or keyway's records (audit.records), or set audit.on_failure: open"
            ))
        })
    }

    /// After a write: like [`confirm_audit`](Self::confirm_audit), saying the change was made.
    async fn confirm_write_audit(&self) -> Result<(), KeywayError> {
        self.confirm_audit().await.map_err(|_| {
            KeywayError::AuditUnavailable(
                "the change was made, but its audit record could not be written; fix the audit file (audit.file in \
                 the configuration) before further calls"
                    .into(),
            )
        })
    }

    fn check_value_size(&self, manager: &str, value: &SecretValue) -> Result<(), KeywayError> {
        let limit = self.max_value_bytes(manager)?;
        let size = value.len();
        if size > limit {
            return Err(KeywayError::TooLarge { manager: manager.into(), size, limit });
        }
        Ok(())
    }

    /// keyway's metrics in the OpenMetrics text format (what `/metrics` serves); `extra` registers a front
    /// end's own metrics (such as the HTTP service's requests) beside them. Never a secret's name or value.
    /// Audited (`metrics`).
    pub async fn encode_metrics(
        &self,
        identity: &Identity,
        extra: impl FnOnce(&mut prometheus_client::registry::Registry),
    ) -> Result<String, KeywayError> {
        self.audit(AuditRecord::new(Arc::new(identity.clone()), "metrics", "", ""), &Ok::<(), KeywayError>(())).await?;
        let snapshot = crate::metrics::Snapshot {
            cache: self.resolver.cache_counts(),
            instances: self
                .shared
                .slots
                .iter()
                .filter_map(|(name, slot)| slot.manager.get().map(|manager| (name, manager)))
                .map(|(name, manager)| {
                    let connection = manager.connection();
                    (name.clone(), connection.busy_instances(), connection.idle_instances())
                })
                .collect(),
            audit: self.resolver.auditor().stats(),
        };
        let mut registry = prometheus_client::registry::Registry::default();
        self.shared.metrics.register(&mut registry, &snapshot);
        extra(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .map_err(|err| KeywayError::InvalidInput(format!("the metrics could not be encoded: {err}")))?;
        Ok(text)
    }

    /// The counters of keyway's own work (renewals, synchronisation, approvals).
    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        &self.shared.metrics
    }

    /// Flushes audit records to their file.
    pub fn flush(&self) {
        if let Err(err) = self.resolver.auditor().flush() {
            tracing::warn!(error = %err, "cannot flush the audit file");
        }
    }
}

impl Shared {
    /// The data directory of manager `name`: its `data_dir`, or `<home>/data/<name>`.
    fn data_dir(&self, name: &str, config: &ManagerConfig) -> PathBuf {
        config.data_dir.clone().unwrap_or_else(|| self.home.join("data").join(name))
    }

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
        plugin_store::storage_settings(name, config, plugin.manifest(), &mut settings)?;
        let mut auth = config.auth.clone();
        if let Some(auth) = auth.as_mut() {
            interpolate(auth, &format!("managers.{name}.auth"))?;
        }
        let credentials = credentials_for(name, auth.as_ref())?;
        let token_scopes = token_scopes(name, auth.as_ref())?;
        let defaults = Limits::default();
        let limits = Limits {
            call_timeout: config.limits.timeout_ms.map_or(defaults.call_timeout, Duration::from_millis),
            memory_bytes: config.limits.memory_mib.map_or(defaults.memory_bytes, |m| (m as usize) << 20),
            max_instances: config.limits.max_instances.unwrap_or(defaults.max_instances),
            max_value_bytes: config.limits.max_value_kib.map_or(defaults.max_value_bytes, |k| (k as usize) << 10),
            data_dir_bytes: config.limits.data_dir_mib.map_or(defaults.data_dir_bytes, |m| m << 20),
        };
        let data_dir = self.data_dir(name, config);
        self.check_data_dir(name, &data_dir)?;
        let (manifest_egress, granted_egress) = self.registry.egress_grant(name, &plugin)?;
        let ca_certificates = match &config.tls_ca_file {
            Some(path) => vec![std::fs::read(path).map_err(|err| KeywayError::Config {
                message: format!("managers.{name}.tls_ca_file: cannot read {}: {err}", path.display()),
            })?],
            None => Vec::new(),
        };
        let store = self.plugin_store(name, config, &limits).await?;
        let connection_config = ConnectionConfig {
            settings,
            egress: config.egress.iter().chain(&granted_egress).cloned().collect(),
            manifest_egress,
            token_scopes,
            data_dir: Some(data_dir),
            limits,
            credentials,
            ca_certificates,
            // A plugin whose manifest asks for storage gets a folder beside its data directory, unless the
            // manager keeps it in keyway's records.
            store,
        };
        let connection = self.runtime.connect(&plugin, name, connection_config).await?;
        let rules = ManagerRules {
            prefix: config.prefix.clone().unwrap_or_default(),
            default_tags: config.default_tags.clone(),
            read_only: config.read_only,
            visible: config.visible.clone(),
        };
        Ok(Arc::new(Manager::new(name, connection, rules).with_metrics(self.metrics.clone())))
    }
}

impl Shared {
    /// The store of `manager`'s plugin when the manager keeps it in keyway's records (`storage: records`),
    /// with the manager's limits; `None` otherwise (the runtime then grants a folder beside the data
    /// directory to a plugin whose manifest asks for a store).
    async fn plugin_store(
        &self,
        manager: &str,
        config: &ManagerConfig,
        limits: &Limits,
    ) -> Result<Option<keyway_runtime::PluginStore>, KeywayError> {
        if config.storage != Some(crate::config::StorageKind::Records) {
            return Ok(None);
        }
        let catalog = self.records.catalog().await?.ok_or_else(|| KeywayError::Config {
            message: format!(
                "managers.{manager}.storage: records needs keyway's records (`catalog:`), which are disabled"
            ),
        })?;
        let backend = plugin_store::RecordsStore::new(catalog.clone(), manager);
        let store = keyway_runtime::PluginStore::new(Arc::new(backend))
            .with_limits(limits.max_value_bytes as u64, limits.data_dir_bytes);
        Ok(Some(store))
    }

    /// Refuses a data directory that holds, or lies in, keyway's plugin cache: a plugin writing there could
    /// plant native code the host would run.
    fn check_data_dir(&self, manager: &str, data_dir: &Path) -> Result<(), KeywayError> {
        let absolute = |path: &Path| {
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                std::env::current_dir().unwrap_or_default().join(path)
            };
            // Resolve what exists (links included); keep the rest as written.
            let mut existing = path.clone();
            let mut rest = Vec::new();
            while !existing.exists() {
                match (existing.file_name().map(|name| name.to_owned()), existing.parent()) {
                    (Some(name), Some(parent)) => {
                        rest.push(name);
                        existing = parent.to_path_buf();
                    }
                    _ => break,
                }
            }
            let mut resolved = existing.canonicalize().unwrap_or(existing);
            resolved.extend(rest.iter().rev());
            resolved
        };
        let (data, cache) = (absolute(data_dir), absolute(&self.cache_dir));
        if cache.starts_with(&data) || data.starts_with(&cache) {
            return Err(KeywayError::Config {
                message: format!(
                    "managers.{manager}.data_dir {} overlaps the plugin cache {}: a plugin must never write where \
                     precompiled plugins are kept; choose another folder",
                    data_dir.display(),
                    self.cache_dir.display()
                ),
            });
        }
        Ok(())
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
        Box::pin(async move {
            let secret = self.connected().await?.get(name, selector).await?;
            let secret = self.shared.with_lifecycle(&self.name, secret).await;
            self.shared.observe(&self.name, &secret);
            Ok(secret)
        })
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

/// The audit outcome of a failed call.
/// The span of one resolution or read for a caller: its namespace, flow and step (never a secret's value).
fn resolution_span(operation: &'static str, identity: &Identity) -> tracing::Span {
    tracing::info_span!(
        target: "keyway::resolve",
        "resolution",
        operation,
        namespace = identity.namespace.as_deref(),
        flow = identity.flow.as_deref(),
        step = identity.step.as_deref(),
        client = identity.client.as_deref(),
    )
}

fn outcome_of(error: &KeywayError) -> &'static str {
    match error {
        KeywayError::Secret(error) => error.kind_name(),
        KeywayError::Resolve(error) => error.cause().kind_name(),
        KeywayError::Backend { source, .. } if source.kind() == keyway_types::ErrorKind::NotFound => "not-found",
        KeywayError::Backend { .. } => "backend-error",
        KeywayError::UnknownManager { .. } => "unknown-manager",
        KeywayError::OutOfScope(_) => "out-of-scope",
        KeywayError::TooLarge { .. } => "too-large",
        KeywayError::InvalidInput(_) => "invalid",
        KeywayError::Forbidden(_) => "denied",
        KeywayError::Conflict(_) => "conflict",
        _ => "error",
    }
}

fn in_scope(scope: &CacheScope, entry: &CachedSecretInfo) -> bool {
    match scope {
        CacheScope::Manager(manager) => &entry.manager == manager,
        CacheScope::Secret { manager, name } => &entry.manager == manager && &entry.name == name,
        CacheScope::All => true,
    }
}

/// Replaces every value `masker` holds in the string leaves of `tree` with `******`, wiping the strings it
/// replaces.
pub fn mask_tree(tree: &mut serde_json::Value, masker: &Masker) {
    match tree {
        serde_json::Value::String(text) => {
            let masked = masker.mask(text);
            if masked != *text {
                zeroize::Zeroize::zeroize(text);
                *text = masked;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| mask_tree(item, masker)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|value| mask_tree(value, masker)),
        _ => {}
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
