//! The reference in-memory plugin through the wasm runtime: the whole contract
//! suite, a read-only variant, and behaviour of the pool.

use keyway_conformance::{run, SuiteOptions};
use keyway_integration_tests::plugins::{connect, runtime, with_settings};
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test]
async fn memory_plugin_passes_the_contract_suite() {
    let rt = runtime();
    let conn = connect(&rt, "memory", "mem", with_settings(json!({}))).await;
    let options = SuiteOptions {
        current_label: Some("current".into()),
        previous_label: Some("previous".into()),
        invalid_name: Some(String::new()),
        ..SuiteOptions::default()
    };
    let report = run(&conn, &options).await;
    println!("{report}");
    assert!(report.is_success(), "{report}");
    assert_eq!(report.skipped(), 0, "every case applies to the full reference plugin:\n{report}");
}

#[tokio::test]
async fn read_only_plugin_reports_unsupported_writes() {
    let rt = runtime();
    let conn = connect(&rt, "memory", "ro", with_settings(json!({"read_only": true}))).await;
    assert!(!conn.capabilities().write);
    let report = run(&conn, &SuiteOptions::default()).await;
    assert!(report.is_success(), "{report}");
    let err = conn.create("x", &SecretValue::text("v"), &WriteOptions::default()).await.expect_err("read-only");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("does not support 'create'"), "{err}");
}

#[tokio::test]
async fn text_and_binary_values_round_trip_exactly() {
    let rt = runtime();
    let conn = connect(&rt, "memory", "mem", with_settings(json!({}))).await;
    let binary = SecretValue::binary((0..=255u8).collect::<Vec<_>>());
    conn.create("bin", &binary, &WriteOptions::default()).await.expect("create binary");
    let got = conn.get("bin", &VersionSelector::Latest).await.expect("get binary");
    assert_eq!(got.value, binary);
    let unicode = SecretValue::text("pässwörd-🔑");
    conn.create("uni", &unicode, &WriteOptions::default()).await.expect("create text");
    assert_eq!(conn.get("uni", &VersionSelector::Latest).await.expect("get").value, unicode);
}
