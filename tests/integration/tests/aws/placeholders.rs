//! Placeholders resolved through keyway's configuration, the shared cache and
//! the aws plugin, with host-side credentials from `auth: {type: aws}` that
//! moto verifies: whole secrets, `/KEY` fields of JSON secrets (CloverDX's
//! last-segment rule), the manager's prefix, and cached values that keep
//! resolving when the emulator is gone.

use crate::moto::Moto;
use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_integration_tests::harness::TempDir;
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_resolve_through_the_aws_plugin_and_the_cache() {
    let mut moto = Moto::start_with_auth().await;
    let identity = moto.identity().clone();
    let home = TempDir::new("aws-placeholders");
    let yaml = format!(
        r#"
home: {home}
managers:
  aws:
    plugin: aws
    settings: {{ region: us-east-1, endpoint_override: "{endpoint}" }}
    auth: {{ type: aws, access_key_id: "{key_id}", secret_access_key: "{secret}" }}
    prefix: "tenant-a/"
    keys: last-segment
"#,
        home = home.path().display(),
        endpoint = moto.endpoint(),
        key_id = identity.access_key_id,
        secret = identity.secret_access_key,
    );
    let config = Config::from_yaml(&yaml).expect("the configuration parses");
    let keyway = Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("keyway opens");
    let caller = Identity::in_namespace("company.team");

    let db = SecretValue::text(r#"{"username":"etl","password":"pw-9b1c"}"#);
    keyway.create(&caller, "aws", "prod/db", &db, &WriteOptions::default()).await.expect("create through keyway");
    let token = SecretValue::text("tok-77e2");
    keyway.create(&caller, "aws", "api-token", &token, &WriteOptions::default()).await.expect("create");
    let stored = moto.boto3(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
print(json.dumps(sorted(s["Name"] for s in sm.list_secrets()["SecretList"])))"#,
    );
    assert_eq!(stored, json!(["tenant-a/api-token", "tenant-a/prod/db"]), "the manager's prefix is applied");

    let step = json!({
        "jdbc": { "user": "${secret:aws/prod/db/username}", "password": "${secret:aws/prod/db/password}" },
        "headers": { "Authorization": "Bearer ${secret:aws/api-token}" },
    });
    let expected = json!({
        "jdbc": { "user": "etl", "password": "pw-9b1c" },
        "headers": { "Authorization": "Bearer tok-77e2" },
    });
    let resolved = keyway.resolve(&caller, &step).await.expect("resolution through the plugin");
    assert_eq!(resolved.value(), &expected);
    let read = keyway.get(&caller, "aws", "prod/db", &VersionSelector::Latest).await.expect("get through keyway");
    assert_eq!(read.metadata().version_labels, vec!["AWSCURRENT".to_owned()]);

    // Served from the cache: the emulator is gone.
    moto.stop();
    let cached = keyway.resolve(&caller, &step).await.expect("cached resolution without the backend");
    assert_eq!(cached.value(), &expected);
    let listing = format!("{:?}", keyway.cache_entries(&caller).await.expect("cache view"));
    assert!(listing.contains("prod/db") && !listing.contains("pw-9b1c"), "{listing}");
    assert!(!keyway.masker().mask("Bearer tok-77e2").contains("tok-77e2"), "values are masked");

    let missing = keyway.resolve(&caller, &json!({ "x": "${secret:aws/not-cached}" })).await;
    let err = missing.expect_err("an uncached secret needs the backend");
    assert!(err.to_string().contains("could not be reached"), "{err}");
}
