//! keyway's own records through the facade: the catalog opened on first need (a cached read never touches
//! it), versions recorded on writes (durably, before the write is acknowledged) and on reads from backends
//! (in the background), errors recorded as they happen, and the histories read back for callers allowed to
//! see the secrets they concern.

use super::Keyway;
use crate::config::{interpolate, CatalogConfig};
use crate::error::KeywayError;
use crate::private_file::ensure_private_file;
use keyway_catalog::pool::Retention;
use keyway_catalog::{Catalog, CatalogKey, ErrorEntry, ErrorFilter, Location, NewError, NewVersion, VersionEntry};
use keyway_resolve::Identity;
use keyway_types::{Secret, SecretMetadata, SecretValue};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

/// Where the catalog is and how to unlock it, and the catalog once opened.
pub(crate) struct Records {
    setup: Option<Setup>,
    catalog: OnceCell<Catalog>,
    /// Records being written in the background, awaited by [`Keyway::settle`].
    pending: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// When opening the catalog last failed: reads do not wait for it again before [`RETRY_OPEN`] has passed.
    failed_open: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How long reads go without the catalog after it failed to open.
const RETRY_OPEN: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a read from a backend waits for the catalog (lifecycle, observations) before going on without it.
pub(crate) const READ_PATH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Clone)]
pub(crate) struct Setup {
    location: Location,
    key: KeySource,
    retention: Retention,
}

#[derive(Clone)]
enum KeySource {
    Configured(Zeroizing<String>),
    File(PathBuf),
}

impl Records {
    /// The catalog as `config` describes it, opened on first need.
    pub(crate) fn new(config: &CatalogConfig, home: &Path) -> Result<Self, KeywayError> {
        if !config.enabled {
            return Ok(Self {
                setup: None,
                catalog: OnceCell::new(),
                pending: Default::default(),
                failed_open: Default::default(),
            });
        }
        let text = |value: &Option<String>, field: &str| -> Result<Option<Zeroizing<String>>, KeywayError> {
            let Some(value) = value else { return Ok(None) };
            let mut json = serde_json::Value::String(value.clone());
            interpolate(&mut json, field)?;
            Ok(json.as_str().map(|text| Zeroizing::new(text.to_owned())))
        };
        let location = match text(&config.url, "catalog.url")? {
            None => Location::Sqlite(home.join("catalog.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Location::Postgres(url.to_string())
            }
            Some(url) => match url.strip_prefix("sqlite:") {
                Some(path) => Location::Sqlite(PathBuf::from(path.trim_start_matches("//"))),
                None => {
                    return Err(KeywayError::Config {
                        message: "catalog.url must start with postgres:// or sqlite: (or be left out for SQLite in \
                                  keyway's home)"
                            .into(),
                    })
                }
            },
        };
        let key = match text(&config.key, "catalog.key")? {
            Some(key) => KeySource::Configured(key),
            None => KeySource::File(home.join("catalog.key")),
        };
        let defaults = Retention::default();
        let retention = Retention {
            errors_per_secret: config.errors_per_secret.unwrap_or(defaults.errors_per_secret),
            error_days: config.error_days.unwrap_or(defaults.error_days),
        };
        Ok(Self {
            setup: Some(Setup { location, key, retention }),
            catalog: OnceCell::new(),
            pending: Default::default(),
            failed_open: Default::default(),
        })
    }

    /// The catalog for the read path: opened if need be within [`READ_PATH_WAIT`], and not tried again for
    /// [`RETRY_OPEN`] after it failed, so that reads never stall on a catalog that is down; `None` then
    /// (and when records are disabled).
    pub(crate) async fn catalog_for_reads(&self) -> Option<&Catalog> {
        if let Some(catalog) = self.catalog.get() {
            return Some(catalog);
        }
        let recently_failed = self
            .failed_open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RETRY_OPEN);
        if recently_failed {
            return None;
        }
        match tokio::time::timeout(READ_PATH_WAIT, self.catalog()).await {
            Ok(Ok(catalog)) => catalog,
            Ok(Err(_)) | Err(_) => {
                *self.failed_open.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(std::time::Instant::now());
                tracing::info!(target: "keyway::catalog", "keyway's records are unavailable; reads go on without them");
                None
            }
        }
    }

    /// Whether the catalog is PostgreSQL, shared by a fleet: known from the configuration, without opening it.
    pub(crate) fn shared_by_fleet(&self) -> bool {
        matches!(&self.setup, Some(Setup { location: Location::Postgres(_), .. }))
    }

    /// Runs `task` in the background, remembered until it ends.
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|handle| !handle.is_finished());
        pending.push(handle);
    }

    /// The catalog, opened (and created) on first call; `None` when records are disabled.
    pub(crate) async fn catalog(&self) -> Result<Option<&Catalog>, KeywayError> {
        let Some(setup) = &self.setup else { return Ok(None) };
        let catalog = self.catalog.get_or_try_init(|| setup.open()).await?;
        Ok(Some(catalog))
    }
}

