//! The resolver's front: what makes a cached resolution cheap. It keeps
//! - compiled string leaves by their text (parsed once, managers resolved, plans attached),
//! - lookup plans by reference (key-rule candidates, cache keys, allow/deny decisions), and
//! - per plan, the cache entries its last read returned ("cells").
//!
//! A resolution whose every placeholder has a servable entry in its cells is done under one read lock
//! without touching moka: [`ManagerCache::serve_cached`](crate::cache::ManagerCache::serve_cached) judges each
//! entry exactly as a read through the cache would (retired, invalidated, expired, stale, refresh due).
//! Anything else falls back to the cache's single-flight read, whose entries are then remembered here.
//!
//! Bounded: beyond [`MAX_LEAVES`] leaves or [`MAX_PLANS`] plans, everything is dropped and rebuilt as steps
//! come. Entries are dropped from the cells when the cache lets go of them: at once on invalidation, at the
//! next sweep (every half second) on eviction or expiry.

mod leaf;
mod one_or_many;
mod plan;
mod table;

pub(crate) use leaf::{CompiledLeaf, LeafDraft, LeafError};
pub(crate) use plan::{LookupPlan, PlanDraft, Wanted};

use crate::cache::{CacheKey, Entry};
use crate::placeholder::KeySpec;
use keyway_types::VersionSelector;
use one_or_many::OneOrMany;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use table::{HashedMap, Seed};

/// At most this many compiled leaves are kept.
const MAX_LEAVES: usize = 4096;
/// Longer strings are compiled at each use, not kept.
const MAX_LEAF_BYTES: usize = 4096;
/// At most this many plans (and their cells) are kept.
const MAX_PLANS: usize = 16_384;

/// Compiled leaves, plans and their remembered entries, behind one lock that readers share.
#[derive(Default)]
pub(crate) struct Front {
    state: RwLock<State>,
}

/// What the front holds; read under [`Front::read`].
#[derive(Default)]
pub(crate) struct State {
    seed: Seed,
    leaves: HashedMap<Arc<CompiledLeaf>>,
    plans: HashedMap<Arc<LookupPlan>>,
    cells: Vec<Cells>,
}

/// The entries last read for a plan, one per candidate name.
struct Cells {
    plan: Arc<LookupPlan>,
    entries: OneOrMany<Option<Arc<Entry>>>,
}

impl Front {
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds compiled leaves (and their plans); returns them, in order, whether kept or not.
    pub fn install(&self, drafts: Vec<LeafDraft>) -> Vec<Arc<CompiledLeaf>> {
        let mut state = self.write();
        drafts
            .into_iter()
            .map(|draft| {
                let hash = state.leaf_hash(&draft.text);
                if let Some(leaf) = state.leaf(hash, &draft.text) {
                    return Arc::clone(leaf);
                }
                let keep = draft.text.len() <= MAX_LEAF_BYTES;
                state.make_room(usize::from(keep), draft.plans.len());
                let plans = draft.plans.into_iter().map(|plan| state.intern(plan)).collect();
                let leaf = Arc::new(CompiledLeaf { text: draft.text, template: draft.template, plans });
                if keep {
                    // A full bucket keeps nothing more: the string is then compiled at each use.
                    state.leaves.insert(hash, Arc::clone(&leaf));
                }
                leaf
            })
            .collect()
    }

    /// The plan `draft` describes, added when new.
    pub fn plan(&self, draft: PlanDraft) -> Arc<LookupPlan> {
        let mut state = self.write();
        state.make_room(0, 1);
        state.intern(draft)
    }

