//! What a backing store does: the primitive operations the host's `kv` interface runs on, for one manager.

use std::future::Future;
use std::pin::Pin;

/// The future a [`StoreBackend`] operation returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A key's value and the version token of the write that put it there.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The bytes, as written (a plugin's ciphertext; never logged).
    pub value: Vec<u8>,
    /// The write's version token.
    pub version: String,
}

impl std::fmt::Debug for StoredEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEntry")
            .field("value", &format_args!("{} bytes", self.value.len()))
            .field("version", &self.version)
            .finish()
    }
}

/// When a write may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition<'a> {
    /// Whatever the key holds.
    Any,
    /// Only if the key does not exist.
    Absent,
    /// Only if the key's current version is this one.
    Version(&'a str),
}

impl Condition<'_> {
    /// Whether a key whose current version is `current` (none: absent) meets the condition.
    pub fn holds(&self, current: Option<&str>) -> bool {
        match self {
            Condition::Any => true,
            Condition::Absent => current.is_none(),
            Condition::Version(expected) => current == Some(*expected),
        }
    }
}

/// What a conditional write did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteOutcome {
    /// The value is stored, durably, under the new version.
    Written,
    /// The condition did not hold: nothing was written; the key's current version (none: absent).
    Conflict(Option<String>),
}

/// A backing store's failure. Messages name the store and the cause, never a value.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached now (a database down, a disk failing); retrying later can help.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The store refused or failed otherwise.
    #[error("the store failed: {0}")]
    Failed(String),
}

/// One manager's backing store. Every operation is atomic; [`StoreBackend::write`] and
/// [`StoreBackend::delete`] return only once the change is durable (synced or committed), and a conditional
/// write checks and writes as one step, also against other processes and nodes using the same store.
pub trait StoreBackend: Send + Sync + 'static {
    /// The value of `key` and its version, or none.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredEntry>>;

    /// Writes `value` under `key` with the version token `version`, if `condition` holds.
    fn write<'a>(
        &'a self,
        key: &'a str,
        condition: Condition<'a>,
        value: &'a [u8],
        version: &'a str,
    ) -> StoreFuture<'a, WriteOutcome>;

    /// Removes `key`; true when it existed.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool>;

    /// Up to `limit` keys starting with `prefix` and greater than `after`, in byte order.
    fn list<'a>(&'a self, prefix: &'a str, after: Option<&'a str>, limit: u32) -> StoreFuture<'a, Vec<String>>;

    /// The bytes the store's values take, for its size cap.
    fn used_bytes(&self) -> StoreFuture<'_, u64>;
}
