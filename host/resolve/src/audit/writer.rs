//! The audit file's writer: a background thread that serializes records and appends them as JSON lines, fed
//! through a bounded queue of batches (one batch per resolved step or call), to the file and to a
//! [`SharedTrail`] (keyway's records, shared by a fleet) when there is one.
//!
//! Batches travel between threads without allocator traffic: a batch carries its text in one buffer (no
//! shared strings whose counts both threads would touch), and the writer hands emptied batches back through
//! a small pool rather than freeing memory the calling thread allocated (which contends on the allocator).

use super::time::Rfc3339;
use super::RecordFields;
use crate::access::Identity;
use crate::cache::CacheStatus;
use keyway_types::VersionSelector;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How many batches may wait for the writer. A caller finding the queue full waits for the writer: records
/// are never dropped, and memory does not grow without bound when the disk is slower than resolution.
const QUEUE_BATCHES: usize = 1024;

/// Emptied batches kept for reuse, at most.
const POOL_BATCHES: usize = 64;

/// How long the writer naps between drains while records keep coming.
const NAP: Duration = Duration::from_micros(250);

/// The records of one call, which share its time, operation and caller. Texts are ranges of `text`.
pub(super) struct QueuedBatch {
    pub time: SystemTime,
    pub operation: &'static str,
    /// Whether the call handed values to its caller (`None`: not a read).
    pub revealed: Option<bool>,
    /// The batch's place in the queue, counted from 1 (see [`Progress`]).
    seq: u64,
    text: String,
    /// The caller's JSON fields (`"namespace":…,"step":…`).
    identity: Range<usize>,
    records: Vec<QueuedRecord>,
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
            seq: 0,
            text: String::new(),
            identity: 0..0,
            records: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.revealed = None;
        self.seq = 0;
        self.text.clear();
        self.identity = 0..0;
        self.records.clear();
    }

    /// Sets the caller's JSON fields.
    pub fn set_identity(&mut self, json: &str) {
        self.identity = self.add(json);
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

    fn add(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    fn text(&self, range: &Range<usize>) -> &str {
        self.text.get(range.clone()).unwrap_or_default()
    }
}

/// A place every audit record goes besides (or instead of) the file: keyway's records, which a fleet of
/// nodes shares. The writer calls it on its own thread at every flush with the lines written since its last
/// call (one JSON object per line, each ending in `\n`); an error counts as a failed write of those records,
/// so callers that fail closed are refused as when the file fails.
pub trait SharedTrail: Send {
    /// Appends `lines`, all or none.
    fn append(&mut self, lines: &str) -> io::Result<()>;
}

enum Message {
    Batch(QueuedBatch),
    Flush(SyncSender<io::Result<()>>),
}

/// How far the writer has come, published after every flush to the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Every batch up to this sequence number has been handled (written, or failed).
    pub handled: u64,
    /// The highest sequence number of a batch whose write or flush failed (0: none).
    pub lost_through: u64,
    /// How many writes or flushes failed.
    pub failures: u64,
}

/// The calling side of the file: the queue to the writer, the pool of emptied batches, and the writer's
/// progress.
pub(super) struct FileSink {
    sender: SyncSender<Message>,
    pool: Arc<Pool>,
    /// The last sequence number handed out.
    queued: AtomicU64,
    progress: watch::Receiver<Progress>,
}

impl FileSink {
    /// An empty batch, reused when one is available.
    pub fn take(&self) -> QueuedBatch {
        self.pool.take().unwrap_or_else(QueuedBatch::new)
    }

    /// Queues a batch for the writer (waiting when the queue is full).
    pub fn send(&self, mut batch: QueuedBatch) {
        if batch.records.is_empty() {
            self.pool.give(batch);
            return;
        }
        // Numbers are taken and sent under one order: the channel keeps it, so the writer sees them rising.
        let _turn = self.pool.sending.lock().unwrap_or_else(PoisonError::into_inner);
        batch.seq = self.queued.fetch_add(1, Ordering::AcqRel) + 1;
        // The writer only stops when the auditor is dropped, so sending cannot fail before that.
        let _ = self.sender.send(Message::Batch(batch));
    }

    /// Waits until every batch queued so far has reached the file (written and flushed to the operating
    /// system); fails when one of them could not be written.
    pub async fn confirm(&self) -> io::Result<()> {
        let target = self.queued.load(Ordering::Acquire);
        if target == 0 {
            return Ok(());
        }
        let mut progress = self.progress.clone();
        let reached = progress
            .wait_for(|progress| progress.handled >= target)
            .await
            .map(|progress| *progress)
            .map_err(|_| io::Error::other("the audit writer has stopped"))?;
        if reached.lost_through >= target {
            return Err(io::Error::other("the audit file could not be written"));
        }
        Ok(())
    }

    /// Batches queued but not yet handled by the writer, and how many writes failed so far.
    pub fn stats(&self) -> (u64, u64) {
        let progress = *self.progress.borrow();
        (self.queued.load(Ordering::Acquire).saturating_sub(progress.handled), progress.failures)
    }

    /// Waits until the writer has written and flushed everything queued before.
    pub fn flush(&self) -> io::Result<()> {
        let (done, wait) = mpsc::sync_channel(1);
        self.sender.send(Message::Flush(done)).map_err(|_| io::Error::other("the audit writer has stopped"))?;
        wait.recv().map_err(|_| io::Error::other("the audit writer has stopped"))?
    }
}

/// Emptied batches, handed back by the writer; and the lock that orders sequence numbers with sends.
#[derive(Default)]
struct Pool {
    batches: Mutex<Vec<QueuedBatch>>,
    /// Held while a batch is numbered and queued, so the writer sees the numbers rising.
    sending: Mutex<()>,
}

