//! The audit file's writer: a background thread that serializes records and appends them as JSON lines, fed
//! through a bounded queue of batches (one batch per resolved step or call).

use super::time::Rfc3339;
use crate::access::Identity;
use crate::cache::CacheStatus;
use keyway_types::VersionSelector;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

/// How many batches may wait for the writer. A caller finding the queue full waits for the writer: records
/// are never dropped, and memory does not grow without bound when the disk is slower than resolution.
const QUEUE_BATCHES: usize = 1024;

/// One record waiting to be written: shared strings, so queueing it copies no text.
pub(super) struct QueuedRecord {
    pub manager: Arc<str>,
    pub secret: Arc<str>,
    pub key: Option<Arc<str>>,
    pub selector: VersionSelector,
    pub version: Option<Arc<str>>,
    pub outcome: &'static str,
    pub cache: CacheStatus,
    /// A range of the batch's `paths`.
    pub path: Option<Range<usize>>,
}

/// The records of one call, which share its time, operation and caller.
pub(super) struct QueuedBatch {
    pub time: SystemTime,
    pub operation: &'static str,
    pub identity: Arc<Identity>,
    /// The step paths of the records, one after the other.
    pub paths: String,
    pub records: Vec<QueuedRecord>,
}

pub(super) enum Message {
    Batch(QueuedBatch),
    Flush(SyncSender<io::Result<()>>),
}

/// One line of the audit file. [`AuditRecord`](super::AuditRecord) serializes through it too, so both give
/// the same JSON.
#[derive(Serialize)]
pub(super) struct JsonLine<'a> {
    #[serde(serialize_with = "rfc3339")]
    pub time: SystemTime,
    pub operation: &'a str,
    #[serde(flatten)]
    pub identity: &'a Identity,
    pub manager: &'a str,
    pub secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    #[serde(serialize_with = "display")]
    pub selector: &'a VersionSelector,
    pub version: Option<&'a str>,
    pub outcome: &'a str,
    pub cache: CacheStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
}

fn rfc3339<S: serde::Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Rfc3339(*time))
}

fn display<S: serde::Serializer, T: std::fmt::Display>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Starts the writer thread appending to `file`.
pub(super) fn spawn(file: File) -> io::Result<(SyncSender<Message>, JoinHandle<()>)> {
    let (sender, receiver) = mpsc::sync_channel(QUEUE_BATCHES);
    let worker = std::thread::Builder::new()
        .name("keyway-audit".into())
        .spawn(move || write_records(&receiver, BufWriter::new(file)))?;
    Ok((sender, worker))
}

