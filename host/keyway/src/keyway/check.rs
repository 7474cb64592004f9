//! [`Keyway::check`]: whether each manager's backend answers keyway with its credentials (one real, cheap
//! call), what the manager declares, whether chosen secrets can be read, and which secrets keyway's records
//! say expire soon. For operators and CI: checked against the caller's access rules and audited (one `check`
//! record per manager, one `check-read` record per secret read); no value leaves this module.

use super::records::{millis, now_ms};
use super::Keyway;
use crate::error::{exit, KeywayError};
use keyway_resolve::{AuditRecord, Identity};
use keyway_types::{ErrorKind, ListRequest, ProviderError, VersionSelector};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The name the `describe` probe asks for: a backend answering "not found" for it is reachable and accepts
/// keyway's credentials.
const PROBE_NAME: &str = "keyway-check/no-such-secret";

/// How one part of a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckStatus {
    /// The backend answered (or the records opened).
    Ok,
    /// The backend could not be reached, refused keyway's credentials, or failed: what it said.
    Failed(String),
    /// The manager's configuration is wrong (plugin, settings, credentials' setup), so nothing could be asked.
    Misconfigured(String),
    /// Not checked, and why (the caller may not use the manager; keyway's records are disabled).
    Skipped(String),
}

impl CheckStatus {
    /// `ok`, `failed`, `misconfigured` or `skipped`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed(_) => "failed",
            Self::Misconfigured(_) => "misconfigured",
            Self::Skipped(_) => "skipped",
        }
    }

    /// What went wrong, or why it was skipped.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Ok => None,
            Self::Failed(message) | Self::Misconfigured(message) | Self::Skipped(message) => Some(message),
        }
    }

    /// A backend error of `manager` as a status, with what to look at: configuration mistakes apart from
    /// failures of the backend.
    fn of(manager: &str, error: &ProviderError) -> Self {
        match error.kind() {
            ErrorKind::Configuration | ErrorKind::InvalidArgument => {
                Self::Misconfigured(format!("{error} (check managers.{manager} in the configuration)"))
            }
            ErrorKind::AccessDenied => Self::Failed(format!(
                "{error} (the backend refused keyway's credentials or their permissions: check the credentials in \
                 managers.{manager}.settings or managers.{manager}.auth)"
            )),
            ErrorKind::Unavailable | ErrorKind::Throttled | ErrorKind::Other => Self::Failed(format!(
                "{error} (is the backend running, and reachable at the address in managers.{manager}.settings?)"
            )),
            _ => Self::Failed(error.to_string()),
        }
    }
}

/// One manager's check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ManagerCheck {
    /// The manager.
    pub name: String,
    /// Its plugin.
    pub plugin: String,
    /// Whether its backend answered.
    pub status: CheckStatus,
    /// The backend call made: `list` (one page of at most one secret), `describe` (of a name that should
    /// not exist), or `none` (the plugin declares neither; only its opening was checked).
    pub probe: &'static str,
    /// The operations it declares (known once its plugin opened).
    pub capabilities: Vec<&'static str>,
    /// How long opening and the probe took.
    pub elapsed: Duration,
}

/// A read of one secret, asked for by the caller; the value is dropped at once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReadCheck {
    /// The manager.
    pub manager: String,
    /// The secret.
    pub name: String,
    /// Whether it could be read.
    pub status: CheckStatus,
    /// The version read.
    pub version: Option<String>,
    /// How long the read took.
    pub elapsed: Duration,
}

/// A secret keyway's records say expires before the check's horizon (or has expired).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpiringSecret {
    /// The manager.
    pub manager: String,
    /// The secret.
    pub name: String,
    /// Its type, when known.
    pub secret_type: Option<String>,
    /// When it expires (ms since the Unix epoch).
    pub expires_at: u64,
}

