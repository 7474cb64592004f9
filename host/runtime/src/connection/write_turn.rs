//! Writers taking turns, for plugins that serialize writes: within this process and across processes.

use super::Connection;
use crate::data_dir::lock_exclusively;
use crate::error::CallError;

/// A turn to write: the in-process lock and the lock file, released when dropped.
pub(super) struct WriteGuard<'a> {
    _local: Option<tokio::sync::MutexGuard<'a, ()>>,
    _file: Option<std::fs::File>,
}

impl Connection {
    /// Takes this manager's turn to write, when its plugin serializes writes: within this process, then
    /// across processes (an exclusive `flock` on the lock file beside the data directory), within the call
    /// deadline.
    pub(super) async fn write_guard(&self) -> Result<WriteGuard<'_>, CallError> {
        let local = match &self.inner.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let file = match &self.inner.process_lock {
            None => None,
            Some(path) => {
                let path = path.clone();
                let waited = tokio::time::timeout(
                    self.inner.limits.call_timeout,
                    tokio::task::spawn_blocking(move || lock_exclusively(&path)),
                )
                .await;
                let failed =
                    |reason: String| CallError::Instantiate { plugin: self.inner.plugin.name().into(), reason };
                match waited {
                    Ok(Ok(Ok(file))) => Some(file),
                    Ok(Ok(Err(err))) => {
                        return Err(failed(format!("cannot lock the data directory for writing: {err}")))
                    }
                    Ok(Err(_)) => return Err(failed("the write lock's task failed".into())),
                    Err(_) => {
                        return Err(CallError::Deadline {
                            plugin: self.inner.plugin.name().into(),
                            operation: "write lock".into(),
                            limit_ms: self.inner.limits.call_timeout.as_millis() as u64,
                        })
                    }
                }
            }
        };
        Ok(WriteGuard { _local: local, _file: file })
    }
}
