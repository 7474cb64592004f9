//! Durable file operations: a change is on disk before it is acknowledged.
//!
//! Files are never edited in place. A new content goes to a temporary file in
//! the same directory, which is flushed (`fsync`), then renamed over the old
//! name, then the directory itself is flushed so the rename survives a power
//! loss. A crash at any point leaves either the old or the new file, plus at
//! most a temporary file that readers ignore and a later write removes.
//!
//! Inside the Wasm sandbox these calls go through WASI: `File::sync_all`
//! becomes `descriptor.sync`, and opening a directory read-only gives a
//! directory descriptor whose `sync` the host (wasmtime-wasi) performs by
//! opening that directory and calling `fsync` on it. Hosts that cannot flush a
//! directory handle (Windows) answer `unsupported` or `access denied`; there
//! the file system's own journal orders the rename, and the flush is skipped.

use crate::crypto::random_hex;
use crate::error::{StoreError, StoreResult};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Names of temporary files start with this; readers skip them.
pub const TEMP_PREFIX: &str = ".tmp-";

/// The largest file the store reads (a 16 MiB value, base64-encoded, with room to spare).
const MAX_FILE_LEN: u64 = 64 << 20;

/// Options that create a new file, readable only by its owner where the platform has modes.
fn new_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Writes `bytes` to a new temporary file in `dir` and flushes it.
fn write_temp(dir: &Path, bytes: &[u8]) -> StoreResult<PathBuf> {
    let path = dir.join(format!("{TEMP_PREFIX}{}", random_hex::<8>()?));
    let written = new_file_options().open(&path).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(err) = written {
        let _ = fs::remove_file(&path);
        return Err(StoreError::io("write", path, err));
    }
    Ok(path)
}

/// Replaces (or creates) `dir/file_name` with `bytes`, durably and atomically:
/// readers see the old content or the new one, never a mix.
pub fn replace_file(dir: &Path, file_name: &str, bytes: &[u8]) -> StoreResult<()> {
    let temp = write_temp(dir, bytes)?;
    let target = dir.join(file_name);
    if let Err(err) = fs::rename(&temp, &target) {
        let _ = fs::remove_file(&temp);
        return Err(StoreError::io("replace", target, err));
    }
    sync_dir(dir)
}

/// Creates `dir/file_name` with `bytes` unless it exists, durably and with its
/// whole content at once (a hard link of a flushed temporary file). Returns
/// whether this call created it; `false` means another writer was first.
pub fn create_file_once(dir: &Path, file_name: &str, bytes: &[u8]) -> StoreResult<bool> {
    let temp = write_temp(dir, bytes)?;
    let target = dir.join(file_name);
    let linked = fs::hard_link(&temp, &target);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(err) if err.kind() == ErrorKind::AlreadyExists => return Ok(false),
        // File systems without hard links (FAT): create exclusively and write in place.
        Err(err) if matches!(err.kind(), ErrorKind::Unsupported | ErrorKind::PermissionDenied) => {
            let created = new_file_options().open(&target).and_then(|mut file| {
                file.write_all(bytes)?;
                file.sync_all()
            });
            match created {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::AlreadyExists => return Ok(false),
                Err(err) => return Err(StoreError::io("create", target, err)),
            }
        }
        Err(err) => return Err(StoreError::io("create", target, err)),
    }
    sync_dir(dir)?;
    Ok(true)
}

/// Flushes a directory so that renames, links and removals in it are on disk.
pub fn sync_dir(dir: &Path) -> StoreResult<()> {
    match File::open(dir).and_then(|handle| handle.sync_all()) {
        Ok(()) => Ok(()),
        Err(err) if matches!(err.kind(), ErrorKind::Unsupported | ErrorKind::PermissionDenied) => Ok(()),
        Err(err) => Err(StoreError::io("flush directory", dir, err)),
    }
}

/// Creates a directory unless it exists, flushing its parent when it was created.
pub fn ensure_dir(dir: &Path) -> StoreResult<()> {
    match fs::create_dir(dir) {
        Ok(()) => match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
            _ => Ok(()),
        },
        Err(err) if err.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(err) => Err(StoreError::io("create directory", dir, err)),
    }
}

/// Reads a whole file; `None` when it does not exist.
pub fn read_file(path: &Path) -> StoreResult<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::io("open", path, err)),
    };
    let len = file.metadata().map_err(|err| StoreError::io("read", path, err))?.len();
    if len > MAX_FILE_LEN {
        return Err(StoreError::corrupted(path, format!("it is {len} bytes, more than the store ever writes")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|err| StoreError::io("read", path, err))?;
    Ok(Some(bytes))
}

/// The names of a directory's entries; an absent directory has none.
pub fn list_dir(dir: &Path) -> StoreResult<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(StoreError::io("list", dir, err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| StoreError::io("list", dir, err))?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Removes a file or a directory tree; absent is fine.
pub fn remove_path(path: &Path) -> StoreResult<()> {
    let removed = if path.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    match removed {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        Err(err) => Err(StoreError::io("remove", path, err)),
    }
}

/// Moves `from` to `to` (same file system) and flushes both parents.
pub fn move_path(from: &Path, to: &Path) -> StoreResult<()> {
    fs::rename(from, to).map_err(|err| StoreError::io("move", from, err))?;
    for dir in [to.parent(), from.parent()].into_iter().flatten() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Whether `path` was last modified longer than `age` ago (unknown times count as old).
pub fn older_than(path: &Path, age: Duration) -> bool {
    let modified = fs::symlink_metadata(path).and_then(|meta| meta.modified());
    match modified {
        Ok(time) => SystemTime::now().duration_since(time).is_ok_and(|elapsed| elapsed > age),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_file_leaves_only_the_new_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        replace_file(dir.path(), "f", b"one").expect("first write");
        replace_file(dir.path(), "f", b"two").expect("second write");
        assert_eq!(read_file(&dir.path().join("f")).expect("read").as_deref(), Some(&b"two"[..]));
        assert_eq!(list_dir(dir.path()).expect("list"), vec!["f".to_owned()], "no temporary file is left");
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        replace_file(dir.path(), "f", b"x").expect("write");
        let mode = fs::metadata(dir.path().join("f")).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn create_file_once_keeps_the_first_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(create_file_once(dir.path(), "k", b"first").expect("create"));
        assert!(!create_file_once(dir.path(), "k", b"second").expect("second create"));
        assert_eq!(read_file(&dir.path().join("k")).expect("read").as_deref(), Some(&b"first"[..]));
        assert_eq!(list_dir(dir.path()).expect("list").len(), 1);
    }

    #[test]
    fn absent_files_and_directories_read_as_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(read_file(&dir.path().join("none")).expect("read").is_none());
        assert!(list_dir(&dir.path().join("none")).expect("list").is_empty());
        remove_path(&dir.path().join("none")).expect("removing nothing is fine");
    }
}
