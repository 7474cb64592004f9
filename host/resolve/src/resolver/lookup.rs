//! Reading what one plan names: the access checks before any backend call, then each candidate name in turn
//! (see [`KeyRule`](crate::KeyRule)), judged the same way whether its entry comes from the front's cells
//! (no cache call) or from a read through the cache.

use super::front::LookupPlan;
use super::Manager;
use crate::access::{Denial, Identity};
use crate::audit::RecordFields;
use crate::cache::{CacheStatus, Content, Entry, Tally};
use crate::error::{Absence, SecretError};
use crate::fields::{KeyError, SharedSecret};
use keyway_types::ProviderError;
use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Instant;

/// How a plan's lookup ended. `E` holds an entry: borrowed from the front, or owned.
pub(crate) struct Outcome<E> {
    /// The candidate tried last; `None` when the caller was refused before any.
    pub candidate: Option<usize>,
    /// How the cache served the last candidate (`Bypassed` when refused).
    pub status: CacheStatus,
    /// The entry of the last candidate.
    pub entry: Option<E>,
    /// `Ok` when the last candidate's entry holds the secret and, when a key is asked, the key. (Errors are
    /// boxed: they are rare, and a step's outcomes then stay small.)
    pub result: Result<(), Box<SecretError>>,
}

impl<E: Borrow<Arc<Entry>>> Outcome<E> {
    /// The secret found and the key to read from it, or why there is none.
    pub fn found<'a>(
        &'a self,
        manager: &Manager,
        plan: &'a LookupPlan,
    ) -> Result<(&'a Arc<SharedSecret>, Option<&'a str>), SecretError> {
        if let Err(error) = &self.result {
            return Err(SecretError::clone(error));
        }
        let field = self.candidate.and_then(|index| plan.candidates.get(index)?.field.as_deref());
        match self.entry.as_ref().and_then(|entry| entry.borrow().shared()) {
            Some(shared) => Ok((shared, field)),
            None => Err(vanished(manager, plan)),
        }
    }

    /// The audit record's fields.
    pub fn record<'a>(&'a self, plan: &'a LookupPlan, manager: &'a Manager, path: Option<&'a str>) -> RecordFields<'a> {
        let candidate = self.candidate.and_then(|index| plan.candidates.get(index));
        RecordFields {
            manager: &manager.name,
            secret: candidate.map_or(&plan.path, |candidate| &candidate.key.name),
            key: candidate.and_then(|candidate| candidate.field.as_deref()),
            selector: &plan.selector,
            version: self.entry.as_ref().and_then(|entry| entry.borrow().version_id()),
            outcome: self.result.as_ref().err().map_or("ok", |error| error.kind_name()),
            cache: self.status,
            path,
            detail: None,
        }
    }

    /// The same outcome, holding its entry.
    pub fn into_owned(self) -> Outcome<Arc<Entry>> {
        let Self { candidate, status, entry, result } = self;
        Outcome { candidate, status, entry: entry.map(|entry| Arc::clone(entry.borrow())), result }
    }
}

/// An `Ok` outcome always holds a found entry, and a plan always has a candidate; should that ever not be
/// so, this is reported rather than a panic.
fn vanished(manager: &Manager, plan: &LookupPlan) -> SecretError {
    SecretError::Backend {
        manager: manager.name.to_string(),
        name: plan.path.to_string(),
        error: ProviderError::Other("the cache entry vanished while it was read".into()),
    }
}

/// The outcome when access rules refuse the lookup: the caller (checked by the caller of this function, as
/// `caller`) or one of the names. Nothing is read then.
pub(crate) fn refusal<E>(manager: &Manager, plan: &LookupPlan, caller: &Result<(), Denial>) -> Option<Outcome<E>> {
    let denied = |name: &str, reason: Denial| SecretError::Denied {
        manager: manager.name.to_string(),
        name: name.to_owned(),
        reason,
    };
    let (candidate, error) = match (caller, &plan.refused) {
        (Err(reason), _) => (None, denied(&plan.path, reason.clone())),
        (Ok(()), Some(refused)) => {
            let (index, reason) = &**refused;
            let name = plan.candidates.get(*index).map_or(&*plan.path, |candidate| &*candidate.key.name);
            (Some(*index), denied(name, reason.clone()))
        }
        (Ok(()), None) => return None,
    };
    Some(Outcome { candidate, status: CacheStatus::Bypassed, entry: None, result: Err(Box::new(error)) })
}

/// Whether the caller may use `manager`, remembering the last answer: a step's placeholders mostly name one
/// manager.
#[derive(Default)]
pub(crate) struct Callers {
    last: Option<(usize, Result<(), Denial>)>,
}

impl Callers {
    pub fn check(&mut self, index: usize, manager: &Manager, identity: &Identity) -> &Result<(), Denial> {
        if self.last.as_ref().is_none_or(|(last, _)| *last != index) {
            self.last = Some((index, manager.access.check_caller(identity)));
        }
        match &self.last {
            Some((_, answer)) => answer,
            None => &Ok(()),
        }
    }
}

/// The lookup judged from entries in hand (`cells`, one per candidate), when each one the lookup needs is
/// servable at `now`; `None` sends it to [`read`]. Hits are counted in `tally`.
pub(crate) fn from_cells<'g, 'm>(
    manager: &'m Manager,
    plan: &LookupPlan,
    cells: &'g [Option<Arc<Entry>>],
    now: Instant,
    tally: &mut Tally<'m>,
) -> Option<Outcome<&'g Arc<Entry>>> {
    let mut last = None;
    for (index, (candidate, cell)) in plan.candidates.iter().zip(cells).enumerate() {
        let entry = cell.as_ref()?;
        let status = manager.cache.serve_cached(&candidate.key, entry, now, tally)?;
        if let Some(result) = judge(manager, plan, index, entry) {
            return Some(Outcome { candidate: Some(index), status, entry: Some(entry), result });
        }
        last = Some((index, status, entry));
    }
    let (index, status, entry) = last?;
    let result = Err(Box::new(not_found(manager, plan, cells.iter().flatten())));
    Some(Outcome { candidate: Some(index), status, entry: Some(entry), result })
}

