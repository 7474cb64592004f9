//! Audit records: one per resolution and per write, to tracing and optionally to a JSON-lines file.
//! Records name the caller, manager, secret, key, version, operation and outcome; never a value.
//!
//! The resolver audits through an `AuditBatch`: the records of one call share its time and caller, fields
//! are borrowed until a sink needs them, and the file's records go to the writer thread in one message.

mod time;
mod writer;

pub use time::format_rfc3339;

use crate::access::Identity;
use crate::cache::CacheStatus;
use keyway_types::VersionSelector;
use serde::{Serialize, Serializer};
use std::cell::RefCell;
use std::fs::OpenOptions;
use std::io;
use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::SystemTime;
use writer::{JsonLine, Message, QueuedBatch, QueuedRecord};

/// The tracing target of audit records.
const TARGET: &str = "keyway::audit";

/// One audited call. Serializes as one line of the audit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When; written as RFC 3339 UTC with milliseconds.
    pub time: SystemTime,
    /// `resolve` (a placeholder of a step), `get`, `create`, `update`, `delete`, `restore`, …
    pub operation: &'static str,
    /// The caller (its fields are written at the top level of the line).
    pub identity: Arc<Identity>,
    /// The manager.
    pub manager: String,
    /// The secret's name.
    pub secret: String,
    /// The key read from a JSON key/value secret (left out when none).
    pub key: Option<String>,
    /// The version selector; written as `latest`, `version=ID`, `label=L`.
    pub selector: VersionSelector,
    /// The version read, when known.
    pub version: Option<String>,
    /// `ok`, or the error's kind (`denied`, `not-found`, `missing-key`, `backend-error`, …).
    pub outcome: &'static str,
    /// How the cache served the read.
    pub cache: CacheStatus,
    /// For resolutions: the step path of the (first) string that used the secret (left out when none).
    pub path: Option<String>,
}

impl AuditRecord {
    /// A record of a successful call, timed now; the caller fills in the rest.
    pub(crate) fn new(identity: Arc<Identity>, operation: &'static str, manager: &str, secret: &str) -> Self {
        Self {
            time: SystemTime::now(),
            operation,
            identity,
            manager: manager.to_owned(),
            secret: secret.to_owned(),
            key: None,
            selector: VersionSelector::Latest,
            version: None,
            outcome: "ok",
            cache: CacheStatus::Bypassed,
            path: None,
        }
    }

    fn fields(&self) -> RecordFields<'_> {
        RecordFields {
            manager: Text::Borrowed(&self.manager),
            secret: Text::Borrowed(&self.secret),
            key: self.key.as_deref().map(Text::Borrowed),
            selector: &self.selector,
            version: self.version.as_deref().map(Text::Borrowed),
            outcome: self.outcome,
            cache: self.cache,
            path: self.path.as_deref(),
        }
    }
}

impl Serialize for AuditRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = self.fields();
        JsonLine {
            time: self.time,
            operation: self.operation,
            identity: &self.identity,
            manager: fields.manager.as_str(),
            secret: fields.secret.as_str(),
            key: fields.key.map(Text::as_str),
            selector: fields.selector,
            version: fields.version.map(Text::as_str),
            outcome: fields.outcome,
            cache: fields.cache,
            path: fields.path,
        }
        .serialize(serializer)
    }
}

/// The fields of one record that differ between the records of a call, borrowed.
#[derive(Clone, Copy)]
pub(crate) struct RecordFields<'a> {
    pub manager: Text<'a>,
    pub secret: Text<'a>,
    pub key: Option<Text<'a>>,
    pub selector: &'a VersionSelector,
    pub version: Option<Text<'a>>,
    pub outcome: &'static str,
    pub cache: CacheStatus,
    pub path: Option<&'a str>,
}

/// Text of a record: shared text is queued for the file without a copy.
#[derive(Clone, Copy)]
pub(crate) enum Text<'a> {
    Shared(&'a Arc<str>),
    Borrowed(&'a str),
}

impl<'a> Text<'a> {
    pub fn as_str(self) -> &'a str {
        match self {
            Self::Shared(text) => text,
            Self::Borrowed(text) => text,
        }
    }

    fn to_shared(self) -> Arc<str> {
        match self {
            Self::Shared(text) => Arc::clone(text),
            Self::Borrowed(text) => Arc::from(text),
        }
    }
}

