//! Secret names, the directory names they are stored under, and page tokens.
//!
//! A secret name is any text of 1 to 512 bytes without control characters:
//! `db/prod/password` and even `../x` are ordinary names. They never reach the
//! file system as paths: each name is encoded into one directory name made of
//! `[A-Za-z0-9_-]` only, so no name can climb out of the store or collide with
//! another one.

use crate::error::{StoreError, StoreResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The longest secret name, in bytes.
pub const MAX_NAME_LEN: usize = 512;

/// Names up to this many bytes are stored under their base64url encoding
/// (at most 241 characters, within every file system's 255); longer ones
/// under a hash.
const INLINE_NAME_LEN: usize = 180;

/// Checks that `name` is a valid secret name.
pub fn check_name(name: &str) -> StoreResult<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(StoreError::InvalidArgument(format!(
            "'{}' is not a valid secret name: use 1 to {MAX_NAME_LEN} bytes of printable text",
            name.escape_debug().to_string().chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// The directory name a secret's files live under: `n` plus the base64url of
/// the name, or `h` plus the hex SHA-256 of names too long for that.
pub fn slot_of(name: &str) -> String {
    if name.len() <= INLINE_NAME_LEN {
        format!("n{}", URL_SAFE_NO_PAD.encode(name))
    } else {
        let digest = Sha256::digest(name.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("h{hex}")
    }
}

/// What a directory name in the store says about the secret in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotName {
    /// The secret's name, decoded from the directory name.
    Known(String),
    /// A hashed slot: the name is in its metadata file.
    Hashed,
}

/// Decodes a directory name written by [`slot_of`]; `None` for anything else
/// (temporary files, foreign files, non-canonical encodings).
pub fn parse_slot(dir_name: &str) -> Option<SlotName> {
    if let Some(encoded) = dir_name.strip_prefix('n') {
        let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        let name = String::from_utf8(bytes).ok()?;
        (check_name(&name).is_ok() && slot_of(&name) == dir_name).then_some(SlotName::Known(name))
    } else if let Some(hex) = dir_name.strip_prefix('h') {
        let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then_some(SlotName::Hashed)
    } else {
        None
    }
}

/// Whether `id` has the shape of a version id this store writes
/// (`v<number>-<hex>`), so it is safe as part of a file name.
pub fn is_version_id(id: &str) -> bool {
    (2..=40).contains(&id.len())
        && id.starts_with('v')
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The page token that continues a listing after `last_name`.
pub fn page_token_after(last_name: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_name)
}

/// The name a page token continues after.
pub fn name_from_page_token(token: &str) -> StoreResult<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| StoreError::InvalidArgument("the page token is not one this store handed out".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_slashes_and_dots_become_plain_directory_names() {
        for name in ["db/prod/password", "..", "../../etc/passwd", "/abs", "a\\b", "ünïcode/ключ", ".tmp-x"] {
            let slot = slot_of(name);
            assert!(slot.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{slot}");
            assert!(slot.len() <= 241);
            assert_eq!(parse_slot(&slot), Some(SlotName::Known(name.to_owned())));
        }
    }

    #[test]
    fn long_names_are_hashed_and_distinct() {
        let a = "a".repeat(MAX_NAME_LEN);
        let b = format!("{}b", "a".repeat(MAX_NAME_LEN - 1));
        assert_ne!(slot_of(&a), slot_of(&b));
        assert_eq!(slot_of(&a).len(), 65);
        assert_eq!(parse_slot(&slot_of(&a)), Some(SlotName::Hashed));
        assert!(check_name(&a).is_ok());
        assert!(check_name(&format!("{a}a")).is_err());
    }

    #[test]
    fn invalid_names_are_refused() {
        for name in ["", "a\nb", "nul\0", "tab\there"] {
            assert!(matches!(check_name(name), Err(StoreError::InvalidArgument(_))), "{name:?}");
        }
    }

    #[test]
    fn foreign_directory_entries_are_not_slots() {
        for entry in [".tmp-1234", "nope!", "n", "h1234", "x", "nAAA=", "master.key"] {
            assert_eq!(parse_slot(entry), None, "{entry}");
        }
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let token = page_token_after("db/prod/password");
        assert_eq!(name_from_page_token(&token).expect("decodes"), "db/prod/password");
        assert!(name_from_page_token("***").is_err());
    }

    #[test]
    fn version_ids_are_file_name_safe() {
        assert!(is_version_id("v12-0a1b2c3d"));
        for bad in ["", "v", "../v1", "v1/x", "V1", "x1"] {
            assert!(!is_version_id(bad), "{bad}");
        }
    }
}
