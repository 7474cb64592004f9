//! A plugin's data directory on the host's side: private permissions, the write lock beside it, and its
//! real path in the plugin's errors.

use keyway_types::ProviderError;
use std::path::PathBuf;

/// A plugin's error with the sandbox's `/data` named as the real folder `data_dir` it is, so the operator can
/// find the file.
pub(crate) fn with_real_data_dir(error: ProviderError, data_dir: Option<&std::path::Path>) -> ProviderError {
    let Some(dir) = data_dir else {
        return error;
    };
    error.map_message(|message| {
        let real = dir.display().to_string();
        if message.contains("/data/") || message.ends_with("/data") || message.contains("/data:") {
            message.replace("/data/", &format!("{real}/")).replace(" /data", &format!(" {real}"))
        } else {
            message
        }
    })
}

/// The lock file that serializes the writes of every process to the data directory `data_dir`: the
/// directory's path with `.lock` appended, beside it (out of the plugin's reach).
pub fn write_lock_path(data_dir: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", data_dir.display()))
}

/// Takes the write lock of the data directory `data_dir` as plugin writes do, waiting for the process that
/// holds it: for host-side maintenance of a store (a re-key) while plugins in other processes use it.
/// Released when the returned file is dropped.
pub fn lock_data_dir(data_dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    lock_exclusively(&write_lock_path(data_dir))
}

/// Opens (creating, 0600) and exclusively locks `path`, waiting for other holders.
pub(crate) fn lock_exclusively(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(file)
}

/// Makes files 0600 and folders 0700 under `dir`, `depth` levels deep.
pub(crate) fn tighten_permissions(dir: &std::path::Path, depth: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                if depth > 0 {
                    tighten_permissions(&path, depth - 1)?;
                }
            } else if kind.is_file() && entry.metadata()?.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, depth);
    Ok(())
}

/// Creates `dir` and its parents, the last one readable by its owner only.
pub(crate) fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
