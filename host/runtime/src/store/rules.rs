//! The rules the host checks before any backend runs: keys, list limits, version tokens.

/// The longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 120;
/// The most keys one `list-keys` page returns.
pub const MAX_LIST_LIMIT: u32 = 1_000;
/// The longest version token, in bytes.
pub const MAX_VERSION_BYTES: usize = 64;

/// Why a key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is empty.
    #[error("a key is at least one byte long")]
    Empty,
    /// The key is longer than [`MAX_KEY_BYTES`].
    #[error("a key is at most {MAX_KEY_BYTES} bytes long, this one has {0}")]
    TooLong(usize),
    /// The key holds a character outside the allowed set.
    #[error("a key holds only ASCII letters, digits and - _ . / : = + @ ~")]
    Character,
}

/// Whether `c` may appear in a key.
fn allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_./:=+@~".contains(&c)
}

/// Checks `key` against the rules of `keyway:store/kv`: 1 to [`MAX_KEY_BYTES`] bytes of ASCII letters, digits
/// and `- _ . / : = + @ ~`.
pub fn check_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(KeyError::TooLong(key.len()));
    }
    if !key.bytes().all(allowed) {
        return Err(KeyError::Character);
    }
    Ok(())
}

/// A prefix is checked like a key, except that it may be empty.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), KeyError> {
    if prefix.is_empty() {
        Ok(())
    } else {
        check_key(prefix)
    }
}

/// A fresh version token: 128 random bits, hex; never reused, so a token from before a delete never matches
/// the key's next write.
pub(crate) fn new_version() -> Result<String, String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| "no randomness for a version token".to_owned())?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_rules() {
        assert_eq!(check_key("secrets/db.password"), Ok(()));
        assert_eq!(check_key("a:b=c+d@e~f_g-h"), Ok(()));
        assert_eq!(check_key(""), Err(KeyError::Empty));
        assert_eq!(check_key(&"k".repeat(121)), Err(KeyError::TooLong(121)));
        assert_eq!(check_key(&"k".repeat(120)), Ok(()));
        for bad in ["a b", "a\nb", "é", "a%b", "a\\b", "a\0b"] {
            assert_eq!(check_key(bad), Err(KeyError::Character), "{bad:?}");
        }
        assert_eq!(check_prefix(""), Ok(()));
    }

    #[test]
    fn versions_are_fresh() {
        let (a, b) = (new_version().expect("random"), new_version().expect("random"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
