//! Placeholders resolved through keyway's configuration, the shared cache and
//! the aws plugin, with host-side credentials from `auth: {type: aws}` that
//! moto verifies: whole secrets, `/KEY` fields of JSON secrets (CloverDX's
//! last-segment rule), the manager's prefix, cached values that keep
//! resolving when the emulator is gone, and what a missing label and a deleted
//! secret say.

use crate::moto::Moto;
use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_integration_tests::harness::TempDir;
use keyway_types::{DeleteMode, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_resolve_through_the_aws_plugin_and_the_cache() {
    let mut moto = Moto::start_with_auth().await;
    let home = TempDir::new("aws-placeholders");
    let keyway = moto.keyway(&home, "    prefix: \"tenant-a/\"\n    keys: last-segment\n").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_manager_filtered_by_tags_reads_the_secrets_it_lists() {
    let moto = Moto::start_with_auth().await;
    let identity = moto.identity().clone();
    let home = TempDir::new("aws-visible-tags");
    let manager = |name: &str, rest: &str| {
        format!(
            "  {name}:\n    plugin: aws\n    settings: {{ region: us-east-1, endpoint_override: \"{endpoint}\" }}\n    \
             auth: {{ type: aws, access_key_id: \"{key_id}\", secret_access_key: \"{secret}\" }}\n{rest}",
            endpoint = moto.endpoint(),
            key_id = identity.access_key_id,
            secret = identity.secret_access_key,
        )
    };
    let yaml = format!(
        "home: {}\nmanagers:\n{}{}",
        home.path().display(),
        manager("writer", ""),
        manager("team", "    read_only: true\n    visible: { tags: { team: payments } }\n")
    );
    let keyway =
        Keyway::open(Config::from_yaml(&yaml).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    let caller = Identity::default();
    let tagged = WriteOptions { tags: [("team".to_owned(), "payments".to_owned())].into(), ..WriteOptions::default() };
    keyway.create(&caller, "writer", "pay/db", &SecretValue::text("pay-value-31"), &tagged).await.expect("create");
    keyway
        .create(&caller, "writer", "other/db", &SecretValue::text("other-value-32"), &WriteOptions::default())
        .await
        .expect("create");

    let listed = keyway.list(&caller, "team", &Default::default()).await.expect("list");
    assert_eq!(listed.secrets.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["pay/db"]);
    let got = keyway.get(&caller, "team", "pay/db", &VersionSelector::Latest).await.expect("the listed secret reads");
    assert_eq!(got.value().expose_text(), Some("pay-value-31"));
    let step = json!({ "password": "${secret:team/pay/db}" });
    assert_eq!(
        keyway.resolve(&caller, &step).await.expect("placeholder").value(),
        &json!({ "password": "pay-value-31" })
    );
    let hidden = keyway.get(&caller, "team", "other/db", &VersionSelector::Latest).await.expect_err("not visible");
    assert!(hidden.to_string().contains("not found"), "{hidden}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_label_and_a_deleted_secret_say_what_happened_and_what_to_do() {
    let moto = Moto::start().await;
    let home = TempDir::new("aws-messages");
    let yaml = format!(
        "home: {}\nmanagers:\n  aws:\n    plugin: aws\n    settings: {{ region: us-east-1, endpoint_override: \"{}\" }}\n    \
         auth: {{ type: aws, access_key_id: AKIAKEYWAYTEST, secret_access_key: keyway-test-secret }}\n",
        home.path().display(),
        moto.endpoint()
    );
    let keyway =
        Keyway::open(Config::from_yaml(&yaml).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    let caller = Identity::default();
    keyway
        .create(&caller, "aws", "app/db", &SecretValue::text("pw-1"), &WriteOptions::default())
        .await
        .expect("create");

    let label = VersionSelector::Label("NOPE".into());
    let err = keyway.get(&caller, "aws", "app/db", &label).await.expect_err("no such label");
    assert_eq!(
        err.to_string(),
        "secret 'app/db' on manager 'aws' exists, but has no version labelled 'NOPE'; `keyway versions aws/app/db` \
         lists its versions and their labels"
    );
    assert_eq!(err.exit_code(), keyway::error::exit::NOT_FOUND);
    let step = json!({ "password": "${secret:aws/app/db?label=NOPE}" });
    let err = keyway.resolve(&caller, &step).await.expect_err("no such label");
    assert!(err.to_string().contains("exists, but has no version labelled 'NOPE'"), "{err}");

    keyway.delete(&caller, "aws", "app/db", DeleteMode::Recoverable(Some(7))).await.expect("delete");
    let err = keyway.get(&caller, "aws", "app/db", &VersionSelector::Latest).await.expect_err("deleted");
    let text = err.to_string();
    let date = text
        .strip_prefix("secret 'app/db' on manager 'aws' is deleted, and scheduled for deletion for good on ")
        .and_then(|rest| rest.strip_suffix("; `keyway restore aws/app/db` restores it until then"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(date.len() == 24 && date.ends_with('Z'), "an RFC 3339 date: {text}");
    assert_eq!(err.exit_code(), keyway::error::exit::NOT_FOUND);
    keyway.restore(&caller, "aws", "app/db").await.expect("restore as the message says");
    let read = keyway.get(&caller, "aws", "app/db", &VersionSelector::Latest).await.expect("readable again");
    assert_eq!(read.value().expose_text(), Some("pw-1"));
}