/// Writes audit records. Every record goes to tracing (target `keyway::audit`); with a file, also to that
/// file, one JSON object per line, written by a background thread so callers do not wait on the disk (unless
/// it falls a thousand calls behind: then they wait rather than lose records).
pub struct Auditor {
    sender: Option<SyncSender<Message>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Auditor {
    /// Records to tracing only.
    pub fn tracing_only() -> Self {
        Self { sender: None, worker: Mutex::new(None) }
    }

    /// Records to tracing and appends to the JSON-lines file at `path` (created with mode 0600).
    pub fn to_file(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let (sender, worker) = writer::spawn(options.open(path)?)?;
        Ok(Self { sender: Some(sender), worker: Mutex::new(Some(worker)) })
    }

    /// Records one call.
    pub fn record(&self, record: AuditRecord) {
        let Some(mut batch) = self.batch(record.operation, &record.identity) else { return };
        batch.time = record.time;
        batch.push(record.fields());
        batch.finish();
    }

    /// Starts the records of one call by `identity`, timed now; `None` when no sink would take them (no file,
    /// and tracing has no subscriber for `keyway::audit`), so nothing is built for nobody.
    pub(crate) fn batch<'a>(&'a self, operation: &'static str, identity: &'a Identity) -> Option<AuditBatch<'a>> {
        let tracing = tracing::enabled!(target: TARGET, tracing::Level::INFO);
        if !tracing && self.sender.is_none() {
            return None;
        }
        let queued = self.sender.as_ref().map(|sender| {
            let batch = QueuedBatch {
                time: SystemTime::UNIX_EPOCH,
                operation,
                identity: shared_identity(identity),
                paths: String::new(),
                records: Vec::new(),
            };
            (sender, batch)
        });
        Some(AuditBatch { time: SystemTime::now(), operation, identity, tracing, queued })
    }

    /// Waits until every record so far is written and flushed; reports the first write error since the last
    /// flush.
    pub fn flush(&self) -> io::Result<()> {
        let Some(sender) = &self.sender else { return Ok(()) };
        let (done, wait) = mpsc::sync_channel(1);
        sender.send(Message::Flush(done)).map_err(|_| io::Error::other("the audit writer has stopped"))?;
        wait.recv().map_err(|_| io::Error::other("the audit writer has stopped"))?
    }
}

/// The records of one call, on their way to tracing (at once) and to the file (when finished).
pub(crate) struct AuditBatch<'a> {
    time: SystemTime,
    operation: &'static str,
    identity: &'a Identity,
    tracing: bool,
    queued: Option<(&'a SyncSender<Message>, QueuedBatch)>,
}

impl AuditBatch<'_> {
    /// Makes room for `records` more records with paths of `path_bytes` bytes in all.
    pub fn reserve(&mut self, records: usize, path_bytes: usize) {
        if let Some((_, batch)) = &mut self.queued {
            batch.records.reserve(records);
            batch.paths.reserve(path_bytes);
        }
    }

    /// Adds one record.
    pub fn push(&mut self, fields: RecordFields<'_>) {
        if self.tracing {
            let identity = self.identity;
            tracing::info!(
                target: TARGET,
                operation = %self.operation,
                manager = %fields.manager.as_str(),
                secret = %fields.secret.as_str(),
                key = fields.key.map(Text::as_str),
                selector = %fields.selector,
                version = fields.version.map(Text::as_str),
                outcome = %fields.outcome,
                cache = %fields.cache,
                namespace = identity.namespace.as_deref(),
                groups = ?identity.groups,
                flow = identity.flow.as_deref(),
                step = identity.step.as_deref(),
                path = fields.path,
                "audit"
            );
        }
        if let Some((_, batch)) = &mut self.queued {
            let path = fields.path.map(|path| {
                let start = batch.paths.len();
                batch.paths.push_str(path);
                start..batch.paths.len()
            });
            batch.records.push(QueuedRecord {
                manager: fields.manager.to_shared(),
                secret: fields.secret.to_shared(),
                key: fields.key.map(Text::to_shared),
                selector: fields.selector.clone(),
                version: fields.version.map(Text::to_shared),
                outcome: fields.outcome,
                cache: fields.cache,
                path,
            });
        }
    }

    /// Hands the file's records to the writer.
    pub fn finish(self) {
        if let Some((sender, mut batch)) = self.queued {
            if batch.records.is_empty() {
                return;
            }
            batch.time = self.time;
            // The writer only stops when the auditor is dropped, so sending cannot fail before that.
            let _ = sender.send(Message::Batch(batch));
        }
    }
}

thread_local! {
    /// The identity of this thread's last audited call: flows resolve many steps in a row for one caller.
    static LAST_IDENTITY: RefCell<Option<Arc<Identity>>> = const { RefCell::new(None) };
}

/// `identity` in an `Arc`, reusing this thread's last one when equal.
fn shared_identity(identity: &Identity) -> Arc<Identity> {
    LAST_IDENTITY.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some(shared) if **shared == *identity => Arc::clone(shared),
            _ => {
                let shared = Arc::new(identity.clone());
                *last = Some(Arc::clone(&shared));
                shared
            }
        }
    })
}

impl Drop for Auditor {
    fn drop(&mut self) {
        self.sender = None;
        let worker = self.worker.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(worker) = worker {
            let _ = worker.join();
        }
    }
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor").field("file", &self.sender.is_some()).finish()
    }
}
