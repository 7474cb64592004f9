//! Key Vault behaviours beyond the contract suite: the manager's prefix and default tags,
//! disabled secrets, purge protection, paging over more than one Key Vault page, deleted
//! secrets in listings, and the attributes Key Vault keeps.

use super::{assert_kind, enable, list_all, provider_error, tags, text, AzureUnderTest, SOFT};
use keyway_types::{DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_and_default_tags_are_applied_and_hidden() {
    let azure = AzureUnderTest::start(&[]).await;
    let scoped = azure.connect(json!({ "prefix": "team-a-", "default_tags": {"owner": "keyway"} })).await;
    let whole = azure.connect(json!({})).await;
    let meta = scoped.create("db", &SecretValue::text("pw"), &WriteOptions::default()).await.expect("create");
    assert_eq!(meta.name, "db");
    assert_eq!(meta.tags, tags(&[("owner", "keyway")]));
    whole.create("other", &SecretValue::text("x"), &WriteOptions::default()).await.expect("create");

    assert_eq!(text(&whole, "team-a-db").await, "pw", "stored under the prefixed name");
    assert_eq!(list_all(&scoped, ListRequest::default()).await, vec!["db"]);
    let mut everything = list_all(&whole, ListRequest::default()).await;
    everything.sort();
    assert_eq!(everything, vec!["other", "team-a-db"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_secret_is_described_but_not_read() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("paused", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let meta = conn.update("paused", &enable(false)).await.expect("disable");
    assert!(!meta.enabled);
    let err = provider_error(conn.get("paused", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Conflict);
    assert!(err.message().contains("disabled"), "{err}");
    let described = conn.describe("paused", &VersionSelector::Latest).await.expect("describe a disabled secret");
    assert!(!described.enabled);
    assert_eq!(described.version_id, meta.version_id);
    conn.update("paused", &enable(true)).await.expect("enable");
    assert_eq!(text(&conn, "paused").await, "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_versions_keep_the_secret_s_attributes() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    let options = WriteOptions {
        tags: tags(&[("env", "prod")]),
        description: Some("database password".into()),
        secret_type: Some("text/plain".into()),
        expires_at: Some(4_102_444_800_000),
        ..WriteOptions::default()
    };
    let first = conn.create("kept", &SecretValue::text("v1"), &options).await.expect("create");
    assert_eq!(first.expires_at, Some(4_102_444_800_000));
    let update = UpdateRequest { value: Some(SecretValue::text("v2")), ..UpdateRequest::default() };
    let second = conn.update("kept", &update).await.expect("new value");
    assert_ne!(second.version_id, first.version_id);
    assert_eq!(second.tags, tags(&[("env", "prod")]));
    assert_eq!(second.description.as_deref(), Some("database password"));
    assert_eq!(second.secret_type.as_deref(), Some("text/plain"));
    assert_eq!(second.expires_at, Some(4_102_444_800_000));
    let versions = conn.versions("kept").await.expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(Some(&versions[0].version_id), second.version_id.as_ref(), "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_protection_keeps_a_force_deleted_secret_recoverable() {
    let azure = AzureUnderTest::start(&["--purge-protection"]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("protected", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let err = provider_error(conn.delete("protected", DeleteMode::Force).await);
    assert_kind(&err, ErrorKind::Conflict);
    assert!(err.message().contains("does not allow purging"), "{err}");
    conn.restore("protected").await.expect("still recoverable");
    assert_eq!(text(&conn, "protected").await, "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_windows_and_kms_keys_are_refused_clearly() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    conn.create("w", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let err = provider_error(conn.delete("w", DeleteMode::Recoverable(Some(7))).await);
    assert_kind(&err, ErrorKind::InvalidArgument);
    assert!(err.message().contains("property of the vault"), "{err}");
    let kms = WriteOptions { kms_key_id: Some("key".into()), ..WriteOptions::default() };
    assert_kind(&provider_error(conn.create("k", &SecretValue::text("v"), &kms).await), ErrorKind::InvalidArgument);
    let label = provider_error(conn.get("w", &VersionSelector::Label("current".into())).await);
    assert_kind(&label, ErrorKind::Unsupported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_across_key_vault_pages_with_filters_and_deleted_secrets() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    let mut expected = Vec::new();
    for i in 0..32 {
        let name = format!("item-{i:02}");
        let options =
            WriteOptions { tags: tags(&[("parity", if i % 2 == 0 { "even" } else { "odd" })]), ..Default::default() };
        conn.create(&name, &SecretValue::text("v"), &options).await.expect("create");
        expected.push(name);
    }
    conn.create("zzz-other", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");

    let by_prefix = ListRequest { prefix: Some("ITEM-".into()), page_size: Some(7), ..ListRequest::default() };
    let page = conn.list(&by_prefix).await.expect("first page");
    assert_eq!(page.secrets.len(), 7);
    assert!(page.next_page.is_some());
    assert_eq!(list_all(&conn, by_prefix).await, expected, "32 names over two Key Vault pages, in pages of 7");

    let even = ListRequest { tags: tags(&[("parity", "even")]), page_size: Some(5), ..ListRequest::default() };
    let found = list_all(&conn, even).await;
    assert_eq!(found.len(), 16);
    assert!(found.iter().all(|n| n.trim_start_matches("item-").parse::<u32>().is_ok_and(|i| i % 2 == 0)));

    conn.delete("item-00", SOFT).await.expect("delete");
    let active = list_all(&conn, ListRequest { prefix: Some("item-".into()), ..ListRequest::default() }).await;
    assert_eq!(active.len(), 31);
    let with_deleted = ListRequest { prefix: Some("item-0".into()), include_deleted: true, ..ListRequest::default() };
    let page = conn.list(&with_deleted).await.expect("list with deleted");
    let deleted: Vec<_> = page.secrets.iter().filter(|m| m.deleted_at.is_some()).collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].name, "item-00");
    assert!(deleted[0].purge_at > deleted[0].deleted_at);

    let forged =
        ListRequest { page_token: Some("v1|a|0|https://elsewhere.example/secrets?x".into()), ..Default::default() };
    assert_kind(&provider_error(conn.list(&forged).await), ErrorKind::InvalidArgument);
}
