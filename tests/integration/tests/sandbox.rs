//! The sandbox against the hostile plugin (`tests/plugins/hostile`): every
//! attack gets a typed error within its deadline, nothing it reaches for gets
//! out, the manager gets a fresh instance after a crash, and a good plugin on
//! the same runtime keeps working.

#[path = "sandbox/exhaustion.rs"]
mod exhaustion;
#[path = "sandbox/files.rs"]
mod files;
#[path = "sandbox/grants.rs"]
mod grants;
#[path = "sandbox/network.rs"]
mod network;

use keyway_integration_tests::harness::{workspace_root, TempDir};
use keyway_integration_tests::plugins::{connect, load, runtime, with_settings};
use keyway_runtime::{CallError, Connection, ConnectionConfig, Limits, Runtime, RuntimeConfig};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::time::{Duration, Instant};

/// The credential every hostile manager is configured with; it must never come back out.
pub const TOKEN: &str = "hostile-token-6f1d0c9a2b7e";

/// A hostile manager running `attack`, with `dir/data` granted as its data directory.
pub struct Hostile {
    /// The connection.
    pub conn: Connection,
    /// The test's directory; `data/` inside it is the plugin's `/data`.
    pub dir: TempDir,
}

/// Limits for attacks that should end quickly: a short deadline, the default memory cap.
pub fn short_limits() -> Limits {
    Limits { call_timeout: Duration::from_millis(500), ..Limits::default() }
}

/// Opens a manager of the hostile plugin that runs `attack`.
pub async fn hostile(rt: &Runtime, attack: &str, limits: Limits, egress: Vec<String>) -> Hostile {
    let dir = TempDir::new(&format!("hostile-{attack}"));
    let config = ConnectionConfig {
        settings: json!({ "attack": attack, "token": TOKEN }),
        data_dir: Some(dir.path().join("data")),
        egress,
        limits,
        ..ConnectionConfig::default()
    };
    let conn = connect(rt, "hostile", &format!("hostile-{attack}"), config).await;
    Hostile { conn, dir }
}

/// Runs the attack on `target`, returning its error and how long it took.
pub async fn attack(conn: &Connection, target: &str) -> (CallError, Duration) {
    let started = Instant::now();
    let result = conn.get(target, &VersionSelector::Latest).await;
    let elapsed = started.elapsed();
    match result {
        Ok(secret) => panic!(
            "the attack on '{target}' succeeded and obtained {} bytes: {:?}",
            secret.value.len(),
            String::from_utf8_lossy(&secret.value.expose_bytes()[..secret.value.len().min(200)])
        ),
        Err(err) => (err, elapsed),
    }
}

/// How many calls the instance that serves the next harmless call has served, that call included.
pub async fn calls(conn: &Connection) -> u32 {
    let meta = conn.describe("probe", &VersionSelector::Latest).await.expect("describe is harmless");
    let description = meta.description.expect("describe reports its call count");
    description.trim_start_matches("calls=").parse().expect("a call count")
}

/// Asserts that no rendering of `err` carries the token or any of `forbidden`.
pub fn assert_clean(err: &CallError, forbidden: &[&str]) {
    for text in [err.to_string(), format!("{err:?}")] {
        for needle in forbidden.iter().chain([&TOKEN]) {
            assert!(!text.contains(needle), "'{needle}' escaped into the error: {text}");
        }
    }
}

/// Asserts the runtime still serves a good plugin: a fresh memory manager writes and reads a 1 KiB value.
pub async fn good_plugin_still_works(rt: &Runtime) {
    let memory = connect(rt, "memory", "good", with_settings(json!({}))).await;
    let value = SecretValue::text("v".repeat(1024));
    memory.create("after-attack", &value, &WriteOptions::default()).await.expect("the good plugin writes");
    let got = memory.get("after-attack", &VersionSelector::Latest).await.expect("the good plugin reads");
    assert_eq!(got.value, value);
}

/// Asserts that after a crash the same manager serves its next call from a fresh instance.
pub async fn manager_recovers_with_a_fresh_instance(conn: &Connection) {
    assert_eq!(calls(conn).await, 1, "the crashed instance was reused instead of replaced");
    assert_eq!(calls(conn).await, 2, "the fresh instance goes back to the pool");
}

#[tokio::test]
async fn an_unknown_attack_is_a_configuration_error_of_the_plugin() {
    let rt = runtime();
    let plugin = load(&rt, "hostile");
    let dir = TempDir::new("hostile-unknown");
    let config = ConnectionConfig {
        settings: json!({ "attack": "no-such-attack" }),
        data_dir: Some(dir.path().join("data")),
        ..ConnectionConfig::default()
    };
    let err = rt.connect(&plugin, "hostile", config).await.expect_err("the plugin refuses to open");
    assert!(err.to_string().contains("unknown attack 'no-such-attack'"), "{err}");
}

#[tokio::test]
async fn without_reuse_every_call_gets_a_fresh_instance() {
    let cache_dir = Some(workspace_root().join("target/keyway-test-cache"));
    let config = RuntimeConfig { reuse_instances: false, cache_dir, ..RuntimeConfig::default() };
    let rt = Runtime::new(config).expect("runtime");
    let hostile = hostile(&rt, "panic", short_limits(), Vec::new()).await;
    for _ in 0..3 {
        assert_eq!(calls(&hostile.conn).await, 1, "an instance served a second call");
    }
    assert_eq!(hostile.conn.idle_instances(), 0);
}
