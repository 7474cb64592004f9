//! Audit records: one per resolution and per write, to a JSON-lines file and/or keyway's shared records,
//! and to tracing. Records name the caller, manager, secret, key, version, operation and outcome; never a
//! value.
//!
//! The resolver audits through an `AuditBatch`: the records of one call share its time and caller, fields
//! are borrowed until a sink needs them, and the file's records enter the writer's journal together.

mod batch;
pub(crate) mod time;
mod writer;

pub use time::format_rfc3339;

use crate::access::Identity;
use crate::cache::CacheStatus;
use batch::{JsonLine, QueuedBatch};
use keyway_types::VersionSelector;
use serde::{Serialize, Serializer};
use std::fs::OpenOptions;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::SystemTime;
use writer::FileSink;
pub use writer::SharedTrail;

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
    /// Whether the call handed secret values to its caller: `true` for reads that returned values, `false`
    /// for resolutions the caller saw masked; left out for calls that read no value (writes, listings).
    pub revealed: Option<bool>,
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
    /// What else the call concerned, such as `request=ID` for an approval or `profile=NAME` for a binding
    /// (left out when none). Never a value.
    pub detail: Option<String>,
}

impl AuditRecord {
    /// A record of a successful call, timed now; the caller fills in the rest.
    pub fn new(identity: Arc<Identity>, operation: &'static str, manager: &str, secret: &str) -> Self {
        Self {
            time: SystemTime::now(),
            operation,
            identity,
            revealed: None,
            manager: manager.to_owned(),
            secret: secret.to_owned(),
            key: None,
            selector: VersionSelector::Latest,
            version: None,
            outcome: "ok",
            cache: CacheStatus::Bypassed,
            path: None,
            detail: None,
        }
    }

    fn fields(&self) -> RecordFields<'_> {
        RecordFields {
            manager: &self.manager,
            secret: &self.secret,
            key: self.key.as_deref(),
            selector: &self.selector,
            version: self.version.as_deref(),
            outcome: self.outcome,
            cache: self.cache,
            path: self.path.as_deref(),
            detail: self.detail.as_deref(),
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
            revealed: self.revealed,
            manager: fields.manager,
            secret: fields.secret,
            key: fields.key,
            selector: fields.selector,
            version: fields.version,
            outcome: fields.outcome,
            cache: fields.cache,
            path: fields.path,
            detail: fields.detail,
        }
        .serialize(serializer)
    }
}

/// The fields of one record that differ between the records of a call, borrowed.
#[derive(Clone, Copy)]
pub(crate) struct RecordFields<'a> {
    pub manager: &'a str,
    pub secret: &'a str,
    pub key: Option<&'a str>,
    pub selector: &'a VersionSelector,
    pub version: Option<&'a str>,
    pub outcome: &'static str,
    pub cache: CacheStatus,
    pub path: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// How the audit file's writer keeps up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Calls' records waiting to be written.
    pub queued: u64,
    /// Writes or flushes of the file that failed since keyway started.
    pub failures: u64,
}

