//! Resolving one step. Every string with placeholders is compiled once (parsed, managers resolved, plans
//! attached) and kept in the front; each distinct plan is read once. When the front's cells hold a servable
//! entry for every plan, the whole step resolves under one read lock without a cache call or a future;
//! otherwise the missing plans are read through the cache, all concurrently. Either way the same judgement,
//! audit records, masking and errors (the first failure in document order, naming path and placeholder).

use super::front::{CompiledLeaf, LeafDraft, LeafError, LookupPlan};
use super::lookup::{self, Callers, Outcome};
use super::output::{build, first_failure, replacements};
use super::resolved::{masker_of, StepSource};
use super::walk::{locate, walk, LeafUse, Shape};
use super::{Disclosure, ResolvedStep, Resolver};
use crate::access::Identity;
use crate::audit::AuditBatch;
use crate::cache::{coarse_now, Entry, Tally};
use crate::error::{quote_placeholder, ResolveError, SecretError};
use crate::path::StepPath;
use serde_json::Value;
use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Instant;

pub(super) async fn resolve(
    resolver: &Resolver,
    identity: &Identity,
    base: &StepPath,
    step: &Value,
    disclosure: Disclosure,
) -> Result<ResolvedStep, ResolveError> {
    let inner = &resolver.inner;
    // Judging entries needs no more precision than the coarse clock's (see `cache::clock`).
    let now = coarse_now();
    let mut audit = inner.auditor.batch("resolve", identity, Some(disclosure == Disclosure::Revealed));
    // Leaves compiled by this call, found here even if the front does not keep them.
    let mut compiled: Vec<Arc<CompiledLeaf>> = Vec::new();
    let slow = loop {
        let state = inner.front.read();
        let find = |text: &str| {
            state.leaf(state.leaf_hash(text), text).or_else(|| compiled.iter().find(|leaf| &*leaf.text == text))
        };
        let walk = walk(step, base, find, audit.is_some(), !compiled.is_empty());
        // Every string with placeholders holds at least one: a step far too large is refused before its
        // strings are compiled, the rest once they are counted.
        let limits = &inner.limits;
        let strings = walk.leaves.len() + walk.missing.len();
        if strings > limits.max_placeholders {
            return Err(too_large(base, "placeholders", strings, limits.max_placeholders, "max_placeholders"));
        }
        if !walk.missing.is_empty() {
            let missing = walk.missing;
            drop(state);
            compiled.extend(compile(resolver, base, step, missing)?);
            continue;
        }
        if walk.shape.uses.len() > limits.max_placeholders {
            let found = walk.shape.uses.len();
            return Err(too_large(base, "placeholders", found, limits.max_placeholders, "max_placeholders"));
        }
        if walk.distinct.len() > limits.max_secrets {
            let found = walk.distinct.len();
            return Err(too_large(base, "distinct secrets", found, limits.max_secrets, "max_secrets"));
        }

        let mut callers = Callers::default();
        let mut tally = Tally::default();
        let mut outcomes = Vec::with_capacity(walk.distinct.len());
        for plan in &walk.distinct {
            let manager = inner.managers.get(plan.manager);
            let caller = callers.check(plan.manager, manager, identity);
            let outcome = lookup::refusal(manager, plan, caller).or_else(|| {
                let cells = state.entries(plan)?;
                lookup::from_cells(manager, plan, cells, now, &mut tally)
            });
            match outcome {
                Some(outcome) => outcomes.push(outcome),
                None => break,
            }
        }
        if outcomes.len() == walk.distinct.len() {
            let result =
                conclude(resolver, base, step, &walk.leaves, &walk.distinct, &walk.shape, &outcomes, &mut audit);
            drop(tally);
            drop(state);
            if let Some(batch) = audit {
                batch.finish();
            }
            return result;
        }
        // Some plan needs a read: keep what is known, and let go of the front before waiting.
        let known: Vec<Outcome<Arc<Entry>>> = outcomes.into_iter().map(Outcome::into_owned).collect();
        break Detached {
            leaves: walk.leaves.iter().map(|used| (used.ordinal, Arc::clone(used.leaf), used.uses.clone())).collect(),
            distinct: walk.distinct.iter().map(|plan| Arc::clone(plan)).collect(),
            shape: walk.shape,
            known,
        };
    };
    let result = resolve_reading(resolver, identity, base, step, slow, now, &mut audit).await;
    if let Some(batch) = audit {
        batch.finish();
    }
    result
}

/// The error of a step over one of its [`StepLimits`](crate::StepLimits).
fn too_large(base: &StepPath, what: &'static str, found: usize, limit: usize, setting: &'static str) -> ResolveError {
    ResolveError::new(base.clone(), String::new(), SecretError::StepTooLarge { what, found, limit, setting })
}

/// A walk kept past the front's lock, with the outcomes already known (for the first plans, in order).
struct Detached {
    leaves: Vec<(usize, Arc<CompiledLeaf>, std::ops::Range<usize>)>,
    distinct: Vec<Arc<LookupPlan>>,
    shape: Shape,
    known: Vec<Outcome<Arc<Entry>>>,
}

