//! Synchronisation of bound secrets: after every write, delete or restore of a source through keyway, each
//! copy is brought to the source's current state (idempotent: a copy that already has the source's
//! fingerprint is not written; ordered per secret: one propagation of a secret at a time on a node, and
//! each copies what the source holds *then*). A failed copy is kept in the catalog as `failed` and tried
//! again with backoff; drift — a copy or a source changed outside keyway — is found by reads and by the
//! periodic check, reported in the secret's error history, and repaired by itself or by `keyway sync run`.

use super::profiles::{matches, Bound, Via};
use super::records::{actor, now_ms};
use super::Keyway;
use crate::config::RepairMode;
use crate::error::{exit, KeywayError};
use keyway_catalog::{NewError, SyncTarget, SyncUpdate};
use keyway_resolve::{AuditRecord, Identity};
use keyway_types::{BoxFuture, DeleteMode, Secret, UpdateRequest, WriteOptions};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The identity synchronisation reads sources and writes copies as: group `keyway-sync` (managers with
/// access rules must allow it).
pub fn sync_identity() -> Identity {
    Identity { groups: vec!["keyway-sync".into()], client: Some("keyway-sync".into()), ..Identity::default() }
}

/// The first retry of a failed copy; each further one waits twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often `keyway serve` compares every copy with its source unless the profile says otherwise.
const DEFAULT_CHECK_EVERY: Duration = Duration::from_secs(15 * 60);
/// How often the scheduler looks for failed copies and due checks.
const SYNC_TICK: Duration = Duration::from_secs(2);
/// The most secrets one profile's check looks over.
const MAX_CHECKED: usize = 10_000;

/// One secret's turn to be synchronised.
type SecretTurn = Arc<tokio::sync::Mutex<()>>;

/// Per-node state of synchronisation: one propagation per secret at a time, when each profile was checked.
#[derive(Default)]
pub(crate) struct SyncState {
    locks: std::sync::Mutex<HashMap<(String, String), SecretTurn>>,
    checked: std::sync::Mutex<HashMap<String, Instant>>,
}

impl SyncState {
    /// Whether the periodic job `job` is due (every `every`); marks it run when it is. A job never run is
    /// due at once when `at_start`, else after `every`.
    pub(crate) fn due(&self, job: &str, every: Duration, at_start: bool) -> bool {
        let mut checked = self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match checked.get(job) {
            Some(last) if last.elapsed() < every => false,
            None if !at_start => {
                checked.insert(job.to_owned(), Instant::now());
                false
            }
            _ => {
                checked.insert(job.to_owned(), Instant::now());
                true
            }
        }
    }

    fn lock_for(&self, profile: &str, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if locks.len() > 10_000 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(locks.entry((profile.to_owned(), name.to_owned())).or_default())
    }
}

/// What a check does with a copy that differs from its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repair {
    /// Write the source's state to it.
    Yes,
    /// Report it as drift (a copy keyway had synchronised), repair only what keyway's own writes left behind.
    OnlyOwnFailures,
}

/// What copying did.
struct Copied {
    /// `synced`, `drift` or `deleted`.
    state: &'static str,
    /// The copy's fingerprint now.
    fingerprint: Option<String>,
    /// Whether the copy differed from the source (or was missing).
    differed: bool,
    /// The copy's fingerprint as found (none when it was missing).
    before: Option<String>,
}

impl Copied {
    fn deleted() -> Self {
        Self { state: "deleted", fingerprint: None, differed: false, before: None }
    }
}

/// The fingerprint copies are compared by: a JSON object's fields in a canonical order (backends that keep
/// key/value secrets as fields, such as Vault, give them back in their own order), anything else as it is.
fn copy_fingerprint(
    catalog: &keyway_catalog::Catalog,
    secret_type: Option<&str>,
    value: &keyway_types::SecretValue,
) -> keyway_catalog::Fingerprint {
    let parsed = value.expose_text().and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    match parsed {
        Some(mut document @ serde_json::Value::Object(_)) => {
            sort_fields(&mut document);
            let canonical = zeroize::Zeroizing::new(document.to_string());
            wipe(&mut document);
            catalog.key().fingerprint(secret_type, &keyway_types::SecretValue::text(canonical.as_str()))
        }
        _ => catalog.key().fingerprint(secret_type, value),
    }
}

