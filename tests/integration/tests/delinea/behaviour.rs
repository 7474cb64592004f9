//! What a Secret Server user relies on: one field or every field as the value, secrets and file
//! fields made by hand, duplicate names, deactivation and restore, settings that writes need, tokens
//! renewed and replaced, and listing.

use super::{assert_kind, provider_error, text, SecretServerUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::{json, Value};
use std::time::Duration;

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_as_a_json_object() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect_with(ss.settings(json!({ "field": "*" }))).await;
    let value = SecretValue::text(r#"{"username":"app","password":"p1","resource":"db01"}"#);
    let options = WriteOptions { description: Some("orders database".into()), ..Default::default() };
    let created = conn.create("db", &value, &options).await.expect("create");
    assert_eq!(
        (created.secret_type.as_deref(), created.description.as_deref()),
        (Some("Password"), Some("orders database"))
    );
    let read: Value = serde_json::from_str(&text(&conn, "db").await).expect("a JSON object");
    assert_eq!(read, json!({ "username": "app", "password": "p1", "resource": "db01" }));

    // A new value replaces the content: fields left out are emptied, the notes stay.
    let update = UpdateRequest { value: Some(SecretValue::text(r#"{"password":"p2"}"#)), ..Default::default() };
    conn.update("db", &update).await.expect("update");
    let read: Value = serde_json::from_str(&text(&conn, "db").await).expect("a JSON object");
    assert_eq!(read, json!({ "password": "p2" }));
    assert_eq!(conn.describe("db", &LATEST).await.expect("describe").description.as_deref(), Some("orders database"));

    for refused in [r#"{"username":"only"}"#, r#"{"pin":"1"}"#, r#"{"notes":"x"}"#, "plain text"] {
        let request = UpdateRequest { value: Some(SecretValue::text(refused)), ..Default::default() };
        assert_kind(&provider_error(conn.update("db", &request).await), ErrorKind::InvalidArgument);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_file_fields_made_by_hand() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let web = ss
        .fake
        .create(9, 3, "portal", &[("url", "https://portal"), ("username", "u"), ("password", "w1"), ("notes", "n")])
        .await;
    let key = ss.fake.create(6026, 3, "deploy key", &[("username", "deploy")]).await;
    ss.fake
        .control(
            "attach",
            json!({ "secret_id": key["id"], "slug": "private-key", "file_name": "id", "content": "KEY-BYTES" }),
        )
        .await;

    let conn = ss.connect().await;
    let portal = conn.get("portal", &LATEST).await.expect("get");
    assert_eq!(portal.value.expose_text(), Some("w1"));
    assert_eq!(
        (portal.metadata.secret_type.as_deref(), portal.metadata.description.as_deref()),
        (Some("Web Password"), Some("n"))
    );
    let err = provider_error(conn.get("deploy key", &LATEST).await);
    assert!(err.message().contains("username, private-key"), "the fields are named: {err}");

    let by_key = ss.connect_with(ss.settings(json!({ "field": "private-key" }))).await;
    assert_eq!(text(&by_key, "deploy key").await, "KEY-BYTES");
    let all = ss.connect_with(ss.settings(json!({ "field": "*" }))).await;
    assert_eq!(text(&all, "deploy key").await, r#"{"username":"deploy"}"#, "file fields are not in the object");

    conn.update("portal", &UpdateRequest { value: Some(SecretValue::text("w2")), ..Default::default() })
        .await
        .expect("update");
    assert_eq!(ss.fake.field(&web["id"], "password").await, json!("w2"));
    assert_eq!(ss.fake.field(&web["id"], "url").await, json!("https://portal"), "other fields stay");
    let cleared = UpdateRequest { value: Some(SecretValue::text("")), ..Default::default() };
    let err = provider_error(conn.update("portal", &cleared).await);
    assert!(err.kind() == ErrorKind::InvalidArgument && err.message().contains("Password is required"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_are_a_conflict_and_other_folders_are_apart() {
    let ss = SecretServerUnderTest::start(&[]).await;
    ss.fake.create(2, 3, "twin", &[("password", "a")]).await;
    ss.fake.create(2, 3, "Twin", &[("password", "b")]).await;
    ss.fake.create(2, 5, "elsewhere", &[("password", "c")]).await;
    let conn = ss.connect().await;
    assert_kind(&provider_error(conn.get("twin", &LATEST).await), ErrorKind::Conflict);
    assert_kind(&provider_error(conn.get("elsewhere", &LATEST).await), ErrorKind::NotFound);
    let everywhere =
        ss.connect_with(json!({ "base_url": ss.fake.url, "username": "keyway", "password": ss.fake.password })).await;
    assert_eq!(text(&everywhere, "elsewhere").await, "c", "without folder_id, every folder is searched");
    let err = provider_error(everywhere.create("new", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::Configuration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_deactivates_and_restore_reactivates() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect().await;
    conn.create("db", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    assert_eq!(conn.delete("db", DeleteMode::Force).await.expect("delete"), None);
    assert_eq!(ss.fake.stat("inactive").await, 1, "Secret Server keeps the deactivated secret");
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::NotFound);
    let listed = conn.list(&ListRequest { include_deleted: true, ..Default::default() }).await.expect("list");
    assert_eq!(listed.secrets.iter().map(|m| (m.name.as_str(), m.enabled)).collect::<Vec<_>>(), [("db", false)]);
    let restored = conn.restore("db").await.expect("restore");
    assert!(restored.enabled);
    assert_eq!(text(&conn, "db").await, "v1");
    assert_kind(&provider_error(conn.restore("db").await), ErrorKind::AlreadyExists);
    assert_kind(&provider_error(conn.restore("never").await), ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_refreshed_before_expiry_and_replaced_when_revoked() {
    let ss = SecretServerUnderTest::start(&["--token-lifetime", "2"]).await;
    let conn = ss.connect().await;
    conn.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    assert_eq!(text(&conn, "db").await, "v");
    assert_eq!(ss.fake.stat("password_grants").await, 1, "one login serves many calls");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(text(&conn, "db").await, "v");
    assert_eq!(ss.fake.stat("refresh_grants").await, 1, "renewed with the refresh token before it expired");
    ss.fake.control("revoke-tokens", json!({})).await;
    assert_eq!(text(&conn, "db").await, "v");
    assert_eq!(ss.fake.stat("password_grants").await, 2, "a revoked token is replaced by a new login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_by_prefix_with_pages() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect().await;
    for name in ["app-a", "app-b", "app-c", "my-app", "zeta"] {
        conn.create(name, &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    }
    let mut request = ListRequest { prefix: Some("app-".into()), page_size: Some(2), ..Default::default() };
    let mut names = Vec::new();
    for _ in 0..10 {
        let page = conn.list(&request).await.expect("list");
        names.extend(page.secrets.into_iter().map(|m| m.name));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => break,
        }
    }
    assert_eq!(names, ["app-a", "app-b", "app-c"], "'my-app' contains the prefix but does not start with it");
    let all = conn.list(&ListRequest::default()).await.expect("list");
    assert_eq!(all.secrets.len(), 5);
    assert_eq!(all.secrets[0].secret_type.as_deref(), Some("Password"));
}