/// The slow path: reads the plans with no outcome yet through the cache, concurrently, remembers what they
/// returned in the front, and concludes.
async fn resolve_reading(
    resolver: &Resolver,
    identity: &Identity,
    base: &StepPath,
    step: &Value,
    detached: Detached,
    now: Instant,
    audit: &mut Option<AuditBatch<'_>>,
) -> Result<ResolvedStep, ResolveError> {
    let inner = &resolver.inner;
    let Detached { leaves, distinct, shape, mut known } = detached;
    let (mut rest, to_read) = prepare_reads(resolver, identity, &distinct[known.len()..], now);
    let reads = to_read.iter().map(|(_, plan)| lookup::read(inner.managers.get(plan.manager), plan));
    let read = futures::future::join_all(reads).await;
    inner.front.remember(to_read.iter().zip(&read).map(|((_, plan), (_, entries))| (*plan, entries.as_slice())));
    for ((slot, _), (outcome, _)) in to_read.iter().zip(read) {
        if let Some(slot) = rest.get_mut(*slot) {
            *slot = Some(outcome);
        }
    }
    // Every slot left empty was read.
    known.extend(rest.into_iter().flatten());
    let leaves: Vec<LeafUse<'_>> =
        leaves.iter().map(|(ordinal, leaf, uses)| LeafUse { ordinal: *ordinal, leaf, uses: uses.clone() }).collect();
    let distinct: Vec<&Arc<LookupPlan>> = distinct.iter().collect();
    conclude(resolver, base, step, &leaves, &distinct, &shape, &known, audit)
}

/// The outcome of each plan that can be told without a read (refused, or servable from the front's cells by
/// now), and the plans to read with their positions.
#[allow(clippy::type_complexity)]
fn prepare_reads<'p>(
    resolver: &Resolver,
    identity: &Identity,
    plans: &'p [Arc<LookupPlan>],
    now: Instant,
) -> (Vec<Option<Outcome<Arc<Entry>>>>, Vec<(usize, &'p Arc<LookupPlan>)>) {
    let inner = &resolver.inner;
    let state = inner.front.read();
    let mut callers = Callers::default();
    let mut tally = Tally::default();
    let mut rest = Vec::with_capacity(plans.len());
    let mut to_read = Vec::new();
    for plan in plans {
        let manager = inner.managers.get(plan.manager);
        let outcome = lookup::refusal(manager, plan, callers.check(plan.manager, manager, identity)).or_else(|| {
            let cells = state.entries(plan)?;
            lookup::from_cells(manager, plan, cells, now, &mut tally).map(Outcome::into_owned)
        });
        if outcome.is_none() {
            to_read.push((rest.len(), plan));
        }
        rest.push(outcome);
    }
    (rest, to_read)
}

/// Compiles the strings no leaf was found for (in document order) and adds them to the front. The first one
/// that cannot be compiled fails the step: nothing is read then.
fn compile(
    resolver: &Resolver,
    base: &StepPath,
    step: &Value,
    missing: Vec<(usize, &str)>,
) -> Result<Vec<Arc<CompiledLeaf>>, ResolveError> {
    let drafts = missing
        .into_iter()
        .map(|(ordinal, text)| {
            LeafDraft::new(text, &resolver.inner.managers).map_err(|LeafError { placeholder, cause }| {
                ResolveError::new(StepPath::joined(base, &locate(step, ordinal)), placeholder, cause)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(resolver.inner.front.install(drafts))
}

/// Audits every distinct plan, registers the values found for masking, and returns the first failure in
/// document order or the resolved tree.
#[allow(clippy::too_many_arguments)]
fn conclude<E: Borrow<Arc<Entry>>>(
    resolver: &Resolver,
    base: &StepPath,
    step: &Value,
    leaves: &[LeafUse<'_>],
    distinct: &[&Arc<LookupPlan>],
    shape: &Shape,
    outcomes: &[Outcome<E>],
    audit: &mut Option<AuditBatch<'_>>,
) -> Result<ResolvedStep, ResolveError> {
    let inner = &resolver.inner;
    if let Some(batch) = audit {
        batch.reserve(distinct.len(), shape.path_text.len());
        for (index, (plan, outcome)) in distinct.iter().zip(outcomes).enumerate() {
            batch.push(outcome.record(plan, inner.managers.get(plan.manager), shape.path(index)));
        }
    }
    let replacements = replacements(&inner.managers, distinct, outcomes);
    for replacement in replacements.iter().flatten() {
        replacement.mask(&inner.masker);
    }
    let sources: Vec<StepSource> = replacements.iter().flatten().map(|replacement| replacement.source()).collect();
    if let Some((position, span, cause)) = first_failure(leaves, shape, &replacements) {
        let (ordinal, text) = leaves.get(position).map_or((0, ""), |used| (used.ordinal, &*used.leaf.text));
        let placeholder = quote_placeholder(text.get(span).unwrap_or_default());
        // A backend's message must not carry a value another placeholder of the same step resolved.
        let cause = match cause {
            SecretError::Backend { manager, name, error } => {
                let own = masker_of(&sources);
                SecretError::Backend { manager, name, error: error.map_message(|message| own.mask(&message)) }
            }
            other => other,
        };
        return Err(ResolveError::new(StepPath::joined(base, &locate(step, ordinal)), placeholder, cause));
    }
    let mut resolved = ResolvedStep::new(build(step, leaves, shape, &replacements), sources);
    resolved.set_secrets(distinct.len());
    Ok(resolved)
}
