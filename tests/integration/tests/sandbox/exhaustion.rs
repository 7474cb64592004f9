//! Attacks on the host's resources and on the plugin's own execution: each
//! ends in a typed error within its deadline, the crashed instance is
//! replaced, and the runtime keeps serving.

use super::{
    assert_clean, attack, good_plugin_still_works, hostile, manager_recovers_with_a_fresh_instance, short_limits, TOKEN,
};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::plugins::{load, runtime};
use keyway_runtime::{CallError, ConnectionConfig, Limits, RuntimeError};
use keyway_types::ErrorKind;
use serde_json::json;
use std::time::Duration;

/// Runs `attack` (on target `target`) and checks the common outcome of a crash.
async fn crash(attack_name: &str, target: &str, limits: Limits) -> CallError {
    let rt = runtime();
    let hostile = hostile(&rt, attack_name, limits, Vec::new()).await;
    assert_eq!(super::calls(&hostile.conn).await, 1);
    let (err, elapsed) = attack(&hostile.conn, target).await;
    // A second's grace on top of the deadline for the epoch tick and a loaded machine.
    assert!(elapsed < limits.call_timeout + Duration::from_secs(1), "{attack_name} took {elapsed:?}: {err}");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_clean(&err, &[]);
    manager_recovers_with_a_fresh_instance(&hostile.conn).await;
    good_plugin_still_works(&rt).await;
    err
}

#[tokio::test]
async fn an_endless_loop_hits_the_deadline() {
    let limits = Limits { call_timeout: Duration::from_millis(300), ..Limits::default() };
    let err = crash("loop", "x", limits).await;
    assert!(matches!(err, CallError::Deadline { limit_ms: 300, .. }), "{err:?}");
}

#[tokio::test]
async fn sleeping_in_a_host_call_hits_the_deadline() {
    let limits = Limits { call_timeout: Duration::from_millis(300), ..Limits::default() };
    let err = crash("sleep", "x", limits).await;
    assert!(matches!(err, CallError::Deadline { limit_ms: 300, .. }), "{err:?}");
}

#[tokio::test]
async fn allocating_without_end_hits_the_memory_cap() {
    let limits = Limits { memory_bytes: 32 << 20, call_timeout: Duration::from_secs(10), ..Limits::default() };
    let err = crash("alloc", "x", limits).await;
    match &err {
        CallError::ResourceLimit { limit, .. } => assert!(limit.contains("memory cap of 32 MiB"), "{err}"),
        other => panic!("expected the memory cap, got {other:?}"),
    }
}

#[tokio::test]
async fn a_stack_overflow_is_a_crash() {
    let err = crash("stack-overflow", "x", short_limits()).await;
    match &err {
        // Rust keeps its stack in linear memory: running off its end is an out-of-bounds access.
        CallError::Crashed { reason, .. } => {
            assert!(reason.contains("out of bounds memory access") || reason.contains("call stack exhausted"), "{err}")
        }
        other => panic!("expected a crash, got {other:?}"),
    }
}

#[tokio::test]
async fn a_panic_is_a_crash_and_its_message_stays_inside() {
    let err = crash("panic", "x", short_limits()).await;
    match &err {
        CallError::Crashed { operation, reason, .. } => {
            assert_eq!(operation, "get");
            assert!(reason.contains("unreachable"), "{err}");
            assert!(!reason.contains("panics on purpose"), "the guest's panic message reached the host: {err}");
        }
        other => panic!("expected a crash, got {other:?}"),
    }
}

#[tokio::test]
async fn a_huge_value_is_refused_by_size() {
    // Enough memory for the plugin to build 100 MiB, so the host's value limit is what stops it.
    let limits = Limits { memory_bytes: 256 << 20, call_timeout: Duration::from_secs(20), ..Limits::default() };
    let rt = runtime();
    let hostile = hostile(&rt, "huge-value", limits, Vec::new()).await;
    let (err, elapsed) = attack(&hostile.conn, &(100usize << 20).to_string()).await;
    assert!(elapsed < limits.call_timeout, "took {elapsed:?}");
    match &err {
        CallError::ResourceLimit { limit, .. } => {
            assert!(limit.contains("104857600 bytes is larger than the limit of 1048576 bytes"), "{err}")
        }
        other => panic!("expected the value limit, got {other:?}"),
    }
    // With the default memory cap, the same plugin cannot even build the value.
    let capped = hostile_with_default_memory(&rt).await;
    let (err, _) = attack(&capped, &(100usize << 20).to_string()).await;
    assert!(matches!(err, CallError::ResourceLimit { .. }), "{err:?}");
    good_plugin_still_works(&rt).await;
}

async fn hostile_with_default_memory(rt: &keyway_runtime::Runtime) -> keyway_runtime::Connection {
    hostile(rt, "huge-value", Limits { call_timeout: Duration::from_secs(10), ..Limits::default() }, Vec::new())
        .await
        .conn
}

#[tokio::test]
async fn a_log_flood_is_cut_off() {
    let limits = Limits { call_timeout: Duration::from_secs(10), ..Limits::default() };
    let rt = runtime();
    let hostile = hostile(&rt, "log-flood", limits, Vec::new()).await;
    let (err, elapsed) = attack(&hostile.conn, "1000000").await;
    assert!(elapsed < limits.call_timeout, "took {elapsed:?}");
    match &err {
        CallError::ResourceLimit { limit, .. } => assert!(limit.contains("log"), "{err}"),
        other => panic!("expected the log limit, got {other:?}"),
    }
    manager_recovers_with_a_fresh_instance(&hostile.conn).await;
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn a_panic_while_opening_fails_the_connection() {
    let rt = runtime();
    let plugin = load(&rt, "hostile");
    let dir = TempDir::new("hostile-open-panic");
    let config = ConnectionConfig {
        settings: json!({ "attack": "open-panic", "token": TOKEN }),
        data_dir: Some(dir.path().join("data")),
        ..ConnectionConfig::default()
    };
    let err = rt.connect(&plugin, "opener", config).await.expect_err("opening panics");
    match &err {
        RuntimeError::Open { source, .. } => assert!(matches!(**source, CallError::Instantiate { .. }), "{err:?}"),
        other => panic!("expected an open failure, got {other:?}"),
    }
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(TOKEN), "the token escaped: {text}");
    }
    good_plugin_still_works(&rt).await;
}