fn write_records(receiver: &Receiver<Message>, mut out: BufWriter<File>) {
    let mut failure: Option<io::Error> = None;
    // One batch's lines, reused from batch to batch.
    let mut lines = Vec::with_capacity(4096);
    while let Ok(message) = receiver.recv() {
        let mut pending = Some(message);
        // Write everything queued, then flush once.
        while let Some(message) = pending.take().or_else(|| receiver.try_recv().ok()) {
            match message {
                Message::Batch(batch) => {
                    lines.clear();
                    let written = write_batch(&mut lines, &batch).and_then(|()| out.write_all(&lines));
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

/// Appends a batch's records to `out`, one line each. The fields they share (time, operation, caller) are
/// serialized once; each line is what [`JsonLine`] gives (a test checks it).
fn write_batch(out: &mut Vec<u8>, batch: &QueuedBatch) -> io::Result<()> {
    let mut prefix = Vec::with_capacity(192);
    write!(prefix, "{{\"time\":\"{}\",\"operation\":", Rfc3339(batch.time))?;
    string(&mut prefix, &[batch.operation]);
    let identity = serde_json::to_vec(&*batch.identity).map_err(io::Error::other)?;
    // `{"namespace":…,"step":…}` without its braces.
    if let Some(fields) = identity.get(1..identity.len().saturating_sub(1)).filter(|fields| !fields.is_empty()) {
        prefix.push(b',');
        prefix.extend_from_slice(fields);
    }
    for record in &batch.records {
        out.extend_from_slice(&prefix);
        out.extend_from_slice(b",\"manager\":");
        string(out, &[&record.manager]);
        out.extend_from_slice(b",\"secret\":");
        string(out, &[&record.secret]);
        if let Some(key) = &record.key {
            out.extend_from_slice(b",\"key\":");
            string(out, &[key]);
        }
        out.extend_from_slice(b",\"selector\":");
        match &record.selector {
            VersionSelector::Latest => string(out, &["latest"]),
            VersionSelector::Id(id) => string(out, &["version=", id]),
            VersionSelector::Label(label) => string(out, &["label=", label]),
        }
        out.extend_from_slice(b",\"version\":");
        match &record.version {
            Some(version) => string(out, &[version]),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"outcome\":");
        string(out, &[record.outcome]);
        out.extend_from_slice(b",\"cache\":");
        string(out, &[record.cache.as_str()]);
        if let Some(path) = record.path.clone().and_then(|range| batch.paths.get(range)) {
            out.extend_from_slice(b",\"path\":");
            string(out, &[path]);
        }
        out.extend_from_slice(b"}\n");
    }
    Ok(())
}

/// Appends the JSON string of `parts` joined. Text without a character JSON escapes (controls, `"`, `\`)
/// is copied as it is, as serde_json would; anything else goes through serde_json.
fn string(out: &mut Vec<u8>, parts: &[&str]) {
    let plain = |text: &str| text.bytes().all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
    if parts.iter().all(|part| plain(part)) {
        out.push(b'"');
        parts.iter().for_each(|part| out.extend_from_slice(part.as_bytes()));
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &parts.concat());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditRecord;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn batch_lines_are_the_records_serialized() {
        let identity = Arc::new(Identity {
            namespace: Some("company.\"team\"".into()),
            groups: vec!["etl".into(), "ops".into()],
            flow: None,
            step: Some("extract".into()),
        });
        let time = UNIX_EPOCH + Duration::from_millis(1_773_999_012_345);
        let records = [
            AuditRecord {
                key: Some("pass\u{e9}word".into()),
                version: Some("v2".into()),
                path: Some("steps[0][\"a b\"]".into()),
                cache: CacheStatus::Hit,
                selector: VersionSelector::Label("AWSPREVIOUS".into()),
                ..AuditRecord::new(Arc::clone(&identity), "resolve", "aws", "prod/db")
            },
            AuditRecord {
                outcome: "not-found",
                selector: VersionSelector::Id("v\"1\\".into()),
                ..AuditRecord::new(Arc::clone(&identity), "resolve", "aws", "missing\n")
            },
            AuditRecord {
                cache: CacheStatus::Stale,
                ..AuditRecord::new(Arc::clone(&identity), "resolve", "m", "plain")
            },
        ];
        let mut paths = String::new();
        let queued = records
            .iter()
            .map(|record| QueuedRecord {
                manager: Arc::from(record.manager.as_str()),
                secret: Arc::from(record.secret.as_str()),
                key: record.key.as_deref().map(Arc::from),
                selector: record.selector.clone(),
                version: record.version.as_deref().map(Arc::from),
                outcome: record.outcome,
                cache: record.cache,
                path: record.path.as_deref().map(|path| {
                    paths.push_str(path);
                    paths.len() - path.len()..paths.len()
                }),
            })
            .collect();
        let batch = QueuedBatch { time, operation: "resolve", identity, paths, records: queued };
        let mut written = Vec::new();
        write_batch(&mut written, &batch).expect("written");
        let expected: String = records
            .into_iter()
            .map(|record| format!("{}\n", serde_json::to_string(&AuditRecord { time, ..record }).expect("json")))
            .collect();
        assert_eq!(String::from_utf8(written).expect("utf-8"), expected);
    }
}
