//! Bearer tokens: the generated token file of the built-in `local` client, token files named in
//! configuration, and the digests tokens are compared by.

use crate::error::KeywayError;
use crate::private_file::{ensure_private_file, read_private_file};
use sha2::{Digest, Sha256};
use std::path::Path;
use zeroize::Zeroizing;

/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// The SHA-256 of a token: what the service keeps and compares, never the token itself.
pub type TokenDigest = [u8; 32];

/// The digest of `token`.
pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// Parses a configured `token_sha256` (64 hex digits).
pub fn parse_digest(hex_text: &str) -> Result<TokenDigest, String> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_text.trim(), &mut digest)
        .map_err(|_| "token_sha256 must be 64 hex digits (e.g. from `printf %s \"$TOKEN\" | sha256sum`)".to_owned())?;
    Ok(digest)
}

/// Checks a token's length.
pub fn check_token(token: &str, what: &str) -> Result<(), String> {
    if token.trim().len() < MIN_TOKEN_LEN {
        return Err(format!(
            "{what}: a token must have at least {MIN_TOKEN_LEN} characters (for example: openssl rand -hex 32)"
        ));
    }
    Ok(())
}

/// Reads the token at `path`: its first line, trimmed. The file must be a regular file that only its owner
/// can read (mode 0600 or stricter), owned by this user, since anyone who can read it can act as its client.
pub fn read_token_file(path: &Path) -> Result<Zeroizing<String>, KeywayError> {
    let token = read_private_file(path, "the token file", REMEDY)?;
    check_token(&token, &format!("token file {}", path.display()))
        .map_err(|message| KeywayError::Config { message })?;
    Ok(token)
}

/// The token at `path`, created (32 random bytes as hex, mode 0600, in a 0700 folder) when there is none.
pub fn ensure_token_file(path: &Path) -> Result<Zeroizing<String>, KeywayError> {
    let token = ensure_private_file(path, "the service's token file", REMEDY, || {
        let mut random = Zeroizing::new([0u8; 32]);
        getrandom::fill(random.as_mut_slice()).map_err(|err| KeywayError::Config {
            message: format!("cannot make the service's token {}: {err}", path.display()),
        })?;
        Ok(Zeroizing::new(hex::encode(random.as_slice())))
    })?;
    check_token(&token, &format!("token file {}", path.display()))
        .map_err(|message| KeywayError::Config { message })?;
    Ok(token)
}

/// How to replace a token file that is not private.
const REMEDY: &str = "delete it and restart `keyway serve` to make a new token";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("home/serve.token");
        let first = ensure_token_file(&path).expect("made");
        assert_eq!(first.len(), 64);
        assert_eq!(*ensure_token_file(&path).expect("read"), *first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let err = read_token_file(&path).expect_err("readable by others");
            assert!(err.to_string().contains("chmod 600"), "{err}");
            assert!(!err.to_string().contains(first.as_str()), "no token in errors");
        }
    }

    #[test]
    fn digests_and_lengths() {
        assert_eq!(digest("x"), parse_digest(&hex::encode(Sha256::digest(b"x"))).expect("hex"));
        assert!(parse_digest("abc").is_err());
        assert!(check_token("short", "t").is_err());
        assert!(check_token("0123456789abcdef", "t").is_ok());
    }
}
