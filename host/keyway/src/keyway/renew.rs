//! Renewal: new values generated for a secret's type and written as its new current version, now
//! (`keyway renew`, [`Keyway::renew`]) or when a rule says they are due ([`Keyway::renew_due`], run by
//! `keyway serve`'s scheduler).
//!
//! With a rotation hook the new value first waits sealed in the catalog while the hook's `set` command puts
//! it on the system that uses the secret and its `test` command checks it there; only then is it written as
//! the current version. A failing step leaves the current version as it was and records the failure in the
//! secret's error history; the waiting value is kept, so the next attempt (or a run after keyway stopped
//! half-way) finishes with the very value the target system may already have, instead of a new one.

use super::records::millis;
use super::typed::parse_type;
use super::Keyway;
use crate::config::{RenewalRule, RotationHook};
use crate::error::KeywayError;
use keyway_catalog::NewError;
use keyway_resolve::{Identity, NamePattern};
use keyway_types::{ProviderError, SecretValue, UpdateRequest};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long a hook command may run when its rule says nothing.
const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(60);
/// The most secrets one manager's due check looks at.
const MAX_SCANNED: usize = 10_000;

/// What a renewal did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenewOutcome {
    /// The manager.
    pub manager: String,
    /// The secret.
    pub name: String,
    /// The new current version's id, as the backend gives it.
    pub version_id: Option<String>,
    /// Whether it finished a renewal left half-way (with that renewal's value).
    pub resumed: bool,
}

/// The identity scheduled renewals run as: group `keyway-renewal` (managers with access rules allow it).
pub fn renewal_identity() -> Identity {
    Identity { groups: vec!["keyway-renewal".into()], client: Some("keyway-renewal".into()), ..Identity::default() }
}

impl Keyway {
    /// Renews `manager/name` now by the first of the manager's renewal rules that matches it.
    pub async fn renew(&self, identity: &Identity, manager: &str, name: &str) -> Result<RenewOutcome, KeywayError> {
        let slot = self.shared.slot(manager)?;
        self.authorize_name(identity, manager, Some(name))?;
        let rule =
            slot.config.renewal.iter().find(|rule| NamePattern::new(&rule.names).matches(name)).ok_or_else(|| {
                KeywayError::InvalidInput(format!(
                    "no rule of managers.{manager}.renewal matches '{name}': add one (names, every or before_expiry, \
                 policy, hook)"
                ))
            })?;
        let result = self.renew_by(identity, manager, name, rule).await;
        self.metrics().renewal(if result.is_ok() { "ok" } else { "failed" });
        if let Err(error) = &result {
            self.record_renewal_failure(identity, manager, name, error).await;
        }
        result
    }

    /// Renews every secret a rule says is due (its current version older than `every`, or expiring within
    /// `before_expiry`, or a renewal left half-way), as [`renewal_identity`]. Returns each attempt.
    pub async fn renew_due(&self) -> Vec<(String, String, Result<RenewOutcome, KeywayError>)> {
        let identity = renewal_identity();
        let mut attempts = Vec::new();
        for (manager, slot) in &self.shared.slots {
            if slot.config.renewal.is_empty() {
                continue;
            }
            let names = match self.due_names(manager, &slot.config.renewal).await {
                Ok(names) => names,
                Err(error) => {
                    tracing::warn!(target: "keyway::renewal", manager, error = %error, "cannot check what is due");
                    continue;
                }
            };
            for name in names {
                let result = self.renew(&identity, manager, &name).await;
                match &result {
                    Ok(outcome) => {
                        tracing::info!(target: "keyway::renewal", manager, name, version = ?outcome.version_id, "renewed")
                    }
                    Err(error) => {
                        tracing::warn!(target: "keyway::renewal", manager, name, error = %error, "renewal failed")
                    }
                }
                attempts.push((manager.clone(), name, result));
            }
        }
        attempts
    }

