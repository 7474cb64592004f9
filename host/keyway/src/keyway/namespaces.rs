//! Kestra's namespaces, for managers that keep secrets by namespace (`managers.NAME.namespaces`): before a
//! step is resolved, each Kestra placeholder (`{{ secret('NAME') }}`) on such a manager that names no
//! namespace is given the calling flow's (`namespace='company.team'`), so the resolver looks it up there and,
//! with inheritance, in the namespaces above, nearest first. A placeholder that names a namespace may name
//! only the caller's own or one above it: a flow of `company.team` may read `company`'s secrets, never
//! `company.other`'s. Rewriting the text keeps the resolver's caches per text correct: two namespaces never
//! share a compiled placeholder.

use super::Keyway;
use crate::error::KeywayError;
use keyway_resolve::placeholder::{parse, KeySpec, SecretRef};
use keyway_resolve::{Denial, Identity, SecretError};
use keyway_types::VersionSelector;
use std::borrow::Cow;

/// Whether `requested` is `own` or a namespace above it.
fn within(own: &str, requested: &str) -> bool {
    own == requested || own.strip_prefix(requested).is_some_and(|rest| rest.starts_with('.'))
}

/// A Kestra placeholder for `reference`.
fn kestra(reference: &SecretRef, namespace: &str) -> String {
    let quote = |text: &str| if text.contains('\'') { format!("\"{text}\"") } else { format!("'{text}'") };
    let mut text = format!("{{{{ secret({}, namespace={}", quote(&reference.path), quote(namespace));
    if let Some(manager) = &reference.manager {
        text.push_str(&format!(", manager={}", quote(manager)));
    }
    if let KeySpec::Explicit(key) = &reference.key {
        text.push_str(&format!(", subkey={}", quote(key)));
    }
    match &reference.selector {
        VersionSelector::Latest => {}
        VersionSelector::Id(id) => text.push_str(&format!(", version={}", quote(id))),
        VersionSelector::Label(label) => text.push_str(&format!(", label={}", quote(label))),
    }
    text.push_str(") }}");
    text
}

impl Keyway {
    /// The access check of every call naming a secret: the manager's rules, then, on a manager that keeps
    /// secrets by namespace, the caller's namespace — a caller in `company.team` may use the secrets of
    /// `company.team` and of the namespaces above it, nothing else; a caller over a front end (it has a peer)
    /// that asserts no namespace may use none of them. keyway used directly (the CLI, the library, keyway's
    /// own jobs) without a namespace is not bound by namespaces.
    pub(crate) fn authorize_name(
        &self,
        identity: &Identity,
        manager: &str,
        name: Option<&str>,
    ) -> Result<(), KeywayError> {
        self.resolver.authorize(identity, manager, name)?;
        match name {
            Some(name) => self.check_namespace(identity, manager, name),
            None => Ok(()),
        }
    }

    /// The namespace part of [`authorize_name`](Self::authorize_name).
    pub(crate) fn check_namespace(&self, identity: &Identity, manager: &str, name: &str) -> Result<(), KeywayError> {
        let Some(layout) = self.shared.slots.get(manager).and_then(|slot| slot.config.namespaces.as_ref()) else {
            return Ok(());
        };
        let allowed = match (&identity.namespace, layout.namespace_of(name)) {
            (Some(own), Some(namespace)) => within(own, namespace),
            (Some(_), None) => false,
            (None, _) => identity.peer.is_none(),
        };
        if allowed {
            return Ok(());
        }
        Err(KeywayError::Secret(SecretError::Denied {
            manager: manager.to_owned(),
            name: name.to_owned(),
            reason: Denial::Caller,
        }))
    }

