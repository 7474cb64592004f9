//! Resolving one step: find every placeholder, read each distinct secret once (all concurrently), then
//! substitute, naming the step path and placeholder of the first failure in document order.

use super::lookup::Found;
use super::{ResolvedStep, Resolver};
use crate::access::Identity;
use crate::error::{quote_placeholder, ResolveError, SecretError};
use crate::fields::KeyError;
use crate::path::{PathSegment, StepPath};
use crate::placeholder::{parse, Part, SecretRef, Template};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A string leaf that changes: it has placeholders or escapes.
struct Leaf<'a> {
    path: StepPath,
    text: &'a str,
    template: Template,
    /// For each placeholder, in order, its index in the step's distinct lookups.
    lookups: Vec<usize>,
}

/// What replaces the placeholders of one distinct lookup.
struct Replacement {
    text: Zeroizing<String>,
    binary: bool,
    manager: String,
    name: String,
}

pub(super) async fn resolve(
    resolver: &Resolver,
    identity: &Identity,
    base: &StepPath,
    step: &Value,
) -> Result<ResolvedStep, ResolveError> {
    let mut leaves = Vec::new();
    collect(step, &mut base.clone(), &mut leaves)?;

    // Distinct lookups, with the path of the first string that uses each.
    let mut distinct: HashMap<SecretRef, usize> = HashMap::new();
    let mut lookups: Vec<(SecretRef, StepPath)> = Vec::new();
    for leaf in &mut leaves {
        for (span, reference) in leaf.template.placeholders() {
            let manager = match reference.manager.as_deref().or(resolver.default_manager()) {
                Some(manager) if resolver.inner.managers.contains_key(manager) => manager.to_owned(),
                Some(manager) => {
                    let cause = SecretError::UnknownManager { manager: manager.to_owned() };
                    return Err(error_at(leaf, span.clone(), cause));
                }
                None => return Err(error_at(leaf, span.clone(), SecretError::NoDefaultManager)),
            };
            let reference = SecretRef { manager: Some(manager), ..reference.clone() };
            let next = lookups.len();
            let index = *distinct.entry(reference.clone()).or_insert(next);
            if index == next {
                lookups.push((reference, leaf.path.clone()));
            }
            leaf.lookups.push(index);
        }
    }

    let identity = Arc::new(identity.clone());
    let reads = lookups.iter().map(|(reference, path)| {
        let manager = reference.manager.as_deref().unwrap_or_default();
        resolver.lookup(&identity, manager, reference, "resolve", Some(path))
    });
    let found = futures::future::join_all(reads).await;
    let replacements: Vec<Result<Replacement, SecretError>> = found
        .into_iter()
        .zip(&lookups)
        .map(|(found, (reference, _))| found.and_then(|found| replacement(found, reference)))
        .collect();
    for replacement in replacements.iter().flatten() {
        resolver.inner.masker.register(&replacement.text);
    }

    let mut resolved = ResolvedStep::new(step.clone());
    resolved.set_secrets(replacements.len());
    let base_len = base.segments().len();
    for leaf in &leaves {
        let text = substitute(leaf, &replacements)?;
        if let Some(Value::String(slot)) = navigate(resolved.value_mut(), &leaf.path.segments()[base_len..]) {
            let mut old = std::mem::replace(slot, text);
            zeroize::Zeroize::zeroize(&mut old);
        }
    }
    Ok(resolved)
}

