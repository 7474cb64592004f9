//! A map keyed by a 64-bit hash the caller computed once: lookups compare the stored value with what is
//! looked for, so the key itself is never copied or hashed twice.
//!
//! The hash ([`Seed::hash`]) is a fast seeded one, not a cryptographic one: what keeps crafted collisions
//! harmless is the map itself. A bucket holds at most [`BUCKET`] values; a value that does not fit is simply
//! not kept (its string is compiled again at each use, as without the map), so no lookup ever compares more
//! than [`BUCKET`] values.

use super::one_or_many::OneOrMany;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Values sharing one hash, at most.
const BUCKET: usize = 4;

/// Values by the hash of their key.
pub(super) struct HashedMap<V> {
    /// The values sharing one hash: almost always one.
    buckets: HashMap<u64, OneOrMany<V>, BuildHasherDefault<Prehashed>>,
    len: usize,
}

impl<V> Default for HashedMap<V> {
    fn default() -> Self {
        Self { buckets: HashMap::default(), len: 0 }
    }
}

impl<V> HashedMap<V> {
    /// The value with this hash for which `matches` holds.
    pub fn get(&self, hash: u64, matches: impl Fn(&V) -> bool) -> Option<&V> {
        self.buckets.get(&hash)?.iter().find(|value| matches(value))
    }

    /// Adds a value (the caller checked it is not there yet); `false` when its bucket is full.
    pub fn insert(&mut self, hash: u64, value: V) -> bool {
        match self.buckets.entry(hash) {
            Entry::Vacant(vacant) => {
                vacant.insert(OneOrMany::One(value));
            }
            Entry::Occupied(mut occupied) if occupied.get().len() < BUCKET => occupied.get_mut().push(value),
            Entry::Occupied(_) => return false,
        }
        self.len += 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn clear(&mut self) {
        self.buckets.clear();
        self.len = 0;
    }
}

/// The hasher of keys that are hashes already: passes them through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// A per-process random seed for [`hash`](Self::hash).
pub(super) struct Seed(u64);

impl Default for Seed {
    fn default() -> Self {
        Self(RandomState::new().hash_one(0x6b65_7977_6179_u64))
    }
}

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl Seed {
    /// Hashes `parts` (with `tag` first): 8 bytes at a time, then the MurmurHash3 finalizer. Parts are
    /// separated by their lengths, so ("ab", "") and ("a", "b") differ.
    pub fn hash(&self, tag: u64, parts: &[&[u8]]) -> u64 {
        let mut state = self.0 ^ tag.wrapping_mul(MULTIPLIER);
        for part in parts {
            state = mix(state, part.len() as u64);
            let mut words = part.chunks_exact(8);
            for word in &mut words {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(word);
                state = mix(state, u64::from_le_bytes(bytes));
            }
            let rest = words.remainder();
            if !rest.is_empty() {
                let mut bytes = [0u8; 8];
                bytes[..rest.len()].copy_from_slice(rest);
                state = mix(state, u64::from_le_bytes(bytes));
            }
        }
        finish(state)
    }
}

fn mix(state: u64, word: u64) -> u64 {
    (state ^ word).wrapping_mul(MULTIPLIER).rotate_left(29)
}

fn finish(mut state: u64) -> u64 {
    state ^= state >> 33;
    state = state.wrapping_mul(0xff51_afd7_ed55_8ccd);
    state ^= state >> 33;
    state = state.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    state ^ (state >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_hashes_keep_a_few_values() {
        let mut map = HashedMap::default();
        for value in ["a", "b", "c", "d"] {
            assert!(map.insert(7, value));
        }
        assert!(!map.insert(7, "e"), "a full bucket keeps no more");
        map.insert(8, "f");
        assert_eq!(map.get(7, |v| *v == "b"), Some(&"b"));
        assert_eq!(map.get(7, |v| *v == "e"), None);
        assert_eq!(map.len(), 5);
        map.clear();
        assert_eq!((map.get(8, |_| true), map.len()), (None, 0));
    }

    #[test]
    fn hashes_tell_parts_apart() {
        let seed = Seed::default();
        let hash = |tag, parts: &[&str]| seed.hash(tag, &parts.iter().map(|part| part.as_bytes()).collect::<Vec<_>>());
        assert_eq!(hash(1, &["prod/db", "key"]), hash(1, &["prod/db", "key"]));
        assert_ne!(hash(1, &["prod/db", "key"]), hash(2, &["prod/db", "key"]));
        assert_ne!(hash(1, &["ab", ""]), hash(1, &["a", "b"]));
        assert_ne!(hash(1, &["12345678"]), hash(1, &["12345678\0"]));
        assert_ne!(Seed::default().hash(0, &[b"x"]), Seed::default().hash(0, &[b"x"]), "seeded per map");
    }
}
