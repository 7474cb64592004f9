//! From a walk and its lookups' outcomes to the result: masks registered, the first failure in document
//! order, or the tree rebuilt with values substituted (each changed string allocated once, at its final size,
//! so no partial copy of a value is left behind by a reallocation).

use super::front::LookupPlan;
use super::lookup::Outcome;
use super::resolved::StepSource;
use super::walk::{LeafUse, Shape};
use super::Managers;
use crate::cache::Entry;
use crate::error::SecretError;
use crate::fields::{KeyError, SharedSecret};
use crate::mask::Masker;
use crate::placeholder::Part;
use serde_json::Value;
use std::borrow::Borrow;
use std::ops::Range;
use std::sync::Arc;

/// What the placeholders of one distinct plan become, or why there is none (boxed: rare, and the list of a
/// step's replacements stays small).
pub(super) type Replaced<'e> = Result<Replacement<'e>, Box<SecretError>>;

/// What the placeholders of one distinct plan become.
pub(super) struct Replacement<'e> {
    text: &'e str,
    binary: bool,
    shared: &'e Arc<SharedSecret>,
    field: Option<&'e str>,
    manager: &'e str,
    name: &'e str,
}

impl Replacement<'_> {
    /// Registers the value with the masker (once per distinct value).
    pub fn mask(&self, masker: &Masker) {
        match self.field {
            Some(key) => self.shared.mask_key(key, masker),
            None => self.shared.mask_whole(masker),
        }
    }

    /// What this replacement put in the step, for the step's own masker: the secret and the key read.
    pub fn source(&self) -> StepSource {
        (Arc::clone(self.shared), self.field.map(str::to_owned))
    }
}

/// The replacement of each distinct plan, or why there is none.
pub(super) fn replacements<'e, E: Borrow<Arc<Entry>>>(
    managers: &'e Managers,
    distinct: &[&'e Arc<LookupPlan>],
    outcomes: &'e [Outcome<E>],
) -> Vec<Replaced<'e>> {
    distinct
        .iter()
        .zip(outcomes)
        .map(|(plan, outcome)| {
            let manager = managers.get(plan.manager);
            let (shared, field) = outcome.found(manager, plan).map_err(Box::new)?;
            let name =
                outcome.candidate.and_then(|index| plan.candidates.get(index)).map_or(&*plan.path, |c| &c.key.name);
            let (text, binary) = match field {
                None => (shared.text_or_base64(), shared.value().is_binary()),
                Some(key) => {
                    let key_error = |error| {
                        let (manager, name, key) = (manager.name.to_string(), name.to_owned(), key.to_owned());
                        match error {
                            KeyError::MissingKey => SecretError::MissingKey { manager, name, key },
                            KeyError::NotKeyValue => SecretError::NotKeyValue { manager, name, key },
                        }
                    };
                    (shared.key(key).map_err(|error| Box::new(key_error(error)))?, false)
                }
            };
            Ok(Replacement { text, binary, shared, field, manager: &manager.name, name })
        })
        .collect()
}

/// The first placeholder, in document order, that cannot be substituted: its string (an index into
/// `leaves`), its span, and why.
pub(super) fn first_failure(
    leaves: &[LeafUse<'_>],
    shape: &Shape,
    replacements: &[Replaced<'_>],
) -> Option<(usize, Range<usize>, SecretError)> {
    for (position, used) in leaves.iter().enumerate() {
        let template = &used.leaf.template;
        let uses = shape.uses.get(used.uses.clone()).unwrap_or_default();
        for ((span, _), index) in template.placeholders().zip(uses) {
            match replacements.get(*index) {
                Some(Err(cause)) => return Some((position, span.clone(), SecretError::clone(cause))),
                Some(Ok(replacement)) if replacement.binary && !template.is_single_placeholder() => {
                    let cause = SecretError::BinaryEmbedded {
                        manager: replacement.manager.to_owned(),
                        name: replacement.name.to_owned(),
                    };
                    return Some((position, span.clone(), cause));
                }
                Some(Ok(_)) | None => {}
            }
        }
    }
    None
}

/// `step` with every changed string substituted (the caller checked there is no failure).
pub(super) fn build(step: &Value, leaves: &[LeafUse<'_>], shape: &Shape, replacements: &[Replaced<'_>]) -> Value {
    Builder { leaves, shape, replacements, next: 0, strings: 0 }.value(step)
}

struct Builder<'w, 'e> {
    leaves: &'w [LeafUse<'w>],
    shape: &'w Shape,
    replacements: &'w [Replaced<'e>],
    /// The next changed string.
    next: usize,
    /// Strings seen so far.
    strings: usize,
}

impl Builder<'_, '_> {
    fn value(&mut self, value: &Value) -> Value {
        let Some(changed) = self.leaves.get(self.next) else {
            // Nothing changes further on: the rest is copied as it is.
            return value.clone();
        };
        match value {
            Value::String(text) => {
                let ordinal = self.strings;
                self.strings += 1;
                if changed.ordinal != ordinal {
                    return Value::String(text.clone());
                }
                self.next += 1;
                Value::String(self.substitute(changed))
            }
            Value::Array(items) => Value::Array(items.iter().map(|item| self.value(item)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(key, item)| (key.clone(), self.value(item))).collect())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        }
    }

    /// The new text of one string, allocated once at its final size.
    fn substitute(&self, used: &LeafUse<'_>) -> String {
        if used.leaf.template.is_single_placeholder() {
            return self.pieces(used).next().unwrap_or_default().to_owned();
        }
        let mut out = String::with_capacity(self.pieces(used).map(str::len).sum());
        self.pieces(used).for_each(|piece| out.push_str(piece));
        out
    }

    /// The pieces of one string's new text, in order.
    fn pieces<'p>(&'p self, used: &'p LeafUse<'_>) -> impl Iterator<Item = &'p str> {
        let leaf = used.leaf;
        let mut uses = self.shape.uses.get(used.uses.clone()).unwrap_or_default().iter();
        leaf.template.parts.iter().map(move |part| match part {
            Part::Text(range) => leaf.text.get(range.clone()).unwrap_or_default(),
            Part::Placeholder { .. } => match uses.next().and_then(|index| self.replacements.get(*index)) {
                Some(Ok(replacement)) => replacement.text,
                // Failures were reported before building.
                Some(Err(_)) | None => "",
            },
        })
    }
}