/// What [`Keyway::check`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// Each manager checked, by name.
    pub managers: Vec<ManagerCheck>,
    /// Each secret read, in the order asked.
    pub reads: Vec<ReadCheck>,
    /// keyway's own records (the catalog), where expiries are kept.
    pub catalog: CheckStatus,
    /// Secrets of the checked managers the caller may use that expire before the horizon, soonest first:
    /// warnings, not failures.
    pub expiring: Vec<ExpiringSecret>,
    /// The horizon of `expiring` (ms since the Unix epoch).
    pub expiring_before: u64,
}

impl CheckReport {
    /// The exit code for CI: [`exit::CONFIG`] when a manager's configuration is wrong, else [`exit::BACKEND`]
    /// when a backend, a read or keyway's records failed, else [`exit::OK`] (expiring secrets are warnings).
    pub fn exit_code(&self) -> i32 {
        let statuses = || {
            self.managers.iter().map(|m| &m.status).chain(self.reads.iter().map(|r| &r.status)).chain([&self.catalog])
        };
        if statuses().any(|status| matches!(status, CheckStatus::Misconfigured(_))) {
            exit::CONFIG
        } else if statuses().any(|status| matches!(status, CheckStatus::Failed(_))) {
            exit::BACKEND
        } else {
            exit::OK
        }
    }
}

impl Keyway {
    /// Checks `managers` (every configured one when empty): each is opened and its backend asked one cheap
    /// question, then each secret of `reads` (`(manager, name)`) is read from its backend past the cache, and
    /// keyway's records are asked which secrets expire within `expiring_within`.
    ///
    /// A manager named here, or a secret to read, that the caller may not use refuses the whole call; a
    /// manager the caller may not use is skipped when all are checked. Every manager checked has an audit
    /// record `check` (its outcome, the probe and how many of its secrets expire in `detail`), every read
    /// one `check-read`.
    pub async fn check(
        &self,
        identity: &Identity,
        managers: &[String],
        reads: &[(String, String)],
        expiring_within: Duration,
    ) -> Result<CheckReport, KeywayError> {
        let named = !managers.is_empty();
        let names: Vec<String> =
            if named { managers.to_vec() } else { self.manager_names().into_iter().map(str::to_owned).collect() };
        for name in names.iter().chain(reads.iter().map(|(manager, _)| manager)) {
            self.shared.slot(name)?;
        }
        let refusals = |manager: &str, name: Option<&str>| {
            let mut record = AuditRecord::new(Arc::new(identity.clone()), "check", manager, name.unwrap_or(""));
            record.outcome = "denied";
            record
        };
        for name in names.iter().filter(|_| named) {
            let checked = self.authorize_name(identity, name, None);
            if let Err(error) = checked {
                self.audit(refusals(name, None), &Ok::<(), KeywayError>(())).await?;
                return Err(error);
            }
        }
        for (manager, name) in reads {
            let checked = self.authorize_name(identity, manager, Some(name));
            if let Err(error) = checked {
                self.audit(refusals(manager, Some(name)), &Ok::<(), KeywayError>(())).await?;
                return Err(error);
            }
        }

        // Every manager at once: a dead backend costs its own timeout, not everyone's.
        let checked = futures::future::join_all(names.iter().map(|name| self.check_manager(identity, name))).await;
        let mut read_checks = Vec::with_capacity(reads.len());
        for (manager, name) in reads {
            let started = Instant::now();
            let (status, version) = match self.read_for(identity, "check-read", manager, name).await {
                Ok(secret) => (CheckStatus::Ok, secret.metadata.version_id.clone()),
                Err(KeywayError::Backend { source, .. }) => (CheckStatus::of(manager, &source), None),
                Err(error @ KeywayError::AuditUnavailable(_)) => return Err(error),
                Err(error) => (CheckStatus::Failed(error.to_string()), None),
            };
            read_checks.push(ReadCheck {
                manager: manager.clone(),
                name: name.clone(),
                status,
                version,
                elapsed: started.elapsed(),
            });
        }

        let expiring_before = now_ms().saturating_add(millis(expiring_within));
        let (catalog, expiring) = self.expiring(identity, &checked, expiring_before).await;
        for manager in &checked {
            let mut record = AuditRecord::new(Arc::new(identity.clone()), "check", &manager.name, "");
            record.outcome = match &manager.status {
                CheckStatus::Ok => "ok",
                CheckStatus::Failed(_) => "backend-error",
                CheckStatus::Misconfigured(_) => "configuration",
                CheckStatus::Skipped(_) => "denied",
            };
            let soon = expiring.iter().filter(|secret| secret.manager == manager.name).count();
            record.detail = Some(format!("probe={}, expiring={soon}", manager.probe));
            self.resolver.auditor().record(record);
        }
        self.confirm_audit().await?;
        Ok(CheckReport { managers: checked, reads: read_checks, catalog, expiring, expiring_before })
    }

