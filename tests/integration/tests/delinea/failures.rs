//! Failures a user must be able to tell apart: wrong credentials, an account without write
//! permission, a server that fails for a moment, is not trusted, or is not running.

use super::{assert_kind, provider_error, text, SecretServerUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::load;
use keyway_runtime::ConnectionConfig;
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_access_denied_without_echoing_them() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect_with(ss.settings(json!({ "password": "not-the-password" }))).await;
    let err = provider_error(conn.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("Login failed.") && err.message().contains("check username"), "{err}");
    assert!(!err.to_string().contains("not-the-password"), "the password never appears: {err}");

    let conn = ss.connect_with(ss.settings(json!({ "domain": "wrong-domain" }))).await;
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::AccessDenied);

    let client =
        json!({ "base_url": ss.fake.url, "client_id": ss.fake.client_id, "client_secret": "wrong-client-secret" });
    let err = provider_error(ss.connect_with(client).await.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("client_secret") && !err.message().contains("wrong-client-secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_account_reads_but_cannot_write() {
    let ss = SecretServerUnderTest::start(&[]).await;
    ss.connect().await.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let viewer =
        ss.connect_with(ss.settings(json!({ "username": "viewer", "password": ss.fake.viewer_password }))).await;
    assert_eq!(text(&viewer, "db").await, "v");
    let err = provider_error(viewer.create("other", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("Access Denied"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_then_unavailable_and_throttling_is_reported() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect().await;
    conn.create("db", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    ss.fake.control("fail", json!({ "count": 2, "status": 503 })).await;
    assert_eq!(text(&conn, "db").await, "v1");
    ss.fake.control("fail", json!({ "count": 50, "status": 500 })).await;
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Unavailable);
    ss.fake.control("reset", json!({})).await;
    ss.fake.control("throttle", json!({ "count": 50, "retry_after": 0 })).await;
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_unavailable_with_a_hint() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let plugin = load(&ss.runtime, "delinea");
    let config = ConnectionConfig { settings: ss.settings(json!({})), ..Default::default() };
    let conn = ss.runtime.connect(&plugin, "delinea", config).await.expect("connect");
    let err = provider_error(conn.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::Unavailable);
    assert!(err.message().contains("tls_ca_file"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable() {
    let mut ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect().await;
    conn.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    ss.fake.stop();
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Unavailable);
}
