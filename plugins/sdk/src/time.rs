//! Wall-clock time and waiting, for plugins that poll a backend (a deletion or recovery that
//! completes a moment after the call that started it).

use keyway_types::Timestamp;
use std::time::Duration;

/// The current time in milliseconds since the Unix epoch (`wasi:clocks/wall-clock`).
pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as Timestamp).unwrap_or(0)
}

/// Blocks the plugin call for `duration` (`wasi:clocks/monotonic-clock`); the host's call
/// deadline still applies.
pub fn sleep(duration: Duration) {
    // The timer registers with the reactor when created, so create it inside `block_on`.
    wstd::runtime::block_on(async move { wstd::task::sleep(duration.into()).await });
}