impl Pool {
    fn take(&self) -> Option<QueuedBatch> {
        self.batches.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    fn give(&self, mut batch: QueuedBatch) {
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

/// Starts the writer thread appending to `file`.
pub(super) fn spawn(
    file: Option<File>,
    shared: Option<Box<dyn SharedTrail>>,
) -> io::Result<(FileSink, JoinHandle<()>)> {
    let (sender, receiver) = mpsc::sync_channel(QUEUE_BATCHES);
    let pool = Arc::new(Pool::default());
    let (publish, progress) = watch::channel(Progress::default());
    let writer = Writer {
        out: file.map(BufWriter::new),
        shared,
        shared_lines: String::new(),
        failure: None,
        lines: Vec::new(),
        pool: Arc::clone(&pool),
        publish,
        progress: Progress::default(),
        cycle_failed: false,
    };
    let worker = std::thread::Builder::new().name("keyway-audit".into()).spawn(move || writer.run(&receiver))?;
    Ok((FileSink { sender, pool, queued: AtomicU64::new(0), progress }, worker))
}

struct Writer {
    out: Option<BufWriter<File>>,
    shared: Option<Box<dyn SharedTrail>>,
    /// Lines waiting for the shared trail's next append.
    shared_lines: String,
    /// The first write error since the last `Flush`.
    failure: Option<io::Error>,
    /// One batch's lines, reused from batch to batch.
    lines: Vec<u8>,
    pool: Arc<Pool>,
    /// Where callers waiting in [`FileSink::confirm`] learn of progress.
    publish: watch::Sender<Progress>,
    /// What was last published, updated as batches are handled.
    progress: Progress,
    /// Whether a write failed since the last flush.
    cycle_failed: bool,
}

impl Writer {
    /// Blocks while no records come; while they do, drains the queue and naps instead of blocking, so that
    /// callers queueing records do not each have to wake the thread (a system call per batch).
    fn run(mut self, receiver: &Receiver<Message>) {
        'idle: while let Ok(message) = receiver.recv() {
            self.handle(message);
            loop {
                let mut drained = false;
                loop {
                    match receiver.try_recv() {
                        Ok(message) => {
                            self.handle(message);
                            drained = true;
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => break 'idle,
                    }
                }
                self.flush();
                if !drained {
                    continue 'idle;
                }
                std::thread::sleep(NAP);
            }
        }
        self.flush();
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Batch(batch) => {
                self.lines.clear();
                write_batch(&mut self.lines, &batch);
                if let Some(out) = &mut self.out {
                    let written = out.write_all(&self.lines);
                    self.note(written);
                }
                if self.shared.is_some() {
                    self.shared_lines.push_str(&String::from_utf8_lossy(&self.lines));
                }
                self.progress.handled = self.progress.handled.max(batch.seq);
                self.pool.give(batch);
            }
            Message::Flush(done) => {
                let shared = self.append_shared();
                self.note(shared);
                let flushed = match &mut self.out {
                    Some(out) => out.flush().and_then(|()| out.get_ref().sync_data()),
                    None => Ok(()),
                };
                let result = match (self.failure.take(), flushed) {
                    (Some(error), _) | (None, Err(error)) => Err(error),
                    (None, Ok(())) => Ok(()),
                };
                if self.cycle_failed || result.is_err() {
                    self.progress.lost_through = self.progress.handled;
                    self.progress.failures += 1;
                }
                self.cycle_failed = false;
                self.publish.send_replace(self.progress);
                let _ = done.send(result);
            }
        }
    }

    /// Flushes to the operating system and publishes how far the file has come: a failure since the last
    /// flush counts against every batch handled by now.
    fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            let flushed = out.flush();
            self.note(flushed);
        }
        let shared = self.append_shared();
        self.note(shared);
        if self.cycle_failed {
            self.progress.lost_through = self.progress.handled;
            self.progress.failures += 1;
        }
        self.cycle_failed = false;
        if *self.publish.borrow() != self.progress {
            self.publish.send_replace(self.progress);
        }
    }

    /// Hands the lines written since the last call to the shared trail.
    fn append_shared(&mut self) -> io::Result<()> {
        let Some(shared) = &mut self.shared else { return Ok(()) };
        if self.shared_lines.is_empty() {
            return Ok(());
        }
        let appended = shared.append(&self.shared_lines);
        self.shared_lines.clear();
        appended
    }

    fn note(&mut self, result: io::Result<()>) {
        if let Err(error) = result {
            tracing::error!(target: "keyway::audit", %error, "cannot write the audit file");
            self.cycle_failed = true;
            self.failure.get_or_insert(error);
        }
    }
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
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn batch_lines_are_the_records_serialized() {
        let identity = Arc::new(Identity {
            namespace: Some("company.\"team\"".into()),
            groups: vec!["etl".into(), "ops".into()],
            flow: None,
            step: Some("extract".into()),
            ..Identity::default()
        });
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
        super::super::with_identity_json(&identity, |json| batch.set_identity(json));
        records.iter().for_each(|record| batch.push(&record.fields()));
        let mut written = Vec::new();
        write_batch(&mut written, &batch);
        let expected: String = records
            .into_iter()
            .map(|record| format!("{}\n", serde_json::to_string(&AuditRecord { time, ..record }).expect("json")))
            .collect();
        assert_eq!(String::from_utf8(written).expect("utf-8"), expected);
    }

    #[test]
    fn emptied_batches_are_reused() {
        let pool = Pool::default();
        let mut batch = QueuedBatch::new();
        batch.set_identity("\"namespace\":null");
        pool.give(batch);
        let reused = pool.take().expect("a batch");
        assert!(reused.text.is_empty() && reused.records.is_empty() && reused.identity.is_empty());
        assert!(pool.take().is_none());
    }
}
