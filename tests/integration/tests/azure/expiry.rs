//! A Key Vault secret past its expiry (the `exp` attribute the fake keeps, as Key Vault does) is refused by
//! keyway's get and placeholders, and served again once a new version with a later expiry is written.

use super::fake::FakeKeyVault;
use keyway::Identity;
use keyway_integration_tests::harness::TempDir;
use keyway_types::{SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_key_vault_secret_is_refused() {
    let fake = FakeKeyVault::start(&[]).await;
    let home = TempDir::new("azure-expiry");
    let keyway = fake.keyway(&home, "").await;
    let caller = Identity::in_namespace("company.team");
    let soon =
        (SystemTime::now() + Duration::from_secs(2)).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() * 1000);
    let options = WriteOptions { expires_at: Some(soon), ..WriteOptions::default() };
    keyway.create(&caller, "azure", "cert-pass", &SecretValue::text("kv-value-81f2"), &options).await.expect("create");
    tokio::time::sleep(Duration::from_millis(2600)).await;

    let err = keyway.get(&caller, "azure", "cert-pass", &VersionSelector::Latest).await.expect_err("expired");
    assert!(err.to_string().contains("expired at") && !err.to_string().contains("kv-value-81f2"), "{err}");
    let err = keyway.resolve(&caller, &json!({ "p": "${secret:azure/cert-pass}" })).await.expect_err("expired");
    assert!(err.to_string().contains("expired at"), "{err}");

    let later =
        (SystemTime::now() + Duration::from_secs(3600)).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() * 1000);
    let renewed = UpdateRequest {
        value: Some(SecretValue::text("kv-value-2b07")),
        expires_at: Some(later),
        ..UpdateRequest::default()
    };
    keyway.update(&caller, "azure", "cert-pass", &renewed).await.expect("a new version with a later expiry");
    let read = keyway.get(&caller, "azure", "cert-pass", &VersionSelector::Latest).await.expect("served again");
    assert_eq!(read.value().expose_text(), Some("kv-value-2b07"));
}
