//! A manager's connection to its plugin: validated settings, sandbox grants,
//! limits, and the async calls of the contract.

use crate::bindings::{self, *};
use crate::egress::EgressPolicy;
use crate::error::{CallError, RuntimeError};
use crate::plugin::Plugin;
use crate::pool::{Instance, InstanceFactory, InstancePool};
use crate::redact::Redactor;
use crate::runtime::Runtime;
use crate::sandbox::LogBudget;
use keyway_types::{
    BoxFuture, Capabilities, CredentialProvider, DeleteMode, ListPage, ListRequest, NoCredentials, Operation,
    ProviderError, Secret, SecretMetadata, SecretValue, Timestamp, UpdateRequest, VersionInfo, VersionSelector,
    WriteOptions,
};
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

/// How often a connection measures its data directory when no write asks for it.
const QUOTA_CHECK_EVERY: Duration = Duration::from_secs(1);

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
            .finish_non_exhaustive()
    }
}

/// A manager's live connection to its plugin. Cheap to clone; calls run concurrently.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    manager: String,
    plugin: Arc<Plugin>,
    pool: InstancePool,
    capabilities: Capabilities,
    limits: Limits,
    egress: Arc<EgressPolicy>,
    write_lock: Option<tokio::sync::Mutex<()>>,
    /// For plugins that serialize writes and keep files: a lock file beside the data directory, held while
    /// a write runs, so writers in several processes take turns too.
    process_lock: Option<PathBuf>,
    quota: Option<DataQuota>,
}

/// The data directory's quota: measured after writes and at most every [`QUOTA_CHECK_EVERY`] otherwise.
struct DataQuota {
    dir: PathBuf,
    limit: u64,
    last: std::sync::Mutex<Option<std::time::Instant>>,
    over: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("manager", &self.inner.manager)
            .field("plugin", &self.inner.plugin.name())
            .finish_non_exhaustive()
    }
}

type CallFn<T> = dyn for<'a> FnOnce(&'a mut Instance) -> BoxFuture<'a, wasmtime::Result<T>> + Send;

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

impl Connection {
    /// The manager's name.
    pub fn manager(&self) -> &str {
        &self.inner.manager
    }

