//! Placeholders resolved end to end: keyway's configuration (a manager with a
//! prefix, Kubernetes auth whose JWT the host reads from a file), the shared
//! cache and the vault plugin against OpenBao.

use super::{FakeKubernetes, OpenBao, KV_POLICY};
use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_integration_tests::harness::TempDir;
use keyway_types::{SecretValue, WriteOptions};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_resolve_through_the_vault_plugin_and_the_cache() {
    let mut server = OpenBao::start();
    let fake = FakeKubernetes::start();
    server.policy("keyway", &KV_POLICY.replace("secret/", "kv/"));
    server.mount("kv", "kv", json!({ "version": "2" }));
    server.kubernetes(&fake.host(), "kestra", "flows", "kestra-worker", "keyway");
    let home = TempDir::new("vault-placeholders");
    let jwt_file = home.path().join("service-account-token");
    std::fs::write(&jwt_file, fake.issue("flows", "kestra-worker")).expect("write the token file");
    let yaml = format!(
        r#"
home: {home}
cache: {{ expire-after-write: 1s, jitter: 0 }}
managers:
  vault:
    plugin: vault
    settings:
      address: "{address}"
      mount: kv
      auth_method: kubernetes
      kubernetes_role: kestra
      kubernetes_jwt: "${{file:{jwt}}}"
    prefix: "kestra/internal/"
"#,
        home = home.path().display(),
        address = server.address(),
        jwt = jwt_file.display(),
    );
    let config = Config::from_yaml(&yaml).expect("the configuration parses");
    let keyway = Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("keyway opens");
    let caller = Identity::in_namespace("company.team");

    let db = SecretValue::text(r#"{"username":"etl","password":"pw-9b1c"}"#);
    keyway.create(&caller, "vault", "prod/db", &db, &WriteOptions::default()).await.expect("create through keyway");
    let token = SecretValue::text("tok-77e2");
    keyway.create(&caller, "vault", "api-token", &token, &WriteOptions::default()).await.expect("create");
    let stored = server.admin("GET", "kv/data/kestra/internal/prod/db", None);
    assert_eq!(stored["data"]["data"], json!({ "username": "etl", "password": "pw-9b1c" }), "prefix and fields");

    let step = json!({
        "jdbc": { "user": "${secret:vault/prod/db/username}", "password": "${secret:vault/prod/db/password}" },
        "headers": { "Authorization": "Bearer ${secret:vault/api-token}" },
    });
    let expected = json!({
        "jdbc": { "user": "etl", "password": "pw-9b1c" },
        "headers": { "Authorization": "Bearer tok-77e2" },
    });
    let resolved = keyway.resolve(&caller, &step).await.expect("resolution through the plugin");
    assert_eq!(resolved.value(), &expected);
    assert!(fake.reviews() >= 1, "the plugin logged in with the JWT read from the file");

    // A new version written behind keyway's back shows once the cached entry expires.
    server.admin("POST", "kv/data/kestra/internal/api-token", Some(json!({ "data": { "value": "tok-8f30" } })));
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let rotated = keyway.resolve(&caller, &step).await.expect("resolution after the rotation");
    assert_eq!(rotated.value()["headers"]["Authorization"], "Bearer tok-8f30");
    let listing = format!("{:?}", keyway.cache_entries(&caller).await.expect("cache view"));
    assert!(listing.contains("prod/db") && !listing.contains("pw-9b1c"), "{listing}");
    assert!(!keyway.masker().mask("Bearer tok-8f30").contains("tok-8f30"), "values are masked");

    // Within its freshness, a cached value is served without the server.
    let fresh = keyway.resolve(&caller, &step).await.expect("resolution");
    server.stop();
    let cached = keyway.resolve(&caller, &step).await.expect("cached resolution without the server");
    assert_eq!(cached.value(), fresh.value());
}
