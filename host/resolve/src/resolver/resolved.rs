//! A resolved step: the configuration tree with values in it, wiped from memory when dropped.

use crate::fields::SharedSecret;
use crate::mask::Masker;
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, OnceLock};
use zeroize::Zeroize;

/// A secret a step used, and the key read from it (`None`: the whole value).
pub(crate) type StepSource = (Arc<SharedSecret>, Option<String>);

/// A step's configuration with its placeholders replaced by secret values. Every string in it is zeroized
/// when it is dropped; `Debug` shows nothing of it. Mask it with [`masker`](Self::masker) before printing.
#[derive(Default)]
pub struct ResolvedStep {
    value: Value,
    secrets: usize,
    /// What went in, kept (shared with the cache, not copied) so the step's masker is only built when asked.
    sources: Vec<StepSource>,
    masker: OnceLock<Masker>,
}

/// A masker of exactly what `sources` put into a step.
pub(crate) fn masker_of(sources: &[StepSource]) -> Masker {
    let masker = Masker::new();
    for (shared, field) in sources {
        match field {
            Some(key) => {
                if let Ok(value) = shared.key(key) {
                    masker.register(value);
                }
            }
            None => shared.register_all(&masker),
        }
    }
    masker
}

impl ResolvedStep {
    pub(crate) fn new(value: Value, sources: Vec<StepSource>) -> Self {
        Self { value, secrets: 0, sources, masker: OnceLock::new() }
    }

    /// A masker holding exactly the values this step resolved (and every key's value of a JSON key/value
    /// secret it used whole): masking with it hides what this call read and nothing else, so a caller cannot
    /// learn whether a guessed text equals some other secret by seeing it masked.
    pub fn masker(&self) -> &Masker {
        self.masker.get_or_init(|| masker_of(&self.sources))
    }

    /// Takes the tree and the step's masker out; the caller becomes responsible for the values in them.
    pub fn into_parts(mut self) -> (Value, Masker) {
        let masker = self.masker.take().unwrap_or_else(|| masker_of(&self.sources));
        (std::mem::take(&mut self.value), masker)
    }

    pub(crate) fn set_secrets(&mut self, secrets: usize) {
        self.secrets = secrets;
    }

    /// The resolved tree.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// How many distinct secrets were resolved into it.
    pub fn secrets(&self) -> usize {
        self.secrets
    }

    /// Takes the tree out; the caller becomes responsible for the values in it.
    pub fn into_value(mut self) -> Value {
        std::mem::take(&mut self.value)
    }
}

impl Drop for ResolvedStep {
    fn drop(&mut self) {
        wipe(&mut self.value);
    }
}

impl fmt::Debug for ResolvedStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedStep").field("secrets", &self.secrets).finish_non_exhaustive()
    }
}

/// Zeroizes every string in a tree.
pub(crate) fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
