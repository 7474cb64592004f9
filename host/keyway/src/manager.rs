//! A configured secret manager: a plugin connection plus the host-side rules
//! every backend gets for free: name prefix, default tags, read-only, and a
//! visibility filter that hides the rest.

use crate::config::VisibilityFilter;
use crate::metrics::Metrics;
use keyway_runtime::Connection;
use keyway_types::{
    BoxFuture, Capabilities, DeleteMode, ListPage, ListRequest, ProviderError, Secret, SecretMetadata, SecretValue,
    Tags, Timestamp, UpdateRequest, VersionInfo, VersionSelector, WriteOptions,
};

/// A manager's host-side rules.
#[derive(Debug, Clone, Default)]
pub struct ManagerRules {
    /// Prepended to names on the backend.
    pub prefix: String,
    /// Added to created secrets' tags.
    pub default_tags: Tags,
    /// Refuse writes.
    pub read_only: bool,
    /// What the manager shows.
    pub visible: VisibilityFilter,
}

/// A named secret manager on a live plugin connection.
#[derive(Debug, Clone)]
pub struct Manager {
    name: String,
    connection: Connection,
    rules: ManagerRules,
    metrics: Option<Metrics>,
}

impl Manager {
    /// A manager `name` on `connection` with `rules`.
    pub fn new(name: &str, connection: Connection, rules: ManagerRules) -> Self {
        Self { name: name.into(), connection, rules, metrics: None }
    }

    /// The same manager, counting its backend calls in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The plugin connection.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The host-side rules.
    pub fn rules(&self) -> &ManagerRules {
        &self.rules
    }

    /// What the manager supports: the plugin's capabilities, without writes when read-only.
    pub fn capabilities(&self) -> Capabilities {
        let caps = self.connection.capabilities();
        if self.rules.read_only {
            caps.read_only()
        } else {
            caps
        }
    }

    fn backend_name(&self, name: &str) -> Result<String, ProviderError> {
        validate_name(name)?;
        if !self.rules.visible.shows_name(name) {
            return Err(ProviderError::not_found(name));
        }
        Ok(format!("{}{name}", self.rules.prefix))
    }

    fn to_user(&self, mut meta: SecretMetadata) -> SecretMetadata {
        if let Some(stripped) = meta.name.strip_prefix(&self.rules.prefix) {
            meta.name = stripped.to_owned();
        }
        meta
    }

    fn visible(&self, name: &str, meta: &SecretMetadata) -> Result<(), ProviderError> {
        if self.rules.visible.shows_tags(&meta.tags) {
            Ok(())
        } else {
            Err(ProviderError::not_found(name))
        }
    }

    /// A disabled secret's value is not handed out, whatever the backend does (as Key Vault and
    /// senhasegura define `enabled`); its metadata stays readable.
    fn usable(&self, name: &str, meta: &SecretMetadata) -> Result<(), ProviderError> {
        if meta.enabled {
            return Ok(());
        }
        Err(ProviderError::Conflict(format!(
            "secret '{name}' on manager '{}' is disabled; enable it first (keyway update {}/{name} --enable)",
            self.name, self.name
        )))
    }

    fn writable(&self) -> Result<(), ProviderError> {
        if self.rules.read_only {
            return Err(ProviderError::AccessDenied(format!(
                "manager '{}' is read-only; writes are refused by its configuration",
                self.name
            )));
        }
        Ok(())
    }

    /// Runs one backend call in a `backend` span (manager and operation, never a name or value), counting it
    /// and its error kind in the metrics.
    async fn call<T>(
        &self,
        operation: &'static str,
        call: impl std::future::Future<Output = Result<T, keyway_runtime::CallError>>,
    ) -> Result<T, ProviderError> {
        let span = tracing::info_span!(target: "keyway::backend", "backend", manager = %self.name, operation);
        let started = std::time::Instant::now();
        let result =
            tracing::Instrument::instrument(call, span).await.map_err(keyway_runtime::CallError::into_provider_error);
        if let Some(metrics) = &self.metrics {
            let error = result.as_ref().err().map(|error| kind_name(error.kind()));
            metrics.backend_call(&self.name, operation, started.elapsed().as_secs_f64(), error);
        }
        result
    }

    /// Fills in the tags a visibility filter needs when the backend's read left them out (AWS's
    /// `GetSecretValue` carries no tags): one `describe`, whose tags then travel (and are cached) with the
    /// secret.
    async fn with_filter_tags(&self, backend: &str, selector: &VersionSelector, meta: &mut SecretMetadata) {
        let filter = &self.rules.visible.tags;
        if filter.is_empty() || filter.keys().all(|key| meta.tags.contains_key(key)) {
            return;
        }
        if !self.connection.capabilities().probe {
            return;
        }
        if let Ok(described) = self.connection.describe(backend, selector).await {
            for (key, value) in described.tags {
                meta.tags.entry(key).or_insert(value);
            }
        }
    }

