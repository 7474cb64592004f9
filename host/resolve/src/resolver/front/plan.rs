//! A lookup plan: what one distinct placeholder (or flow-node `get`) reads, worked out once — the names the
//! key rule allows, their cache keys, and which of them the manager's allow/deny patterns refuse.

use super::super::Manager;
use super::one_or_many::OneOrMany;
use crate::access::Denial;
use crate::cache::CacheKey;
use crate::manager::KeyRule;
use crate::placeholder::{KeySpec, SecretRef};
use keyway_types::VersionSelector;
use std::sync::Arc;

/// One name a reference can mean, and the key to read from it.
pub(crate) struct Candidate {
    pub key: CacheKey,
    pub field: Option<Arc<str>>,
}

/// What a reference reads on its manager, decided once. Shared by every string and step that use it.
pub(crate) struct LookupPlan {
    /// The manager's index in the resolver.
    pub manager: usize,
    /// The reference's path (shared with audit records and, most often, with the first candidate's name),
    /// key, version selector and namespace.
    pub path: Arc<str>,
    pub key: KeySpec,
    pub selector: VersionSelector,
    pub namespace: Option<String>,
    /// The names tried, in order (see [`KeyRule`]); most often one.
    pub candidates: OneOrMany<Candidate>,
    /// The first candidate whose name the manager's allow/deny patterns refuse. The patterns do not change
    /// while the resolver lives, so this is decided when the plan is made; callers are still checked at each
    /// call. Boxed: rare, and plans are many.
    pub refused: Option<Box<(usize, Denial)>>,
    /// Where the plan's remembered entries are in the front.
    pub(super) cell: usize,
}

/// A plan not yet in the front.
pub(crate) struct PlanDraft {
    manager: usize,
    reference: SecretRef,
    path: Arc<str>,
    candidates: Vec<Candidate>,
    refused: Option<Box<(usize, Denial)>>,
}

impl PlanDraft {
    /// The plan of `reference` (whose manager is `manager`, at index `index`).
    pub fn new(index: usize, manager: &Manager, reference: SecretRef) -> Self {
        let names = candidates(&reference, manager.keys);
        // A namespace (Kestra) places each name in the namespace, and with inheritance in the namespaces above
        // it, nearest first.
        let names: Vec<(String, Option<&str>)> = match (&reference.namespace, &manager.namespaces) {
            (Some(namespace), Some(layout)) => layout
                .names(namespace, "\u{0}")
                .into_iter()
                .flat_map(|placed| names.iter().map(move |(name, field)| (placed.replace('\u{0}', name), *field)))
                .collect(),
            _ => names.into_iter().map(|(name, field)| (name.to_owned(), field)).collect(),
        };
        // The path is most often the (first) name itself: one copy serves both.
        let path: Arc<str> = Arc::from(reference.path.as_str());
        let candidates: Vec<Candidate> = names
            .into_iter()
            .map(|(name, field)| Candidate {
                key: CacheKey {
                    name: if *name == *path { Arc::clone(&path) } else { Arc::from(name) },
                    selector: reference.selector.clone(),
                },
                field: field.map(Arc::from),
            })
            .collect();
        let refused = candidates.iter().enumerate().find_map(|(position, candidate)| {
            manager.access.check_name(&candidate.key.name).err().map(|denial| Box::new((position, denial)))
        });
        Self { manager: index, reference, path, candidates, refused }
    }

    pub fn manager(&self) -> usize {
        self.manager
    }

    pub fn reference(&self) -> &SecretRef {
        &self.reference
    }

    /// The plan, with its entries at `cell` of the front.
    pub(super) fn into_plan(self, cell: usize) -> LookupPlan {
        let SecretRef { key, selector, namespace, .. } = self.reference;
        LookupPlan {
            manager: self.manager,
            path: self.path,
            key,
            selector,
            namespace,
            candidates: OneOrMany::from_vec(self.candidates),
            refused: self.refused,
            cell,
        }
    }
}

impl LookupPlan {
    /// What this plan reads.
    pub fn wanted(&self) -> Wanted<'_> {
        Wanted {
            manager: self.manager,
            path: &self.path,
            key: &self.key,
            selector: &self.selector,
            namespace: self.namespace.as_deref(),
        }
    }
}

/// What a plan reads, borrowed: how plans are found (hashed) and told apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wanted<'a> {
    pub manager: usize,
    pub path: &'a str,
    pub key: &'a KeySpec,
    pub selector: &'a VersionSelector,
    pub namespace: Option<&'a str>,
}

impl<'a> Wanted<'a> {
    /// What `reference` reads on manager `manager`.
    pub fn of(manager: usize, reference: &'a SecretRef) -> Self {
        Self {
            manager,
            path: &reference.path,
            key: &reference.key,
            selector: &reference.selector,
            namespace: reference.namespace.as_deref(),
        }
    }
}

/// The (name, key) pairs a reference can mean, in the order they are tried; see [`KeyRule`].
fn candidates(reference: &SecretRef, rule: KeyRule) -> Vec<(&str, Option<&str>)> {
    let path = reference.path.as_str();
    match &reference.key {
        KeySpec::None => vec![(path, None)],
        KeySpec::Explicit(key) => vec![(path, Some(key.as_str()))],
        KeySpec::LastSegment => match (path.rsplit_once('/'), rule) {
            (None, _) | (Some(_), KeyRule::Never) => vec![(path, None)],
            (Some((name, key)), KeyRule::LastSegment) => vec![(name, Some(key))],
            (Some((name, key)), KeyRule::Auto) => vec![(path, None), (name, Some(key))],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyway_types::VersionSelector;

    fn reference(path: &str, key: KeySpec) -> SecretRef {
        SecretRef {
            manager: Some("m".into()),
            path: path.into(),
            key,
            selector: VersionSelector::Latest,
            namespace: None,
        }
    }

    #[test]
    fn the_key_rule_decides_what_a_trailing_segment_is() {
        let path = reference("prod/db/password", KeySpec::LastSegment);
        assert_eq!(candidates(&path, KeyRule::Never), vec![("prod/db/password", None)]);
        assert_eq!(candidates(&path, KeyRule::LastSegment), vec![("prod/db", Some("password"))]);
        assert_eq!(candidates(&path, KeyRule::Auto), vec![("prod/db/password", None), ("prod/db", Some("password"))]);
        let plain = reference("db", KeySpec::LastSegment);
        assert_eq!(candidates(&plain, KeyRule::LastSegment), vec![("db", None)]);
        let explicit = reference("prod/db", KeySpec::Explicit("user".into()));
        assert_eq!(candidates(&explicit, KeyRule::Auto), vec![("prod/db", Some("user"))]);
    }
}