    /// `step` with every Kestra placeholder on a namespaced manager placed in a namespace the caller may use;
    /// the step itself when nothing changes (always, when no manager keeps secrets by namespace).
    pub(crate) fn place_in_namespaces<'a>(
        &self,
        identity: &Identity,
        step: &'a serde_json::Value,
    ) -> Result<Cow<'a, serde_json::Value>, KeywayError> {
        if !self.shared.slots.values().any(|slot| slot.config.namespaces.is_some()) {
            return Ok(Cow::Borrowed(step));
        }
        let mut copy: Option<serde_json::Value> = None;
        self.walk(identity, step, step, &mut Vec::new(), &mut copy)?;
        Ok(copy.map_or(Cow::Borrowed(step), Cow::Owned))
    }

    fn walk(
        &self,
        identity: &Identity,
        root: &serde_json::Value,
        node: &serde_json::Value,
        path: &mut Vec<PathPart>,
        copy: &mut Option<serde_json::Value>,
    ) -> Result<(), KeywayError> {
        match node {
            serde_json::Value::String(text) if text.contains("{{") || text.contains("${secret:") => {
                if let Some(placed) = self.place_text(identity, text)? {
                    let copy = copy.get_or_insert_with(|| root.clone());
                    set(copy, path, serde_json::Value::String(placed));
                }
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(PathPart::Index(index));
                    self.walk(identity, root, item, path, copy)?;
                    path.pop();
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    path.push(PathPart::Key(key.clone()));
                    self.walk(identity, root, item, path, copy)?;
                    path.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The text with its Kestra placeholders placed, or `None` when none needs it. Malformed text is left to
    /// the resolver, which reports it with its step path.
    fn place_text(&self, identity: &Identity, text: &str) -> Result<Option<String>, KeywayError> {
        let Ok(template) = parse(text) else { return Ok(None) };
        let mut placed = String::with_capacity(text.len() + 32);
        let mut copied = 0;
        let mut changed = false;
        for (span, reference) in template.placeholders() {
            let written = text.get(span.clone()).unwrap_or_default();
            let manager = reference.manager.as_deref().or(self.default_manager.as_deref());
            let namespaced = manager
                .and_then(|manager| self.shared.slots.get(manager))
                .is_some_and(|slot| slot.config.namespaces.is_some());
            if !namespaced {
                continue;
            }
            if !written.starts_with("{{") {
                // The canonical form names the secret as stored: its namespace must be one the caller may use.
                self.check_namespace(identity, manager.unwrap_or_default(), &reference.path)?;
                continue;
            }
            match (&reference.namespace, &identity.namespace) {
                (Some(requested), Some(own)) if within(own, requested) => {}
                // keyway used directly (the CLI, the library) without a namespace: the namespace named.
                (Some(_), None) if identity.peer.is_none() => {}
                (Some(requested), _) => {
                    return Err(KeywayError::Secret(SecretError::Denied {
                        manager: manager.unwrap_or_default().to_owned(),
                        name: format!("{requested}/{}", reference.path),
                        reason: Denial::Caller,
                    }));
                }
                (None, Some(own)) => {
                    placed.push_str(text.get(copied..span.start).unwrap_or_default());
                    placed.push_str(&kestra(reference, own));
                    copied = span.end;
                    changed = true;
                }
                // A caller over a front end must say its namespace to use a namespaced manager.
                (None, None) if identity.peer.is_some() => {
                    return Err(KeywayError::Secret(SecretError::Denied {
                        manager: manager.unwrap_or_default().to_owned(),
                        name: reference.path.clone(),
                        reason: Denial::Caller,
                    }));
                }
                (None, None) => {}
            }
        }
        if !changed {
            return Ok(None);
        }
        placed.push_str(text.get(copied..).unwrap_or_default());
        Ok(Some(placed))
    }
}

/// A step in a JSON tree.
enum PathPart {
    Key(String),
    Index(usize),
}

/// Sets the node at `path` of `root`.
fn set(root: &mut serde_json::Value, path: &[PathPart], value: serde_json::Value) {
    let mut node = root;
    for part in path {
        node = match (part, node) {
            (PathPart::Key(key), serde_json::Value::Object(map)) => match map.get_mut(key) {
                Some(next) => next,
                None => return,
            },
            (PathPart::Index(index), serde_json::Value::Array(items)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    *node = value;
}