    /// Opens one manager and asks its backend one cheap question.
    async fn check_manager(&self, identity: &Identity, name: &str) -> ManagerCheck {
        let plugin = self.manager_config(name).map(|config| config.plugin.clone()).unwrap_or_default();
        let started = Instant::now();
        let mut check = ManagerCheck {
            name: name.to_owned(),
            plugin,
            status: CheckStatus::Ok,
            probe: "none",
            capabilities: Vec::new(),
            elapsed: Duration::ZERO,
        };
        if let Err(error) = self.authorize_name(identity, name, None) {
            check.status = CheckStatus::Skipped(format!("{error}"));
            return check;
        }
        let manager = match self.shared.connected(name).await {
            Ok(manager) => manager,
            Err(error) => {
                check.status = CheckStatus::of(name, &error);
                check.elapsed = started.elapsed();
                return check;
            }
        };
        let capabilities = manager.capabilities();
        check.capabilities = capabilities.names();
        let connection_caps = manager.connection().capabilities();
        let answer = if connection_caps.list {
            check.probe = "list";
            let request = ListRequest { page_size: Some(1), ..ListRequest::default() };
            manager.list(&request).await.map(|_| ())
        } else if connection_caps.read {
            check.probe = "describe";
            // Past the manager's visibility rules (which would answer "not found" without asking), under
            // its prefix: only the backend's answer counts.
            let probe = format!("{}{PROBE_NAME}", manager.rules().prefix);
            manager
                .connection()
                .describe(&probe, &VersionSelector::Latest)
                .await
                .map(|_| ())
                .map_err(keyway_runtime::CallError::into_provider_error)
        } else {
            Ok(())
        };
        check.status = match answer {
            // A backend that says a name does not exist has answered, with keyway's credentials accepted.
            Ok(()) | Err(ProviderError::NotFound(_)) => CheckStatus::Ok,
            Err(error) => CheckStatus::of(name, &error),
        };
        check.elapsed = started.elapsed();
        check
    }

    /// keyway's records opened, and the secrets of `checked` managers that expire before `before` and the
    /// caller may use.
    async fn expiring(
        &self,
        identity: &Identity,
        checked: &[ManagerCheck],
        before: u64,
    ) -> (CheckStatus, Vec<ExpiringSecret>) {
        let catalog = match self.shared.records.catalog().await {
            Ok(Some(catalog)) => catalog,
            Ok(None) => {
                let why = "keyway's records are disabled (catalog.enabled: false), so expiries are not known";
                return (CheckStatus::Skipped(why.into()), Vec::new());
            }
            Err(error) => return (CheckStatus::Failed(error.to_string()), Vec::new()),
        };
        let entries = match catalog.expiring(i64::try_from(before).unwrap_or(i64::MAX)).await {
            Ok(entries) => entries,
            Err(error) => return (CheckStatus::Failed(format!("keyway's records: {error}")), Vec::new()),
        };
        let expiring = entries
            .into_iter()
            .filter(|entry| {
                checked.iter().any(|manager| manager.name == entry.manager && manager.status.name() != "skipped")
                    && self.authorize_name(identity, &entry.manager, Some(&entry.name)).is_ok()
            })
            .map(|entry| ExpiringSecret {
                expires_at: entry.expires_at.and_then(|at| u64::try_from(at).ok()).unwrap_or(0),
                manager: entry.manager,
                name: entry.name,
                secret_type: entry.secret_type,
            })
            .collect();
        (CheckStatus::Ok, expiring)
    }
}
