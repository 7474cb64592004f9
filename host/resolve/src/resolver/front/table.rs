//! A map keyed by a 64-bit hash the caller computed once: lookups compare the stored value with what is
//! looked for, so the key itself is never copied or hashed twice.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Values by the hash of their key. Different keys with one hash share a bucket.
pub(super) struct HashedMap<V> {
    buckets: HashMap<u64, Vec<V>, BuildHasherDefault<Prehashed>>,
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

    /// Adds a value (the caller checked it is not there yet).
    pub fn insert(&mut self, hash: u64, value: V) {
        self.buckets.entry(hash).or_default().push(value);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn clear(&mut self) {
        self.buckets.clear();
        self.len = 0;
    }
}

/// The hasher of keys that are hashes already (from a randomly keyed SipHash): passes them through.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_hashes_keep_every_value() {
        let mut map = HashedMap::default();
        map.insert(7, "a");
        map.insert(7, "b");
        map.insert(8, "c");
        assert_eq!(map.get(7, |v| *v == "b"), Some(&"b"));
        assert_eq!(map.get(7, |v| *v == "c"), None);
        assert_eq!(map.len(), 3);
        map.clear();
        assert_eq!((map.get(8, |_| true), map.len()), (None, 0));
    }
}
