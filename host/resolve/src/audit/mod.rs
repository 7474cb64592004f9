//! Audit records: one per resolution and per write, to tracing and optionally to a JSON-lines file.
//! Records name the caller, manager, secret, key, version, operation and outcome; never a value.

use crate::access::Identity;
use crate::cache::CacheStatus;
use keyway_types::VersionSelector;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

/// One audited call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// When; written as RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "rfc3339")]
    pub time: SystemTime,
    /// `resolve` (a placeholder of a step), `get`, `create`, `update`, `delete`, `restore`, …
    pub operation: &'static str,
    /// The caller.
    #[serde(flatten)]
    pub identity: Arc<Identity>,
    /// The manager.
    pub manager: String,
    /// The secret's name.
    pub secret: String,
    /// The key read from a JSON key/value secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The version selector; written as `latest`, `version=ID`, `label=L`.
    #[serde(serialize_with = "display")]
    pub selector: VersionSelector,
    /// The version read, when known.
    pub version: Option<String>,
    /// `ok`, or the error's kind (`denied`, `not-found`, `missing-key`, `backend-error`, …).
    pub outcome: &'static str,
    /// How the cache served the read.
    pub cache: CacheStatus,
    /// For resolutions: the step path of the (first) string that used the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
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
}

enum Message {
    Record(Box<AuditRecord>),
    Flush(mpsc::SyncSender<io::Result<()>>),
}

/// Writes audit records. Every record goes to tracing (target `keyway::audit`); with a file, also to that
/// file, one JSON object per line, written by a background thread so callers never wait on the disk.
pub struct Auditor {
    sender: Option<mpsc::Sender<Message>>,
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
        let file = options.open(path)?;
        let (sender, receiver) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("keyway-audit".into())
            .spawn(move || write_records(&receiver, BufWriter::new(file)))?;
        Ok(Self { sender: Some(sender), worker: Mutex::new(Some(worker)) })
    }

    /// Records one call.
    pub fn record(&self, record: AuditRecord) {
        tracing::info!(
            target: "keyway::audit",
            operation = %record.operation,
            manager = %record.manager,
            secret = %record.secret,
            key = record.key.as_deref(),
            selector = %record.selector,
            version = record.version.as_deref(),
            outcome = %record.outcome,
            cache = %record.cache,
            namespace = record.identity.namespace.as_deref(),
            groups = ?record.identity.groups,
            flow = record.identity.flow.as_deref(),
            step = record.identity.step.as_deref(),
            path = record.path.as_deref(),
            "audit"
        );
        if let Some(sender) = &self.sender {
            // The worker only stops when the auditor is dropped, so sending cannot fail before that.
            let _ = sender.send(Message::Record(Box::new(record)));
        }
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

fn write_records(receiver: &mpsc::Receiver<Message>, mut out: BufWriter<File>) {
    let mut failure: Option<io::Error> = None;
    while let Ok(message) = receiver.recv() {
        let mut pending = Some(message);
        // Write everything queued, then flush once.
        while let Some(message) = pending.take().or_else(|| receiver.try_recv().ok()) {
            match message {
                Message::Record(record) => {
                    let written = serde_json::to_writer(&mut out, &*record)
                        .map_err(io::Error::other)
                        .and_then(|()| out.write_all(b"\n"));
                    if let Err(error) = written {
                        tracing::error!(target: "keyway::audit", %error, "cannot write the audit file");
                        failure.get_or_insert(error);
                    }
                }
                Message::Flush(done) => {
                    let flushed = out.flush().and_then(|()| out.get_ref().sync_data());
                    let result = match (failure.take(), flushed) {
                        (Some(error), _) | (None, Err(error)) => Err(error),
                        (None, Ok(())) => Ok(()),
                    };
                    let _ = done.send(result);
                }
            }
        }
        if let Err(error) = out.flush() {
            tracing::error!(target: "keyway::audit", %error, "cannot write the audit file");
            failure.get_or_insert(error);
        }
    }
    let _ = out.flush();
}

fn rfc3339<S: serde::Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339(*time))
}

fn display<S: serde::Serializer, T: std::fmt::Display>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A time as RFC 3339 UTC with milliseconds: `2026-05-20T09:30:12.345Z`.
pub fn format_rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + std::time::Duration::from_millis(1_773_999_012_345)),
            "2026-03-20T09:30:12.345Z"
        );
    }
}