/// Finds the string leaves that change.
fn collect<'a>(value: &'a Value, path: &mut StepPath, leaves: &mut Vec<Leaf<'a>>) -> Result<(), ResolveError> {
    match value {
        Value::String(text) => {
            let template = parse(text).map_err(|error| {
                let start = text.get(..error.offset).map_or(0, |before| {
                    before.rfind("${secret:").into_iter().chain(before.rfind("{{")).max().unwrap_or(0)
                });
                let placeholder = quote_placeholder(placeholder_text(text, start));
                ResolveError::new(path.clone(), placeholder, SecretError::Malformed(error))
            })?;
            let unchanged = match template.parts.as_slice() {
                [] => true,
                [Part::Text(range)] => range.start == 0 && range.end == text.len(),
                _ => false,
            };
            if !unchanged {
                leaves.push(Leaf { path: path.clone(), text, template, lookups: Vec::new() });
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                collect(item, path, leaves)?;
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(PathSegment::Key(key.clone()));
                collect(item, path, leaves)?;
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// The placeholder starting at `start`: up to its first `}` (or `}}`), or the rest of the string.
fn placeholder_text(text: &str, start: usize) -> &str {
    let rest = text.get(start..).unwrap_or(text);
    let end = if rest.starts_with("{{") { rest.find("}}").map(|at| at + 2) } else { rest.find('}').map(|at| at + 1) };
    rest.get(..end.unwrap_or(rest.len())).unwrap_or(rest)
}

fn error_at(leaf: &Leaf<'_>, span: std::ops::Range<usize>, cause: SecretError) -> ResolveError {
    let placeholder = quote_placeholder(leaf.text.get(span).unwrap_or_default());
    ResolveError::new(leaf.path.clone(), placeholder, cause)
}

/// The text that replaces a placeholder: a key's value, the text value, or a binary value as base64.
fn replacement(found: Found, reference: &SecretRef) -> Result<Replacement, SecretError> {
    let manager = reference.manager.clone().unwrap_or_default();
    let name = found.name;
    let (text, binary) = match &found.key {
        Some(key) => match found.shared.key(key) {
            Ok(value) => (Zeroizing::new(value.to_owned()), false),
            Err(KeyError::MissingKey) => return Err(SecretError::MissingKey { manager, name, key: key.clone() }),
            Err(KeyError::NotKeyValue) => return Err(SecretError::NotKeyValue { manager, name, key: key.clone() }),
        },
        None => (found.shared.value().to_text_or_base64(), found.shared.value().is_binary()),
    };
    Ok(Replacement { text, binary, manager, name })
}

/// The new text of one leaf, allocated once at its final size so no partial copy of a value is left behind
/// by a reallocation.
fn substitute(leaf: &Leaf<'_>, replacements: &[Result<Replacement, SecretError>]) -> Result<String, ResolveError> {
    let mut pieces: Vec<&str> = Vec::with_capacity(leaf.template.parts.len());
    let mut lookups = leaf.lookups.iter();
    for part in &leaf.template.parts {
        match part {
            Part::Text(range) => pieces.push(leaf.text.get(range.clone()).unwrap_or_default()),
            Part::Placeholder { span, .. } => {
                let replacement = match lookups.next().and_then(|index| replacements.get(*index)) {
                    Some(Ok(replacement)) => replacement,
                    Some(Err(cause)) => return Err(error_at(leaf, span.clone(), cause.clone())),
                    // Every placeholder got a lookup index when the leaf was collected.
                    None => continue,
                };
                if replacement.binary && !leaf.template.is_single_placeholder() {
                    let (manager, name) = (replacement.manager.clone(), replacement.name.clone());
                    return Err(error_at(leaf, span.clone(), SecretError::BinaryEmbedded { manager, name }));
                }
                pieces.push(&replacement.text);
            }
        }
    }
    let mut out = String::with_capacity(pieces.iter().map(|piece| piece.len()).sum());
    pieces.into_iter().for_each(|piece| out.push_str(piece));
    Ok(out)
}

/// The node at `segments` below `value`.
fn navigate<'v>(value: &'v mut Value, segments: &[PathSegment]) -> Option<&'v mut Value> {
    segments.iter().try_fold(value, |node, segment| match segment {
        PathSegment::Key(key) => node.as_object_mut()?.get_mut(key),
        PathSegment::Index(index) => node.as_array_mut()?.get_mut(*index),
    })
}
