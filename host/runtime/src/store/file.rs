//! [`FileStore`]: one manager's keys as files in a private folder beside its data directory (out of the
//! plugin's reach), written durably: a temporary file, synced, renamed over the key's file, then the folder
//! synced. Writes and deletes hold an exclusive `flock` on the folder's lock file, so a compare-and-swap is
//! atomic against every thread and process using the folder; reads need no lock (a rename is atomic).
//!
//! A key's file is named by the key's bytes in hex (which keeps byte order, for listing) and holds
//! `kwkv1\n`, the version token's length (one byte), the token, then the value.

use super::backend::{Condition, StoreBackend, StoreError, StoreFuture, StoredEntry, WriteOutcome};
use crate::data_dir::{create_private_dir, lock_exclusively};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"kwkv1\n";
const LOCK: &str = ".lock";
const TEMP_PREFIX: &str = ".tmp-";

/// The store folder of the manager whose data directory is `data_dir`: its path with `.store` appended.
pub fn store_path(data_dir: &Path) -> PathBuf {
    PathBuf::from(format!("{}.store", data_dir.display()))
}

/// One manager's store in a folder on this machine.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Opens (creating, 0700) the store in `dir`, removing temporary files a crashed writer left.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        create_private_dir(dir)?;
        let _lock = lock_exclusively(&dir.join(LOCK))?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { dir: dir.to_path_buf() })
    }

    /// The store in `dir`, made (0700) on its first write: opened at once when the folder exists, else
    /// nothing is created for a plugin that never writes to it (a missing folder reads as an empty store).
    pub fn open_lazily(dir: &Path) -> std::io::Result<Self> {
        if dir.exists() {
            Self::open(dir)
        } else {
            Ok(Self { dir: dir.to_path_buf() })
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_path(&self, key: &str) -> PathBuf {
        self.dir.join(hex::encode(key))
    }

    /// Runs `job` on tokio's blocking pool (file operations and `flock` block).
    fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&FileStore) -> std::io::Result<T> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let store = self.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || job(&store)).await {
                Ok(result) => result.map_err(|err| StoreError::Unavailable(format!("{err}"))),
                Err(err) => Err(StoreError::Failed(format!("the store's file task failed: {err}"))),
            }
        })
    }

    fn read_entry(&self, key: &str) -> std::io::Result<Option<StoredEntry>> {
        match std::fs::read(self.key_path(key)) {
            Ok(bytes) => decode(&bytes).map(Some),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn write_locked(
        &self,
        key: &str,
        condition: Condition<'_>,
        value: &[u8],
        version: &str,
    ) -> std::io::Result<WriteOutcome> {
        create_private_dir(&self.dir)?;
        let _lock = lock_exclusively(&self.dir.join(LOCK))?;
        let current = self.read_entry(key)?.map(|entry| entry.version);
        if !condition.holds(current.as_deref()) {
            return Ok(WriteOutcome::Conflict(current));
        }
        let temp = self.dir.join(format!("{TEMP_PREFIX}{version}"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        let written = encode(&mut file, value, version).and_then(|()| file.sync_all());
        drop(file);
        if let Err(err) = written.and_then(|()| std::fs::rename(&temp, self.key_path(key))) {
            let _ = std::fs::remove_file(&temp);
            return Err(err);
        }
        self.sync_dir()?;
        Ok(WriteOutcome::Written)
    }

    fn delete_locked(&self, key: &str) -> std::io::Result<bool> {
        if !self.dir.exists() {
            return Ok(false);
        }
        let _lock = lock_exclusively(&self.dir.join(LOCK))?;
        match std::fs::remove_file(self.key_path(key)) {
            Ok(()) => self.sync_dir().map(|()| true),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err),
        }
    }

    fn sync_dir(&self) -> std::io::Result<()> {
        std::fs::File::open(&self.dir)?.sync_all()
    }

    /// The folder's entries; none before the first write made it.
    fn entries(&self) -> std::io::Result<Vec<std::fs::DirEntry>> {
        match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries.collect(),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    }

    /// Every key in the folder, in byte order.
    fn keys(&self) -> std::io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for entry in self.entries()? {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(key) = hex::decode(name).ok().and_then(|bytes| String::from_utf8(bytes).ok()) {
                keys.push(key);
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    fn size(&self) -> std::io::Result<u64> {
        let mut total = 0;
        for entry in self.entries()? {
            if !entry.file_name().to_string_lossy().starts_with('.') {
                total += entry.metadata()?.len();
            }
        }
        Ok(total)
    }
}

fn encode(file: &mut std::fs::File, value: &[u8], version: &str) -> std::io::Result<()> {
    let length = u8::try_from(version.len()).map_err(|_| std::io::Error::other("version token too long"))?;
    file.write_all(MAGIC)?;
    file.write_all(&[length])?;
    file.write_all(version.as_bytes())?;
    file.write_all(value)
}

fn decode(bytes: &[u8]) -> std::io::Result<StoredEntry> {
    let corrupt = || std::io::Error::new(ErrorKind::InvalidData, "a key's file is not in the store's format");
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(corrupt)?;
    let (&length, rest) = rest.split_first().ok_or_else(corrupt)?;
    let length = usize::from(length);
    if rest.len() < length {
        return Err(corrupt());
    }
    let (version, value) = rest.split_at(length);
    let version = String::from_utf8(version.to_vec()).map_err(|_| corrupt())?;
    Ok(StoredEntry { value: value.to_vec(), version })
}

impl StoreBackend for FileStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredEntry>> {
        let key = key.to_owned();
        self.blocking(move |store| store.read_entry(&key))
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        condition: Condition<'a>,
        value: &'a [u8],
        version: &'a str,
    ) -> StoreFuture<'a, WriteOutcome> {
        let (key, value, version) = (key.to_owned(), value.to_vec(), version.to_owned());
        let expected = match condition {
            Condition::Version(expected) => Some(expected.to_owned()),
            _ => None,
        };
        let absent = condition == Condition::Absent;
        self.blocking(move |store| {
            let condition = match (&expected, absent) {
                (Some(expected), _) => Condition::Version(expected),
                (None, true) => Condition::Absent,
                (None, false) => Condition::Any,
            };
            store.write_locked(&key, condition, &value, &version)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        let key = key.to_owned();
        self.blocking(move |store| store.delete_locked(&key))
    }

    fn list<'a>(&'a self, prefix: &'a str, after: Option<&'a str>, limit: u32) -> StoreFuture<'a, Vec<String>> {
        let (prefix, after) = (prefix.to_owned(), after.map(str::to_owned));
        self.blocking(move |store| {
            let keys = store.keys()?;
            Ok(keys
                .into_iter()
                .filter(|key| key.starts_with(&prefix) && after.as_ref().is_none_or(|after| key > after))
                .take(limit as usize)
                .collect())
        })
    }

    fn used_bytes(&self) -> StoreFuture<'_, u64> {
        self.blocking(FileStore::size)
    }
}
