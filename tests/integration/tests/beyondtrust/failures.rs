//! Failures a user must be able to tell apart: wrong credentials, a root folder that is not there,
//! a server that fails for a moment, throttles, is not trusted, or is not running.

use super::{assert_kind, provider_error, text, PasswordSafeUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::load;
use keyway_runtime::ConnectionConfig;
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_access_denied_without_echoing_them() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let wrong_key = "f".repeat(128);
    let conn = bt
        .connect_with(
            json!({ "api_url": bt.fake.url, "api_key": wrong_key, "run_as": bt.fake.run_as, "folder": "keyway" }),
        )
        .await;
    let err = provider_error(conn.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("check api_key"), "{err}");
    assert!(!err.to_string().contains(&wrong_key), "the key never appears: {err}");

    let conn = bt
        .connect_with(
            json!({ "api_url": bt.fake.url, "api_key": bt.fake.api_key, "run_as": "intruder", "folder": "keyway" }),
        )
        .await;
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::AccessDenied);

    let settings = json!({ "api_url": bt.fake.url, "client_id": bt.fake.client_id, "client_secret": "not-the-secret-0123456789", "folder": "keyway" });
    let err = provider_error(bt.connect_with(settings).await.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("client_secret") && !err.message().contains("not-the-secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_root_folder_id_is_a_configuration_error() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let settings = bt.api_key_settings(json!({ "folder_id": "00000000-0000-4000-8000-000000000000" }));
    let err = provider_error(bt.connect_with(settings).await.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::Configuration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_then_unavailable_and_throttling_is_reported() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    conn.create("db", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    bt.fake.control("fail", json!({ "count": 2, "status": 503 })).await;
    assert_eq!(text(&conn, "db").await, "v1");
    bt.fake.control("fail", json!({ "count": 50, "status": 500 })).await;
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Unavailable);
    bt.fake.control("fail", json!({ "count": 0 })).await;
    bt.fake.control("throttle", json!({ "count": 50, "retry_after": 0 })).await;
    let err = provider_error(conn.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::Throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_unavailable_with_a_hint() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let plugin = load(&bt.runtime, "beyondtrust");
    let config =
        ConnectionConfig { settings: bt.api_key_settings(json!({ "folder": "keyway" })), ..Default::default() };
    let conn = bt.runtime.connect(&plugin, "beyondtrust", config).await.expect("connect");
    let err = provider_error(conn.get("db", &LATEST).await);
    assert!(matches!(err.kind(), ErrorKind::Unavailable), "{err}");
    assert!(err.message().contains("tls_ca_file"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable() {
    let mut bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    conn.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    bt.fake.stop();
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Unavailable);
}
