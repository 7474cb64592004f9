//! A manager's connection to its plugin: validated settings, sandbox grants,
//! limits, and the async calls of the contract.
//!
//! # Layout
//! - this module: [`Connection`] and the contract's calls.
//! - `config`: [`ConnectionConfig`] and [`Limits`], what a connection is opened with.
//! - `open`: [`Runtime::connect`](crate::Runtime::connect), checks and the first instance.
//! - `invoke`: one call on a pooled instance under its deadline.
//! - `quota`: the data directory's quota.
//! - `write_turn`: writers taking turns when a plugin serializes writes.

mod config;
mod invoke;
mod open;
mod quota;
mod write_turn;

pub use config::{ConnectionConfig, Limits, MAX_PAGE_ITEMS};
pub(crate) use invoke::describe_trap;
use invoke::parts;

use crate::bindings::{self, *};
use crate::data_dir::with_real_data_dir;
use crate::egress::EgressPolicy;
use crate::error::CallError;
use crate::plugin::Plugin;
use crate::pool::{Instance, InstancePool};
use crate::redact::Redactor;
use keyway_types::{
    BoxFuture, Capabilities, DeleteMode, ListPage, ListRequest, Operation, ProviderError, Secret, SecretMetadata,
    SecretValue, Timestamp, UpdateRequest, VersionInfo, VersionSelector, WriteOptions,
};
use quota::DataQuota;
use std::path::PathBuf;
use std::sync::Arc;

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

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("manager", &self.inner.manager)
            .field("plugin", &self.inner.plugin.name())
            .finish_non_exhaustive()
    }
}

type CallFn<T> = dyn for<'a> FnOnce(&'a mut Instance) -> BoxFuture<'a, wasmtime::Result<T>> + Send;

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
}
