//! Masking resolved values in text, such as the logs of the steps that used them.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use zeroize::Zeroizing;

/// What a masked value is replaced with.
pub const MASK: &str = "******";

/// Values shorter than this many bytes are not masked.
///
/// Masking a value of one to three characters would replace every occurrence of that short string in the
/// logs (`1`, `yes`, `abc`), making them unreadable, and the pattern of masked spots would itself reveal the
/// value. Such values are not secrets worth the name; keyway masks only values of at least this length.
pub const MIN_MASK_LEN: usize = 4;

/// Masks registered values in any text: the longest value first, so a value that contains another is masked
/// whole. Values are kept in zeroizing memory; `Debug` shows only how many there are.
pub struct Masker {
    inner: RwLock<Values>,
    /// Changes with every [`clear`](Self::clear), and differs between maskers: a value marked with the current
    /// generation is registered here (see `register_once`).
    generation: AtomicU64,
}

/// Source of masker generations; 0 is never handed out, so a fresh mark means "not registered".
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

impl Default for Masker {
    fn default() -> Self {
        Self { inner: RwLock::default(), generation: AtomicU64::new(next_generation()) }
    }
}

#[derive(Default)]
struct Values {
    known: HashSet<Held>,
    /// Registered values by their first byte, each list longest first.
    by_first_byte: HashMap<u8, Vec<Arc<Zeroizing<String>>>>,
}

/// A registered value, zeroized when the last reference goes.
struct Held(Arc<Zeroizing<String>>);

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Held {}

impl Hash for Held {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_str().hash(state);
    }
}

impl Borrow<str> for Held {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl Masker {
    /// An empty masker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a value (and its JSON-escaped form, when that differs). Values shorter than
    /// [`MIN_MASK_LEN`] are ignored. Returns whether something new was registered.
    pub fn register(&self, value: &str) -> bool {
        if value.len() < MIN_MASK_LEN {
            return false;
        }
        if self.inner.read().unwrap_or_else(PoisonError::into_inner).known.contains(value) {
            return false;
        }
        let mut values = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut added = values.add(value);
        let escaped = Zeroizing::new(serde_json::Value::from(value).to_string());
        if let Some(inner) = escaped.get(1..escaped.len().saturating_sub(1)) {
            if inner != value {
                added |= values.add(inner);
            }
        }
        added
    }

    /// Registers the value `value` gives unless `mark` says it already is: a value held for a long time
    /// (a cached secret) is registered once, not at every use. `mark` starts at 0.
    pub(crate) fn register_once<'v>(&self, mark: &AtomicU64, value: impl FnOnce() -> &'v str) {
        let generation = self.generation.load(Ordering::Acquire);
        if mark.load(Ordering::Relaxed) == generation {
            return;
        }
        self.register(value());
        // A `clear` in between changed the generation: the mark is then stale and the value is registered
        // again at its next use.
        mark.store(generation, Ordering::Relaxed);
    }

    /// `text` with every registered value replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let values = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        if values.known.is_empty() {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            let found = values
                .by_first_byte
                .get(&bytes[at])
                .and_then(|candidates| candidates.iter().find(|value| bytes[at..].starts_with(value.as_bytes())));
            match found {
                // A registered value is valid UTF-8 and so is `text`, so a match starts and ends on
                // character boundaries.
                Some(value) => {
                    out.push_str(&text[copied..at]);
                    out.push_str(MASK);
                    at += value.len();
                    copied = at;
                }
                None => at += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Masks `bytes` (any output, text or not) as far as it safely can: every registered value found is
    /// replaced by [`MASK`]. Unless `finished`, bytes at the end that could be the start of a value continued
    /// in the next chunk are held back. Returns the output and how many input bytes it consumed; the caller
    /// keeps the rest and passes it again, followed by the next chunk.
    pub fn mask_stream(&self, bytes: &[u8], finished: bool) -> (Vec<u8>, usize) {
        let values = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let candidates = values.by_first_byte.get(&bytes[at]);
            if let Some(value) =
                candidates.and_then(|list| list.iter().find(|value| rest.starts_with(value.as_bytes())))
            {
                out.extend_from_slice(MASK.as_bytes());
                at += value.len();
                continue;
            }
            let may_continue = !finished
                && candidates.is_some_and(|list| {
                    list.iter().any(|value| value.len() > rest.len() && value.as_bytes().starts_with(rest))
                });
            if may_continue {
                break;
            }
            out.push(bytes[at]);
            at += 1;
        }
        (out, at)
    }

