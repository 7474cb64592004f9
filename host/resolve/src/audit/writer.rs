//! The audit file's writer. Callers turn their records into JSON lines and append them to a journal in
//! memory; whoever needs them written first writes everything pending with one system call: a caller
//! confirming its records (audits that fail closed), or a background thread for the records nobody waits
//! for. Callers confirming at the same time share one write, and none waits for another thread to wake up.
//!
//! A [`SharedTrail`] (keyway's records, shared by a fleet) is appended by the background thread, in one call
//! per round with every line since the last; callers confirming their records wait for it too.

use super::batch::{Pool, QueuedBatch};
use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How much text may wait in the journal. A caller finding more writes it itself (and waits for the shared
/// trail to take it): records are never dropped, and memory does not grow without bound when the disk or
/// the trail is slower than resolution.
const JOURNAL_LIMIT: usize = 1 << 20;

/// How often the background thread writes records nobody confirmed, while records come.
const WRITE_EVERY: Duration = Duration::from_millis(5);

/// How often the background thread hands lines to a shared trail, while records come.
const TRAIL_EVERY: Duration = Duration::from_micros(250);

/// How long without records before the background thread sleeps until the next one.
const QUIET: Duration = Duration::from_secs(1);

/// A place every audit record goes besides (or instead of) the file: keyway's records, which a fleet of
/// nodes shares. The writer calls it on its own thread with the lines made since its last call (one JSON
/// object per line, each ending in `\n`); an error counts as a failed write of those records, so callers
/// that fail closed are refused as when the file fails.
pub trait SharedTrail: Send {
    /// Appends `lines`, all or none.
    fn append(&mut self, lines: &str) -> io::Result<()>;
}

/// The calling side: the journal, the file, and how far both have come. Batches are numbered from 1 in the
/// order their lines enter the journal, which is the order they reach the file and the trail.
pub(super) struct FileSink {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    journal: Mutex<Journal>,
    /// The file, held by whoever writes to it.
    file: Mutex<Output>,
    has_file: bool,
    has_trail: bool,
    /// The last sequence number handed out.
    queued: AtomicU64,
    /// Every batch up to this number has been written to the file, or failed to be.
    written: AtomicU64,
    /// Every batch up to this number has been handed to the shared trail, or failed to be.
    trailed: watch::Sender<u64>,
    /// The highest number of a batch whose write failed (0: none).
    lost_through: AtomicU64,
    /// Writes that failed since keyway started.
    failures: AtomicU64,
    /// The first failure since the last [`FileSink::flush`].
    failure: Mutex<Option<io::Error>>,
    background: Background,
}

/// Lines not yet written.
#[derive(Default)]
struct Journal {
    /// For the file.
    lines: Vec<u8>,
    /// For the shared trail.
    trail: String,
    /// The number of the last batch in them.
    through: u64,
}

struct Output {
    file: Option<File>,
    /// The buffer swapped with the journal's while its lines are written.
    spare: Vec<u8>,
}

/// The background thread and how to wake it.
#[derive(Default)]
struct Background {
    thread: OnceLock<Thread>,
    /// Set while it sleeps until the next record.
    asleep: AtomicBool,
    stop: AtomicBool,
    stopped: AtomicBool,
}

impl Background {
    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the writer for `file` and/or `trail`.
pub(super) fn spawn(file: Option<File>, trail: Option<Box<dyn SharedTrail>>) -> io::Result<(FileSink, JoinHandle<()>)> {
    let inner = Arc::new(Inner {
        pool: Pool::default(),
        journal: Mutex::default(),
        has_file: file.is_some(),
        has_trail: trail.is_some(),
        file: Mutex::new(Output { file, spare: Vec::new() }),
        queued: AtomicU64::new(0),
        written: AtomicU64::new(0),
        trailed: watch::Sender::new(0),
        lost_through: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        failure: Mutex::new(None),
        background: Background::default(),
    });
    let background = Arc::clone(&inner);
    let worker = std::thread::Builder::new().name("keyway-audit".into()).spawn(move || background.run(trail))?;
    let _ = inner.background.thread.set(worker.thread().clone());
    Ok((FileSink { inner }, worker))
}

impl FileSink {
    /// An empty batch, reused when one is available.
    pub fn take(&self) -> QueuedBatch {
        self.inner.pool.take()
    }

    /// Appends a batch's lines to the journal (writing them at once when the journal is full).
    pub fn send(&self, mut batch: QueuedBatch) {
        let inner = &self.inner;
        if batch.is_empty() {
            inner.pool.give(batch);
            return;
        }
        batch.make_lines();
        let (seq, pending) = {
            let mut journal = lock(&inner.journal);
            // Numbered under the journal's lock: numbers rise in the order lines enter it.
            let seq = inner.queued.fetch_add(1, Ordering::SeqCst) + 1;
            if inner.has_file {
                journal.lines.extend_from_slice(&batch.lines);
            }
            if inner.has_trail {
                journal.trail.push_str(&String::from_utf8_lossy(&batch.lines));
            }
            journal.through = seq;
            (seq, journal.lines.len().max(journal.trail.len()))
        };
        inner.pool.give(batch);
        if inner.background.asleep.load(Ordering::SeqCst) {
            inner.background.wake();
        }
        if pending > JOURNAL_LIMIT {
            inner.write(seq);
            inner.wait_for_trail_blocking(seq);
        }
    }

    /// Waits until every batch queued so far has reached the file (written to the operating system, not
    /// synced to disk) and the shared trail; fails when one of them could not be written.
    pub async fn confirm(&self) -> io::Result<()> {
        let inner = &self.inner;
        let target = inner.queued.load(Ordering::SeqCst);
        if target == 0 {
            return Ok(());
        }
        if inner.written.load(Ordering::Acquire) < target {
            // The other calls this thread has in hand add their records first: one write then serves all.
            tokio::task::yield_now().await;
            inner.write(target);
        }
        if inner.has_trail {
            inner.background.wake();
            let mut trailed = inner.trailed.subscribe();
            trailed
                .wait_for(|trailed| *trailed >= target)
                .await
                .map_err(|_| io::Error::other("the audit writer has stopped"))?;
        }
        inner.outcome(target)
    }

    /// Batches queued but not yet written, and how many writes failed so far.
    pub fn stats(&self) -> (u64, u64) {
        let inner = &self.inner;
        let mut done = inner.written.load(Ordering::Acquire);
        if inner.has_trail {
            done = done.min(*inner.trailed.borrow());
        }
        (inner.queued.load(Ordering::Acquire).saturating_sub(done), inner.failures.load(Ordering::Acquire))
    }

    /// Writes everything queued before, syncs the file to disk and waits for the shared trail; reports the
    /// first failure since the last flush.
    pub fn flush(&self) -> io::Result<()> {
        let inner = &self.inner;
        let target = inner.queued.load(Ordering::SeqCst);
        inner.write(target);
        let synced = match &lock(&inner.file).file {
            Some(file) => file.sync_data(),
            None => Ok(()),
        };
        if let Err(error) = synced {
            inner.lost(target, error);
        }
        inner.wait_for_trail_blocking(target);
        match lock(&inner.failure).take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        self.inner.background.stop.store(true, Ordering::SeqCst);
        self.inner.background.wake();
    }
}

impl Inner {
    /// Writes every line in the journal to the file unless batch `target` is written already. Several
    /// callers may ask at once: one writes, the others find their batches written when it is done.
    fn write(&self, target: u64) {
        if self.written.load(Ordering::Acquire) >= target {
            return;
        }
        let mut output = lock(&self.file);
        if self.written.load(Ordering::Acquire) >= target {
            return;
        }
        let Output { file, spare } = &mut *output;
        let through = {
            let mut journal = lock(&self.journal);
            std::mem::swap(&mut journal.lines, spare);
            journal.through
        };
        if let Some(file) = file {
            if !spare.is_empty() {
                // A small append to a file: the page cache takes it at once (the caller waits for it anyway).
                if let Err(error) = file.write_all(spare) {
                    self.lost(through, error);
                }
            }
        }
        spare.clear();
        if spare.capacity() > JOURNAL_LIMIT {
            spare.shrink_to(JOURNAL_LIMIT / 16);
        }
        self.written.fetch_max(through, Ordering::AcqRel);
    }

    /// Records that the batches up to `through` may not have reached the file or the trail.
    fn lost(&self, through: u64, error: io::Error) {
        tracing::error!(target: "keyway::audit", %error, "cannot write the audit file");
        self.lost_through.fetch_max(through, Ordering::AcqRel);
        self.failures.fetch_add(1, Ordering::AcqRel);
        lock(&self.failure).get_or_insert(error);
    }

    /// Whether batch `target` and those before it were written.
    fn outcome(&self, target: u64) -> io::Result<()> {
        if self.lost_through.load(Ordering::Acquire) >= target {
            return Err(io::Error::other("the audit file could not be written"));
        }
        Ok(())
    }

    /// Blocks until the shared trail has taken batch `target` (at once without a trail).
    fn wait_for_trail_blocking(&self, target: u64) {
        if !self.has_trail {
            return;
        }
        while *self.trailed.borrow() < target && !self.background.stopped.load(Ordering::Acquire) {
            self.background.wake();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The background thread: writes what nobody confirmed and feeds the shared trail, every few
    /// milliseconds while records come; sleeps until the next record after a quiet second.
    fn run(self: Arc<Self>, mut trail: Option<Box<dyn SharedTrail>>) {
        let _stopped = Stopped(&self);
        let mut last_record = Instant::now();
        let mut seen = 0;
        loop {
            let stopping = self.background.stop.load(Ordering::SeqCst);
            let queued = self.queued.load(Ordering::SeqCst);
            self.write(queued);
            if let Some(trail) = &mut trail {
                self.feed(trail.as_mut());
            }
            if stopping {
                break;
            }
            if queued != seen {
                seen = queued;
                last_record = Instant::now();
            }
            if last_record.elapsed() < QUIET {
                std::thread::park_timeout(if trail.is_some() { TRAIL_EVERY } else { WRITE_EVERY });
                continue;
            }
            self.background.asleep.store(true, Ordering::SeqCst);
            // A record queued before the flag was up is seen here; one queued after wakes the thread.
            if self.queued.load(Ordering::SeqCst) == seen && !self.background.stop.load(Ordering::SeqCst) {
                std::thread::park();
            }
            self.background.asleep.store(false, Ordering::SeqCst);
        }
    }

    /// Hands the lines made since the last round to the trail.
    fn feed(&self, trail: &mut dyn SharedTrail) {
        let (lines, through) = {
            let mut journal = lock(&self.journal);
            (std::mem::take(&mut journal.trail), journal.through)
        };
        if through <= *self.trailed.borrow() {
            return;
        }
        if !lines.is_empty() {
            if let Err(error) = trail.append(&lines) {
                self.lost(through, error);
            }
        }
        self.trailed.send_replace(through);
    }
}

/// Marks the background thread stopped when it returns or panics, releasing callers waiting for the trail;
/// after a panic every record counts as lost, so no caller failing closed takes it for written.
struct Stopped<'a>(&'a Inner);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lost_through.store(u64::MAX, Ordering::SeqCst);
            self.0.failures.fetch_add(1, Ordering::AcqRel);
            lock(&self.0.failure).get_or_insert_with(|| io::Error::other("the audit writer has stopped"));
        }
        self.0.background.stopped.store(true, Ordering::Release);
        self.0.trailed.send_replace(u64::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Identity;
    use crate::audit::AuditRecord;
    use std::sync::Arc;

    fn batch(sink: &FileSink, secret: &str) -> QueuedBatch {
        let mut batch = sink.take();
        batch.operation = "get";
        batch.set_identity(&Identity::default());
        batch.push(&AuditRecord::new(Arc::new(Identity::default()), "get", "m", secret).fields());
        batch
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn confirmed_records_are_in_the_file_in_order_and_nothing_is_lost_under_concurrency() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let (sink, worker) = spawn(Some(File::create(&path).expect("file")), None).expect("writer");
        let sink = Arc::new(sink);
        let tasks: Vec<_> = (0..8)
            .map(|task| {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    for n in 0..200 {
                        sink.send(batch(&sink, &format!("s{task}-{n}")));
                        sink.confirm().await.expect("written");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        let text = std::fs::read_to_string(&path).expect("audit file");
        assert_eq!(text.lines().count(), 1600);
        for task in 0..8 {
            let mine: Vec<&str> = text.lines().filter(|line| line.contains(&format!("\"s{task}-"))).collect();
            for (n, line) in mine.iter().enumerate() {
                assert!(line.contains(&format!("\"secret\":\"s{task}-{n}\"")), "in order: {line}");
            }
        }
        assert_eq!(sink.stats(), (0, 0));
        drop(Arc::into_inner(sink).expect("the only sink"));
        worker.join().expect("the writer stops");
    }

    #[test]
    fn records_nobody_confirms_reach_the_file_by_themselves() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let (sink, worker) = spawn(Some(File::create(&path).expect("file")), None).expect("writer");
        sink.send(batch(&sink, "unconfirmed"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&path).expect("audit file").contains("unconfirmed") {
            assert!(Instant::now() < deadline, "the background thread writes it");
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(sink);
        worker.join().expect("the writer stops");
    }
}