    /// Remembers the entries a read returned for each of `reads`' plans (one per candidate tried, in order).
    pub fn remember<'a>(&self, reads: impl IntoIterator<Item = (&'a Arc<LookupPlan>, &'a [Arc<Entry>])>) {
        let mut state = self.write();
        for (plan, entries) in reads {
            let Some(cells) = state.cells.get_mut(plan.cell).filter(|cells| Arc::ptr_eq(&cells.plan, plan)) else {
                continue;
            };
            for (cell, entry) in cells.entries.iter_mut().zip(entries) {
                *cell = (!entry.is_retired()).then(|| Arc::clone(entry));
            }
        }
    }

    /// Drops the remembered entries of every cache key for which `matches(manager, key)` holds.
    pub fn forget(&self, matches: impl Fn(usize, &CacheKey) -> bool) {
        let mut state = self.write();
        for cells in &mut state.cells {
            for (cell, candidate) in cells.entries.iter_mut().zip(&cells.plan.candidates) {
                if cell.is_some() && matches(cells.plan.manager, &candidate.key) {
                    *cell = None;
                }
            }
        }
    }

    /// Drops remembered entries that can no longer be served (`servable(manager, key, entry)` is false), so
    /// their values go as soon as the cache lets go of them. Returns the keys of the entries served from here
    /// since the last sweep, for the cache's eviction policy.
    pub fn sweep(&self, servable: impl Fn(usize, &CacheKey, &Arc<Entry>) -> bool) -> Vec<(usize, CacheKey)> {
        let mut done = Vec::new();
        let mut touched = Vec::new();
        {
            let state = self.read();
            for (index, cells) in state.cells.iter().enumerate() {
                for (position, (cell, candidate)) in cells.entries.iter().zip(&cells.plan.candidates).enumerate() {
                    let Some(entry) = cell else { continue };
                    if !servable(cells.plan.manager, &candidate.key, entry) {
                        done.push((index, position));
                    } else if entry.take_touch() {
                        touched.push((cells.plan.manager, candidate.key.clone()));
                    }
                }
            }
        }
        if !done.is_empty() {
            let mut state = self.write();
            for (index, position) in done {
                let Some(cells) = state.cells.get_mut(index) else { continue };
                let (manager, plan) = (cells.plan.manager, Arc::clone(&cells.plan));
                if let (Some(cell), Some(candidate)) = (cells.entries.get_mut(position), plan.candidates.get(position))
                {
                    if cell.as_ref().is_some_and(|entry| !servable(manager, &candidate.key, entry)) {
                        *cell = None;
                    }
                }
            }
        }
        touched
    }
}

impl State {
    /// The hash of a leaf's text, for [`leaf`](Self::leaf).
    pub fn leaf_hash(&self, text: &str) -> u64 {
        self.seed.hash(0, &[text.as_bytes()])
    }

    /// The compiled leaf of `text`.
    pub fn leaf(&self, hash: u64, text: &str) -> Option<&Arc<CompiledLeaf>> {
        self.leaves.get(hash, |leaf| &*leaf.text == text)
    }

    /// The plan reading `path` (with `key` and `selector`, no namespace) on manager `manager`.
    pub fn plan(
        &self,
        manager: usize,
        path: &str,
        key: &KeySpec,
        selector: &VersionSelector,
    ) -> Option<&Arc<LookupPlan>> {
        let wanted = Wanted { manager, path, key, selector, namespace: None };
        self.plans.get(self.plan_hash(wanted), |plan| plan.wanted() == wanted)
    }

    /// The hash of what a plan reads.
    fn plan_hash(&self, wanted: Wanted<'_>) -> u64 {
        let Wanted { manager, path, key, selector, namespace } = wanted;
        let (key_tag, key_text) = match key {
            KeySpec::None => (0u64, ""),
            KeySpec::Explicit(key) => (1, key.as_str()),
            KeySpec::LastSegment => (2, ""),
        };
        let (selector_tag, selector_text) = match selector {
            VersionSelector::Latest => (0u64, ""),
            VersionSelector::Id(id) => (1, id.as_str()),
            VersionSelector::Label(label) => (2, label.as_str()),
        };
        let tag = 1 + ((manager as u64) << 4 | key_tag << 2 | selector_tag);
        let namespace = namespace.unwrap_or("\u{0}");
        self.seed.hash(tag, &[path.as_bytes(), key_text.as_bytes(), selector_text.as_bytes(), namespace.as_bytes()])
    }

    /// The entries remembered for `plan`, one per candidate; `None` when the plan is no longer kept.
    pub fn entries(&self, plan: &Arc<LookupPlan>) -> Option<&[Option<Arc<Entry>>]> {
        let cells = self.cells.get(plan.cell).filter(|cells| Arc::ptr_eq(&cells.plan, plan))?;
        Some(&cells.entries)
    }

    fn intern(&mut self, draft: PlanDraft) -> Arc<LookupPlan> {
        let wanted = Wanted::of(draft.manager(), draft.reference());
        let hash = self.plan_hash(wanted);
        if let Some(plan) = self.plans.get(hash, |plan| plan.wanted() == wanted) {
            return Arc::clone(plan);
        }
        let plan = Arc::new(draft.into_plan(self.cells.len()));
        let entries = OneOrMany::from_vec(plan.candidates.iter().map(|_| None).collect());
        self.cells.push(Cells { plan: Arc::clone(&plan), entries });
        // A full bucket keeps nothing more: the plan then serves only the leaf being compiled.
        self.plans.insert(hash, Arc::clone(&plan));
        plan
    }

    /// Drops everything when `leaves` more leaves or `plans` more plans would not fit.
    fn make_room(&mut self, leaves: usize, plans: usize) {
        if self.leaves.len() + leaves > MAX_LEAVES || self.cells.len() + plans > MAX_PLANS {
            tracing::debug!(leaves = self.leaves.len(), plans = self.cells.len(), "resolver front full: cleared");
            self.leaves.clear();
            self.plans.clear();
            self.cells.clear();
        }
    }
}