    /// How many values (including escaped forms) are registered.
    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).known.len()
    }

    /// Whether no value is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every value.
    pub fn clear(&self) {
        let mut values = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        *values = Values::default();
        self.generation.store(next_generation(), Ordering::Release);
    }
}

impl Values {
    fn add(&mut self, value: &str) -> bool {
        let Some(first) = value.as_bytes().first() else { return false };
        if self.known.contains(value) {
            return false;
        }
        let held = Arc::new(Zeroizing::new(value.to_owned()));
        self.known.insert(Held(Arc::clone(&held)));
        let list = self.by_first_byte.entry(*first).or_default();
        let position = list.iter().position(|existing| existing.len() < value.len()).unwrap_or(list.len());
        list.insert(position, held);
        true
    }
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Masker").field("values", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_skips_short_values() {
        let masker = Masker::new();
        assert!(masker.register("secret"));
        assert!(masker.register("secret-password"));
        assert!(!masker.register("abc"));
        assert!(!masker.register("secret"));
        assert_eq!(masker.mask("a secret-password and a secret, abc"), "a ****** and a ******, abc");
    }

    #[test]
    fn masks_json_escaped_forms_and_keeps_unicode_intact() {
        let masker = Masker::new();
        masker.register("line1\nline2\"q");
        assert_eq!(masker.mask(r#"{"v":"line1\nline2\"q"}"#), r#"{"v":"******"}"#);
        masker.register("pässwörd");
        assert_eq!(masker.mask("é pässwörd é"), "é ****** é");
    }

    #[test]
    fn values_marked_registered_are_registered_again_after_a_clear() {
        let masker = Masker::new();
        let mark = AtomicU64::new(0);
        masker.register_once(&mark, || "first-value");
        assert_eq!(masker.mask("a first-value"), "a ******");
        masker.register_once(&mark, || panic!("registered once"));
        masker.clear();
        assert_eq!(masker.mask("a first-value"), "a first-value");
        masker.register_once(&mark, || "first-value");
        assert_eq!(masker.mask("a first-value"), "a ******");
        // Another masker does not take this one's marks for its own.
        let other = Masker::new();
        other.register_once(&mark, || "first-value");
        assert_eq!(other.mask("a first-value"), "a ******");
    }

    #[test]
    fn a_stream_masks_values_split_across_chunks() {
        let masker = Masker::new();
        masker.register("-----BEGIN KEY-----\nabc\n-----END KEY-----");
        masker.register("s3cr3t-token");
        let mut pending = Vec::new();
        let mut out = Vec::new();
        for chunk in ["token: s3cr", "3t-token\n", "-----BEGIN KEY-----\na", "bc\n-----END KEY-----\n", "s3c"] {
            pending.extend_from_slice(chunk.as_bytes());
            let (masked, used) = masker.mask_stream(&pending, false);
            out.extend(masked);
            pending.drain(..used);
        }
        assert_eq!(pending, b"s3c", "a possible start is held back");
        let (masked, used) = masker.mask_stream(&pending, true);
        out.extend(masked);
        assert_eq!(used, 3);
        assert_eq!(String::from_utf8(out).expect("text"), "token: ******\n******\ns3c");
        // Bytes that are not UTF-8 pass through untouched.
        let (masked, used) = masker.mask_stream(&[0xff, 0x00, 0xfe], true);
        assert_eq!((masked, used), (vec![0xff, 0x00, 0xfe], 3));
    }

    #[test]
    fn debug_shows_no_values() {
        let masker = Masker::new();
        masker.register("hunter2-secret");
        assert!(!format!("{masker:?}").contains("hunter2"));
    }
}
