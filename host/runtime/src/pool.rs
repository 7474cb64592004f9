//! The pool of warm instances behind one connection.
//!
//! A call takes an idle instance (its provider resource already opened) or,
//! when all are busy, creates a new one up to the connection's limit, so
//! concurrent calls do not queue behind each other. A healthy instance goes
//! back to the pool after the call; one that trapped or overran its deadline
//! is dropped, and with it everything the guest held. Without reuse
//! ([`crate::RuntimeConfig::reuse_instances`]), every call gets a fresh
//! instance and drops it afterwards.

use crate::bindings::{error_from_wit, SecretProvider};
use crate::egress::{EgressHooks, EgressPolicy};
use crate::error::CallError;
use crate::plugin::Plugin;
use crate::redact::Redactor;
use crate::sandbox::{HostState, SandboxGrant};
use keyway_types::CredentialProvider;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store};

/// One live instance with its opened `connection` resource.
pub struct Instance {
    pub(crate) store: Store<HostState>,
    pub(crate) bindings: SecretProvider,
    pub(crate) handle: ResourceAny,
}

/// Creates instances for one manager.
pub(crate) struct InstanceFactory {
    pub plugin: Arc<Plugin>,
    pub engine: Engine,
    pub http: reqwest::Client,
    pub policy: Arc<EgressPolicy>,
    pub data_dir: Option<PathBuf>,
    pub memory_bytes: usize,
    pub credentials: Arc<dyn CredentialProvider>,
    pub manager: Arc<str>,
    pub settings_json: String,
    pub redactor: Redactor,
    pub grant: Arc<crate::sandbox::CredentialGrant>,
    pub open_timeout: Duration,
    pub store: Option<crate::store::PluginStore>,
}

impl InstanceFactory {
    fn instantiate_error(&self, reason: String) -> CallError {
        CallError::Instantiate { plugin: self.plugin.name().into(), reason }
    }

    /// Instantiates the plugin in a fresh sandbox and opens the manager's connection resource.
    pub async fn create(&self) -> Result<Instance, CallError> {
        let grant = SandboxGrant {
            manager: self.manager.clone(),
            plugin: Arc::from(self.plugin.name()),
            data_dir: self.data_dir.as_deref(),
            memory_bytes: self.memory_bytes,
            hooks: EgressHooks::new(self.policy.clone(), self.http.clone(), self.manager.clone()),
            credentials: self.credentials.clone(),
            redactor: self.redactor.clone(),
            grant: self.grant.clone(),
            store: self.store.clone(),
        };
        let state = HostState::new(grant).map_err(|reason| self.instantiate_error(reason))?;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        let open = async {
            let bindings = self.plugin.pre.instantiate_async(&mut store).await?;
            let opened =
                bindings.keyway_provider_provider().connection().call_open(&mut store, &self.settings_json).await?;
            wasmtime::Result::Ok((bindings, opened))
        };
        let (bindings, opened) = match tokio::time::timeout(self.open_timeout, open).await {
            Ok(Ok(done)) => done,
            Ok(Err(err)) => return Err(self.instantiate_error(crate::connection::describe_trap(&err))),
            Err(_) => {
                return Err(self.instantiate_error(format!(
                    "opening the connection took longer than {} ms",
                    self.open_timeout.as_millis()
                )))
            }
        };
        let handle = opened.map_err(|err| {
            let error = error_from_wit(self.redactor.error(err));
            CallError::Provider(crate::data_dir::with_real_data_dir(error, self.data_dir.as_deref()))
        })?;
        Ok(Instance { store, bindings, handle })
    }
}

/// Idle instances of one connection, and the limit on how many may exist.
pub(crate) struct InstancePool {
    idle: Mutex<Vec<Instance>>,
    pub slots: tokio::sync::Semaphore,
    pub factory: InstanceFactory,
    reuse: bool,
}

impl InstancePool {
    pub fn new(factory: InstanceFactory, max_instances: u32, reuse: bool) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            slots: tokio::sync::Semaphore::new(max_instances.max(1) as usize),
            factory,
            reuse,
        }
    }

    /// An idle instance, or a new one.
    pub async fn take(&self) -> Result<Instance, CallError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(instance) => Ok(instance),
            None => self.factory.create().await,
        }
    }

    /// Returns a healthy instance for reuse (or drops it when instances are not reused).
    pub fn put(&self, instance: Instance) {
        if !self.reuse {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(instance);
        }
    }

    /// How many instances are idle.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().map(|idle| idle.len()).unwrap_or(0)
    }
}
