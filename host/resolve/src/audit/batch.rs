//! The records of one call as they wait for the audit file, and the JSON lines they become.
//!
//! A batch carries its text in one buffer (no shared strings whose counts several threads would touch) and
//! is reused through a small pool, so auditing a call allocates nothing once the pool is warm.

use super::time::Rfc3339;
use super::RecordFields;
use crate::access::Identity;
use crate::cache::CacheStatus;
use keyway_types::VersionSelector;
use serde::Serialize;
use std::io::Write;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Emptied batches kept for reuse, at most.
const POOL_BATCHES: usize = 64;

/// The records of one call, which share its time, operation and caller. Texts are ranges of `text`.
pub(super) struct QueuedBatch {
    pub time: SystemTime,
    pub operation: &'static str,
    /// Whether the call handed values to its caller (`None`: not a read).
    pub revealed: Option<bool>,
    text: String,
    /// The caller's JSON fields (`"namespace":…,"peer":…`).
    identity: Range<usize>,
    records: Vec<QueuedRecord>,
    /// The batch's lines, made when it is handed to the writer.
    pub lines: Vec<u8>,
}

/// One record waiting to be written.
struct QueuedRecord {
    manager: Range<usize>,
    secret: Range<usize>,
    key: Option<Range<usize>>,
    /// `latest`, or the prefix (`version=`, `label=`) of the text.
    selector: (&'static str, Range<usize>),
    version: Option<Range<usize>>,
    outcome: &'static str,
    cache: CacheStatus,
    path: Option<Range<usize>>,
    detail: Option<Range<usize>>,
}

impl QueuedBatch {
    fn new() -> Self {
        Self {
            time: SystemTime::UNIX_EPOCH,
            operation: "",
            revealed: None,
            text: String::new(),
            identity: 0..0,
            records: Vec::new(),
            lines: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.revealed = None;
        self.text.clear();
        self.identity = 0..0;
        self.records.clear();
        self.lines.clear();
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Sets the caller's JSON fields: what serde_json writes for `identity`, without the braces.
    pub fn set_identity(&mut self, identity: &Identity) {
        // Written in the (empty) line buffer first, which is reused from call to call.
        let mut json = std::mem::take(&mut self.lines);
        json.clear();
        let optional = |json: &mut Vec<u8>, name: &[u8], value: &Option<String>| {
            json.extend_from_slice(name);
            match value {
                Some(text) => string(json, &[text]),
                None => json.extend_from_slice(b"null"),
            }
        };
        optional(&mut json, b"\"namespace\":", &identity.namespace);
        json.extend_from_slice(b",\"groups\":[");
        for (position, group) in identity.groups.iter().enumerate() {
            if position > 0 {
                json.push(b',');
            }
            string(&mut json, &[group]);
        }
        json.push(b']');
        optional(&mut json, b",\"flow\":", &identity.flow);
        optional(&mut json, b",\"step\":", &identity.step);
        optional(&mut json, b",\"client\":", &identity.client);
        optional(&mut json, b",\"peer\":", &identity.peer);
        // Built from strings and ASCII only, so always UTF-8.
        self.identity = self.add(std::str::from_utf8(&json).unwrap_or_default());
        json.clear();
        self.lines = json;
    }

    pub fn reserve(&mut self, records: usize, text_bytes: usize) {
        self.records.reserve(records);
        self.text.reserve(text_bytes);
    }

    pub fn push(&mut self, fields: &RecordFields<'_>) {
        let selector = match fields.selector {
            VersionSelector::Latest => ("latest", 0..0),
            VersionSelector::Id(id) => ("version=", self.add(id)),
            VersionSelector::Label(label) => ("label=", self.add(label)),
        };
        let record = QueuedRecord {
            manager: self.add(fields.manager),
            secret: self.add(fields.secret),
            key: fields.key.map(|key| self.add(key)),
            selector,
            version: fields.version.map(|version| self.add(version)),
            outcome: fields.outcome,
            cache: fields.cache,
            path: fields.path.map(|path| self.add(path)),
            detail: fields.detail.map(|detail| self.add(detail)),
        };
        self.records.push(record);
    }

    /// Writes the batch's lines into [`lines`](Self::lines).
    pub fn make_lines(&mut self) {
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        write_batch(&mut lines, self);
        self.lines = lines;
    }

    fn add(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    fn text(&self, range: &Range<usize>) -> &str {
        self.text.get(range.clone()).unwrap_or_default()
    }
}

/// Emptied batches, for reuse.
#[derive(Default)]
pub(super) struct Pool {
    batches: Mutex<Vec<QueuedBatch>>,
}

impl Pool {
    /// An empty batch, reused when one is available.
    pub fn take(&self) -> QueuedBatch {
        self.batches.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_else(QueuedBatch::new)
    }

    /// Keeps an emptied batch for reuse.
    pub fn give(&self, mut batch: QueuedBatch) {
        batch.clear();
        let mut batches = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
        if batches.len() < POOL_BATCHES {
            batches.push(batch);
        }
    }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revealed: Option<bool>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

fn rfc3339<S: serde::Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Rfc3339(*time))
}

fn display<S: serde::Serializer, T: std::fmt::Display>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Appends a batch's records to `out`, one line each; each line is what [`JsonLine`] gives (a test checks
/// it). The fields every line starts with (time, operation, caller) are written once and copied.
fn write_batch(out: &mut Vec<u8>, batch: &QueuedBatch) {
    let start = out.len();
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{{\"time\":\"{}\",\"operation\":", Rfc3339(batch.time));
    string(out, &[batch.operation]);
    let identity = batch.text(&batch.identity);
    if !identity.is_empty() {
        out.push(b',');
        out.extend_from_slice(identity.as_bytes());
    }
    if let Some(revealed) = batch.revealed {
        out.extend_from_slice(if revealed { &b",\"revealed\":true"[..] } else { &b",\"revealed\":false"[..] });
    }
    let prefix = start..out.len();
    for (position, record) in batch.records.iter().enumerate() {
        if position > 0 {
            out.extend_from_within(prefix.clone());
        }
        out.extend_from_slice(b",\"manager\":");
        string(out, &[batch.text(&record.manager)]);
        out.extend_from_slice(b",\"secret\":");
        string(out, &[batch.text(&record.secret)]);
        if let Some(key) = &record.key {
            out.extend_from_slice(b",\"key\":");
            string(out, &[batch.text(key)]);
        }
        out.extend_from_slice(b",\"selector\":");
        string(out, &[record.selector.0, batch.text(&record.selector.1)]);
        out.extend_from_slice(b",\"version\":");
        match &record.version {
            Some(version) => string(out, &[batch.text(version)]),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"outcome\":");
        string(out, &[record.outcome]);
        out.extend_from_slice(b",\"cache\":");
        string(out, &[record.cache.as_str()]);
        if let Some(path) = &record.path {
            out.extend_from_slice(b",\"path\":");
            string(out, &[batch.text(path)]);
        }
        if let Some(detail) = &record.detail {
            out.extend_from_slice(b",\"detail\":");
            string(out, &[batch.text(detail)]);
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Appends the JSON string of `parts` joined. Text without a character JSON escapes (controls, `"`, `\\`)
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
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn batch_lines_are_the_records_serialized() {
        let callers = [
            Identity {
                namespace: Some("company.\"team\"".into()),
                groups: vec!["etl".into(), "ops\n".into()],
                flow: None,
                step: Some("extract".into()),
                ..Identity::default()
            },
            Identity {
                client: Some("kestra".into()),
                peer: Some("127.0.0.1:50412".into()),
                flow: Some("nightly".into()),
                ..Identity::default()
            },
        ];
        for identity in callers {
            let identity = Arc::new(identity);
            let time = UNIX_EPOCH + Duration::from_millis(1_773_999_012_345);
            let records = [
                AuditRecord {
                    key: Some("pass\u{e9}word".into()),
                    version: Some("v2".into()),
                    path: Some("steps[0][\"a b\"]".into()),
                    detail: Some("request=\"r1\"".into()),
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
            let mut batch = QueuedBatch::new();
            batch.time = time;
            batch.operation = "resolve";
            batch.set_identity(&identity);
            records.iter().for_each(|record| batch.push(&record.fields()));
            batch.make_lines();
            let expected: String = records
                .into_iter()
                .map(|record| format!("{}\n", serde_json::to_string(&AuditRecord { time, ..record }).expect("json")))
                .collect();
            assert_eq!(String::from_utf8(batch.lines).expect("utf-8"), expected);
        }
    }

    #[test]
    fn emptied_batches_are_reused() {
        let pool = Pool::default();
        let mut batch = pool.take();
        batch.set_identity(&Identity::in_namespace("company"));
        batch.make_lines();
        pool.give(batch);
        let reused = pool.take();
        assert!(reused.text.is_empty() && reused.records.is_empty() && reused.identity.is_empty());
        assert!(reused.lines.is_empty());
    }
}
