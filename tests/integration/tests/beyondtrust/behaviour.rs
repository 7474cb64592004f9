//! What a Password Safe user relies on: credential secrets made by hand read as their password and
//! keep their username when keyway changes the password; text and file secrets; sub-folders;
//! names relative to the root; one session reused, and a new one when Password Safe ends it.

use super::{assert_kind, provider_error, text, PasswordSafeUnderTest};
use keyway_integration_tests::fakes::Fake;
use keyway_types::{DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::json;

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_made_by_hand_reads_as_its_password_and_keeps_its_username() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let client = bt.fake.client().await;
    client.create_credential("keyway", "db login", "app-user", "first-password").await;
    let conn = bt.connect().await;
    let secret = conn.get("db login", &LATEST).await.expect("get");
    assert_eq!(secret.value.expose_text(), Some("first-password"));
    assert_eq!(secret.metadata.secret_type.as_deref(), Some("credential"));
    assert_eq!(secret.metadata.description.as_deref(), Some("made by hand"));
    assert!(secret.metadata.created_at.is_some() && secret.metadata.updated_at.is_some());

    let request = UpdateRequest { value: Some(SecretValue::text("second-password")), ..Default::default() };
    conn.update("db login", &request).await.expect("update");
    assert_eq!(text(&conn, "db login").await, "second-password");
    let stored = &client.secrets_in("keyway").await[0];
    assert_eq!((stored["Username"].as_str(), stored["Password"].as_str()), (Some("app-user"), Some("second-password")));
    assert_eq!(
        (stored["Notes"].as_str(), stored["Urls"][0]["Url"].as_str()),
        (Some("keep"), Some("https://db.example"))
    );

    let too_long = UpdateRequest { value: Some(SecretValue::text("p".repeat(257))), ..Default::default() };
    assert_kind(&provider_error(conn.update("db login", &too_long).await), ErrorKind::InvalidArgument);
    let binary = UpdateRequest { value: Some(SecretValue::binary(vec![0, 1])), ..Default::default() };
    assert_kind(&provider_error(conn.update("db login", &binary).await), ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_file_secrets_and_their_limits() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    let options = WriteOptions { description: Some("api token".into()), ..Default::default() };
    let created = conn.create("token", &SecretValue::text("t-1"), &options).await.expect("create text");
    assert_eq!(created.secret_type.as_deref(), Some("text"));
    let as_file = WriteOptions { secret_type: Some("file".into()), ..Default::default() };
    conn.create("pem", &SecretValue::text("-----BEGIN-----"), &as_file).await.expect("create file from text");
    let pem = conn.get("pem", &LATEST).await.expect("get file");
    assert_eq!(
        (pem.value.expose_bytes(), pem.metadata.secret_type.as_deref()),
        (&b"-----BEGIN-----"[..], Some("file"))
    );

    // A description alone is changed by sending the unchanged value again.
    let described = UpdateRequest { description: Some("rotated monthly".into()), ..Default::default() };
    conn.update("pem", &described).await.expect("describe the file");
    let pem = conn.get("pem", &LATEST).await.expect("get file");
    assert_eq!(pem.metadata.description.as_deref(), Some("rotated monthly"));
    assert_eq!(pem.value.expose_bytes(), b"-----BEGIN-----");

    for refused in [
        conn.create("empty", &SecretValue::text(""), &WriteOptions::default()).await,
        conn.create("long", &SecretValue::text("x".repeat(4097)), &WriteOptions::default()).await,
        conn.create(
            "tagged",
            &SecretValue::text("v"),
            &WriteOptions { tags: [("a".into(), "b".into())].into(), ..Default::default() },
        )
        .await,
        conn.create(
            "login",
            &SecretValue::text("v"),
            &WriteOptions { secret_type: Some("basic-auth".into()), ..Default::default() },
        )
        .await,
    ] {
        assert_kind(&provider_error(refused), ErrorKind::InvalidArgument);
    }
    assert_kind(&provider_error(conn.delete("token", DeleteMode::Recoverable(None)).await), ErrorKind::Unsupported);
    assert_kind(&provider_error(conn.get("token", &VersionSelector::Id("1".into())).await), ErrorKind::Unsupported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_folders_are_created_below_the_root_and_names_stay_relative() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    conn.create("app/prod/db", &SecretValue::text("nested"), &WriteOptions::default()).await.expect("create nested");
    conn.create("app/api", &SecretValue::text("a"), &WriteOptions::default()).await.expect("create in app");
    let client = bt.fake.client().await;
    assert_eq!(client.secrets_in("keyway/app/prod").await[0]["Title"], json!("db"));
    assert_eq!(text(&conn, "app/prod/db").await, "nested");

    client.create_credential("other", "elsewhere", "u", "p").await;
    let listed = conn.list(&ListRequest::default()).await.expect("list");
    let names: Vec<&str> = listed.secrets.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["app/api", "app/prod/db"], "only secrets below the root, named relative to it");
    let page = conn.list(&ListRequest { prefix: Some("app/p".into()), ..Default::default() }).await.expect("list");
    assert_eq!(page.secrets.len(), 1);

    let fixed = bt.connect_with(bt.api_key_settings(json!({ "folder": "keyway", "create_folders": false }))).await;
    let err = provider_error(fixed.create("new/db", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::NotFound);
    assert!(err.message().contains("keyway/new"), "{err}");
    let full = bt.connect_with(bt.api_key_settings(json!({}))).await;
    let err = provider_error(full.create("missing-safe/db", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert!(err.message().contains("create it in Password Safe"), "a safe is never created: {err}");
    assert_eq!(text(&full, "keyway/app/prod/db").await, "nested");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_serves_many_calls_and_a_new_one_follows_its_end() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    conn.create("db", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    for _ in 0..3 {
        assert_eq!(text(&conn, "db").await, "v1");
    }
    assert_eq!(bt.fake.stat("sign_ins").await, 1, "the session cookie is reused");
    bt.fake.control("end-sessions", json!({})).await;
    assert_eq!(text(&conn, "db").await, "v1");
    assert_eq!(bt.fake.stat("sign_ins").await, 2, "an ended session is replaced transparently");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_as_password_is_sent_when_the_registration_requires_it() {
    let bt = PasswordSafeUnderTest::start(&["--run-as-password", "user-pass-1"]).await;
    let without = bt.connect().await;
    assert_kind(&provider_error(without.get("db", &LATEST).await), ErrorKind::AccessDenied);
    let with =
        bt.connect_with(bt.api_key_settings(json!({ "folder": "keyway", "run_as_password": "user-pass-1" }))).await;
    with.create("db", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create with password");
    assert_eq!(text(&with, "db").await, "v");
}
