//! Serving connections with bounded resources: at most `max_connections` open at once (at the cap, the
//! oldest connection with no request in flight makes room; when all are busy the newcomer is closed), a
//! deadline for a request's headers that also closes idle keep-alive connections, a deadline for each whole
//! request, and a TLS handshake bounded like headers. Each connection runs in its own task, so a slow peer
//! delays nobody else.

use super::error::ApiError;
use super::front::Front;
use super::listen::Peer;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The largest request head (request line and headers) read, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long open requests may finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// The bounds of every connection.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Open connections at most.
    pub max_connections: usize,
    /// Deadline for a request's headers, and for an idle connection's next request.
    pub header_timeout: Duration,
    /// Deadline for one whole request.
    pub request_timeout: Duration,
}

/// The open connections.
pub struct Connections {
    bounds: Bounds,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next: u64,
    open: HashMap<u64, Open>,
}

struct Open {
    since: Instant,
    /// Requests in flight on it.
    busy: Arc<AtomicUsize>,
    task: AbortHandle,
}

/// What one connection's task needs.
pub struct Slot {
    id: u64,
    busy: Arc<AtomicUsize>,
    connections: Arc<Connections>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.table.lock().unwrap_or_else(PoisonError::into_inner).open.remove(&self.id);
    }
}

impl Connections {
    /// No connections yet.
    pub fn new(bounds: Bounds) -> Arc<Self> {
        Arc::new(Self { bounds, table: Mutex::default() })
    }

    /// The bounds.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).open.len()
    }

    /// Admits a connection, running `start` for it in a task of its own; returns false when every open
    /// connection is busy (the caller closes the newcomer). At the cap, the oldest connection without a
    /// request in flight (idle, or still sending headers) is closed to make room.
    pub fn admit<F>(self: &Arc<Self>, start: impl FnOnce(Slot) -> F) -> bool
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.open.len() >= self.bounds.max_connections {
            let oldest_idle = table
                .open
                .iter()
                .filter(|(_, open)| open.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, open)| open.since)
                .map(|(id, _)| *id);
            match oldest_idle.and_then(|id| table.open.remove(&id)) {
                Some(evicted) => evicted.task.abort(),
                None => return false,
            }
        }
        table.next += 1;
        let id = table.next;
        let busy = Arc::new(AtomicUsize::new(0));
        let slot = Slot { id, busy: Arc::clone(&busy), connections: Arc::clone(self) };
        // Spawned under the lock: the task's slot cannot leave the table before it is in it.
        let task = tokio::spawn(start(slot)).abort_handle();
        table.open.insert(id, Open { since: Instant::now(), busy, task });
        true
    }
}

/// Serves HTTP/1.1 on one connection until it closes, times out, or shutdown drains it.
pub async fn serve<IO>(io: IO, peer: Peer, front: Front, slot: Slot, mut shutdown: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let bounds = slot.connections.bounds;
    let busy = Arc::clone(&slot.busy);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let front = front.clone();
        let busy = Busy::start(&busy);
        request.extensions_mut().insert(peer.clone());
        async move {
            let answer = tokio::time::timeout(bounds.request_timeout, front.answer(request)).await;
            drop(busy);
            Ok::<_, Infallible>(match answer {
                Ok(response) => response,
                Err(_) => ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    format!(
                        "the request took longer than {} ms (serve.limits.request_timeout_ms)",
                        bounds.request_timeout.as_millis()
                    ),
                )
                .into_response(),
            })
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(bounds.header_timeout)
        .keep_alive(true)
        .max_buf_size(MAX_HEAD_BYTES);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let stopped = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, connection).await;
        }
    }
    drop(slot);
}

/// Counts a request in flight on its connection while alive.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn start(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(counter))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(max_connections: usize) -> Bounds {
        Bounds { max_connections, header_timeout: Duration::from_secs(1), request_timeout: Duration::from_secs(1) }
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_idle_connection_makes_room_and_busy_ones_are_kept() {
        let connections = Connections::new(bounds(2));
        let (hold, held) = watch::channel(false);
        let park = |slot: Slot, mut held: watch::Receiver<bool>| async move {
            let _ = held.wait_for(|go| *go).await;
            drop(slot);
        };
        let busy_slot = Arc::new(Mutex::new(None));
        let keep = Arc::clone(&busy_slot);
        assert!(connections.admit(|slot: Slot| {
            *keep.lock().expect("lock") = Some(Arc::clone(&slot.busy));
            park(slot, held.clone())
        }));
        let busy = busy_slot.lock().expect("lock").clone().expect("busy counter");
        let _request = Busy::start(&busy);
        assert!(connections.admit(|slot| park(slot, held.clone())));
        assert_eq!(connections.open(), 2);
        // The idle second one makes room; the busy first one stays.
        assert!(connections.admit(|slot| park(slot, held.clone())));
        assert_eq!(connections.open(), 2);
        // Now the newest is idle again: it goes, and when all are busy a newcomer is refused.
        let table = connections
            .table
            .lock()
            .expect("lock")
            .open
            .values()
            .map(|open| Arc::clone(&open.busy))
            .collect::<Vec<_>>();
        let _all_busy: Vec<Busy> = table.iter().map(Busy::start).collect();
        assert!(!connections.admit(|slot| park(slot, held.clone())));
        hold.send_replace(true);
    }
}