/// The lookup read through the cache (single-flight, refresh, stale-if-error), with the entries read for
/// each candidate tried, in order.
pub(crate) async fn read(manager: &Manager, plan: &LookupPlan) -> (Outcome<Arc<Entry>>, Vec<Arc<Entry>>) {
    let mut read: Vec<Arc<Entry>> = Vec::with_capacity(plan.candidates.len());
    let mut last = None;
    for (index, candidate) in plan.candidates.iter().enumerate() {
        let fetched = manager.cache.get(&candidate.key).await;
        read.push(Arc::clone(&fetched.entry));
        if let Some(result) = judge(manager, plan, index, &fetched.entry) {
            let outcome =
                Outcome { candidate: Some(index), status: fetched.status, entry: Some(fetched.entry), result };
            return (outcome, read);
        }
        last = Some((index, fetched));
    }
    let outcome = match last {
        Some((index, fetched)) => Outcome {
            candidate: Some(index),
            status: fetched.status,
            entry: Some(fetched.entry),
            result: Err(Box::new(not_found(manager, plan, read.iter()))),
        },
        None => Outcome {
            candidate: None,
            status: CacheStatus::Bypassed,
            entry: None,
            result: Err(Box::new(vanished(manager, plan))),
        },
    };
    (outcome, read)
}

/// Candidate `index`'s entry: the end of the lookup (`Some`), or on to the next candidate (`None`).
fn judge(manager: &Manager, plan: &LookupPlan, index: usize, entry: &Entry) -> Option<Result<(), Box<SecretError>>> {
    let candidate = plan.candidates.get(index)?;
    let name = || candidate.key.name.to_string();
    match &entry.content {
        Content::Found(shared) => Some(match &candidate.field {
            _ if !manager.serve_expired && outside_validity(shared.metadata()).is_some() => {
                Err(Box::new(validity_error(manager, name(), shared.metadata())))
            }
            None => Ok(()),
            Some(key) => match shared.key(key) {
                Ok(_) => Ok(()),
                Err(KeyError::MissingKey) => Err(Box::new(SecretError::MissingKey {
                    manager: manager.name.to_string(),
                    name: name(),
                    key: key.to_string(),
                })),
                Err(KeyError::NotKeyValue) => Err(Box::new(SecretError::NotKeyValue {
                    manager: manager.name.to_string(),
                    name: name(),
                    key: key.to_string(),
                })),
            },
        }),
        Content::Failed(error) => match &**error {
            ProviderError::NotFound(_) => None,
            // A backend that refuses to read a deleted secret (a conflict): missing, as a deleted secret is.
            _ if matches!(entry.absence.as_deref(), Some(Absence::Deleted { .. })) => None,
            // Under `auto`, a backend that cannot even name the whole path (Key Vault allows no slashes) has
            // no such secret: go on to the NAME/KEY reading.
            ProviderError::InvalidArgument(_) if candidate.field.is_none() && plan.candidates.len() > 1 => None,
            error => Some(Err(Box::new(SecretError::Backend {
                manager: manager.name.to_string(),
                name: name(),
                error: error.clone(),
            }))),
        },
    }
}

/// Whether a secret is outside its validity now: `Some(true)` expired, `Some(false)` not valid yet. Reads the
/// clock only for secrets that have an expiry or a not-before time.
fn outside_validity(metadata: &keyway_types::SecretMetadata) -> Option<bool> {
    if metadata.expires_at.is_none() && metadata.not_before.is_none() {
        return None;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    if metadata.expires_at.is_some_and(|at| at <= now) {
        return Some(true);
    }
    metadata.not_before.is_some_and(|from| from > now).then_some(false)
}

fn validity_error(manager: &Manager, name: String, metadata: &keyway_types::SecretMetadata) -> SecretError {
    let time =
        |ms: u64| crate::audit::time::format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms));
    match (outside_validity(metadata), metadata.expires_at, metadata.not_before) {
        (Some(false), _, Some(from)) => {
            SecretError::NotYetValid { manager: manager.name.to_string(), name, from: time(from) }
        }
        (_, at, _) => SecretError::Expired { manager: manager.name.to_string(), name, at: time(at.unwrap_or(0)) },
    }
}

/// "Not found", naming what was tried: `'NAME'`, `key 'KEY' of 'NAME'`, or `'NAME' (not a valid name there)`,
/// and why the first secret that is there could not be read as asked (deleted, or no such version).
fn not_found<'e>(manager: &Manager, plan: &LookupPlan, entries: impl Iterator<Item = &'e Arc<Entry>>) -> SecretError {
    let mut absence = None;
    let names = plan
        .candidates
        .iter()
        .zip(entries)
        .map(|(candidate, entry)| {
            if absence.is_none() {
                absence.clone_from(&entry.absence);
            }
            let name = &candidate.key.name;
            match (&candidate.field, &entry.content) {
                (None, Content::Failed(error)) if matches!(**error, ProviderError::InvalidArgument(_)) => {
                    format!("'{name}' (not a valid name there)")
                }
                (Some(key), _) => format!("key '{key}' of '{name}'"),
                (None, _) => format!("'{name}'"),
            }
        })
        .collect();
    SecretError::NotFound { manager: manager.name.to_string(), names, absence }
}
