//! Failures a user must be able to tell apart: refused tokens and keys, an unknown project, a
//! stopped server, throttling and server errors (retried), rejected names.

use super::{assert_kind, provider_error, text, timed, GcpUnderTest};
use keyway_gcp_auth::{GcpAuthSettings, GcpCredentials};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{ErrorKind, ProviderError, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_access_denied() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("guarded", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    gcp.fake.control("revoke-tokens", json!({})).await;
    let err = provider_error(conn.get("guarded", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("refused the access token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_the_token_endpoint_refuses_is_access_denied() {
    let gcp = GcpUnderTest::start().await;
    let mut key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gcp.fake.key_file).expect("key")).expect("json");
    let other_key = keyway_integration_tests::harness::workspace_root().join("host/gcp-auth/tests/data/test-key.pem");
    key["private_key"] = std::fs::read_to_string(other_key).expect("test key").into();
    let credentials = GcpCredentials::new(&GcpAuthSettings::service_account_json(&key.to_string())).expect("creds");
    let conn = gcp.connect_with(gcp.settings(json!({})), Arc::new(credentials)).await;
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("Invalid JWT Signature"), "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"), "no key material in errors: {err}");
    assert_eq!(gcp.fake.stat("api_requests").await, 0, "no API request without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_project_is_a_configuration_error() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({ "project": "no-such-project" })).await;
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Configuration);
    assert!(err.message().contains("no-such-project") && err.message().contains("`project`"), "{err}");
    let err = provider_error(conn.list(&Default::default()).await);
    assert_kind(&err, ErrorKind::Configuration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable() {
    let mut gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("kept", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    gcp.fake.stop();
    let (result, took) = timed(conn.get("kept", &VersionSelector::Latest)).await;
    assert_kind(&provider_error(result), ErrorKind::Unavailable);
    assert!(took < Duration::from_secs(20), "a refused connection fails fast, took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("busy", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    gcp.fake.control("throttle", json!({"count": 2})).await;
    assert_eq!(text(&conn, "busy", &VersionSelector::Latest).await, "v1");
    assert_eq!(gcp.fake.stat("throttled").await, 2);
    gcp.fake.control("fail", json!({"count": 2, "status": 503})).await;
    assert_eq!(text(&conn, "busy", &VersionSelector::Latest).await, "v1");
    assert_eq!(gcp.fake.stat("failed").await, 2);
    gcp.fake.control("throttle", json!({"count": 50})).await;
    let err = provider_error(conn.get("busy", &VersionSelector::Latest).await);
    assert!(matches!(err, ProviderError::Throttled { .. }), "{err}");
    assert_eq!(gcp.fake.stat("throttled").await, 2 + 4, "one try and three retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_outside_the_secret_id_rule_are_rejected_before_any_request() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({ "prefix": "app-" })).await;
    for bad in ["team/db", "a.b", "pässword", "", "a b"] {
        let err = provider_error(conn.get(bad, &VersionSelector::Latest).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
        assert!(err.message().contains("dashes (-) and underscores (_)"), "{err}");
        let err = provider_error(conn.create(bad, &SecretValue::text("v"), &WriteOptions::default()).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
    }
    let err = provider_error(conn.get(&"a".repeat(252), &VersionSelector::Latest).await);
    assert!(err.message().contains("1 to 251"), "the room left by the prefix is named: {err}");
    let bad_version = provider_error(conn.get("db", &VersionSelector::Id("v2".into())).await);
    assert_kind(&bad_version, ErrorKind::InvalidArgument);
    assert_eq!(gcp.fake.stat("api_requests").await, 0, "no rejected name reached the API");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_without_gcp_auth_gets_a_configuration_error() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect_with(gcp.settings(json!({})), Arc::new(keyway_types::NoCredentials)).await;
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Configuration);
}