impl Setup {
    /// Opens (creating and migrating as needed) the catalog, with its key from the configuration or its file.
    pub(crate) async fn open(&self) -> Result<Catalog, KeywayError> {
        let key = match &self.key {
            KeySource::Configured(text) => CatalogKey::from_base64(text),
            KeySource::File(path) => {
                let text = ensure_private_file(
                    path,
                    "the catalog key file",
                    "restore it from a backup (a new key cannot read the catalog's sealed records)",
                    || CatalogKey::generate_base64().map_err(catalog_error),
                )?;
                CatalogKey::from_base64(&text)
            }
        }
        .map_err(catalog_error)?;
        let catalog = Catalog::open(&self.location, key).await.map_err(catalog_error)?;
        Ok(catalog.with_retention(self.retention))
    }
}

impl Records {
    /// How to open the catalog again, for a writer that keeps its own connection (the audit trail's);
    /// `None` when records are disabled.
    pub(crate) fn setup(&self) -> Option<Setup> {
        self.setup.clone()
    }
}

fn catalog_error(error: keyway_catalog::CatalogError) -> KeywayError {
    KeywayError::Catalog(error.to_string())
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// A duration in whole milliseconds (saturating).
pub(crate) fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The caller as recorded in the catalog: `namespace=…, groups=…, client=…`.
pub fn actor(identity: &Identity) -> String {
    let mut parts = Vec::new();
    if let Some(namespace) = &identity.namespace {
        parts.push(format!("namespace={namespace}"));
    }
    if !identity.groups.is_empty() {
        parts.push(format!("groups={}", identity.groups.join("+")));
    }
    if let Some(client) = &identity.client {
        parts.push(format!("client={client}"));
    }
    if let Some(flow) = &identity.flow {
        parts.push(format!("flow={flow}"));
    }
    if parts.is_empty() {
        "anonymous".into()
    } else {
        parts.join(", ")
    }
}

impl Keyway {
    /// Records a version written through keyway, durably, before the write is acknowledged.
    pub(crate) async fn record_written(
        &self,
        identity: &Identity,
        manager: &str,
        value: &SecretValue,
        metadata: &SecretMetadata,
    ) -> Result<(), KeywayError> {
        let Some(catalog) = self.shared.records.catalog().await? else { return Ok(()) };
        let fingerprint = catalog.key().fingerprint(metadata.secret_type.as_deref(), value);
        let actor = actor(identity);
        let version = NewVersion {
            manager,
            name: &metadata.name,
            backend_version: metadata.version_id.as_deref(),
            fingerprint: &fingerprint,
            secret_type: metadata.secret_type.as_deref(),
            actor: Some(&actor),
            expires_at: metadata.expires_at.and_then(|at| i64::try_from(at).ok()),
            not_before: metadata.not_before.and_then(|at| i64::try_from(at).ok()),
        };
        catalog.record_write(&version).await.map(|_| ()).map_err(|err| {
            KeywayError::Catalog(format!(
                "the change was made on manager '{manager}', but keyway's record of it could not be written: {err}"
            ))
        })
    }

    /// `error`, recorded in the catalog (see [`record_failure`](Self::record_failure)).
    pub(crate) fn failed(&self, identity: &Identity, operation: &'static str, error: KeywayError) -> KeywayError {
        self.record_failure(identity, operation, &error);
        error
    }

    /// Records an error of a secret, in the background (the caller's answer does not wait for it).
    pub(crate) fn record_failure(&self, identity: &Identity, operation: &'static str, error: &KeywayError) {
        let Some((manager, name)) = error.target() else { return };
        let kind = super::outcome_of(error);
        let (message, actor) = (error.to_string(), actor(identity));
        let shared = Arc::clone(&self.shared);
        self.shared.records.spawn(async move {
            let Some(catalog) = shared.records.catalog_for_reads().await else { return };
            let record =
                NewError { manager: &manager, name: &name, operation, kind, message: &message, actor: Some(&actor) };
            if let Err(err) = catalog.record_error(&record).await {
                tracing::warn!(target: "keyway::catalog", error = %err, "an error of a secret could not be recorded");
            }
        });
    }

    /// Every secret of `manager`, up to `max`, page by page: what the renewal scheduler and the compliance
    /// report look over.
    pub(crate) async fn list_up_to(
        &self,
        manager: &str,
        max: usize,
    ) -> Result<Vec<keyway_types::SecretMetadata>, KeywayError> {
        let target = self.manager(manager).await?;
        let mut request = keyway_types::ListRequest::default();
        let mut secrets = Vec::new();
        loop {
            let page = target
                .list(&request)
                .await
                .map_err(|source| KeywayError::Backend { manager: manager.into(), source })?;
            secrets.extend(page.secrets);
            match page.next_page {
                Some(token) if secrets.len() < max => request.page_token = Some(token),
                _ => break,
            }
        }
        secrets.truncate(max);
        Ok(secrets)
    }

    /// Reads a secret's current value from its backend for keyway's own work (`operation`: a renewal, a
    /// compliance check), past the cache, with an audit record like every other read.
    pub(crate) async fn read_for(
        &self,
        identity: &Identity,
        operation: &'static str,
        manager: &str,
        name: &str,
    ) -> Result<Secret, KeywayError> {
        let record = keyway_resolve::AuditRecord::new(Arc::new(identity.clone()), operation, manager, name);
        let result = async {
            self.shared
                .connected(manager)
                .await
                .map_err(|source| KeywayError::Backend { manager: manager.into(), source })?
                .get(name, &keyway_types::VersionSelector::Latest)
                .await
                .map_err(|source| KeywayError::Backend { manager: manager.into(), source })
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Whether keyway's records answer: `None` when they are disabled, else the outcome of opening them (if
    /// need be) and one query, within two seconds. What `/v1/ready` reports.
    pub async fn records_ready(&self) -> Option<Result<(), KeywayError>> {
        self.shared.records.setup.as_ref()?;
        let check = async {
            let catalog = self.shared.records.catalog().await?;
            match catalog {
                Some(catalog) => catalog.ping().await.map_err(catalog_error),
                None => Ok(()),
            }
        };
        Some(match tokio::time::timeout(READ_PATH_WAIT, check).await {
            Ok(result) => result,
            Err(_) => Err(KeywayError::Catalog("keyway's records did not answer within 2 s".into())),
        })
    }

    /// Waits until the records being written in the background (versions read, errors) are written: a
    /// short-lived front end (the CLI) calls this before it exits.
    pub async fn settle(&self) {
        let pending =
            std::mem::take(&mut *self.shared.records.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for handle in pending {
            let _ = handle.await;
        }
    }

    /// A secret's recorded versions, newest first, for a caller allowed to read it.
    pub async fn history(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
    ) -> Result<Vec<VersionEntry>, KeywayError> {
        self.shared.slot(manager)?;
        self.authorize_name(identity, manager, Some(name))?;
        let Some(catalog) = self.shared.records.catalog().await? else { return Ok(Vec::new()) };
        catalog.history(manager, name).await.map_err(catalog_error)
    }

    /// Recorded errors, newest first, of the secrets `identity` may use.
    pub async fn errors(&self, identity: &Identity, filter: &ErrorFilter) -> Result<Vec<ErrorEntry>, KeywayError> {
        if let Some(manager) = &filter.manager {
            self.shared.slot(manager)?;
            self.authorize_name(identity, manager, filter.name.as_deref())?;
        }
        let Some(catalog) = self.shared.records.catalog().await? else { return Ok(Vec::new()) };
        let mut errors = catalog.errors(filter).await.map_err(catalog_error)?;
        errors.retain(|error| {
            self.authorize_name(identity, &error.manager, (!error.name.is_empty()).then_some(&error.name)).is_ok()
        });
        Ok(errors)
    }
}

impl super::Shared {
    /// Records a version read from a backend, in the background: `outside` when keyway had recorded others
    /// of the secret, `first-seen` otherwise; nothing when it is known.
    pub(crate) fn observe(self: &Arc<Self>, manager: &str, secret: &Secret) {
        if self.records.setup.is_none() {
            return;
        }
        let shared = Arc::clone(self);
        let manager = manager.to_owned();
        let metadata = secret.metadata.clone();
        // The fingerprint is made here, while the value is at hand; only the fingerprint travels on.
        let fingerprint = self
            .records
            .catalog
            .get()
            .map(|catalog| catalog.key().fingerprint(metadata.secret_type.as_deref(), &secret.value));
        let value = fingerprint.is_none().then(|| secret.value.clone());
        self.records.spawn(async move {
            let Some(catalog) = shared.records.catalog_for_reads().await else { return };
            let fingerprint = match (fingerprint, value) {
                (Some(fingerprint), _) => fingerprint,
                (None, Some(value)) => catalog.key().fingerprint(metadata.secret_type.as_deref(), &value),
                (None, None) => return,
            };
            let version = NewVersion {
                manager: &manager,
                name: &metadata.name,
                backend_version: metadata.version_id.as_deref(),
                fingerprint: &fingerprint,
                secret_type: metadata.secret_type.as_deref(),
                actor: None,
                expires_at: metadata.expires_at.and_then(|at| i64::try_from(at).ok()),
                not_before: metadata.not_before.and_then(|at| i64::try_from(at).ok()),
            };
            match catalog.observe(&version).await {
                Ok(Some(entry)) if entry.origin == keyway_catalog::Origin::Outside => {
                    shared.note_outside_change(catalog, &manager, &metadata.name).await;
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(target: "keyway::catalog", error = %err, "a version read could not be recorded");
                }
            }
        });
    }
}
