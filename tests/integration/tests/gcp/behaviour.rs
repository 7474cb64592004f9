//! Secret Manager behaviours beyond the contract suite: version aliases read as labels, disabled
//! versions, binary and text payloads, the manager's prefix and default labels, expiry and
//! descriptions, paging over several Secret Manager pages, deletion without recovery.

use super::fake::PROJECT;
use super::{assert_kind, list_all, provider_error, tags, text, GcpUnderTest};
use keyway_types::{
    DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, VersionState, WriteOptions,
};
use serde_json::json;

fn new_value(value: &str) -> UpdateRequest {
    UpdateRequest { value: Some(SecretValue::text(value)), ..UpdateRequest::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_aliases_are_read_as_labels() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("api-key", &SecretValue::text("one"), &WriteOptions::default()).await.expect("create");
    conn.update("api-key", &new_value("two")).await.expect("second version");
    // Aliases are set by operators (gcloud, the console, Terraform); here through the REST API.
    let body = json!({ "versionAliases": { "stable": "1", "canary": "2" } });
    let path = format!("projects/{PROJECT}/secrets/api-key?updateMask=version_aliases");
    gcp.fake.api(reqwest::Method::PATCH, &path, body).await;

    assert_eq!(text(&conn, "api-key", &VersionSelector::Label("stable".into())).await, "one");
    assert_eq!(text(&conn, "api-key", &VersionSelector::Label("canary".into())).await, "two");
    let secret = conn.get("api-key", &VersionSelector::Id("1".into())).await.expect("by id");
    assert_eq!(secret.metadata.version_labels, vec!["stable".to_owned()]);
    let meta = conn.describe("api-key", &VersionSelector::Label("canary".into())).await.expect("describe");
    assert_eq!((meta.version_id.as_deref(), meta.version_labels.clone()), (Some("2"), vec!["canary".to_owned()]));
    let versions = conn.versions("api-key").await.expect("versions");
    let listed: Vec<(String, Vec<String>)> = versions.into_iter().map(|v| (v.version_id, v.labels)).collect();
    assert_eq!(listed, vec![("2".into(), vec!["canary".into()]), ("1".into(), vec!["stable".into()])]);
    let missing = provider_error(conn.get("api-key", &VersionSelector::Label("nope".into())).await);
    assert_kind(&missing, ErrorKind::NotFound);
    let invalid = provider_error(conn.get("api-key", &VersionSelector::Label("1st".into())).await);
    assert_kind(&invalid, ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_version_is_described_but_not_read() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("paused", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let meta = conn.update("paused", &UpdateRequest { enabled: Some(false), ..Default::default() }).await.expect("off");
    assert!(!meta.enabled);
    let err = provider_error(conn.get("paused", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Conflict);
    assert!(err.message().contains("DISABLED"), "{err}");
    assert!(!conn.describe("paused", &VersionSelector::Latest).await.expect("describe").enabled);
    assert_eq!(conn.versions("paused").await.expect("versions")[0].state, VersionState::Deleted);
    conn.update("paused", &UpdateRequest { enabled: Some(true), ..Default::default() }).await.expect("on");
    assert_eq!(text(&conn, "paused", &VersionSelector::Latest).await, "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_keep_their_bytes_and_utf8_reads_as_text() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    let binary = SecretValue::binary(vec![0u8, 0xff, 0x80, 0x7f]);
    conn.create("blob", &binary, &WriteOptions::default()).await.expect("create");
    assert_eq!(conn.get("blob", &VersionSelector::Latest).await.expect("get").value, binary);
    conn.create("utf8", &SecretValue::text("grüße ✓"), &WriteOptions::default()).await.expect("create");
    assert_eq!(text(&conn, "utf8", &VersionSelector::Latest).await, "grüße ✓");
    // Another tool's view: the stored payload is the raw bytes, not a keyway encoding.
    let access = gcp
        .fake
        .api(reqwest::Method::GET, &format!("projects/{PROJECT}/secrets/blob/versions/1:access"), json!({}))
        .await;
    assert_eq!(access["payload"]["data"], "AP+Afw==");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_default_labels_expiry_and_description() {
    let gcp = GcpUnderTest::start().await;
    let scoped = gcp.connect(json!({ "prefix": "team-a_", "default_tags": {"owner": "keyway"} })).await;
    let whole = gcp.connect(json!({})).await;
    let options = WriteOptions {
        description: Some("database password".into()),
        secret_type: Some("basic-auth".into()),
        expires_at: Some(4_102_444_800_000),
        tags: tags(&[("env", "prod")]),
        ..WriteOptions::default()
    };
    let meta = scoped.create("db", &SecretValue::text("pw"), &options).await.expect("create");
    assert_eq!(meta.name, "db");
    assert_eq!(meta.tags, tags(&[("env", "prod"), ("owner", "keyway")]));
    assert_eq!(meta.expires_at, Some(4_102_444_800_000));
    let described = whole.describe("team-a_db", &VersionSelector::Latest).await.expect("stored with the prefix");
    assert_eq!(described.description.as_deref(), Some("database password"));
    assert_eq!(described.secret_type.as_deref(), Some("basic-auth"));
    whole.create("other", &SecretValue::text("x"), &WriteOptions::default()).await.expect("create");
    assert_eq!(list_all(&scoped, ListRequest::default()).await, vec!["db"]);
    let updated = scoped
        .update("db", &UpdateRequest { expires_at: Some(4_200_000_000_000), ..Default::default() })
        .await
        .expect("new expiry");
    assert_eq!(updated.expires_at, Some(4_200_000_000_000));
    let bad_label = WriteOptions { tags: tags(&[("Team", "x")]), ..WriteOptions::default() };
    let err = provider_error(scoped.create("labelled", &SecretValue::text("v"), &bad_label).await);
    assert!(err.message().contains("lowercase"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_across_secret_manager_pages_with_filters() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({ "page_size": 7 })).await;
    let mut expected = Vec::new();
    for i in 0..32 {
        let name = format!("item-{i:02}");
        let parity = if i % 2 == 0 { "even" } else { "odd" };
        let options = WriteOptions { tags: tags(&[("parity", parity)]), ..WriteOptions::default() };
        conn.create(&name, &SecretValue::text("v"), &options).await.expect("create");
        expected.push(name);
    }
    conn.create("zzz-other", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let by_prefix = ListRequest { prefix: Some("item-".into()), ..ListRequest::default() };
    let page = conn.list(&by_prefix).await.expect("first page");
    assert_eq!(page.secrets.len(), 7);
    assert_eq!(list_all(&conn, by_prefix).await, expected, "32 names over two Secret Manager pages, in pages of 7");
    let even = ListRequest { tags: tags(&[("parity", "even")]), page_size: Some(5), ..ListRequest::default() };
    assert_eq!(list_all(&conn, even).await.len(), 16);
    let forged = ListRequest { page_token: Some("v1|a|0|https://elsewhere".into()), ..ListRequest::default() };
    assert_kind(&provider_error(conn.list(&forged).await), ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_is_immediate_and_recoverable_deletion_is_refused() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    conn.create("gone", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let err = provider_error(conn.delete("gone", DeleteMode::Recoverable(None)).await);
    assert_kind(&err, ErrorKind::Unsupported);
    assert!(err.message().contains("force"), "{err}");
    assert_eq!(text(&conn, "gone", &VersionSelector::Latest).await, "v", "a refused deletion deletes nothing");
    conn.delete("gone", DeleteMode::Force).await.expect("force delete");
    assert_kind(&provider_error(conn.get("gone", &VersionSelector::Latest).await), ErrorKind::NotFound);
    assert_kind(&provider_error(conn.delete("gone", DeleteMode::Force).await), ErrorKind::NotFound);
    assert_kind(&provider_error(conn.restore("gone").await), ErrorKind::Unsupported);
}
