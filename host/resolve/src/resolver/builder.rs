//! Configuring a [`Resolver`]: managers with their backends and options, cache defaults, audit, default
//! manager.

use super::{Inner, ManagerRules, Resolver};
use crate::access::AccessRules;
use crate::audit::Auditor;
use crate::cache::{start_sweeper, CacheOptions, ManagerSetup, SecretCache};
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
    #[error("manager name '{0}' is invalid: use letters, digits, '-', '_' and '.'")]
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

    /// Adds a manager reading from `source`.
    pub fn manager(mut self, name: impl Into<String>, source: Arc<dyn SecretSource>, options: ManagerOptions) -> Self {
        self.managers.push((name.into(), source, options));
        self
    }

    /// Checks the configuration and builds the resolver. Inside a tokio runtime, this also starts the
    /// cache's sweeper, which evicts (and so zeroizes) expired entries within half a second.
    pub fn build(self) -> Result<Resolver, BuildError> {
        self.cache.validate().map_err(|message| BuildError::InvalidCache { scope: "cache".into(), message })?;
        let mut rules = HashMap::new();
        let mut setups = Vec::new();
        for (name, source, options) in self.managers {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid {
                return Err(BuildError::InvalidManagerName(name));
            }
            let cache = self.cache.with_overrides(&options.cache);
            cache
                .validate()
                .map_err(|message| BuildError::InvalidCache { scope: format!("manager '{name}'"), message })?;
            let manager = ManagerRules { access: AccessRules::new(&options.access), keys: options.keys };
            if rules.insert(name.clone(), manager).is_some() {
                return Err(BuildError::DuplicateManager(name));
            }
            setups.push(ManagerSetup { name, source, options: cache });
        }
        if let Some(default) = &self.default_manager {
            if !rules.contains_key(default) {
                return Err(BuildError::UnknownDefaultManager(default.clone()));
            }
        }
        let cache = Arc::new(SecretCache::new(setups, self.cache.max_entries));
        start_sweeper(Arc::downgrade(&cache));
        let inner = Inner {
            managers: rules,
            default_manager: self.default_manager,
            cache,
            auditor: self.auditor.unwrap_or_else(Auditor::tracing_only),
            masker: Masker::new(),
        };
        Ok(Resolver { inner: Arc::new(inner) })
    }
}
