//! Housekeeping after crashes and expired deletions.
//!
//! Nothing here is needed for correctness of reads: readers skip what a sweep
//! removes. It runs inside write operations (which the host runs one at a
//! time), so it never races another write of the same manager; files younger
//! than `stale_after` are left alone in case another process is writing them.

use super::{LocalStore, META_FILE, VALUE_SUFFIX};
use crate::fsio::{list_dir, older_than, remove_path, TEMP_PREFIX};
use crate::names::is_version_id;
use std::path::Path;
use std::time::Duration;

/// How often a connection sweeps, at most.
const SWEEP_INTERVAL_MS: u64 = 3_600_000;

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Secrets whose recovery window ended, now removed.
    pub purged: Vec<String>,
    /// Leftover files and directories removed (temporary files, unreferenced
    /// values, interrupted removals).
    pub leftovers: usize,
    /// What could not be cleaned, one line each (no values).
    pub problems: Vec<String>,
}

impl LocalStore {
    /// Sweeps when the last sweep of this connection is more than an hour ago.
    pub fn sweep_if_due(&self, stale_after: Duration) -> Option<SweepReport> {
        let now = self.now();
        if self.last_sweep.get().is_some_and(|last| now.saturating_sub(last) < SWEEP_INTERVAL_MS) {
            return None;
        }
        self.last_sweep.set(Some(now));
        Some(self.sweep(stale_after))
    }

    /// Removes secrets whose recovery window has ended, finishes interrupted
    /// removals and deletes leftovers of interrupted writes older than `stale_after`.
    pub fn sweep(&self, stale_after: Duration) -> SweepReport {
        let mut report = SweepReport::default();
        for entry in list_dir(&self.trash).unwrap_or_default() {
            remove(&self.trash.join(entry), &mut report);
        }
        for entry in list_dir(&self.root).unwrap_or_default() {
            let path = self.root.join(&entry);
            if entry.starts_with(TEMP_PREFIX) && older_than(&path, stale_after) {
                remove(&path, &mut report);
            }
        }
        let slots = match self.slots() {
            Ok(slots) => slots,
            Err(err) => {
                report.problems.push(err.to_string());
                return report;
            }
        };
        let now = self.now();
        for (name, slot) in slots {
            let record = match self.load_slot(&slot, &name) {
                Ok(record) => record,
                Err(err) => {
                    report.problems.push(err.to_string());
                    continue;
                }
            };
            match record {
                // A creation that never reached its `meta` file.
                None if older_than(&slot, stale_after) => remove(&slot, &mut report),
                None => {}
                Some(record) if record.is_purged(now) => match self.discard(&name, record.generation) {
                    Ok(()) => report.purged.push(name),
                    Err(err) => report.problems.push(err.to_string()),
                },
                Some(record) => {
                    let listed = |id: &str| record.versions.iter().any(|v| v.id == id);
                    sweep_slot(&slot, stale_after, &listed, &mut report);
                }
            }
        }
        report
    }
}

/// Removes stale temporary files and value files `meta` does not list.
fn sweep_slot(slot: &Path, stale_after: Duration, listed: &dyn Fn(&str) -> bool, report: &mut SweepReport) {
    for entry in list_dir(slot).unwrap_or_default() {
        if entry == META_FILE {
            continue;
        }
        let orphan_value = entry.strip_suffix(VALUE_SUFFIX).is_some_and(|id| is_version_id(id) && !listed(id));
        let path = slot.join(&entry);
        if (entry.starts_with(TEMP_PREFIX) || orphan_value) && older_than(&path, stale_after) {
            remove(&path, report);
        }
    }
}

fn remove(path: &Path, report: &mut SweepReport) {
    match remove_path(path) {
        Ok(()) => report.leftovers += 1,
        Err(err) => report.problems.push(err.to_string()),
    }
}
