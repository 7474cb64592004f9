//! The data directory's quota: measured after writes and now and then otherwise; writes refused while over.

use super::Connection;
use crate::error::CallError;
use std::path::PathBuf;
use std::time::Duration;

/// How often a connection measures its data directory when no write asks for it.
const QUOTA_CHECK_EVERY: Duration = Duration::from_secs(1);

/// The data directory's quota: measured after writes and at most every [`QUOTA_CHECK_EVERY`] otherwise.
pub(super) struct DataQuota {
    pub(super) dir: PathBuf,
    pub(super) limit: u64,
    pub(super) last: std::sync::Mutex<Option<std::time::Instant>>,
    pub(super) over: std::sync::atomic::AtomicBool,
}

impl Connection {
    /// Refuses a write while the data directory is over its quota.
    pub(super) fn refuse_over_quota(&self, operation: &str) -> Result<(), CallError> {
        match &self.inner.quota {
            Some(quota) if quota.over.load(std::sync::atomic::Ordering::Acquire) => Err(CallError::ResourceLimit {
                plugin: self.inner.plugin.name().into(),
                operation: operation.into(),
                limit: format!(
                    "the data directory {} holds more than its quota of {} MiB; delete secrets or raise \
                         limits.data_dir_mib",
                    quota.dir.display(),
                    quota.limit >> 20
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Measures the data directory after a write, or when the last measure is older than
    /// [`QUOTA_CHECK_EVERY`]; the limit it is over, when it crossed it.
    pub(super) fn measure_quota(&self, operation: &str) -> Option<String> {
        let quota = self.inner.quota.as_ref()?;
        let write = matches!(operation, "create" | "update" | "delete" | "restore");
        {
            let mut last = quota.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !write && last.is_some_and(|at| at.elapsed() < QUOTA_CHECK_EVERY) {
                return None;
            }
            *last = Some(std::time::Instant::now());
        }
        let size = directory_size(&quota.dir, quota.limit.saturating_add(1));
        let over = size > quota.limit;
        let was_over = quota.over.swap(over, std::sync::atomic::Ordering::AcqRel);
        if over && !was_over {
            tracing::warn!(manager = %self.inner.manager, dir = %quota.dir.display(), limit_mib = quota.limit >> 20, "the plugin's data directory is over its quota; writes are refused");
            return Some(format!("data directory quota of {} MiB", quota.limit >> 20));
        }
        None
    }
}

/// The bytes of the regular files under `dir` (links not followed), counted until `stop`.
fn directory_size(dir: &std::path::Path, stop: u64) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![(dir.to_path_buf(), 0u32)];
    while let Some((folder, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.is_dir() && depth < 16 {
                pending.push((entry.path(), depth + 1));
            } else if metadata.is_file() {
                total = total.saturating_add(metadata.len());
            }
            if total >= stop {
                return total;
            }
        }
    }
    total
}
