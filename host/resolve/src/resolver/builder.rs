//! Configuring a [`Resolver`]: managers with their backends and options, cache defaults, audit, default
//! manager.

use super::front::Front;
use super::{sweep, Inner, Manager, Managers, Resolver};
use crate::access::AccessRules;
use crate::audit::Auditor;
use crate::cache::{CacheOptions, ManagerSetup, SecretCache};
use crate::limits::StepLimits;
use crate::manager::ManagerOptions;
use crate::mask::Masker;
use crate::source::SecretSource;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a resolver could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two managers with one name.
    #[error("manager '{0}' is configured twice")]
    DuplicateManager(String),
    /// A manager name that placeholders could not address.
    #[error(
        "manager name '{0}' is invalid: start with a letter or digit and use letters, digits, '-', '_' and '.' \
         (no '..', at most 64 characters)"
    )]
    InvalidManagerName(String),
    /// The default manager is not configured.
    #[error("the default manager '{0}' is not configured")]
    UnknownDefaultManager(String),
    /// A cache setting is out of range.
    #[error("{scope}: {message}")]
    InvalidCache {
        /// `cache` or `manager NAME`.
        scope: String,
        /// What is wrong.
        message: String,
    },
}

/// Builds a [`Resolver`].
#[derive(Default)]
pub struct ResolverBuilder {
    cache: CacheOptions,
    default_manager: Option<String>,
    auditor: Option<Auditor>,
    limits: StepLimits,
    managers: Vec<(String, Arc<dyn SecretSource>, ManagerOptions)>,
}

impl ResolverBuilder {
    /// The global cache settings (defaults: [`CacheOptions::default`]).
    pub fn cache(mut self, options: CacheOptions) -> Self {
        self.cache = options;
        self
    }

    /// The manager of placeholders that name none (`{{ secret('NAME') }}`).
    pub fn default_manager(mut self, name: impl Into<String>) -> Self {
        self.default_manager = Some(name.into());
        self
    }

    /// Where audit records go (default: tracing only).
    pub fn auditor(mut self, auditor: Auditor) -> Self {
        self.auditor = Some(auditor);
        self
    }

    /// How large one step may be (default: [`StepLimits::default`]).
    pub fn step_limits(mut self, limits: StepLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a manager reading from `source`.
    pub fn manager(mut self, name: impl Into<String>, source: Arc<dyn SecretSource>, options: ManagerOptions) -> Self {
        self.managers.push((name.into(), source, options));
        self
    }

    /// Checks the configuration and builds the resolver. Inside a tokio runtime, this also starts the
    /// cache's sweeper, which evicts (and so zeroizes) expired entries within half a second.
    pub fn build(self) -> Result<Resolver, BuildError> {
        self.cache.validate().map_err(|message| BuildError::InvalidCache { scope: "cache".into(), message })?;
        let mut by_name = HashMap::new();
        let mut rules = Vec::new();
        let mut setups = Vec::new();
        for (name, source, options) in self.managers {
            let valid = name.len() <= 64
                && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !name.contains("..");
            if !valid {
                return Err(BuildError::InvalidManagerName(name));
            }
            let cache = self.cache.with_overrides(&options.cache);
            cache
                .validate()
                .map_err(|message| BuildError::InvalidCache { scope: format!("manager '{name}'"), message })?;
            if by_name.insert(name.clone(), rules.len()).is_some() {
                return Err(BuildError::DuplicateManager(name));
            }
            rules.push((
                AccessRules::new(&options.access),
                options.keys,
                options.serve_expired,
                options.namespaces.clone(),
            ));
            setups.push(ManagerSetup { name, source, options: cache });
        }
        if let Some(default) = &self.default_manager {
            if !by_name.contains_key(default) {
                return Err(BuildError::UnknownDefaultManager(default.clone()));
            }
        }
        let names: Vec<String> = setups.iter().map(|setup| setup.name.clone()).collect();
        let cache = Arc::new(SecretCache::new(setups, self.cache.max_entries));
        let mut list = Vec::with_capacity(names.len());
        for (name, (access, keys, serve_expired, namespaces)) in names.into_iter().zip(rules) {
            let Some(manager_cache) = cache.manager(&name) else { continue };
            list.push(Manager {
                name: Arc::from(name),
                access,
                keys,
                cache: manager_cache.clone(),
                serve_expired,
                namespaces,
            });
        }
        let inner = Inner {
            managers: Managers { list, by_name, default: self.default_manager },
            cache,
            front: Front::default(),
            auditor: self.auditor.unwrap_or_else(Auditor::tracing_only),
            masker: Masker::new(),
            limits: self.limits,
        };
        let inner = Arc::new(inner);
        sweep::start(Arc::downgrade(&inner));
        Ok(Resolver { inner })
    }
}
