//! Store tests against temporary directories.

mod integrity;
mod lifecycle;
mod listing;
mod sealing;

use super::{LocalStore, StoreOptions};
use crate::error::StoreError;
use crate::keyring::KeySource;
use base64::Engine as _;
use keyway_plugin_sdk::{ErrorKind, ProviderError, SecretValue, Timestamp, VersionSelector, WriteOptions};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use zeroize::Zeroizing;

/// The fake clock's start: 2023-11-14T22:13:20Z.
const T0: Timestamp = 1_700_000_000_000;

/// A store in a temporary directory with a hand-driven clock.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    clock: Rc<Cell<Timestamp>>,
    store: LocalStore,
}

impl Fixture {
    /// A new store whose key comes from the key file.
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().join("store");
        std::fs::create_dir(&root).expect("store dir");
        let clock = Rc::new(Cell::new(T0));
        let store = open_with_clock(&root, &KeySource::KeyFile, &clock).expect("open a new store");
        Self { _tmp: tmp, root, clock, store }
    }

    /// Opens the same directory again, as another instance would.
    fn reopen(&self, key: &KeySource) -> Result<LocalStore, StoreError> {
        open_with_clock(&self.root, key, &self.clock)
    }

    fn advance(&self, ms: u64) {
        self.clock.set(self.clock.get() + ms);
    }

    fn put(&self, name: &str, value: &str) -> keyway_plugin_sdk::SecretMetadata {
        self.store.create(name, &SecretValue::text(value), &WriteOptions::default()).expect("create")
    }

    fn put_over(&self, name: &str, value: &str) -> keyway_plugin_sdk::SecretMetadata {
        let options = WriteOptions { overwrite: true, ..WriteOptions::default() };
        self.store.create(name, &SecretValue::text(value), &options).expect("overwrite")
    }

    fn text(&self, name: &str, selector: &VersionSelector) -> String {
        let secret = self.store.get(name, selector).expect("get");
        secret.value.expose_text().expect("a text value").to_owned()
    }

    /// The directory holding `name`'s files.
    fn slot(&self, name: &str) -> PathBuf {
        self.root.join("secrets").join(crate::names::slot_of(name))
    }
}

fn open_with_clock(root: &Path, key: &KeySource, clock: &Rc<Cell<Timestamp>>) -> Result<LocalStore, StoreError> {
    let clock = Rc::clone(clock);
    Ok(LocalStore::open(root, key, StoreOptions::default())?.with_clock(move || clock.get()))
}

/// A `key` setting holding 32 copies of `byte`.
fn key_setting(byte: u8) -> KeySource {
    KeySource::Setting(Zeroizing::new(base64::engine::general_purpose::STANDARD.encode([byte; 32])))
}

/// The contract error kind a store error becomes.
fn kind(error: StoreError) -> ErrorKind {
    ProviderError::from(error).kind()
}

/// Every file under `dir`, recursively, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(dir).expect("under dir").to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}
