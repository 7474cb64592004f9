//! A compiled string leaf: parsed once, every placeholder's manager resolved and its plan attached. Engines
//! resolve the same step configuration again and again, so the front keeps leaves by their text.

use super::super::Managers;
use super::plan::{LookupPlan, PlanDraft};
use crate::error::{quote_placeholder, SecretError};
use crate::placeholder::{parse, Part, SecretRef, Template};
use std::sync::Arc;

/// A string leaf with placeholders (or escapes), ready to substitute into.
pub(crate) struct CompiledLeaf {
    pub text: Box<str>,
    pub template: Template,
    /// The plan of each placeholder of `template`, in order.
    pub plans: Vec<Arc<LookupPlan>>,
}

impl CompiledLeaf {
    /// Whether the leaf comes out as it went in (no placeholder, no escape).
    pub fn is_unchanged(&self) -> bool {
        match self.template.parts.as_slice() {
            [] => true,
            [Part::Text(range)] => range.start == 0 && range.end == self.text.len(),
            _ => false,
        }
    }
}

/// A leaf parsed and checked, whose plans are not in the front yet.
pub(crate) struct LeafDraft {
    pub(super) text: Box<str>,
    pub(super) template: Template,
    pub(super) plans: Vec<PlanDraft>,
}

/// Why a string leaf cannot be resolved at all: the placeholder as written, and the cause.
pub(crate) struct LeafError {
    pub placeholder: String,
    pub cause: SecretError,
}

impl LeafDraft {
    /// Parses `text` and resolves the manager of each placeholder. The first problem in the string is
    /// reported: a malformed placeholder, an unknown manager, or no manager and no default one.
    pub fn new(text: &str, managers: &Managers) -> Result<Self, LeafError> {
        let template = parse(text).map_err(|error| {
            let start = text
                .get(..error.offset)
                .map_or(0, |before| before.rfind("${secret:").into_iter().chain(before.rfind("{{")).max().unwrap_or(0));
            LeafError {
                placeholder: quote_placeholder(placeholder_text(text, start)),
                cause: SecretError::Malformed(error),
            }
        })?;
        let mut plans = Vec::new();
        for (span, reference) in template.placeholders() {
            let index = managers.resolve(reference.manager.as_deref()).map_err(|cause| LeafError {
                placeholder: quote_placeholder(text.get(span.clone()).unwrap_or_default()),
                cause,
            })?;
            let manager = managers.get(index);
            if reference.namespace.is_some() && manager.namespaces.is_none() {
                return Err(LeafError {
                    placeholder: quote_placeholder(text.get(span.clone()).unwrap_or_default()),
                    cause: SecretError::NotNamespaced { manager: manager.name.to_string() },
                });
            }
            let reference = SecretRef { manager: Some(manager.name.to_string()), ..reference.clone() };
            plans.push(PlanDraft::new(index, manager, reference));
        }
        Ok(Self { text: text.into(), template, plans })
    }
}

/// The placeholder starting at `start`: up to its first `}` (or `}}`), or the rest of the string.
fn placeholder_text(text: &str, start: usize) -> &str {
    let rest = text.get(start..).unwrap_or(text);
    let end = if rest.starts_with("{{") { rest.find("}}").map(|at| at + 2) } else { rest.find('}').map(|at| at + 1) };
    rest.get(..end.unwrap_or(rest.len())).unwrap_or(rest)
}
