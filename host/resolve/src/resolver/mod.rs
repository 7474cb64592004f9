//! The resolver: managers, the shared cache, access rules, audit and masking behind one handle.

mod builder;
mod lookup;
mod resolved;
mod step;

pub use builder::{BuildError, ResolverBuilder};
pub use resolved::ResolvedStep;

use crate::access::{AccessRules, Identity};
use crate::audit::{AuditRecord, Auditor};
use crate::cache::{CachedSecretInfo, SecretCache};
use crate::error::SecretError;
use crate::fields::SharedSecret;
use crate::manager::KeyRule;
use crate::mask::Masker;
use crate::path::StepPath;
use crate::placeholder::{KeySpec, SecretRef};
use keyway_types::{Operation, ProviderError, SecretMetadata, Timestamp, VersionSelector};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// Resolves placeholders and serves flow-node calls for every configured manager, through one shared
/// cache, checking each caller's access and auditing every call. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    managers: HashMap<String, ManagerRules>,
    default_manager: Option<String>,
    cache: Arc<SecretCache>,
    auditor: Auditor,
    masker: Masker,
}

struct ManagerRules {
    access: AccessRules,
    keys: KeyRule,
}

/// Which cache entries to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheScope {
    /// Every entry.
    All,
    /// Every entry of one manager.
    Manager(String),
    /// Every entry of one secret, whatever the version selector.
    Secret {
        /// The manager.
        manager: String,
        /// The secret's name.
        name: String,
    },
}

impl CacheScope {
    /// The scope a CLI argument names: none for everything, `MANAGER`, or `MANAGER/NAME`.
    pub fn from_arg(argument: Option<&str>) -> Self {
        match argument.map(|arg| arg.split_once('/').map_or((arg, None), |(m, n)| (m, Some(n)))) {
            None => Self::All,
            Some((manager, None)) => Self::Manager(manager.to_owned()),
            Some((manager, Some(name))) => Self::Secret { manager: manager.to_owned(), name: name.to_owned() },
        }
    }
}

/// What a write returned, for its audit record.
pub trait WriteResult {
    /// The version written, when the backend reports one.
    fn written_version(&self) -> Option<&str>;
}

impl WriteResult for SecretMetadata {
    fn written_version(&self) -> Option<&str> {
        self.version_id.as_deref()
    }
}

impl WriteResult for Option<Timestamp> {
    fn written_version(&self) -> Option<&str> {
        None
    }
}

impl WriteResult for () {
    fn written_version(&self) -> Option<&str> {
        None
    }
}

impl Resolver {
    /// Starts configuring a resolver.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder::default()
    }

    /// Resolves every placeholder in `step` for `identity`. Errors name paths from the root of `step`.
    pub async fn resolve(&self, identity: &Identity, step: &Value) -> Result<ResolvedStep, crate::ResolveError> {
        self.resolve_at(identity, &StepPath::root(), step).await
    }

    /// Like [`resolve`](Self::resolve), for a step found at `base` in a larger document (paths in errors
    /// start with `base`, as in `steps[2].headers.Authorization`).
    pub async fn resolve_at(
        &self,
        identity: &Identity,
        base: &StepPath,
        step: &Value,
    ) -> Result<ResolvedStep, crate::ResolveError> {
        step::resolve(self, identity, base, step).await
    }

    /// Reads one secret for a flow node: the value and its metadata, through the cache, checked and audited.
    /// Text values are registered for masking.
    pub async fn get(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Arc<SharedSecret>, SecretError> {
        let reference = SecretRef {
            manager: Some(manager.to_owned()),
            path: name.to_owned(),
            key: KeySpec::None,
            selector: selector.clone(),
        };
        let found = self.lookup(&Arc::new(identity.clone()), manager, &reference, "get", None).await?;
        if let Some(text) = found.shared.value().expose_text() {
            self.inner.masker.register(text);
        }
        Ok(found.shared)
    }

    /// Checks that `identity` may use `manager` and, when given, the secret `name` on it. No backend call.
    pub fn authorize(&self, identity: &Identity, manager: &str, name: Option<&str>) -> Result<(), SecretError> {
        let rules = self.rules(manager)?;
        let denied =
            |reason| SecretError::Denied { manager: manager.to_owned(), name: name.unwrap_or("*").to_owned(), reason };
        rules.access.check_caller(identity).map_err(denied)?;
        name.map_or(Ok(()), |name| rules.access.check_name(name)).map_err(denied)
    }

    /// Performs a write (`create`, `update`, `delete`, `restore`) of secret `name` on `manager` for
    /// `identity`: checks access first (a refused call never runs `perform`), then runs `perform`, drops the
    /// secret's cache entries (whatever the outcome, as a failed write may have half-happened) and audits it.
    pub async fn write<T, F, Fut>(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        operation: Operation,
        perform: F,
    ) -> Result<T, SecretError>
    where
        T: WriteResult,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut record = AuditRecord::new(Arc::new(identity.clone()), operation_name(operation), manager, name);
        if let Err(error) = self.authorize(identity, manager, Some(name)) {
            record.outcome = error.kind_name();
            self.inner.auditor.record(record);
            return Err(error);
        }
        let result = perform().await;
        self.clear_cache(CacheScope::Secret { manager: manager.to_owned(), name: name.to_owned() }).await?;
        let result = result.map_err(|error| backend_error(manager, name, error));
        match &result {
            Ok(written) => record.version = written.written_version().map(str::to_owned),
            Err(error) => record.outcome = error.kind_name(),
        }
        self.inner.auditor.record(record);
        result
    }

    /// What the cache holds, for operators: names, versions, ages, expiry and hit counts, never values.
    pub fn cached_secrets(&self) -> Vec<CachedSecretInfo> {
        self.inner.cache.list()
    }

    /// Drops cache entries at once (revocation); their values are zeroized.
    pub async fn clear_cache(&self, scope: CacheScope) -> Result<(), SecretError> {
        let unknown = |manager: &str| SecretError::UnknownManager { manager: manager.to_owned() };
        match &scope {
            CacheScope::All => self.inner.cache.clear_all().await,
            CacheScope::Manager(manager) => {
                self.inner.cache.manager(manager).ok_or_else(|| unknown(manager))?.clear().await;
            }
            CacheScope::Secret { manager, name } => {
                self.inner.cache.manager(manager).ok_or_else(|| unknown(manager))?.clear_name(name).await;
            }
        }
        tracing::info!(target: "keyway::audit", scope = ?scope, "cache cleared");
        Ok(())
    }

    /// The masker holding every value resolved so far.
    pub fn masker(&self) -> &Masker {
        &self.inner.masker
    }

    /// The audit writer, to flush it before shutdown.
    pub fn auditor(&self) -> &Auditor {
        &self.inner.auditor
    }

    /// The configured default manager.
    pub fn default_manager(&self) -> Option<&str> {
        self.inner.default_manager.as_deref()
    }

    fn rules(&self, manager: &str) -> Result<&ManagerRules, SecretError> {
        self.inner.managers.get(manager).ok_or_else(|| SecretError::UnknownManager { manager: manager.to_owned() })
    }
}

fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Get => "get",
        Operation::Describe => "describe",
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
        Operation::Restore => "restore",
        Operation::List => "list",
        Operation::Versions => "versions",
    }
}

fn backend_error(manager: &str, name: &str, error: ProviderError) -> SecretError {
    match error {
        ProviderError::NotFound(_) => {
            SecretError::NotFound { manager: manager.to_owned(), names: vec![format!("'{name}'")] }
        }
        error => SecretError::Backend { manager: manager.to_owned(), name: name.to_owned(), error },
    }
}
