//! Placeholders resolved through keyway's configuration and the azure plugin, with the host's
//! Azure identity from `auth: {type: azure, method: client-secret}` that the fake's Entra ID
//! endpoint checks, and the fake's test CA given as the manager's `tls_ca_file`: whole secrets,
//! `/KEY` fields of JSON secrets, the manager's prefix.

use super::fake::FakeKeyVault;
use keyway::Identity;
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::harness::TempDir;
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_resolve_through_the_azure_plugin() {
    let fake = FakeKeyVault::start(&[]).await;
    let home = TempDir::new("azure-placeholders");
    // Key Vault names have no `/`, so a trailing segment is always a key: CloverDX's rule.
    let keyway = fake.keyway(&home, "    prefix: \"tenant-a-\"\n    keys: last-segment\n").await;
    let caller = Identity::in_namespace("company.team");

    let db = SecretValue::text(r#"{"username":"etl","password":"pw-4e1f"}"#);
    keyway.create(&caller, "azure", "prod-db", &db, &WriteOptions::default()).await.expect("create through keyway");
    let token = SecretValue::text("tok-19a0");
    keyway.create(&caller, "azure", "api-token", &token, &WriteOptions::default()).await.expect("create");

    let step = json!({
        "jdbc": { "user": "${secret:azure/prod-db/username}", "password": "${secret:azure/prod-db/password}" },
        "headers": { "Authorization": "Bearer ${secret:azure/api-token}" },
    });
    let resolved = keyway.resolve(&caller, &step).await.expect("resolution through the plugin");
    assert_eq!(
        resolved.value(),
        &json!({
            "jdbc": { "user": "etl", "password": "pw-4e1f" },
            "headers": { "Authorization": "Bearer tok-19a0" },
        })
    );
    let read = keyway.get(&caller, "azure", "prod-db", &VersionSelector::Latest).await.expect("get through keyway");
    assert_eq!(read.metadata().name, "prod-db");
    assert_eq!(fake.stat("token_requests").await, 1, "one token from the fake Entra ID served every call");

    // Stored under the manager's prefix in the vault.
    let token = fake.control("grant-token", json!({})).await["access_token"].as_str().map(str::to_owned);
    let listing: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/secrets?api-version=7.5", fake.vault_url))
        .bearer_auth(token.unwrap_or_default())
        .send()
        .await
        .expect("list the fake directly")
        .json()
        .await
        .expect("list answer");
    let mut ids: Vec<&str> = listing["value"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            format!("{}/secrets/tenant-a-api-token", fake.vault_url),
            format!("{}/secrets/tenant-a-prod-db", fake.vault_url)
        ]
    );
}
