//! 1Password behaviours beyond the contract suite: items written by other Connect clients (the
//! 1Password apps, scripts), fields read as a JSON object and written back with their identity,
//! categories and tags, titles as unique handles, current-version-only reads, listing.

use super::{assert_kind, list_all, provider_error, tags, text, OnePasswordUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// Creates an item directly through the Connect API, as another client would.
async fn create_item(op: &OnePasswordUnderTest, vault: &str, item: Value) -> Value {
    let (status, created) = op.fake.api(Method::POST, &format!("/v1/vaults/{vault}/items"), Some(item)).await;
    assert_eq!(status, 200, "{created}");
    created
}

fn field(id: &str, kind: &str, purpose: &str, label: &str, value: &str) -> Value {
    json!({ "id": id, "type": kind, "purpose": purpose, "label": label, "value": value })
}

fn json_value(text: &str) -> Value {
    serde_json::from_str(text).expect("a JSON object value")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_of_other_clients_read_as_text_or_as_an_object_of_fields() {
    let op = OnePasswordUnderTest::start().await;
    let vault = op.fake.vault_id("keyway").await;
    let notes = field("notesPlain", "STRING", "NOTES", "notesPlain", "database login");
    let login = json!({ "vault": {"id": vault}, "title": "db-login", "category": "LOGIN", "tags": ["env=prod", "db"],
        "fields": [field("username", "STRING", "USERNAME", "username", "app"),
                   field("password", "CONCEALED", "PASSWORD", "password", "pw-1"),
                   field("otp", "OTP", "", "one-time password", ""), notes] });
    create_item(&op, &vault, login).await;
    let password = json!({ "vault": {"id": vault}, "title": "api-token", "category": "PASSWORD",
        "fields": [field("password", "CONCEALED", "PASSWORD", "password", "tok-1")] });
    create_item(&op, &vault, password).await;
    let credential = json!({ "vault": {"id": vault}, "title": "stripe", "category": "API_CREDENTIAL",
        "fields": [field("credential", "CONCEALED", "", "credential", "sk-1"),
                   field("hostname", "STRING", "", "hostname", "api.stripe.com")] });
    create_item(&op, &vault, credential).await;
    let note = json!({ "vault": {"id": vault}, "title": "cert", "category": "SECURE_NOTE",
        "fields": [field("notesPlain", "STRING", "NOTES", "notesPlain", "-----BEGIN CERT-----")] });
    create_item(&op, &vault, note).await;

    let conn = op.connect("keyway").await;
    let secret = conn.get("db-login", &VersionSelector::Latest).await.expect("get login");
    let value = json_value(secret.value.expose_text().expect("text"));
    assert_eq!(value, json!({"username": "app", "password": "pw-1"}), "empty fields and notes are not the value");
    let meta = &secret.metadata;
    assert_eq!(meta.description.as_deref(), Some("database login"));
    assert_eq!(meta.secret_type.as_deref(), Some("basic-auth"));
    assert_eq!(meta.version_id.as_deref(), Some("1"));
    assert_eq!(meta.tags, tags(&[("env", "prod"), ("db", "")]));
    assert!(meta.created_at.is_some() && meta.updated_at.is_some());

    assert_eq!(text(&conn, "api-token").await, "tok-1");
    let stripe = conn.get("stripe", &VersionSelector::Latest).await.expect("get credential");
    assert_eq!(
        json_value(stripe.value.expose_text().expect("text")),
        json!({"credential": "sk-1", "hostname": "api.stripe.com"})
    );
    assert_eq!(stripe.metadata.secret_type.as_deref(), Some("api-key"));
    let cert = conn.get("cert", &VersionSelector::Latest).await.expect("get note");
    assert_eq!(cert.value.expose_text(), Some("-----BEGIN CERT-----"));
    assert_eq!((cert.metadata.description, cert.metadata.secret_type.as_deref()), (None, Some("secure-note")));

    let many = conn.get_many(&["api-token".into(), "nope".into(), "cert".into()]).await.expect("get-many");
    assert_eq!(
        many[0].as_ref().map(|s| s.value.expose_text().map(str::to_owned)).ok().flatten().as_deref(),
        Some("tok-1")
    );
    assert_kind(many[1].as_ref().expect_err("missing"), ErrorKind::NotFound);
    assert!(many[2].is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_value_replaces_the_fields_and_keeps_their_identity() {
    let op = OnePasswordUnderTest::start().await;
    let vault = op.fake.vault_id("keyway").await;
    let login = json!({ "vault": {"id": vault}, "title": "db-login", "category": "LOGIN",
        "fields": [field("username", "STRING", "USERNAME", "username", "app"),
                   field("password", "CONCEALED", "PASSWORD", "password", "pw-1"),
                   field("notesPlain", "STRING", "NOTES", "notesPlain", "kept")] });
    let id = create_item(&op, &vault, login).await["id"].as_str().expect("id").to_owned();
    let conn = op.connect("keyway").await;
    let rotated = SecretValue::text(json!({"username": "app", "password": "pw-2", "port": 5432}).to_string());
    let meta =
        conn.update("db-login", &UpdateRequest { value: Some(rotated), ..Default::default() }).await.expect("update");
    assert_eq!(meta.version_id.as_deref(), Some("2"));

    let (_, item) = op.fake.api(Method::GET, &format!("/v1/vaults/{vault}/items/{id}"), None).await;
    let fields = item["fields"].as_array().expect("fields");
    let password = fields.iter().find(|f| f["id"] == "password").expect("the password field keeps its id");
    assert_eq!((password["purpose"].as_str(), password["value"].as_str()), (Some("PASSWORD"), Some("pw-2")));
    assert!(fields.iter().any(|f| f["id"] == "username" && f["purpose"] == "USERNAME"));
    let port = fields.iter().find(|f| f["label"] == "port").expect("a new key is a new field");
    assert_eq!((port["type"].as_str(), port["value"].as_str()), (Some("CONCEALED"), Some("5432")));
    assert!(fields.iter().any(|f| f["purpose"] == "NOTES" && f["value"] == "kept"), "the notes stay");
    let read = conn.get("db-login", &VersionSelector::Latest).await.expect("get");
    assert_eq!(
        json_value(read.value.expose_text().expect("text")),
        json!({"username": "app", "password": "pw-2", "port": "5432"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_choose_categories_fields_notes_and_tags() {
    let op = OnePasswordUnderTest::start().await;
    let vault = op.fake.vault_id("keyway").await;
    let conn = op.connect("keyway").await;
    let options = WriteOptions {
        description: Some("service account".into()),
        tags: tags(&[("env", "prod"), ("team", "")]),
        secret_type: Some("basic-auth".into()),
        ..WriteOptions::default()
    };
    let value = SecretValue::text(r#"{"username":"svc","password":"pw","region":"eu"}"#);
    let meta = conn.create("svc-login", &value, &options).await.expect("create");
    assert_eq!((meta.secret_type.as_deref(), meta.version_id.as_deref()), (Some("basic-auth"), Some("1")));
    let (_, items) = op.fake.api(Method::GET, &format!("/v1/vaults/{vault}/items"), None).await;
    let id = items[0]["id"].as_str().expect("id");
    let (_, item) = op.fake.api(Method::GET, &format!("/v1/vaults/{vault}/items/{id}"), None).await;
    assert_eq!(item["category"], "LOGIN");
    assert_eq!(item["tags"], json!(["env=prod", "team"]));
    let purposes: Vec<(&str, &str)> = item["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| (f["label"].as_str().unwrap_or(""), f["purpose"].as_str().unwrap_or("")))
        .collect();
    for expected in [("username", "USERNAME"), ("password", "PASSWORD"), ("region", ""), ("notesPlain", "NOTES")] {
        assert!(purposes.contains(&expected), "{expected:?} in {purposes:?}");
    }

    let note = WriteOptions { secret_type: Some("secure-note".into()), ..WriteOptions::default() };
    conn.create("ssh-config", &SecretValue::text("Host *\n  User deploy"), &note).await.expect("create note");
    assert_eq!(text(&conn, "ssh-config").await, "Host *\n  User deploy");
    let described = UpdateRequest { description: Some("nope".into()), ..UpdateRequest::default() };
    assert_kind(&provider_error(conn.update("ssh-config", &described).await), ErrorKind::InvalidArgument);

    let update = UpdateRequest { description: Some("rotated monthly".into()), ..UpdateRequest::default() };
    let meta = conn.update("svc-login", &update).await.expect("describe");
    assert_eq!((meta.description.as_deref(), meta.version_id.as_deref()), (Some("rotated monthly"), Some("2")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_are_unique_handles_and_only_the_current_version_is_served() {
    let op = OnePasswordUnderTest::start().await;
    let vault = op.fake.vault_id("keyway").await;
    let conn = op.connect("keyway").await;
    conn.create("rotating", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    for value in ["v2", "v3"] {
        let request = UpdateRequest { value: Some(SecretValue::text(value)), ..UpdateRequest::default() };
        conn.update("rotating", &request).await.expect("update");
    }
    let current = conn.get("rotating", &VersionSelector::Id("3".into())).await.expect("the current version by id");
    assert_eq!(current.value.expose_text(), Some("v3"));
    let old = provider_error(conn.get("rotating", &VersionSelector::Id("1".into())).await);
    assert_kind(&old, ErrorKind::NotFound);
    assert!(old.message().contains("only an item's current version (3)"), "{old}");
    let label = provider_error(conn.get("rotating", &VersionSelector::Label("previous".into())).await);
    assert_kind(&label, ErrorKind::Unsupported);

    let twin = json!({ "vault": {"id": vault}, "title": "rotating", "category": "PASSWORD", "fields": [] });
    create_item(&op, &vault, twin).await;
    let err = provider_error(conn.get("rotating", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Conflict);
    assert!(err.message().contains("2 items in the vault are titled 'rotating'"), "{err}");
    assert_kind(&provider_error(conn.delete("rotating", DeleteMode::Force).await), ErrorKind::Conflict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_by_title_with_prefix_and_tag_filters() {
    let op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let name = format!("app {i}: key");
        let parity = if i % 2 == 0 { "even" } else { "odd" };
        let options = WriteOptions { tags: tags(&[("parity", parity)]), ..WriteOptions::default() };
        conn.create(&name, &SecretValue::text("v"), &options).await.expect("create");
        expected.push(name);
    }
    conn.create("zzz", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let by_prefix = ListRequest { prefix: Some("app ".into()), page_size: Some(3), ..ListRequest::default() };
    let first = conn.list(&by_prefix).await.expect("first page");
    assert_eq!(first.secrets.len(), 3);
    assert!(first.next_page.is_some());
    assert_eq!(list_all(&conn, by_prefix).await, expected, "titles with spaces and colons page in order");
    let odd = ListRequest { tags: tags(&[("parity", "odd")]), page_size: Some(2), ..ListRequest::default() };
    assert_eq!(list_all(&conn, odd).await, vec!["app 1: key", "app 3: key", "app 5: key"]);
    let forged = ListRequest { page_token: Some("1:../../x:y".into()), ..ListRequest::default() };
    assert_kind(&provider_error(conn.list(&forged).await), ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_1password_cannot_store_is_refused_clearly() {
    let op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    let before = op.fake.stat("requests").await;
    let expiring = WriteOptions { expires_at: Some(4_102_444_800_000), ..WriteOptions::default() };
    assert_kind(
        &provider_error(conn.create("e", &SecretValue::text("v"), &expiring).await),
        ErrorKind::InvalidArgument,
    );
    let jwt = WriteOptions { secret_type: Some("jwt".into()), ..WriteOptions::default() };
    assert_kind(&provider_error(conn.create("j", &SecretValue::text("v"), &jwt).await), ErrorKind::InvalidArgument);
    for bad in ["say \"hi\"", "back\\slash", " padded", ""] {
        assert_kind(&provider_error(conn.get(bad, &VersionSelector::Latest).await), ErrorKind::InvalidArgument);
    }
    assert_eq!(op.fake.stat("requests").await, before, "refused before any request");

    conn.create("kept", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let binary = SecretValue::binary(vec![0u8, 159, 146, 150]);
    let err =
        provider_error(conn.create("kept", &binary, &WriteOptions { overwrite: true, ..Default::default() }).await);
    assert!(matches!(&err, keyway_types::ProviderError::InvalidArgument(m) if m.contains("base64")), "{err}");
    let disable = UpdateRequest { enabled: Some(false), ..UpdateRequest::default() };
    assert_kind(&provider_error(conn.update("kept", &disable).await), ErrorKind::InvalidArgument);
    let soft = provider_error(conn.delete("kept", DeleteMode::Recoverable(None)).await);
    assert_kind(&soft, ErrorKind::Unsupported);
    assert_eq!(text(&conn, "kept").await, "v");
}
