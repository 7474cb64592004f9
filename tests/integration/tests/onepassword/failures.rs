//! Failures a user must be able to tell apart: a wrong or revoked token, a vault that does not
//! exist or is outside the token's reach, a server that fails for a moment or is not running.

use super::{assert_kind, provider_error, text, OnePasswordUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_access_denied_without_echoing_it() {
    let op = OnePasswordUnderTest::start().await;
    let settings = json!({ "connect_host": op.fake.url, "token": "eyJ-not-the-right-token", "vault": "keyway" });
    let conn = op.connect_with(settings).await;
    let err = provider_error(conn.get("db", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("Invalid token signature") && err.message().contains("check the token"), "{err}");
    assert!(!err.to_string().contains("not-the-right-token"), "the token never appears: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_access_denied() {
    let op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    conn.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    op.fake.control("revoke-tokens", json!({})).await;
    assert_kind(&provider_error(conn.get("db", &VersionSelector::Latest).await), ErrorKind::AccessDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_vault_is_a_configuration_error() {
    let op = OnePasswordUnderTest::start().await;
    for vault in ["no-such-vault", "abcdefghijklmnopqrstuvwxyz"] {
        let conn = op.connect(vault).await;
        let err = provider_error(conn.get("db", &VersionSelector::Latest).await);
        assert_kind(&err, ErrorKind::Configuration);
        assert!(err.message().contains(vault) && err.message().contains("vault setting"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_outside_the_token_scope_is_invisible_or_denied() {
    let op = OnePasswordUnderTest::start().await;
    op.fake.control("token", json!({ "token": "scoped-to-other", "vaults": ["other"] })).await;
    let scoped = |vault: String| json!({ "connect_host": op.fake.url, "token": "scoped-to-other", "vault": vault });
    let by_name = op.connect_with(scoped("keyway".into())).await;
    assert_kind(&provider_error(by_name.get("db", &VersionSelector::Latest).await), ErrorKind::Configuration);
    let by_id = op.connect_with(scoped(op.fake.vault_id("keyway").await)).await;
    let err = provider_error(by_id.get("db", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("not in scope"), "{err}");
    let allowed = op.connect_with(scoped("other".into())).await;
    allowed.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create in scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_then_reported_as_unavailable() {
    let op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    conn.create("db", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    op.fake.control("fail", json!({ "count": 2, "status": 503 })).await;
    assert_eq!(text(&conn, "db").await, "v1");
    assert_eq!(op.fake.stat("failed").await, 2);
    op.fake.control("fail", json!({ "count": 50, "status": 500 })).await;
    assert_kind(&provider_error(conn.get("db", &VersionSelector::Latest).await), ErrorKind::Unavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable() {
    let mut op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    conn.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    op.fake.stop();
    let err = provider_error(conn.get("db", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Unavailable);
}
