//! The flow-node read: one secret with its metadata, through the front and the cache, checked, audited and
//! registered for masking.

use super::front::{LookupPlan, PlanDraft};
use super::lookup::{self, Outcome};
use super::{Manager, Resolver};
use crate::access::{Denial, Identity};
use crate::audit::{AuditBatch, RecordFields};
use crate::cache::{coarse_now, CacheStatus, Entry, Tally};
use crate::error::SecretError;
use crate::fields::SharedSecret;
use crate::placeholder::{KeySpec, SecretRef};
use keyway_types::VersionSelector;
use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Instant;

impl Resolver {
    /// Reads one secret for a flow node: the value and its metadata, through the cache, checked and audited.
    /// Text values are registered for masking.
    pub async fn get(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<Arc<SharedSecret>, SecretError> {
        // Judging entries needs no more precision than the coarse clock's (see `cache::clock`).
        let now = coarse_now();
        let mut audit = self.inner.auditor.batch("get", identity, Some(true));
        let result = match self.inner.managers.index_of(manager) {
            Some(index) => {
                let managed = self.inner.managers.get(index);
                let caller = managed.access.check_caller(identity);
                match self.get_cached(index, name, selector, &caller, now, &mut audit) {
                    Ok(result) => result,
                    Err(plan) => self.get_reading(index, name, selector, &caller, plan, &mut audit).await,
                }
            }
            None => {
                let error = SecretError::UnknownManager { manager: manager.to_owned() };
                if let Some(batch) = &mut audit {
                    batch.push(RecordFields {
                        manager,
                        secret: name,
                        key: None,
                        selector,
                        version: None,
                        outcome: error.kind_name(),
                        cache: CacheStatus::Bypassed,
                        path: None,
                        detail: None,
                    });
                }
                Err(error)
            }
        };
        if let Some(batch) = audit {
            batch.finish();
        }
        result
    }

    /// The read answered from the front (refused, or a servable entry in the plan's cells); otherwise the
    /// plan, when there is one, for [`get_reading`](Self::get_reading).
    fn get_cached(
        &self,
        index: usize,
        name: &str,
        selector: &VersionSelector,
        caller: &Result<(), Denial>,
        now: Instant,
        audit: &mut Option<AuditBatch<'_>>,
    ) -> Result<Result<Arc<SharedSecret>, SecretError>, Option<Arc<LookupPlan>>> {
        let manager = self.inner.managers.get(index);
        let state = self.inner.front.read();
        let Some(plan) = state.plan(index, name, &KeySpec::None, selector) else { return Err(None) };
        let mut tally = Tally::default();
        let cached = lookup::refusal(manager, plan, caller).or_else(|| {
            let cells = state.entries(plan)?;
            lookup::from_cells(manager, plan, cells, now, &mut tally)
        });
        match cached {
            Some(outcome) => Ok(self.conclude_get(manager, plan, outcome, audit)),
            None => Err(Some(Arc::clone(plan))),
        }
    }

    /// The read through the cache (single-flight, refresh, stale-if-error); its entries are remembered.
    async fn get_reading(
        &self,
        index: usize,
        name: &str,
        selector: &VersionSelector,
        caller: &Result<(), Denial>,
        plan: Option<Arc<LookupPlan>>,
        audit: &mut Option<AuditBatch<'_>>,
    ) -> Result<Arc<SharedSecret>, SecretError> {
        let manager = self.inner.managers.get(index);
        let plan = plan.unwrap_or_else(|| {
            let reference = SecretRef {
                // The plan's manager is its index.
                manager: None,
                path: name.to_owned(),
                key: KeySpec::None,
                selector: selector.clone(),
                namespace: None,
            };
            self.inner.front.plan(PlanDraft::new(index, manager, reference))
        });
        if let Some(refused) = lookup::refusal::<Arc<Entry>>(manager, &plan, caller) {
            return self.conclude_get(manager, &plan, refused, audit);
        }
        let (outcome, read) = lookup::read(manager, &plan).await;
        self.inner.front.remember([(&plan, read.as_slice())]);
        self.conclude_get(manager, &plan, outcome, audit)
    }

    /// Audits the read, registers a text value for masking and hands out the secret.
    fn conclude_get<E: Borrow<Arc<Entry>>>(
        &self,
        manager: &Manager,
        plan: &LookupPlan,
        outcome: Outcome<E>,
        audit: &mut Option<AuditBatch<'_>>,
    ) -> Result<Arc<SharedSecret>, SecretError> {
        if let Some(batch) = audit {
            batch.push(outcome.record(plan, manager, None));
        }
        let (shared, _) = outcome.found(manager, plan)?;
        shared.mask_text(&self.inner.masker);
        let entry = outcome.entry.as_ref().map(Borrow::borrow);
        entry.and_then(|entry| entry.shared()).map(Arc::clone).ok_or_else(|| SecretError::NotFound {
            manager: manager.name.to_string(),
            names: vec![format!("'{}'", plan.path)],
            absence: None,
        })
    }
}
