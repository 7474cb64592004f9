//! Reading what administrators declared: versions, annotations, binary values, batches that Conjur
//! refuses as a whole, privileges (visible but not executable, invisible), listing across Conjur's
//! pages, and a declared variable without a value.

use super::{assert_kind, list_all, provider_error, ConjurUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{ErrorKind, ListRequest, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;

const POLICY: &str = "
- !host reader
- !variable
  id: db/password
  kind: password
  annotations:
    description: the database password
    team: data
- !variable db/api-key
- !variable db/cert
- !variable db/empty
- !variable other/secret
- !permit
  role: !host reader
  privileges: [read, execute]
  resource: [!variable db/password, !variable db/api-key, !variable db/empty]
- !permit
  role: !host reader
  privileges: [read]
  resource: !variable db/cert
";

/// The fake with [`POLICY`] loaded and values set; returns a read-only connection as host `reader`.
async fn seeded(conjur: &ConjurUnderTest) -> keyway_runtime::Connection {
    let created = conjur.fake.load_policy("root", POLICY).await;
    let key = created[format!("{}:host:reader", super::ACCOUNT)]["api_key"].as_str().expect("api key").to_owned();
    for value in ["pw-1", "pw-2", "pw-3"] {
        conjur.fake.set("db/password", value).await;
    }
    conjur.fake.set("db/api-key", "key-1").await;
    conjur.fake.set("db/cert", "cert").await;
    conjur.fake.set("other/secret", "hidden").await;
    conjur.connect_with(conjur.settings("host/reader", &key, json!({}))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_annotations_and_the_probe() {
    let conjur = ConjurUnderTest::start().await;
    let conn = seeded(&conjur).await;
    let secret = conn.get("db/password", &VersionSelector::Latest).await.expect("get");
    assert_eq!(secret.value.expose_text(), Some("pw-3"));
    let meta = &secret.metadata;
    assert_eq!(meta.version_id.as_deref(), Some("3"));
    assert_eq!(meta.description.as_deref(), Some("the database password"));
    assert_eq!(meta.secret_type.as_deref(), Some("password"));
    assert_eq!(meta.tags, [("team".to_owned(), "data".to_owned())].into());
    assert!(meta.created_at.is_some());

    let first = conn.get("db/password", &VersionSelector::Id("1".into())).await.expect("get version 1");
    assert_eq!((first.value.expose_text(), first.metadata.version_id.as_deref()), (Some("pw-1"), Some("1")));
    let versions: Vec<String> =
        conn.versions("db/password").await.expect("versions").into_iter().map(|v| v.version_id).collect();
    assert_eq!(versions, vec!["3", "2", "1"]);
    let reads = conjur.fake.stat("secret_reads").await;
    let described = conn.describe("db/password", &VersionSelector::Latest).await.expect("describe");
    assert_eq!(described.version_id.as_deref(), Some("3"));
    assert_eq!(conjur.fake.stat("secret_reads").await, reads, "the probe reads no value");
    let missing = provider_error(conn.describe("db/password", &VersionSelector::Id("9".into())).await);
    assert_kind(&missing, ErrorKind::NotFound);
    assert!(missing.message().contains("last 20 versions"), "{missing}");
    assert_kind(
        &provider_error(conn.get("db/password", &VersionSelector::Label("x".into())).await),
        ErrorKind::Unsupported,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_decide_between_denied_and_not_found() {
    let conjur = ConjurUnderTest::start().await;
    let conn = seeded(&conjur).await;
    let denied = provider_error(conn.get("db/cert", &VersionSelector::Latest).await);
    assert_kind(&denied, ErrorKind::AccessDenied);
    let described = conn.describe("db/cert", &VersionSelector::Latest).await.expect("visible with read");
    assert_eq!(described.version_id.as_deref(), Some("1"));
    assert_kind(&provider_error(conn.get("other/secret", &VersionSelector::Latest).await), ErrorKind::NotFound);
    let empty = provider_error(conn.get("db/empty", &VersionSelector::Latest).await);
    assert_kind(&empty, ErrorKind::NotFound);
    assert!(empty.message().contains("has no value yet"), "{empty}");
    let declared = conn.describe("db/empty", &VersionSelector::Latest).await.expect("declared");
    assert_eq!(declared.version_id, None);
    let write = provider_error(conn.create("db/new", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&write, ErrorKind::Unsupported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_many_batches_and_falls_back_per_name() {
    let conjur = ConjurUnderTest::start().await;
    let conn = seeded(&conjur).await;
    let names = vec!["db/password".to_owned(), "db/api-key".to_owned()];
    let reads = conjur.fake.stat("secret_reads").await;
    let results = conn.get_many(&names).await.expect("get-many");
    let texts: Vec<Option<String>> =
        results.iter().map(|r| r.as_ref().ok().and_then(|s| s.value.expose_text().map(str::to_owned))).collect();
    assert_eq!(texts, vec![Some("pw-3".to_owned()), Some("key-1".to_owned())]);
    assert_eq!(conjur.fake.stat("batch_requests").await, 1);
    assert_eq!(conjur.fake.stat("secret_reads").await, reads, "one batch request, no single reads");

    let mixed = vec!["db/password".to_owned(), "other/secret".to_owned(), "db/cert".to_owned(), "bad//id".to_owned()];
    let results = conn.get_many(&mixed).await.expect("get-many");
    assert_eq!(results[0].as_ref().ok().and_then(|s| s.value.expose_text()), Some("pw-3"));
    assert_kind(results[1].as_ref().expect_err("invisible"), ErrorKind::NotFound);
    assert_kind(results[2].as_ref().expect_err("not executable"), ErrorKind::AccessDenied);
    assert_kind(results[3].as_ref().expect_err("invalid"), ErrorKind::InvalidArgument);
    assert_eq!(conjur.fake.stat("batch_requests").await, 2, "the refused batch was read name by name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_walks_conjur_pages_and_shows_only_visible_variables() {
    let conjur = ConjurUnderTest::start().await;
    let reader = seeded(&conjur).await;
    let visible = list_all(&reader, ListRequest::default()).await;
    assert_eq!(visible, vec!["db/api-key", "db/cert", "db/empty", "db/password"], "other/secret is not visible");

    let policy: String = (0..130).map(|i| format!("- !variable bulk/item-{i:03}\n")).collect();
    conjur.fake.load_policy("root", &policy).await;
    let admin = conjur.admin(json!({ "page_size": 1000 })).await;
    let request = ListRequest { prefix: Some("bulk/".into()), page_size: Some(40), ..ListRequest::default() };
    let first = admin.list(&request).await.expect("first page");
    assert_eq!(first.secrets.len(), 40);
    let names = list_all(&admin, request).await;
    let expected: Vec<String> = (0..130).map(|i| format!("bulk/item-{i:03}")).collect();
    assert_eq!(names, expected, "130 variables over two Conjur pages of 100, in pages of 40");
    let everything = list_all(&admin, ListRequest::default()).await;
    assert_eq!(everything.len(), 135);
    let forged = ListRequest { page_token: Some("offset-7".into()), ..ListRequest::default() };
    assert_kind(&provider_error(admin.list(&forged).await), ErrorKind::InvalidArgument);
}
