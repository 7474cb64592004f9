//! Bearer tokens: the generated token file of the built-in `local` client, token files named in
//! configuration, and the digests tokens are compared by.

use crate::error::KeywayError;
use sha2::{Digest, Sha256};
use std::io::Write;
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
    check_private_file(path)?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|err| KeywayError::Config {
        message: format!("cannot read the token file {}: {err}", path.display()),
    })?);
    let token = Zeroizing::new(text.lines().next().unwrap_or_default().trim().to_owned());
    check_token(&token, &format!("token file {}", path.display()))
        .map_err(|message| KeywayError::Config { message })?;
    Ok(token)
}

/// The token at `path`, created (32 random bytes as hex, mode 0600, in a 0700 folder) when there is none.
pub fn ensure_token_file(path: &Path) -> Result<Zeroizing<String>, KeywayError> {
    if path.exists() {
        return read_token_file(path);
    }
    let failed = |what: &str, err: std::io::Error| KeywayError::Config {
        message: format!("cannot {what} the service's token file {}: {err}", path.display()),
    };
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(|err| failed("create the folder of", err))?;
    }
    let mut random = Zeroizing::new([0u8; 32]);
    getrandom::fill(random.as_mut_slice()).map_err(|err| failed("make", std::io::Error::other(err.to_string())))?;
    let token = Zeroizing::new(hex::encode(random.as_slice()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let mut line = Zeroizing::new(token.as_bytes().to_vec());
            line.push(b'\n');
            file.write_all(&line).and_then(|()| file.sync_all()).map_err(|err| failed("write", err))?;
            Ok(token)
        }
        // Another service made it at the same moment: use that one.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => read_token_file(path),
        Err(err) => Err(failed("create", err)),
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Refuses a token file others could read or replace.
#[cfg(unix)]
fn check_private_file(path: &Path) -> Result<(), KeywayError> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::symlink_metadata(path).map_err(|err| KeywayError::Config {
        message: format!("cannot read the token file {}: {err}", path.display()),
    })?;
    if !metadata.file_type().is_file() {
        return Err(KeywayError::Config {
            message: format!("the token file {} is not a regular file (links are not followed)", path.display()),
        });
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(KeywayError::Config {
            message: format!(
                "the token file {} can be read by other users (mode {:o}); run `chmod 600 {}`, or delete it and \
                 restart `keyway serve` to make a new token",
                path.display(),
                metadata.mode() & 0o777,
                path.display()
            ),
        });
    }
    let me = rustix::process::geteuid().as_raw();
    if metadata.uid() != me {
        return Err(KeywayError::Config {
            message: format!(
                "the token file {} belongs to uid {}, not to this user (uid {me}); use a token file of your own",
                path.display(),
                metadata.uid()
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_file(_path: &Path) -> Result<(), KeywayError> {
    Ok(())
}

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