/// Orders every object's fields by name, recursively.
fn sort_fields(document: &mut serde_json::Value) {
    match document {
        serde_json::Value::Object(map) => {
            let mut fields: Vec<(String, serde_json::Value)> = std::mem::take(map).into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, mut value) in fields {
                sort_fields(&mut value);
                map.insert(key, value);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(sort_fields),
        _ => {}
    }
}

/// Wipes the strings of a parsed secret.
fn wipe(document: &mut serde_json::Value) {
    match document {
        serde_json::Value::String(text) => zeroize::Zeroize::zeroize(text),
        serde_json::Value::Object(map) => map.values_mut().for_each(wipe),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe),
        _ => {}
    }
}

fn is_not_found(error: &KeywayError) -> bool {
    error.exit_code() == exit::NOT_FOUND
}

fn backoff(attempts: i64) -> i64 {
    let doubled = FIRST_BACKOFF.saturating_mul(1 << attempts.clamp(0, 16) as u32);
    super::records::millis(doubled.min(MAX_BACKOFF)) as i64
}

impl Keyway {
    /// Brings every copy of a bound source to the source's state, now; failures are recorded and tried again
    /// later, never returned (the source's write succeeded).
    /// (Boxed: writing a copy goes through the same write path that calls this.)
    pub(crate) fn propagate<'a>(&'a self, bound: &'a Bound, name: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let targets = self.copy_managers(bound);
            if targets.is_empty() {
                return;
            }
            self.sync_secret(&bound.profile, &bound.source, name, &targets, Repair::Yes).await;
        })
    }

    /// Brings the copy of `bound`'s secret in `target` to the source's state, now.
    pub(crate) async fn sync_one(&self, bound: &Bound, name: &str, target: &str) -> Vec<SyncTarget> {
        self.sync_secret(&bound.profile, &bound.source, name, &[target.to_owned()], Repair::Yes).await
    }

    /// Synchronises one secret's `targets` from `source` (one at a time per secret on this node); returns
    /// the copies' new states.
    async fn sync_secret(
        &self,
        profile: &str,
        source: &str,
        name: &str,
        targets: &[String],
        repair: Repair,
    ) -> Vec<SyncTarget> {
        let lock = self.sync.lock_for(profile, name);
        let _turn = lock.lock().await;
        let Ok(catalog) = self.catalog_for_profiles().await else { return Vec::new() };
        let identity = sync_identity();
        let known: HashMap<String, SyncTarget> = catalog
            .sync_targets_of(profile, name)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|row| (row.target.clone(), row))
            .collect();
        let current = match self.read_for(&identity, "sync-read", source, name).await {
            Ok(secret) => Some(secret),
            Err(error) if is_not_found(&error) => None,
            Err(error) => {
                let message = format!("the source {source}/{name} could not be read: {error}");
                for target in targets {
                    let attempts = known.get(target).map_or(0, |row| row.attempts);
                    self.set_copy_state(profile, name, target, source, "failed", None, None, Some(&message), attempts)
                        .await;
                }
                self.record_sync_error(source, name, &message).await;
                return catalog.sync_targets_of(profile, name).await.unwrap_or_default();
            }
        };
        let secret_type = current.as_ref().and_then(|secret| secret.metadata.secret_type.clone());
        let secret_type = match secret_type {
            Some(found) => Some(found),
            None => catalog.secret(source, name).await.ok().flatten().and_then(|entry| entry.secret_type),
        };
        let source_fingerprint =
            current.as_ref().map(|secret| copy_fingerprint(catalog, secret_type.as_deref(), &secret.value));
        for target in targets {
            let row = known.get(target);
            let attempts = row.map_or(0, |row| row.attempts);
            let own_failure = row.is_none_or(|row| matches!(row.state.as_str(), "pending" | "failed"));
            let wanted = source_fingerprint.as_ref().map(|fingerprint| fingerprint.0.as_str());
            let outcome = match &current {
                None => self.delete_copy(&identity, target, name).await.map(|()| Copied::deleted()),
                Some(secret) => {
                    let may_write = repair == Repair::Yes || own_failure;
                    self.copy_to(&identity, target, name, secret, secret_type.as_deref(), wanted, may_write).await
                }
            };
            match outcome {
                Ok(copied) => {
                    // A copy that is no longer what keyway last made it: someone changed it outside keyway. (A copy
                    // behind a source keyway just wrote is no drift.)
                    let changed_behind = row.is_some_and(|row| {
                        row.state == "synced" && row.fingerprint.is_some() && copied.before != row.fingerprint
                    });
                    if copied.differed && changed_behind {
                        let message = if copied.state == "drift" {
                            format!(
                                "the copy in {target} differs from the source {source}/{name} (changed outside \
                                 keyway); `keyway sync run {profile}` repairs it"
                            )
                        } else {
                            format!(
                                "the copy in {target} differed from the source {source}/{name} (changed outside \
                                 keyway); it was repaired"
                            )
                        };
                        self.record_sync_error(target, name, &message).await;
                    }
                    let fingerprint = copied.fingerprint.as_deref();
                    self.set_copy_state(profile, name, target, source, copied.state, fingerprint, wanted, None, 0)
                        .await;
                }
                Err(error) => {
                    let message = format!("copying {source}/{name} to {target} failed: {error}");
                    tracing::warn!(target: "keyway::sync", profile, source, target = target.as_str(), error = %error, "a copy failed; it is tried again");
                    self.record_sync_error(target, name, &message).await;
                    self.set_copy_state(
                        profile,
                        name,
                        target,
                        source,
                        "failed",
                        None,
                        wanted,
                        Some(&message),
                        attempts,
                    )
                    .await;
                }
            }
        }
        catalog.sync_targets_of(profile, name).await.unwrap_or_default()
    }

    /// Makes `target`'s copy equal `secret`: nothing when it already is; `drift` (no write) when it differs
    /// and may not be written.
    #[allow(clippy::too_many_arguments)]
    async fn copy_to(
        &self,
        identity: &Identity,
        target: &str,
        name: &str,
        secret: &Secret,
        secret_type: Option<&str>,
        wanted: Option<&str>,
        may_write: bool,
    ) -> Result<Copied, KeywayError> {
        let catalog = self.catalog_for_profiles().await?;
        let existing = match self.read_for(identity, "sync-read", target, name).await {
            Ok(copy) => Some(copy_fingerprint(catalog, secret_type, &copy.value).0),
            Err(error) if is_not_found(&error) => None,
            Err(error) => return Err(error),
        };
        if existing.is_some() && existing.as_deref() == wanted {
            return Ok(Copied { state: "synced", fingerprint: existing.clone(), differed: false, before: existing });
        }
        if !may_write {
            return Ok(Copied { state: "drift", fingerprint: existing.clone(), differed: true, before: existing });
        }
        let metadata = &secret.metadata;
        // `keyway-…` tags belong to the backend's plugin (encodings) or to keyway's typing, which the copy's
        // write derives again; the rest is the user's.
        let tags: keyway_types::Tags = if self.keeps_tags(target).await {
            metadata
                .tags
                .iter()
                .filter(|(key, _)| !key.starts_with("keyway-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        } else {
            Default::default()
        };
        if existing.is_some() {
            let request = UpdateRequest {
                value: Some(secret.value.clone()),
                description: metadata.description.clone(),
                expires_at: metadata.expires_at,
                set_tags: tags,
                ..UpdateRequest::default()
            };
            self.update_via(identity, target, name, &request, Via::Sync).await?;
        } else {
            let options = WriteOptions {
                tags,
                description: metadata.description.clone(),
                expires_at: metadata.expires_at,
                secret_type: secret_type.map(str::to_owned),
                recover_deleted: true,
                ..WriteOptions::default()
            };
            match self.create_via(identity, target, name, &secret.value, &options, Via::Sync).await {
                Err(error) if matches!(error.exit_code(), exit::UNSUPPORTED | exit::INVALID) => {
                    let plain = WriteOptions { recover_deleted: false, ..options };
                    self.create_via(identity, target, name, &secret.value, &plain, Via::Sync).await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(Copied { state: "synced", fingerprint: wanted.map(str::to_owned), differed: true, before: existing })
    }

    async fn delete_copy(&self, identity: &Identity, target: &str, name: &str) -> Result<(), KeywayError> {
        match self.delete_via(identity, target, name, DeleteMode::default(), Via::Sync).await {
            Err(error) if !is_not_found(&error) => Err(error),
            _ => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn set_copy_state(
        &self,
        profile: &str,
        name: &str,
        target: &str,
        source: &str,
        state: &str,
        fingerprint: Option<&str>,
        source_fingerprint: Option<&str>,
        error: Option<&str>,
        attempts: i64,
    ) {
        self.metrics().sync_copy(match state {
            "synced" => "synced",
            "drift" => "drift",
            "deleted" => "deleted",
            "pending" => "pending",
            _ => "failed",
        });
        let Ok(catalog) = self.catalog_for_profiles().await else { return };
        let update = SyncUpdate {
            profile,
            name,
            target,
            source,
            state,
            fingerprint,
            source_fingerprint,
            error,
            next_attempt_at: error.map(|_| now_ms() as i64 + backoff(attempts)),
        };
        if let Err(err) = catalog.set_sync_state(&update).await {
            tracing::warn!(target: "keyway::sync", error = %err, "the state of a copy could not be recorded");
        }
    }

    async fn record_sync_error(&self, manager: &str, name: &str, message: &str) {
        let Ok(catalog) = self.catalog_for_profiles().await else { return };
        let actor = actor(&sync_identity());
        let record = NewError { manager, name, operation: "sync", kind: "sync", message, actor: Some(&actor) };
        if let Err(err) = catalog.record_error(&record).await {
            tracing::warn!(target: "keyway::catalog", error = %err, "a synchronisation error could not be recorded");
        }
    }

    /// Every copy of the profile's secrets (every profile's when `None`) as keyway last saw it: state,
    /// fingerprints of copy and source, attempts, the last error. Only secrets `identity` may use.
    pub async fn sync_status(
        &self,
        identity: &Identity,
        profile: Option<&str>,
    ) -> Result<Vec<SyncTarget>, KeywayError> {
        if let Some(profile) = profile {
            self.profile(profile)?;
        }
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "sync-status", "", "");
        record.detail = profile.map(|profile| format!("profile={profile}"));
        let result = async {
            let catalog = self.catalog_for_profiles().await?;
            let rows = catalog.sync_targets(profile).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
            Ok(rows
                .into_iter()
                .filter(|row| {
                    self.authorize_name(identity, &row.source, Some(&row.name)).is_ok()
                        && self.authorize_name(identity, &row.target, Some(&row.name)).is_ok()
                })
                .collect())
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// The copies of `manager/name` when it is the source of a profile that synchronises (none otherwise),
    /// for a caller allowed to use it. Audited.
    pub async fn copies_of(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
    ) -> Result<Vec<SyncTarget>, KeywayError> {
        self.shared.slot(manager)?;
        let record = AuditRecord::new(Arc::new(identity.clone()), "sync-status", manager, name);
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let Some(bound) = self.bound(manager, name).await?.filter(|bound| !bound.is_copy) else {
                return Ok(Vec::new());
            };
            let catalog = self.catalog_for_profiles().await?;
            catalog.sync_targets_of(&bound.profile, name).await.map_err(|err| KeywayError::Catalog(err.to_string()))
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Checks every copy of the profile's secrets (every profile's when `None`) against its source and
    /// repairs what differs; returns the copies' states. The caller must be allowed to use the sources and
    /// copies it repairs; audited.
    pub async fn sync_run(&self, identity: &Identity, profile: Option<&str>) -> Result<Vec<SyncTarget>, KeywayError> {
        if let Some(profile) = profile {
            self.profile(profile)?;
        }
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "sync-run", "", "");
        record.detail = profile.map(|profile| format!("profile={profile}"));
        let result = async {
            let mut states = Vec::new();
            for name in self.profiles.keys().filter(|name| profile.is_none_or(|wanted| wanted == name.as_str())) {
                states.extend(self.check_profile(Some(identity), name, Repair::Yes).await?);
            }
            Ok(states)
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Checks one profile's secrets: those bound explicitly, those the patterns match in the source, and
    /// those with recorded copies (a source deleted meanwhile).
    async fn check_profile(
        &self,
        identity: Option<&Identity>,
        profile_name: &str,
        repair: Repair,
    ) -> Result<Vec<SyncTarget>, KeywayError> {
        let profile = self.profile(profile_name)?;
        let Some(source) = profile.source.clone() else { return Ok(Vec::new()) };
        if profile.sync.is_none() {
            return Ok(Vec::new());
        }
        let catalog = self.catalog_for_profiles().await?;
        let mut names: BTreeSet<String> = BTreeSet::new();
        let explicit: HashMap<String, String> = catalog
            .bindings(profile_name)
            .await
            .map_err(|err| KeywayError::Catalog(err.to_string()))?
            .into_iter()
            .map(|binding| (binding.name, binding.source))
            .collect();
        names.extend(explicit.keys().cloned());
        if !profile.secrets.is_empty() {
            for metadata in self.list_up_to(&source, MAX_CHECKED).await? {
                if matches(profile, &source, &metadata.name) {
                    names.insert(metadata.name);
                }
            }
        }
        let recorded =
            catalog.sync_targets(Some(profile_name)).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
        names.extend(recorded.iter().map(|row| row.name.clone()));
        let mut states = Vec::new();
        for name in names {
            let source = explicit.get(&name).cloned().unwrap_or_else(|| source.clone());
            let bound = Bound { profile: profile_name.into(), source: source.clone(), is_copy: false };
            let targets = self.copy_managers(&bound);
            if let Some(identity) = identity {
                let allowed = std::iter::once(&source)
                    .chain(&targets)
                    .all(|manager| self.authorize_name(identity, manager, Some(&name)).is_ok());
                if !allowed {
                    continue;
                }
            }
            // Copies of managers no longer among the targets (the source changed) are forgotten.
            for row in recorded.iter().filter(|row| row.name == name && !targets.contains(&row.target)) {
                let _ = catalog.forget_sync_target(profile_name, &name, &row.target).await;
            }
            states.extend(self.sync_secret(profile_name, &source, &name, &targets, repair).await);
        }
        Ok(states)
    }

    /// How often `keyway serve` should call [`sync_due`](Self::sync_due): `None` when no profile synchronises.
    pub fn sync_tick(&self) -> Option<Duration> {
        self.profiles.values().any(|profile| profile.sync.is_some()).then_some(SYNC_TICK)
    }

    /// The synchronisation scheduler's work, run by `keyway serve`: failed copies whose retry is due, drift
    /// reported by reads (repaired when the profile repairs by itself), and each profile's periodic check.
    pub async fn sync_due(&self) {
        let Ok(catalog) = self.catalog_for_profiles().await else { return };
        let due = match catalog.due_sync_targets(now_ms() as i64, 200).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(target: "keyway::sync", error = %err, "cannot read the copies due");
                return;
            }
        };
        let mut retried = BTreeSet::new();
        for row in due {
            let Some(profile) = self.profiles.get(&row.profile) else { continue };
            let auto = profile.sync.as_ref().is_some_and(|sync| sync.repair == RepairMode::Auto);
            if row.state == "drift" && !auto {
                continue;
            }
            if !retried.insert((row.profile.clone(), row.name.clone())) {
                continue;
            }
            let bound = Bound { profile: row.profile.clone(), source: row.source.clone(), is_copy: false };
            let targets = self.copy_managers(&bound);
            let repair = if auto { Repair::Yes } else { Repair::OnlyOwnFailures };
            self.sync_secret(&row.profile, &row.source, &row.name, &targets, repair).await;
        }
        for (name, profile) in &self.profiles {
            let Some(sync) = &profile.sync else { continue };
            let every = sync.check_every.unwrap_or(DEFAULT_CHECK_EVERY);
            if self.sync.due(&format!("sync/{name}"), every, false) {
                let repair = if sync.repair == RepairMode::Auto { Repair::Yes } else { Repair::OnlyOwnFailures };
                if let Err(error) = self.check_profile(None, name, repair).await {
                    tracing::warn!(target: "keyway::sync", profile = name.as_str(), error = %error, "the periodic check failed");
                }
            }
        }
    }
}

impl super::Shared {
    /// After a read from a backend found a version keyway did not write: a copy changed behind keyway's back,
    /// or a source whose copies are now behind, is marked `drift` and reported in the error history.
    pub(crate) async fn note_outside_change(&self, catalog: &keyway_catalog::Catalog, manager: &str, name: &str) {
        let Ok(rows) = catalog.sync_targets_involving(manager, name).await else { return };
        for row in rows.into_iter().filter(|row| row.state == "synced") {
            let message = if row.target == manager {
                format!(
                    "the copy in {manager} changed outside keyway and differs from the source {}/{name}; it \
                     is repaired by `keyway serve` when profile {} repairs by itself, else by `keyway sync run`",
                    row.source, row.profile
                )
            } else {
                format!(
                    "the source {manager}/{name} changed outside keyway; its copy in {} is behind until it is \
                     synchronised (by `keyway serve` when profile {} repairs by itself, else by `keyway sync run`)",
                    row.target, row.profile
                )
            };
            let update = SyncUpdate {
                profile: &row.profile,
                name,
                target: &row.target,
                source: &row.source,
                state: "drift",
                fingerprint: None,
                source_fingerprint: None,
                error: None,
                next_attempt_at: None,
            };
            let _ = catalog.set_sync_state(&update).await;
            let actor = actor(&sync_identity());
            let record = NewError {
                manager: &row.target,
                name,
                operation: "sync",
                kind: "drift",
                message: &message,
                actor: Some(&actor),
            };
            let _ = catalog.record_error(&record).await;
        }
    }
}
