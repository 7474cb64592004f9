//! The resolver: managers, the shared cache, access rules, audit and masking behind one handle.

mod builder;
mod front;
mod get;
mod lookup;
mod output;
mod resolved;
mod step;
mod sweep;
mod walk;

pub use builder::{BuildError, ResolverBuilder};
pub use resolved::ResolvedStep;

use crate::access::{AccessRules, Identity};
use crate::audit::{AuditRecord, Auditor};
use crate::cache::{CachedSecretInfo, ManagerCache, SecretCache};
use crate::error::SecretError;
use crate::manager::KeyRule;
use crate::mask::Masker;
use crate::path::StepPath;
use front::Front;
use keyway_types::{Operation, ProviderError, SecretMetadata, Timestamp};
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
    managers: Managers,
    cache: Arc<SecretCache>,
    front: Front,
    auditor: Auditor,
    masker: Masker,
    limits: crate::limits::StepLimits,
}

/// One configured manager: its name, rules and cache.
pub(crate) struct Manager {
    pub name: Arc<str>,
    pub access: AccessRules,
    pub keys: KeyRule,
    pub cache: ManagerCache,
    /// Serve secrets past their expiry (for backends that rotate late).
    pub serve_expired: bool,
    /// Secrets kept by namespace (Kestra).
    pub namespaces: Option<crate::manager::NamespaceLayout>,
}

/// The configured managers, by index (plans refer to them so) and by name.
pub(crate) struct Managers {
    list: Vec<Manager>,
    by_name: HashMap<String, usize>,
    default: Option<String>,
}

impl Managers {
    /// The manager at `index`; indices come from [`index_of`](Self::index_of) and [`resolve`](Self::resolve).
    pub fn get(&self, index: usize) -> &Manager {
        &self.list[index]
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        // A few names are compared faster than one is hashed.
        if self.list.len() <= 8 {
            return self.list.iter().position(|manager| &*manager.name == name);
        }
        self.by_name.get(name).copied()
    }

    /// The index of the manager a placeholder names, or of the default manager when it names none.
    pub fn resolve(&self, named: Option<&str>) -> Result<usize, SecretError> {
        match named.or(self.default.as_deref()) {
            Some(name) => self.index_of(name).ok_or_else(|| SecretError::UnknownManager { manager: name.to_owned() }),
            None => Err(SecretError::NoDefaultManager),
        }
    }
}

/// Whether a resolution's caller sees the values, recorded in its audit records (`revealed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// The caller gets the resolved values.
    Revealed,
    /// The caller sees the step with the values masked.
    Masked,
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
        step::resolve(self, identity, base, step, Disclosure::Revealed).await
    }

    /// Like [`resolve_at`](Self::resolve_at), saying in the audit records whether the caller will see the
    /// values or only the step masked with [`ResolvedStep::masker`].
    pub async fn resolve_with(
        &self,
        identity: &Identity,
        base: &StepPath,
        step: &Value,
        disclosure: Disclosure,
    ) -> Result<ResolvedStep, crate::ResolveError> {
        step::resolve(self, identity, base, step, disclosure).await
    }

    /// Checks that `identity` may use `manager` and, when given, the secret `name` on it. No backend call.
    pub fn authorize(&self, identity: &Identity, manager: &str, name: Option<&str>) -> Result<(), SecretError> {
        let rules = self.manager(manager)?;
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

    /// How each manager's cache has served reads so far (hits, misses, stale answers, evictions).
    pub fn cache_counts(&self) -> Vec<(String, crate::cache::CacheCounts)> {
        self.inner.cache.counts()
    }

    /// Drops cache entries at once (revocation); their values are zeroized.
    pub async fn clear_cache(&self, scope: CacheScope) -> Result<(), SecretError> {
        let front = &self.inner.front;
        match &scope {
            CacheScope::All => {
                self.inner.cache.clear_all().await;
                front.forget(|_, _| true);
            }
            CacheScope::Manager(manager) => {
                let index = self.manager_index(manager)?;
                self.inner.managers.get(index).cache.clear().await;
                front.forget(|of, _| of == index);
            }
            CacheScope::Secret { manager, name } => {
                let index = self.manager_index(manager)?;
                self.inner.managers.get(index).cache.clear_name(name).await;
                front.forget(|of, key| of == index && &*key.name == name);
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
        self.inner.managers.default.as_deref()
    }

    fn manager_index(&self, manager: &str) -> Result<usize, SecretError> {
        self.inner.managers.index_of(manager).ok_or_else(|| SecretError::UnknownManager { manager: manager.to_owned() })
    }

    fn manager(&self, manager: &str) -> Result<&Manager, SecretError> {
        Ok(self.inner.managers.get(self.manager_index(manager)?))
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
            SecretError::NotFound { manager: manager.to_owned(), names: vec![format!("'{name}'")], absence: None }
        }
        error => SecretError::Backend { manager: manager.to_owned(), name: name.to_owned(), error },
    }
}
