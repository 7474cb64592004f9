//! Walking a step's tree: finds the strings that change and their compiled leaves, lists the step's distinct
//! plans (each read once), and, when audited, the path of the first string using each. Allocation-free for
//! strings without placeholders; paths are written only when a record will carry them.

use super::front::{CompiledLeaf, LookupPlan};
use crate::path::{write_joined, Segment, StepPath};
use crate::placeholder::has_placeholders_or_escapes;
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// A string of the step that changes.
pub(super) struct LeafUse<'a> {
    /// Which string of the step (in document order, counting every string).
    pub ordinal: usize,
    pub leaf: &'a Arc<CompiledLeaf>,
    /// Its placeholders' plans: a range of [`Shape::uses`].
    pub uses: Range<usize>,
}

/// What a walk found besides the borrowed leaves and plans.
#[derive(Default)]
pub(super) struct Shape {
    /// For every placeholder of every changed string, in order: its plan's index among the distinct plans.
    pub uses: Vec<usize>,
    /// Per distinct plan: where the path of the first string using it is in `path_text` (when audited).
    pub paths: Vec<Range<usize>>,
    pub path_text: String,
}

impl Shape {
    /// The path recorded for distinct plan `index`.
    pub fn path(&self, index: usize) -> Option<&str> {
        self.paths.get(index).and_then(|range| self.path_text.get(range.clone()))
    }
}

/// The result of a walk.
pub(super) struct Walk<'s, 'a> {
    pub leaves: Vec<LeafUse<'a>>,
    pub distinct: Vec<&'a Arc<LookupPlan>>,
    pub shape: Shape,
    /// Strings with placeholders that `find` did not know, with their ordinals, in document order.
    pub missing: Vec<(usize, &'s str)>,
}

/// Walks `step` (found at `base`); `find` gives the compiled leaf of a string when there is one.
///
/// The front gives one plan per reference, so plans are told apart by identity. Leaves compiled during this
/// call may hold plans from before the front was cleared: then `by_content` compares plans by reference.
pub(super) fn walk<'s, 'a>(
    step: &'s Value,
    base: &StepPath,
    find: impl Fn(&str) -> Option<&'a Arc<CompiledLeaf>>,
    with_paths: bool,
    by_content: bool,
) -> Walk<'s, 'a> {
    // Sized for a typical step, so that most walks allocate each list once.
    let shape = Shape { uses: Vec::with_capacity(TYPICAL), paths: Vec::new(), path_text: String::new() };
    let mut walker = Walker {
        find,
        base,
        with_paths,
        strings: 0,
        stack: Vec::with_capacity(8),
        distinct: Distinct { by_content, by_address: HashMap::new() },
        walk: Walk {
            leaves: Vec::with_capacity(TYPICAL),
            distinct: Vec::with_capacity(TYPICAL),
            shape,
            missing: Vec::new(),
        },
    };
    walker.visit(step);
    walker.walk
}

/// Placeholders in a typical step.
const TYPICAL: usize = 16;

/// The path below the step's root of the string with `ordinal` (for error messages).
pub(super) fn locate(step: &Value, ordinal: usize) -> Vec<Segment<'_>> {
    fn visit<'s>(value: &'s Value, ordinal: usize, seen: &mut usize, stack: &mut Vec<Segment<'s>>) -> bool {
        match value {
            Value::String(_) => {
                *seen += 1;
                *seen == ordinal + 1
            }
            Value::Array(items) => items.iter().enumerate().any(|(index, item)| {
                stack.push(Segment::Index(index));
                visit(item, ordinal, seen, stack) || {
                    stack.pop();
                    false
                }
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                stack.push(Segment::Key(key));
                visit(item, ordinal, seen, stack) || {
                    stack.pop();
                    false
                }
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
    let mut stack = Vec::new();
    visit(step, ordinal, &mut 0, &mut stack);
    stack
}

struct Walker<'s, 'a, 'b, F> {
    find: F,
    base: &'b StepPath,
    with_paths: bool,
    strings: usize,
    stack: Vec<Segment<'s>>,
    distinct: Distinct,
    walk: Walk<'s, 'a>,
}

impl<'s, 'a, F: Fn(&str) -> Option<&'a Arc<CompiledLeaf>>> Walker<'s, 'a, '_, F> {
    fn visit(&mut self, value: &'s Value) {
        match value {
            Value::String(text) => self.string(text),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.stack.push(Segment::Index(index));
                    self.visit(item);
                    self.stack.pop();
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.stack.push(Segment::Key(key));
                    self.visit(item);
                    self.stack.pop();
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn string(&mut self, text: &'s str) {
        let ordinal = self.strings;
        self.strings += 1;
        if !has_placeholders_or_escapes(text) {
            return;
        }
        let Some(leaf) = (self.find)(text) else {
            self.walk.missing.push((ordinal, text));
            return;
        };
        if leaf.is_unchanged() {
            return;
        }
        let start = self.walk.shape.uses.len();
        for plan in &leaf.plans {
            let (index, new) = self.distinct.index(plan, &mut self.walk.distinct);
            if new && self.with_paths {
                let shape = &mut self.walk.shape;
                if shape.paths.is_empty() {
                    shape.paths.reserve(TYPICAL);
                    shape.path_text.reserve(TYPICAL * 24);
                }
                let from = shape.path_text.len();
                write_joined(&mut shape.path_text, self.base, &self.stack);
                shape.paths.push(from..shape.path_text.len());
            }
            self.walk.shape.uses.push(index);
        }
        let uses = start..self.walk.shape.uses.len();
        self.walk.leaves.push(LeafUse { ordinal, leaf, uses });
    }
}

/// Indexes distinct plans by identity (or by reference with `by_content`). A short list is searched; past
/// [`INDEX_ABOVE`] plans a map takes over.
struct Distinct {
    by_content: bool,
    by_address: HashMap<usize, usize>,
}

const INDEX_ABOVE: usize = 32;

impl Distinct {
    /// The index of `plan` in `list`, adding it when new (then `true`).
    fn index<'a>(&mut self, plan: &'a Arc<LookupPlan>, list: &mut Vec<&'a Arc<LookupPlan>>) -> (usize, bool) {
        let address = Arc::as_ptr(plan) as usize;
        let known = if self.by_content {
            list.iter().position(|known| Arc::ptr_eq(known, plan) || known.wanted() == plan.wanted())
        } else if list.len() <= INDEX_ABOVE {
            list.iter().position(|known| Arc::ptr_eq(known, plan))
        } else {
            if self.by_address.is_empty() {
                self.by_address =
                    list.iter().enumerate().map(|(index, known)| (Arc::as_ptr(known) as usize, index)).collect();
            }
            self.by_address.get(&address).copied()
        };
        if let Some(index) = known {
            return (index, false);
        }
        if !self.by_address.is_empty() {
            self.by_address.insert(address, list.len());
        }
        list.push(plan);
        (list.len() - 1, true)
    }
}