    /// How often the scheduler should look: a quarter of the shortest interval, between 1 s and 60 s;
    /// `None` when no manager has renewal rules.
    pub fn renewal_tick(&self) -> Option<Duration> {
        self.shared
            .slots
            .values()
            .flat_map(|slot| &slot.config.renewal)
            .flat_map(|rule| [rule.every, rule.before_expiry])
            .flatten()
            .min()
            .map(|shortest| (shortest / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)))
    }

    async fn due_names(&self, manager: &str, rules: &[RenewalRule]) -> Result<Vec<String>, KeywayError> {
        let secrets = self.list_up_to(manager, MAX_SCANNED).await?;
        let catalog = self.shared.records.catalog().await?;
        let now = crate::keyway::records::now_ms();
        let mut due = Vec::new();
        for metadata in &secrets {
            let Some(rule) = rules.iter().find(|rule| NamePattern::new(&rule.names).matches(&metadata.name)) else {
                continue;
            };
            let (mut changed_at, mut expires_at) = (metadata.updated_at.or(metadata.created_at), metadata.expires_at);
            let mut pending = false;
            if let Some(catalog) = catalog {
                if let Ok(Some(latest)) = catalog.latest(manager, &metadata.name).await {
                    changed_at = u64::try_from(latest.recorded_at).ok().or(changed_at);
                }
                if let Ok(Some(entry)) = catalog.secret(manager, &metadata.name).await {
                    expires_at = expires_at.or(entry.expires_at.and_then(|at| u64::try_from(at).ok()));
                }
                // A renewal left half-way is retried, backing off: 10 s after its first failure, doubling
                // up to an hour, so a hook that keeps failing is not run at every tick.
                pending = catalog.pending_renewal(manager, &metadata.name).await.ok().flatten().is_some_and(|p| {
                    let backoff =
                        10_000u64.saturating_mul(1 << p.attempts.clamp(1, 9).saturating_sub(1)).min(3_600_000);
                    now >= u64::try_from(p.updated_at).unwrap_or(0).saturating_add(backoff)
                });
            }
            let old = rule.every.zip(changed_at).is_some_and(|(every, at)| now >= at.saturating_add(millis(every)));
            let expiring =
                rule.before_expiry.zip(expires_at).is_some_and(|(before, at)| now.saturating_add(millis(before)) >= at);
            if old || expiring || pending {
                due.push(metadata.name.clone());
            }
        }
        Ok(due)
    }

    async fn renew_by(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        rule: &RenewalRule,
    ) -> Result<RenewOutcome, KeywayError> {
        let catalog = self.shared.records.catalog().await?;
        let pending = match catalog {
            Some(catalog) => {
                catalog.pending_renewal(manager, name).await.map_err(|err| KeywayError::Catalog(err.to_string()))?
            }
            None => None,
        };
        let (value, secret_type, resumed) = match pending {
            Some(pending) => (pending.value, pending.secret_type, true),
            None => {
                let current = self.read_for(identity, "renew-read", manager, name).await?;
                let recorded = match catalog {
                    Some(catalog) => {
                        catalog.secret(manager, name).await.ok().flatten().and_then(|entry| entry.secret_type)
                    }
                    None => None,
                };
                let type_name = current
                    .metadata
                    .secret_type
                    .clone()
                    .or(recorded)
                    .or_else(|| rule.secret_type.clone())
                    .unwrap_or_else(|| "generic".into());
                let secret_type = parse_type(&type_name)?;
                let value =
                    keyway_secret_types::generate(&secret_type, &rule.policy, Some(&current.value)).map_err(|err| {
                        KeywayError::InvalidInput(format!("managers.{manager}.renewal for '{name}': {err}"))
                    })?;
                (value, Some(type_name), false)
            }
        };
        if let Some(hook) = &rule.hook {
            let catalog = catalog.ok_or_else(|| KeywayError::Config {
                message: format!(
                    "managers.{manager}.renewal: a rotation hook needs keyway's catalog (catalog.enabled) to keep \
                         the new value while the hook runs"
                ),
            })?;
            let keep = |state: &'static str, error: Option<String>| async move {
                catalog
                    .mark_pending_renewal(manager, name, state, error.as_deref())
                    .await
                    .map_err(|err| KeywayError::Catalog(err.to_string()))
            };
            if !resumed {
                catalog
                    .put_pending_renewal(manager, name, &value, secret_type.as_deref(), "generated")
                    .await
                    .map_err(|err| KeywayError::Catalog(err.to_string()))?;
            }
            if let Err(error) = run_hook(hook, &hook.set, "set", &value).await {
                keep("set-failed", Some(error.to_string())).await?;
                return Err(error);
            }
            keep("set", None).await?;
            if let Some(test) = &hook.test {
                if let Err(error) = run_hook(hook, test, "test", &value).await {
                    keep("test-failed", Some(error.to_string())).await?;
                    return Err(error);
                }
            }
            keep("tested", None).await?;
        }
        let request = UpdateRequest { value: Some(value), ..UpdateRequest::default() };
        let written = self.update_via(identity, manager, name, &request, super::profiles::Via::Renewal).await?;
        if let Some(catalog) = catalog {
            catalog.clear_pending_renewal(manager, name).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
        }
        Ok(RenewOutcome { manager: manager.into(), name: name.into(), version_id: written.version_id, resumed })
    }

    async fn record_renewal_failure(&self, identity: &Identity, manager: &str, name: &str, error: &KeywayError) {
        let Ok(Some(catalog)) = self.shared.records.catalog().await else { return };
        let (message, actor) = (error.to_string(), super::records::actor(identity));
        let record = NewError {
            manager,
            name,
            operation: "renew",
            kind: super::outcome_of(error),
            message: &message,
            actor: Some(&actor),
        };
        if let Err(err) = catalog.record_error(&record).await {
            tracing::warn!(target: "keyway::catalog", error = %err, "a renewal failure could not be recorded");
        }
    }
}

/// Runs one hook command with the new value on its standard input; fails on a non-zero exit, a timeout or a
/// command that cannot start. What the command prints is never recorded (it could echo the value).
async fn run_hook(hook: &RotationHook, command: &[String], step: &str, value: &SecretValue) -> Result<(), KeywayError> {
    let failed = |problem: String| KeywayError::Backend {
        manager: "renewal".into(),
        source: ProviderError::Other(format!(
            "the rotation hook's {step} command {problem}; the current version stays"
        )),
    };
    let Some((program, args)) = command.split_first() else {
        return Err(KeywayError::Config { message: format!("the rotation hook's {step} command is empty") });
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| failed(format!("{program} cannot start ({err})")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(value.expose_bytes()).await;
    }
    let limit = hook.timeout_ms.map_or(DEFAULT_HOOK_TIMEOUT, Duration::from_millis);
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(failed(format!("{program} failed ({status})"))),
        Ok(Err(err)) => Err(failed(format!("{program} could not be waited for ({err})"))),
        Err(_) => Err(failed(format!("{program} took longer than {} ms", limit.as_millis()))),
    }
}
