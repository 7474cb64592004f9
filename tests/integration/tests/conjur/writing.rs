//! Writing through policy: variables declared in the branch with kind, MIME type and annotations,
//! values as versions, annotations changed in the policy that declared a variable, deletion, and
//! what policy cannot do (leave the branch, remove annotations, store empty values).

use super::{assert_kind, provider_error, ConjurUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{DeleteMode, ErrorKind, SecretValue, Tags, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::json;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A connection as host `apps/kestra`, writing into its branch `apps/kestra`, and the host's API key.
async fn kestra(conjur: &ConjurUnderTest) -> (keyway_runtime::Connection, String) {
    let key = conjur.kestra_host_key().await;
    let settings = conjur.settings("host/apps/kestra", &key, json!({ "policy_branch": "apps/kestra" }));
    (conjur.connect_with(settings).await, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_are_declared_with_their_attributes_then_given_values() {
    let conjur = ConjurUnderTest::start().await;
    let (conn, _) = kestra(&conjur).await;
    let options = WriteOptions {
        description: Some("payments API key\nrotated monthly".into()),
        tags: tags(&[("team", "payments"), ("owner: \"quoted\"", "a\\b")]),
        secret_type: Some("api-key".into()),
        ..WriteOptions::default()
    };
    let meta = conn.create("apps/kestra/payments/key", &SecretValue::text("k-1"), &options).await.expect("create");
    assert_eq!(meta.version_id.as_deref(), Some("1"));
    assert_eq!(meta.description.as_deref(), Some("payments API key\nrotated monthly"));
    assert_eq!(meta.secret_type.as_deref(), Some("api-key"));
    assert_eq!(meta.tags, tags(&[("team", "payments"), ("owner: \"quoted\"", "a\\b")]), "quoted safely");

    let update = UpdateRequest {
        value: Some(SecretValue::text("k-2")),
        description: Some("rotated".into()),
        set_tags: tags(&[("team", "billing")]),
        ..UpdateRequest::default()
    };
    let meta = conn.update("apps/kestra/payments/key", &update).await.expect("update");
    assert_eq!((meta.version_id.as_deref(), meta.description.as_deref()), (Some("2"), Some("rotated")));
    assert_eq!(meta.tags.get("team").map(String::as_str), Some("billing"));
    let removal = UpdateRequest { remove_tags: vec!["team".into()], ..UpdateRequest::default() };
    let err = provider_error(conn.update("apps/kestra/payments/key", &removal).await);
    assert_kind(&err, ErrorKind::InvalidArgument);
    assert!(err.message().contains("cannot be removed"), "{err}");

    let binary = SecretValue::binary(vec![0u8, 255, 7, 128]);
    conn.create("apps/kestra/keystore", &binary, &WriteOptions::default()).await.expect("create binary");
    assert_eq!(conn.get("apps/kestra/keystore", &VersionSelector::Latest).await.expect("get").value, binary);
    let admin = conjur.admin(json!({})).await;
    let keystore = admin.describe("apps/kestra/keystore", &VersionSelector::Latest).await.expect("describe");
    assert_eq!(keystore.name, "apps/kestra/keystore");
    assert_eq!(conjur.fake.stat("policy_loads").await, 3, "two declarations and one annotation change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_declared_by_an_administrator_is_created_by_its_first_value() {
    let conjur = ConjurUnderTest::start().await;
    let (conn, _) = kestra(&conjur).await;
    conjur.fake.load_policy("apps/kestra", "- !variable prepared").await;
    let meta =
        conn.create("apps/kestra/prepared", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    assert_eq!(meta.version_id.as_deref(), Some("1"));
    let again =
        provider_error(conn.create("apps/kestra/prepared", &SecretValue::text("v2"), &WriteOptions::default()).await);
    assert_kind(&again, ErrorKind::AlreadyExists);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_removes_every_version() {
    let conjur = ConjurUnderTest::start().await;
    let (conn, _) = kestra(&conjur).await;
    conn.create("apps/kestra/old", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    assert_eq!(conn.delete("apps/kestra/old", DeleteMode::Force).await.expect("delete"), None);
    assert_kind(&provider_error(conn.versions("apps/kestra/old").await), ErrorKind::NotFound);
    assert_kind(&provider_error(conn.delete("apps/kestra/old", DeleteMode::Force).await), ErrorKind::NotFound);
    let soft = provider_error(conn.delete("apps/kestra/x", DeleteMode::Recoverable(None)).await);
    assert_kind(&soft, ErrorKind::Unsupported);
    // A fresh declaration starts again at version 1.
    let meta = conn.create("apps/kestra/old", &SecretValue::text("v2"), &WriteOptions::default()).await.expect("again");
    assert_eq!(meta.version_id.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_policy_cannot_do_is_refused_clearly() {
    let conjur = ConjurUnderTest::start().await;
    let (conn, key) = kestra(&conjur).await;
    let outside = provider_error(conn.create("shared/db", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&outside, ErrorKind::InvalidArgument);
    assert!(outside.message().contains("outside policy_branch 'apps/kestra'"), "{outside}");
    let empty = provider_error(conn.create("apps/kestra/e", &SecretValue::text(""), &WriteOptions::default()).await);
    assert_kind(&empty, ErrorKind::InvalidArgument);
    let reserved = WriteOptions { tags: tags(&[("conjur/kind", "x")]), ..WriteOptions::default() };
    assert_kind(
        &provider_error(conn.create("apps/kestra/r", &SecretValue::text("v"), &reserved).await),
        ErrorKind::InvalidArgument,
    );
    let expiring = WriteOptions { expires_at: Some(4_102_444_800_000), ..WriteOptions::default() };
    assert_kind(
        &provider_error(conn.create("apps/kestra/x", &SecretValue::text("v"), &expiring).await),
        ErrorKind::InvalidArgument,
    );
    let disable = UpdateRequest { enabled: Some(false), ..UpdateRequest::default() };
    assert_kind(&provider_error(conn.update("apps/kestra/x", &disable).await), ErrorKind::InvalidArgument);

    // The branch must exist, and the login must be allowed to load policy into it.
    let missing = conjur
        .connect_with(conjur.settings("host/apps/kestra", &key, json!({ "policy_branch": "apps/nowhere" })))
        .await;
    let err = provider_error(missing.create("apps/nowhere/x", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::Configuration);
    let root = conjur.connect_with(conjur.settings("host/apps/kestra", &key, json!({ "policy_branch": "root" }))).await;
    let err = provider_error(root.create("x", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("may not load policy into 'root'"), "{err}");
}