/// Writes audit records: to a JSON-lines file and/or a shared trail when there is one, and to tracing (target
/// `keyway::audit`): at `info` when tracing is their only sink, at `debug` beside a file or trail (which
/// holds every record; logs then carry them only when asked). Callers do not wait for the disk unless they
/// confirm their records, and then share one write with every caller confirming at the same time.
pub struct Auditor {
    file: Option<FileSink>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Auditor {
    /// Records to tracing only.
    pub fn tracing_only() -> Self {
        Self { file: None, worker: Mutex::new(None) }
    }

    /// Records to tracing and appends to the JSON-lines file at `path` (created with mode 0600).
    pub fn to_file(path: &Path) -> io::Result<Self> {
        Self::new(Some(path), None)
    }

    /// Records to tracing, to the JSON-lines file at `path` (created with mode 0600) when there is one, and to
    /// `shared` (keyway's records) when there is one; tracing only without either.
    pub fn new(path: Option<&Path>, shared: Option<Box<dyn SharedTrail>>) -> io::Result<Self> {
        let file = match path {
            Some(path) => {
                let mut options = OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                Some(options.open(path)?)
            }
            None => None,
        };
        if file.is_none() && shared.is_none() {
            return Ok(Self::tracing_only());
        }
        let (file, worker) = writer::spawn(file, shared)?;
        Ok(Self { file: Some(file), worker: Mutex::new(Some(worker)) })
    }

    /// How the file's writer keeps up (zeros without a file).
    pub fn stats(&self) -> AuditStats {
        self.file.as_ref().map_or_else(AuditStats::default, |file| {
            let (queued, failures) = file.stats();
            AuditStats { queued, failures }
        })
    }

    /// Records one call.
    pub fn record(&self, record: AuditRecord) {
        let Some(mut batch) = self.batch(record.operation, &record.identity, record.revealed) else { return };
        batch.time = record.time;
        batch.push(record.fields());
        batch.finish();
    }

    /// Starts the records of one call by `identity`, timed now; `None` when no sink would take them (no file,
    /// and tracing has no subscriber for `keyway::audit`), so nothing is built for nobody.
    pub(crate) fn batch<'a>(
        &'a self,
        operation: &'static str,
        identity: &'a Identity,
        revealed: Option<bool>,
    ) -> Option<AuditBatch<'a>> {
        let tracing = match self.file {
            None => tracing::enabled!(target: TARGET, tracing::Level::INFO).then_some(tracing::Level::INFO),
            Some(_) => tracing::enabled!(target: TARGET, tracing::Level::DEBUG).then_some(tracing::Level::DEBUG),
        };
        if tracing.is_none() && self.file.is_none() {
            return None;
        }
        let queued = self.file.as_ref().map(|file| {
            let mut batch = file.take();
            batch.operation = operation;
            batch.revealed = revealed;
            batch.set_identity(identity);
            (file, batch)
        });
        Some(AuditBatch { time: SystemTime::now(), operation, identity, revealed, tracing, queued })
    }

    /// Whether records go to a file or a shared trail (and so can fail to be written).
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }

    /// Waits until every record made so far has reached the audit file (written and flushed to the
    /// operating system, not synced to disk); fails when one of them could not be written. Front ends that
    /// fail closed call this before they hand out what was audited. Without a file it returns at once.
    pub async fn confirm(&self) -> io::Result<()> {
        match &self.file {
            Some(file) => file.confirm().await,
            None => Ok(()),
        }
    }

    /// Waits until every record so far is written and flushed; reports the first write error since the last
    /// flush.
    pub fn flush(&self) -> io::Result<()> {
        self.file.as_ref().map_or(Ok(()), FileSink::flush)
    }
}

/// The records of one call, on their way to tracing (at once) and to the file (when finished).
pub(crate) struct AuditBatch<'a> {
    time: SystemTime,
    operation: &'static str,
    identity: &'a Identity,
    revealed: Option<bool>,
    /// The level records go to tracing at, when they go.
    tracing: Option<tracing::Level>,
    queued: Option<(&'a FileSink, QueuedBatch)>,
}

impl AuditBatch<'_> {
    /// Makes room for `records` more records whose text (names, keys, paths) is about `text_bytes` long.
    pub fn reserve(&mut self, records: usize, text_bytes: usize) {
        if let Some((_, batch)) = &mut self.queued {
            batch.reserve(records, text_bytes);
        }
    }

    /// Adds one record.
    pub fn push(&mut self, fields: RecordFields<'_>) {
        if let Some(level) = self.tracing {
            let identity = self.identity;
            macro_rules! audit_event {
                ($level:expr) => {
                    tracing::event!(
                        target: TARGET,
                        $level,
                operation = %self.operation,
                manager = %fields.manager,
                secret = %fields.secret,
                key = fields.key,
                selector = %fields.selector,
                version = fields.version,
                outcome = %fields.outcome,
                cache = %fields.cache,
                namespace = identity.namespace.as_deref(),
                groups = ?identity.groups,
                flow = identity.flow.as_deref(),
                step = identity.step.as_deref(),
                client = identity.client.as_deref(),
                peer = identity.peer.as_deref(),
                revealed = self.revealed,
                path = fields.path,
                "audit"
                    )
                };
            }
            if level == tracing::Level::INFO {
                audit_event!(tracing::Level::INFO);
            } else {
                audit_event!(tracing::Level::DEBUG);
            }
        }
        if let Some((_, batch)) = &mut self.queued {
            batch.push(&fields);
        }
    }

    /// Hands the file's records to the writer.
    pub fn finish(self) {
        if let Some((file, mut batch)) = self.queued {
            batch.time = self.time;
            file.send(batch);
        }
    }
}

impl Drop for Auditor {
    fn drop(&mut self) {
        self.file = None;
        let worker = self.worker.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(worker) = worker {
            let _ = worker.join();
        }
    }
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor").field("file", &self.file.is_some()).finish()
    }
}