    /// Reads a secret.
    pub async fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        let backend = self.backend_name(name)?;
        let mut secret = self.call("get", self.connection.get(&backend, selector)).await?;
        self.with_filter_tags(&backend, selector, &mut secret.metadata).await;
        self.visible(name, &secret.metadata)?;
        self.usable(name, &secret.metadata)?;
        secret.metadata = self.to_user(secret.metadata);
        Ok(secret)
    }

    /// Reads metadata only.
    pub async fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata, ProviderError> {
        let backend = self.backend_name(name)?;
        let meta = self.call("describe", self.connection.describe(&backend, selector)).await?;
        self.visible(name, &meta)?;
        Ok(self.to_user(meta))
    }

    /// Creates a secret; the manager's default tags are added (explicit tags win).
    pub async fn create(
        &self,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        self.writable()?;
        let backend = self.backend_name(name)?;
        let mut options = options.clone();
        for (key, value) in &self.rules.default_tags {
            options.tags.entry(key.clone()).or_insert_with(|| value.clone());
        }
        let meta = self.call("create", self.connection.create(&backend, value, &options)).await?;
        Ok(self.to_user(meta))
    }

    /// Changes a secret.
    pub async fn update(&self, name: &str, request: &UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        self.writable()?;
        let backend = self.backend_name(name)?;
        let meta = self.call("update", self.connection.update(&backend, request)).await?;
        Ok(self.to_user(meta))
    }

    /// Deletes a secret.
    pub async fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        self.writable()?;
        let backend = self.backend_name(name)?;
        self.call("delete", self.connection.delete(&backend, mode)).await
    }

    /// Recovers a deleted secret.
    pub async fn restore(&self, name: &str) -> Result<SecretMetadata, ProviderError> {
        self.writable()?;
        let backend = self.backend_name(name)?;
        let meta = self.call("restore", self.connection.restore(&backend)).await?;
        Ok(self.to_user(meta))
    }

    /// Lists secrets: the prefix is applied and stripped, hidden secrets are left out.
    pub async fn list(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        let mut backend = request.clone();
        backend.prefix = Some(format!("{}{}", self.rules.prefix, request.prefix.as_deref().unwrap_or("")));
        let page = self.call("list", self.connection.list(&backend)).await?;
        let secrets = page
            .secrets
            .into_iter()
            .map(|meta| self.to_user(meta))
            .filter(|meta| self.rules.visible.shows_name(&meta.name) && self.rules.visible.shows_tags(&meta.tags))
            .collect();
        Ok(ListPage { secrets, next_page: page.next_page })
    }

    /// Lists a secret's versions.
    pub async fn versions(&self, name: &str) -> Result<Vec<VersionInfo>, ProviderError> {
        let backend = self.backend_name(name)?;
        if !self.rules.visible.tags.is_empty() {
            self.describe(name, &VersionSelector::Latest).await?;
        }
        self.call("versions", self.connection.versions(&backend)).await
    }
}

/// Checks a secret name given by a user: not empty, no control characters, at most 1024 bytes.
pub fn validate_name(name: &str) -> Result<(), ProviderError> {
    if name.is_empty() {
        return Err(ProviderError::InvalidArgument("the secret name is empty".into()));
    }
    if name.len() > 1024 {
        return Err(ProviderError::InvalidArgument(format!(
            "the secret name is {} bytes long; the limit is 1024",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ProviderError::InvalidArgument(format!(
            "the secret name '{}' contains control characters",
            name.escape_debug()
        )));
    }
    Ok(())
}

impl keyway_resolve::SecretSource for Manager {
    fn get<'a>(&'a self, name: &'a str, selector: &'a VersionSelector) -> BoxFuture<'a, Result<Secret, ProviderError>> {
        Box::pin(Manager::get(self, name, selector))
    }

    fn describe<'a>(
        &'a self,
        name: &'a str,
        selector: &'a VersionSelector,
    ) -> BoxFuture<'a, Result<SecretMetadata, ProviderError>> {
        Box::pin(Manager::describe(self, name, selector))
    }

    fn capabilities(&self) -> Capabilities {
        Manager::capabilities(self)
    }
}

/// A contract error kind as metrics label it.
fn kind_name(kind: keyway_types::ErrorKind) -> &'static str {
    use keyway_types::ErrorKind;
    match kind {
        ErrorKind::NotFound => "not-found",
        ErrorKind::AlreadyExists => "already-exists",
        ErrorKind::AccessDenied => "access-denied",
        ErrorKind::InvalidArgument => "invalid-argument",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Throttled => "throttled",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Configuration => "configuration",
        _ => "other",
    }
}
