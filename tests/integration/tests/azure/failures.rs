//! Failures a user must be able to tell apart: throttling and server errors (retried),
//! rejected names, refused tokens and identities.

use super::{assert_kind, provider_error, text, timed, wrong_secret_credentials, AzureUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_after_retry_after() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("busy", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    azure.fake.control("throttle", json!({"count": 2, "retry_after": 1})).await;
    let (value, took) = timed(text(&conn, "busy")).await;
    assert_eq!(value, "v1");
    assert_eq!(azure.fake.stat("throttled").await, 2);
    assert!(took >= Duration::from_millis(1900), "the plugin waited Retry-After (1 s) twice, took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_throttling_is_reported_with_retry_after() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("hot", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    azure.fake.control("throttle", json!({"count": 50, "retry_after": 1})).await;
    let err = provider_error(conn.get("hot", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Throttled);
    let keyway_types::ProviderError::Throttled { retry_after_ms, .. } = err else { unreachable!() };
    assert_eq!(retry_after_ms, Some(1000));
    assert_eq!(azure.fake.stat("throttled").await, 4, "one try and three retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("flaky", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    azure.fake.control("fail", json!({"count": 2, "status": 503})).await;
    assert_eq!(text(&conn, "flaky").await, "v1");
    assert_eq!(azure.fake.stat("failed").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_outside_the_key_vault_rule_are_rejected_before_any_request() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({ "prefix": "app-" })).await;
    let before = azure.fake.stat("vault_requests").await;
    for bad in ["db_password", "team/db", "a.b", "pässword", ""] {
        let err = provider_error(conn.get(bad, &VersionSelector::Latest).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
        assert!(err.message().contains("letters, digits and dashes"), "{err}");
        let err = provider_error(conn.create(bad, &SecretValue::text("v"), &WriteOptions::default()).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
    }
    let long = "a".repeat(124);
    let err = provider_error(conn.get(&long, &VersionSelector::Latest).await);
    assert!(err.message().contains("1 to 123"), "the room left by the prefix is named: {err}");
    assert_eq!(azure.fake.stat("vault_requests").await, before, "no rejected name reached the vault");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_access_denied_with_a_clear_message() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("guarded", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    azure.fake.control("revoke-tokens", json!({})).await;
    let err = provider_error(conn.get("guarded", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("Key Vault refused the access token"), "{err}");
    assert!(err.message().contains(fake_tenant()), "the challenge's tenant is named: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_access_denied_from_entra() {
    let azure = AzureUnderTest::start(&[]).await;
    let settings = json!({ "vault_uri": azure.fake.https_url });
    let conn = azure.connect_with(settings, Arc::new(wrong_secret_credentials(&azure.fake))).await;
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("AADSTS7000215"), "{err}");
    assert!(!err.to_string().contains("definitely-wrong"), "the client secret never appears: {err}");
    assert_eq!(azure.fake.stat("vault_requests").await, 0, "no vault request without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_without_azure_auth_gets_a_configuration_error() {
    let azure = AzureUnderTest::start(&[]).await;
    let settings = json!({ "vault_uri": azure.fake.https_url });
    let conn = azure.connect_with(settings, Arc::new(keyway_types::NoCredentials)).await;
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Configuration);
}

fn fake_tenant() -> &'static str {
    super::fake::TENANT
}