    /// The plugin serving it.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.inner.plugin
    }

    /// What the plugin declared it supports.
    pub fn capabilities(&self) -> Capabilities {
        self.inner.capabilities
    }

    /// The hosts the plugin may reach.
    pub fn egress(&self) -> Vec<String> {
        self.inner.egress.patterns()
    }

    /// How many warm instances are idle.
    pub fn idle_instances(&self) -> usize {
        self.inner.pool.idle_count()
    }

    /// How many calls are running on instances now.
    pub fn busy_instances(&self) -> usize {
        (self.inner.limits.max_instances.max(1) as usize).saturating_sub(self.inner.pool.slots.available_permits())
    }

    /// Reads a secret.
    pub async fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret, CallError> {
        self.require(Operation::Get)?;
        let (name, selector) = (name.to_owned(), selector_to_wit(selector));
        let result = self
            .call(
                "get",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_get(store, h, &name, &selector).await
                    })
                }),
            )
            .await?;
        let secret = secret_from_wit(result.map_err(|e| self.plugin_error(e))?);
        self.check_size("get", &secret.value)?;
        Ok(secret)
    }

    /// Reads several secrets' latest versions in one call; one result per name.
    pub async fn get_many(&self, names: &[String]) -> Result<Vec<Result<Secret, ProviderError>>, CallError> {
        self.require(Operation::Get)?;
        let names = names.to_vec();
        let results = self
            .call(
                "get-many",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_get_many(store, h, &names).await
                    })
                }),
            )
            .await?;
        let results: Vec<Result<Secret, bindings::types::ProviderError>> =
            results.into_iter().map(|result| result.map(secret_from_wit)).collect();
        for secret in results.iter().flatten() {
            self.check_size("get-many", &secret.value)?;
        }
        // A failure must not carry a value another name of the same call returned.
        let redactor =
            self.inner.pool.factory.redactor.with_values(results.iter().flatten().map(|secret| &secret.value));
        Ok(results.into_iter().map(|result| result.map_err(|e| self.plugin_error_with(&redactor, e))).collect())
    }

    /// Reads metadata only (the cheap version probe when the plugin declares `probe`).
    pub async fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata, CallError> {
        self.require(Operation::Describe)?;
        let (name, selector) = (name.to_owned(), selector_to_wit(selector));
        let result = self
            .call(
                "describe",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_describe(store, h, &name, &selector).await
                    })
                }),
            )
            .await?;
        Ok(metadata_from_wit(result.map_err(|e| self.plugin_error(e))?))
    }

    /// Creates a secret.
    pub async fn create(
        &self,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, CallError> {
        self.require(Operation::Create)?;
        self.check_size("create", value)?;
        self.refuse_over_quota("create")?;
        let _write = self.write_guard().await?;
        let redactor = self.inner.pool.factory.redactor.with_values([value]);
        let (name, value, options) = (name.to_owned(), value_to_wit(value), write_options_to_wit(options));
        let result = self
            .call_redacting(
                "create",
                Some(&redactor),
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_create(store, h, &name, &value, &options).await
                    })
                }),
            )
            .await?;
        Ok(metadata_from_wit(result.map_err(|e| self.plugin_error_with(&redactor, e))?))
    }

    /// Changes a secret's value and/or attributes.
    pub async fn update(&self, name: &str, request: &UpdateRequest) -> Result<SecretMetadata, CallError> {
        self.require(Operation::Update)?;
        if let Some(value) = &request.value {
            self.check_size("update", value)?;
            self.refuse_over_quota("update")?;
        }
        let _write = self.write_guard().await?;
        let redactor = self.inner.pool.factory.redactor.with_values(request.value.as_ref());
        let (name, request) = (name.to_owned(), update_to_wit(request));
        let result = self
            .call_redacting(
                "update",
                Some(&redactor),
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_update(store, h, &name, &request).await
                    })
                }),
            )
            .await?;
        Ok(metadata_from_wit(result.map_err(|e| self.plugin_error_with(&redactor, e))?))
    }

    /// Deletes a secret; returns when a recoverable deletion becomes permanent.
    pub async fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, CallError> {
        self.require(Operation::Delete)?;
        if matches!(mode, DeleteMode::Recoverable(_)) && !self.inner.capabilities.delete_with_recovery {
            return Err(ProviderError::Unsupported(format!(
                "manager '{}' cannot delete recoverably; delete with force to remove the secret for good",
                self.inner.manager
            ))
            .into());
        }
        let _write = self.write_guard().await?;
        let (name, mode) = (name.to_owned(), delete_mode_to_wit(mode));
        let result = self
            .call(
                "delete",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_delete(store, h, &name, mode).await
                    })
                }),
            )
            .await?;
        Ok(result.map_err(|e| self.plugin_error(e))?)
    }

    /// Recovers a deleted secret.
    pub async fn restore(&self, name: &str) -> Result<SecretMetadata, CallError> {
        self.require(Operation::Restore)?;
        let _write = self.write_guard().await?;
        let name = name.to_owned();
        let result = self
            .call(
                "restore",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_restore(store, h, &name).await
                    })
                }),
            )
            .await?;
        Ok(metadata_from_wit(result.map_err(|e| self.plugin_error(e))?))
    }

    /// Lists secrets' metadata, one page.
    pub async fn list(&self, request: &ListRequest) -> Result<ListPage, CallError> {
        self.require(Operation::List)?;
        let request = list_request_to_wit(request);
        let result = self
            .call(
                "list",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_list(store, h, &request).await
                    })
                }),
            )
            .await?;
        let page = list_page_from_wit(result.map_err(|e| self.plugin_error(e))?);
        if page.secrets.len() > MAX_PAGE_ITEMS {
            return Err(CallError::ResourceLimit {
                plugin: self.inner.plugin.name().into(),
                operation: "list".into(),
                limit: format!("a page of {} secrets is more than {MAX_PAGE_ITEMS}", page.secrets.len()),
            });
        }
        Ok(page)
    }

    /// Lists a secret's versions, newest first.
    pub async fn versions(&self, name: &str) -> Result<Vec<VersionInfo>, CallError> {
        self.require(Operation::Versions)?;
        let name = name.to_owned();
        let result = self
            .call(
                "versions",
                Box::new(move |i| {
                    Box::pin(async move {
                        let (c, store, h) = parts(i);
                        c.call_versions(store, h, &name).await
                    })
                }),
            )
            .await?;
        Ok(result.map_err(|e| self.plugin_error(e))?.into_iter().map(version_from_wit).collect())
    }

    /// A plugin's contract error, with the manager's secret settings redacted from its message.
    fn plugin_error(&self, error: bindings::types::ProviderError) -> ProviderError {
        self.plugin_error_with(&self.inner.pool.factory.redactor, error)
    }

    /// A plugin's contract error, with the manager's secret settings and this call's values redacted, and
    /// the sandbox's `/data` named as the real folder it is, so the operator can find the file.
    fn plugin_error_with(&self, redactor: &Redactor, error: bindings::types::ProviderError) -> ProviderError {
        with_real_data_dir(error_from_wit(redactor.error(error)), self.inner.pool.factory.data_dir.as_deref())
    }

    /// Refuses a write while the data directory is over its quota.
    fn refuse_over_quota(&self, operation: &str) -> Result<(), CallError> {
        match &self.inner.quota {
            Some(quota) if quota.over.load(std::sync::atomic::Ordering::Acquire) => Err(CallError::ResourceLimit {
                plugin: self.inner.plugin.name().into(),
                operation: operation.into(),
                limit: format!(
                    "the data directory {} holds more than its quota of {} MiB; delete secrets or raise \
                         limits.data_dir_mib",
                    quota.dir.display(),
                    quota.limit >> 20
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Measures the data directory after a write, or when the last measure is older than
    /// [`QUOTA_CHECK_EVERY`]; the limit it is over, when it crossed it.
    fn measure_quota(&self, operation: &str) -> Option<String> {
        let quota = self.inner.quota.as_ref()?;
        let write = matches!(operation, "create" | "update" | "delete" | "restore");
        {
            let mut last = quota.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !write && last.is_some_and(|at| at.elapsed() < QUOTA_CHECK_EVERY) {
                return None;
            }
            *last = Some(std::time::Instant::now());
        }
        let size = directory_size(&quota.dir, quota.limit.saturating_add(1));
        let over = size > quota.limit;
        let was_over = quota.over.swap(over, std::sync::atomic::Ordering::AcqRel);
        if over && !was_over {
            tracing::warn!(manager = %self.inner.manager, dir = %quota.dir.display(), limit_mib = quota.limit >> 20, "the plugin's data directory is over its quota; writes are refused");
            return Some(format!("data directory quota of {} MiB", quota.limit >> 20));
        }
        None
    }

    fn require(&self, operation: Operation) -> Result<(), CallError> {
        if self.inner.capabilities.allows(operation) {
            Ok(())
        } else {
            Err(ProviderError::Unsupported(format!(
                "manager '{}' (plugin '{}') does not support '{operation}'",
                self.inner.manager,
                self.inner.plugin.name()
            ))
            .into())
        }
    }

    fn check_size(&self, operation: &str, value: &SecretValue) -> Result<(), CallError> {
        let max = self.inner.limits.max_value_bytes;
        if value.len() > max {
            return Err(CallError::ResourceLimit {
                plugin: self.inner.plugin.name().into(),
                operation: operation.into(),
                limit: format!("a secret value of {} bytes is larger than the limit of {max} bytes", value.len()),
            });
        }
        Ok(())
    }

    /// Takes this manager's turn to write, when its plugin serializes writes: within this process, then
    /// across processes (an exclusive `flock` on the lock file beside the data directory), within the call
    /// deadline.
    async fn write_guard(&self) -> Result<WriteGuard<'_>, CallError> {
        let local = match &self.inner.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let file = match &self.inner.process_lock {
            None => None,
            Some(path) => {
                let path = path.clone();
                let waited = tokio::time::timeout(
                    self.inner.limits.call_timeout,
                    tokio::task::spawn_blocking(move || lock_exclusively(&path)),
                )
                .await;
                let failed =
                    |reason: String| CallError::Instantiate { plugin: self.inner.plugin.name().into(), reason };
                match waited {
                    Ok(Ok(Ok(file))) => Some(file),
                    Ok(Ok(Err(err))) => {
                        return Err(failed(format!("cannot lock the data directory for writing: {err}")))
                    }
                    Ok(Err(_)) => return Err(failed("the write lock's task failed".into())),
                    Err(_) => {
                        return Err(CallError::Deadline {
                            plugin: self.inner.plugin.name().into(),
                            operation: "write lock".into(),
                            limit_ms: self.inner.limits.call_timeout.as_millis() as u64,
                        })
                    }
                }
            }
        };
        Ok(WriteGuard { _local: local, _file: file })
    }

    /// Runs one call on a pooled instance under the deadline; discards the instance on failure.
    async fn call<T: Send>(&self, operation: &'static str, f: Box<CallFn<T>>) -> Result<T, CallError> {
        self.call_redacting(operation, None, f).await
    }

    /// [`call`](Self::call) with `redactor` (the manager's secrets plus this call's values) applied to what
    /// the plugin logs during the call.
    async fn call_redacting<T: Send>(
        &self,
        operation: &'static str,
        redactor: Option<&Redactor>,
        f: Box<CallFn<T>>,
    ) -> Result<T, CallError> {
        let inner = &self.inner;
        let _slot = inner.pool.slots.acquire().await.map_err(|_| CallError::Instantiate {
            plugin: inner.plugin.name().into(),
            reason: "the connection is closed".into(),
        })?;
        let mut instance = inner.pool.take().await?;
        instance.store.data_mut().log = LogBudget::default();
        if let Some(redactor) = redactor {
            instance.store.data_mut().redactor = redactor.clone();
        }
        let outcome = tokio::time::timeout(inner.limits.call_timeout, f(&mut instance)).await;
        let plugin = inner.plugin.name().to_owned();
        match outcome {
            Ok(Ok(value)) => {
                let dropped = instance.store.data().log.dropped;
                if dropped > 0 {
                    tracing::warn!(manager = %inner.manager, %plugin, operation, dropped, "plugin exceeded its log budget; lines dropped");
                }
                if redactor.is_some() {
                    instance.store.data_mut().redactor = inner.pool.factory.redactor.clone();
                }
                if let Some(limit) = self.measure_quota(operation) {
                    // The plugin filled its data directory in this call: its instance goes.
                    return Err(CallError::ResourceLimit { plugin, operation: operation.into(), limit });
                }
                inner.pool.put(instance);
                Ok(value)
            }
            Ok(Err(err)) => {
                let reason = describe_trap(&err);
                tracing::warn!(manager = %inner.manager, %plugin, operation, %reason, "plugin call failed; instance discarded");
                if let Some(limit) = instance.store.data().exceeded_limit(inner.pool.factory.memory_bytes) {
                    return Err(CallError::ResourceLimit { plugin, operation: operation.into(), limit });
                }
                Err(CallError::Crashed { plugin, operation: operation.into(), reason })
            }
            Err(_) => {
                tracing::warn!(manager = %inner.manager, %plugin, operation, "plugin call overran its deadline; instance discarded");
                Err(CallError::Deadline {
                    plugin,
                    operation: operation.into(),
                    limit_ms: inner.limits.call_timeout.as_millis() as u64,
                })
            }
        }
    }
}

/// Splits an instance into its exported `connection` functions, its store and its resource handle.
fn parts(
    instance: &mut Instance,
) -> (
    bindings::exports::keyway::provider::provider::GuestConnection<'_>,
    &mut wasmtime::Store<crate::sandbox::HostState>,
    wasmtime::component::ResourceAny,
) {
    let Instance { store, bindings, handle } = instance;
    (bindings::ProviderExports::connection(bindings.keyway_provider_provider()), store, *handle)
}

/// A one-line description of a trap or host error, without guest data: the trap
/// code, or else the root cause (the outer layers are wasm backtraces).
pub(crate) fn describe_trap(err: &wasmtime::Error) -> String {
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        return trap.to_string();
    }
    let text = err.root_cause().to_string();
    text.lines().next().unwrap_or("unknown failure").chars().take(300).collect()
}

/// A plugin's error with the sandbox's `/data` named as the real folder `data_dir` it is, so the operator can
/// find the file.
pub(crate) fn with_real_data_dir(error: ProviderError, data_dir: Option<&std::path::Path>) -> ProviderError {
    let Some(dir) = data_dir else {
        return error;
    };
    error.map_message(|message| {
        let real = dir.display().to_string();
        if message.contains("/data/") || message.ends_with("/data") || message.contains("/data:") {
            message.replace("/data/", &format!("{real}/")).replace(" /data", &format!(" {real}"))
        } else {
            message
        }
    })
}

/// A turn to write: the in-process lock and the lock file, released when dropped.
struct WriteGuard<'a> {
    _local: Option<tokio::sync::MutexGuard<'a, ()>>,
    _file: Option<std::fs::File>,
}

/// The lock file that serializes the writes of every process to the data directory `data_dir`: the
/// directory's path with `.lock` appended, beside it (out of the plugin's reach).
pub fn write_lock_path(data_dir: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", data_dir.display()))
}

/// Takes the write lock of the data directory `data_dir` as plugin writes do, waiting for the process that
/// holds it: for host-side maintenance of a store (a re-key) while plugins in other processes use it.
/// Released when the returned file is dropped.
pub fn lock_data_dir(data_dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    lock_exclusively(&write_lock_path(data_dir))
}

/// Opens (creating, 0600) and exclusively locks `path`, waiting for other holders.
fn lock_exclusively(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(file)
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

/// The bytes of the regular files under `dir` (links not followed), counted until `stop`.
fn directory_size(dir: &std::path::Path, stop: u64) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![(dir.to_path_buf(), 0u32)];
    while let Some((folder, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.is_dir() && depth < 16 {
                pending.push((entry.path(), depth + 1));
            } else if metadata.is_file() {
                total = total.saturating_add(metadata.len());
            }
            if total >= stop {
                return total;
            }
        }
    }
    total
}

/// Makes files 0600 and folders 0700 under `dir`, `depth` levels deep.
fn tighten_permissions(dir: &std::path::Path, depth: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                if depth > 0 {
                    tighten_permissions(&path, depth - 1)?;
                }
            } else if kind.is_file() && entry.metadata()?.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, depth);
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
