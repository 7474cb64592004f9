//! Waiting for Key Vault's asynchronous state changes: a deletion, recovery or purge is
//! accepted at once but completes a moment later, as the official SDKs' pollers know.

use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::time::{now_ms, sleep};
use std::time::Duration;

/// How long to wait for a state change before giving up.
pub const PATIENCE_MS: u64 = 20_000;

/// Calls `attempt` until it returns `Some`, backing off from 100 ms to 1 s, for at most
/// [`PATIENCE_MS`]; `None` when the time ran out.
pub fn until<T>(mut attempt: impl FnMut() -> Result<Option<T>>) -> Result<Option<T>> {
    let deadline = now_ms() + PATIENCE_MS;
    let mut delay = 100;
    loop {
        if let Some(done) = attempt()? {
            return Ok(Some(done));
        }
        if now_ms() + delay > deadline {
            return Ok(None);
        }
        sleep(Duration::from_millis(delay));
        delay = (delay * 2).min(1000);
    }
}
