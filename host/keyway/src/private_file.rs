//! Files only their owner may read, holding one line of secret text: the service's generated token and the
//! catalog key. Created once (mode 0600, in a 0700 folder, never replaced), and refused when others could
//! read or replace them.

use crate::error::KeywayError;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Reads the first line of the private file at `path`, trimmed. `what` names it in messages (`the token
/// file`), `remedy` says how to make a new one.
pub(crate) fn read_private_file(path: &Path, what: &str, remedy: &str) -> Result<Zeroizing<String>, KeywayError> {
    check_private_file(path, what, remedy)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|err| KeywayError::Config { message: format!("cannot read {what} {}: {err}", path.display()) })?,
    );
    Ok(Zeroizing::new(text.lines().next().unwrap_or_default().trim().to_owned()))
}

/// The private file at `path`, created with the line `generate` makes when there is none. Two processes
/// creating it at once end up with the same content.
pub(crate) fn ensure_private_file(
    path: &Path,
    what: &str,
    remedy: &str,
    generate: impl FnOnce() -> Result<Zeroizing<String>, KeywayError>,
) -> Result<Zeroizing<String>, KeywayError> {
    if path.exists() {
        return read_private_file(path, what, remedy);
    }
    let failed = |action: &str, err: std::io::Error| KeywayError::Config {
        message: format!("cannot {action} {what} {}: {err}", path.display()),
    };
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(|err| failed("create the folder of", err))?;
    }
    let content = generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let mut line = Zeroizing::new(content.as_bytes().to_vec());
            line.push(b'\n');
            file.write_all(&line).and_then(|()| file.sync_all()).map_err(|err| failed("write", err))?;
            Ok(content)
        }
        // Another process made it at the same moment: use that one.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => read_private_file(path, what, remedy),
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

/// Refuses a file others could read or replace.
#[cfg(unix)]
fn check_private_file(path: &Path, what: &str, remedy: &str) -> Result<(), KeywayError> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::symlink_metadata(path)
        .map_err(|err| KeywayError::Config { message: format!("cannot read {what} {}: {err}", path.display()) })?;
    if !metadata.file_type().is_file() {
        return Err(KeywayError::Config {
            message: format!("{what} {} is not a regular file (links are not followed)", path.display()),
        });
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(KeywayError::Config {
            message: format!(
                "{what} {} can be read by other users (mode {:o}); run `chmod 600 {}`, or {remedy}",
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
                "{what} {} belongs to uid {}, not to this user (uid {me}); use one of your own",
                path.display(),
                metadata.uid()
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_file(_path: &Path, _what: &str, _remedy: &str) -> Result<(), KeywayError> {
    Ok(())
}
