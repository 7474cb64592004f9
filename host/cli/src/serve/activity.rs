//! What the service logs about the requests it answers (never bodies, query strings or tokens):
//!
//! - each request at `debug` (method, path, status, duration, peer);
//! - each answer 5xx at `warn`, with the same fields;
//! - at `info`, every ten seconds there were requests, how many were answered by status class and the
//!   slowest one.
//!
//! Formatting and writing a line costs more than answering a cached read (measured in
//! `host/cli/benches/http-vs-agent/README.md`), so the default filter (`keyway::serve=info`) keeps lines per
//! request off that path; `KEYWAY_LOG=keyway::serve=debug` brings them back.

use super::listen::Peer;
use super::metrics::RouteName;
use super::State;
use axum::http::{Method, StatusCode, Uri};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the summary line is written (when there were requests).
const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// Requests answered since the last summary.
#[derive(Debug, Default)]
pub struct Activity {
    /// By status class: 1xx, 2xx, 3xx, 4xx, 5xx.
    by_class: [AtomicU64; 5],
    /// The slowest answer, in microseconds.
    slowest_us: AtomicU64,
}

/// One answered request, as the log shows it.
pub struct Answered<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// Its URI (only the path is logged).
    pub uri: &'a Uri,
    /// The answer's status.
    pub status: StatusCode,
    /// How long answering took.
    pub elapsed: Duration,
    /// Who asked.
    pub peer: Option<&'a Peer>,
}

impl Activity {
    /// Counts one answered request, and logs it at `debug` (`warn` for a 5xx).
    pub fn note(&self, answered: &Answered<'_>) {
        let class = usize::from(answered.status.as_u16() / 100).clamp(1, 5) - 1;
        if let Some(count) = self.by_class.get(class) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(answered.elapsed.as_micros()).unwrap_or(u64::MAX);
        if micros > self.slowest_us.load(Ordering::Relaxed) {
            self.slowest_us.fetch_max(micros, Ordering::Relaxed);
        }
        if answered.status.is_server_error() {
            log(tracing::Level::WARN, answered);
        } else if tracing::enabled!(target: "keyway::serve", tracing::Level::DEBUG) {
            log(tracing::Level::DEBUG, answered);
        }
    }

    /// Writes the summary of the requests answered since the last one, if there were any.
    fn summarize(&self, period: Duration) {
        let [informational, ok, redirected, refused, failed] =
            self.by_class.each_ref().map(|count| count.swap(0, Ordering::Relaxed));
        let slowest_us = self.slowest_us.swap(0, Ordering::Relaxed);
        let requests = informational + ok + redirected + refused + failed;
        if requests == 0 {
            return;
        }
        tracing::info!(
            target: "keyway::serve",
            requests,
            seconds = period.as_secs(),
            ok = ok + informational + redirected,
            client_errors = refused,
            server_errors = failed,
            slowest_ms = %format_args!("{:.1}", slowest_us as f64 / 1000.0),
            "requests answered"
        );
    }
}

fn log(level: tracing::Level, answered: &Answered<'_>) {
    let path = super::printable_path(answered.uri.path());
    let ms = format_args!("{:.1}", answered.elapsed.as_secs_f64() * 1000.0);
    let peer = answered.peer.map(|peer| &*peer.address);
    let (method, status) = (answered.method, answered.status.as_u16());
    if level == tracing::Level::WARN {
        tracing::warn!(target: "keyway::serve", %method, path = %path, status, ms = %ms, peer, "request failed");
    } else {
        tracing::debug!(target: "keyway::serve", %method, path = %path, status, ms = %ms, peer, "request");
    }
}

/// Counts an answered request in the metrics (under its route's template) and the log's activity.
pub fn observe(state: &State, route: &RouteName, answered: &Answered<'_>) {
    let status = answered.status.as_u16();
    state.http.observe(route, answered.method, status, answered.elapsed.as_secs_f64());
    state.activity.note(answered);
}

/// Writes the summary line every [`SUMMARY_EVERY`].
pub async fn summarize(state: Arc<State>) {
    let mut ticks = tokio::time::interval(SUMMARY_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        state.activity.summarize(SUMMARY_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_class_until_summarized() {
        let activity = Activity::default();
        let uri = Uri::from_static("/v1/secrets/local/db");
        for (status, ms) in [(200, 2), (200, 9), (404, 1), (503, 4)] {
            let answered = Answered {
                method: &Method::GET,
                uri: &uri,
                status: StatusCode::from_u16(status).expect("status"),
                elapsed: Duration::from_millis(ms),
                peer: None,
            };
            activity.note(&answered);
        }
        let counts = activity.by_class.each_ref().map(|count| count.load(Ordering::Relaxed));
        assert_eq!(counts, [0, 2, 0, 1, 1]);
        assert_eq!(activity.slowest_us.load(Ordering::Relaxed), 9_000);
        activity.summarize(SUMMARY_EVERY);
        assert_eq!(activity.by_class.each_ref().map(|count| count.load(Ordering::Relaxed)), [0; 5]);
        assert_eq!(activity.slowest_us.load(Ordering::Relaxed), 0);
    }
}
