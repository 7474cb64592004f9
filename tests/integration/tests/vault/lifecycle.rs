//! Vault-specific behaviour beyond the contract suite: how values are stored,
//! version states, folder listing, check-and-set under concurrency, token
//! renewal and re-login, namespaces.

use super::{provider_error, put, read_text, VaultUnderTest, KV_POLICY};
use keyway_types::{
    DeleteMode, ErrorKind, ListRequest, SecretValue, UpdateRequest, VersionSelector, VersionState, WriteOptions,
};
use serde_json::json;
use std::time::{Duration, Instant};

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_stored_as_vault_fields() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    put(&connection, "app/db", r#"{"user": "app", "password": "pw-123"}"#).await;
    assert_eq!(vault.stored_fields("app/db"), json!({ "user": "app", "password": "pw-123" }));
    assert_eq!(read_text(&connection, "app/db").await, r#"{"password":"pw-123","user":"app"}"#);
    put(&connection, "app/token", "plain text").await;
    assert_eq!(vault.stored_fields("app/token"), json!({ "value": "plain text" }));
    let bytes = SecretValue::binary(vec![0u8, 0xff, 0x10, 0x80]);
    connection.create("app/keystore", &bytes, &WriteOptions::default()).await.expect("binary create");
    assert_eq!(vault.stored_fields("app/keystore"), json!({ "value_base64": "AP8QgA==" }));
    let got = connection.get("app/keystore", &LATEST).await.expect("binary get");
    assert_eq!(got.value, bytes);
    // Written by another tool: every field comes back as JSON.
    vault.server.admin("POST", "secret/data/native", Some(json!({ "data": { "url": "https://x", "port": 5432 } })));
    assert_eq!(read_text(&connection, "native").await, r#"{"port":5432,"url":"https://x"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_report_active_deleted_and_destroyed() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    put(&connection, "svc/key", "one").await;
    for value in ["two", "three"] {
        let request = UpdateRequest { value: Some(SecretValue::text(value)), ..UpdateRequest::default() };
        connection.update("svc/key", &request).await.expect("update");
    }
    connection.delete("svc/key", DeleteMode::Recoverable(None)).await.expect("soft delete");
    vault.server.admin("POST", "secret/destroy/svc/key", Some(json!({ "versions": [1] })));
    let versions = connection.versions("svc/key").await.expect("versions");
    let states: Vec<(&str, VersionState)> = versions.iter().map(|v| (v.version_id.as_str(), v.state)).collect();
    assert_eq!(states, [("3", VersionState::Deleted), ("2", VersionState::Active), ("1", VersionState::Destroyed)]);
    assert!(versions.iter().all(|v| v.created_at.is_some()));

    let two = connection.get("svc/key", &VersionSelector::Id("2".into())).await.expect("get version 2");
    assert_eq!(two.value.expose_text(), Some("two"));
    assert_eq!(two.metadata.version_id.as_deref(), Some("2"));
    let error = provider_error("get destroyed", connection.get("svc/key", &VersionSelector::Id("1".into())).await);
    assert!(error.kind() == ErrorKind::NotFound && error.message().contains("destroyed"), "{error}");
    let error = provider_error("get deleted latest", connection.get("svc/key", &LATEST).await);
    assert!(error.kind() == ErrorKind::NotFound && error.message().contains("deleted"), "{error}");
    let probe = connection.describe("svc/key", &LATEST).await.expect("describe a deleted secret");
    assert_eq!(probe.version_id.as_deref(), Some("3"));
    assert!(probe.deleted_at.is_some());
    let error = provider_error("recovery window", connection.delete("svc/key", DeleteMode::Recoverable(Some(7))).await);
    assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
    let error = provider_error("label", connection.get("svc/key", &VersionSelector::Label("previous".into())).await);
    assert!(matches!(error.kind(), ErrorKind::Unsupported), "{error}");

    connection.restore("svc/key").await.expect("restore");
    assert_eq!(read_text(&connection, "svc/key").await, "three");
    connection.delete("svc/key", DeleteMode::Force).await.expect("force delete");
    let error = provider_error("versions after force delete", connection.versions("svc/key").await);
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_walks_folders_under_the_prefix_with_paging() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    for name in ["team/a/one", "team/a/two", "team/b/deep/three", "teamwork", "other/x"] {
        put(&connection, name, "v").await;
    }
    let names = |prefix: &str, include_deleted: bool| {
        let connection = connection.clone();
        let prefix = prefix.to_owned();
        async move {
            let mut request =
                ListRequest { prefix: Some(prefix), page_size: Some(1), include_deleted, ..ListRequest::default() };
            let mut names = Vec::new();
            for _ in 0..20 {
                let page = connection.list(&request).await.expect("list");
                assert!(page.secrets.len() <= 1);
                names.extend(page.secrets.into_iter().map(|m| m.name));
                match page.next_page {
                    Some(token) => request.page_token = Some(token),
                    None => break,
                }
            }
            names
        }
    };
    assert_eq!(names("team/", false).await, ["team/a/one", "team/a/two", "team/b/deep/three"]);
    assert_eq!(names("team", false).await, ["team/a/one", "team/a/two", "team/b/deep/three", "teamwork"]);
    assert_eq!(names("team/a/t", false).await, ["team/a/two"]);
    assert_eq!(names("", false).await.len(), 5);
    connection.delete("team/a/two", DeleteMode::Recoverable(None)).await.expect("soft delete");
    assert_eq!(names("team/", false).await, ["team/a/one", "team/b/deep/three"]);
    assert_eq!(names("team/", true).await, ["team/a/one", "team/a/two", "team/b/deep/three"]);
    assert_eq!(names("nothing/", false).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_let_exactly_one_win() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    let attempts = (0..6).map(|i| {
        let connection = connection.clone();
        tokio::spawn(async move {
            let value = SecretValue::text(format!("writer-{i}"));
            (i, connection.create("race/target", &value, &WriteOptions::default()).await)
        })
    });
    let mut winners = Vec::new();
    for attempt in attempts {
        let (i, result) = attempt.await.expect("task");
        match result {
            Ok(_) => winners.push(i),
            Err(err) => assert_eq!(err.kind(), ErrorKind::AlreadyExists, "writer {i}: {err}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(read_text(&connection, "race/target").await, format!("writer-{}", winners[0]));
    let versions = connection.versions("race/target").await.expect("versions");
    assert_eq!(versions.len(), 1, "a losing writer added a version");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_login_token_is_reacquired() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.userpass_settings("pw-for-relogin")).await;
    put(&connection, "app/db", "value").await;
    vault.server.admin("PUT", "sys/leases/revoke-prefix/auth/userpass/login", Some(json!({ "sync": true })));
    // Every token the plugin held is revoked now; a read only works after a new login.
    assert_eq!(read_text(&connection, "app/db").await, "value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_renewed_or_reacquired() {
    let vault = VaultUnderTest::start();
    vault.server.admin("POST", "secret/data/app/db", Some(json!({ "data": { "value": "still readable" } })));
    vault.server.policy("keyway", KV_POLICY);
    // A login token that lives 2 s and can be renewed up to 4 s: renewals, then new logins.
    vault.server.userpass_user(
        "brief",
        "brief-password",
        "keyway",
        json!({ "token_ttl": "2s", "token_max_ttl": "4s" }),
    );
    let login = vault
        .connect(json!({ "address": vault.server.address(), "username": "brief", "password": "brief-password" }))
        .await;
    // A configured token that lives 3 s unless renewed.
    let created = vault.server.admin(
        "POST",
        "auth/token/create",
        Some(json!({ "policies": ["keyway"], "ttl": "3s", "renewable": true, "no_default_policy": false })),
    );
    let token = created["auth"]["client_token"].as_str().expect("a token").to_owned();
    let configured = vault.connect(json!({ "address": vault.server.address(), "token": token })).await;
    let until = Instant::now() + Duration::from_secs(9);
    let mut reads = 0;
    while Instant::now() < until {
        assert_eq!(read_text(&login, "app/db").await, "still readable", "after {reads} reads");
        assert_eq!(read_text(&configured, "app/db").await, "still readable", "after {reads} reads");
        reads += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(reads >= 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_header_scopes_every_call() {
    let vault = VaultUnderTest::start();
    vault.server.admin("POST", "sys/namespaces/team", Some(json!({})));
    vault.server.admin_in(
        "team",
        "POST",
        "sys/mounts/secret",
        Some(json!({ "type": "kv", "options": { "version": "2" } })),
    );
    let mut settings = vault.token_settings();
    settings["namespace"] = json!("team");
    let connection = vault.connect(settings).await;
    put(&connection, "scoped", "inside the namespace").await;
    assert_eq!(read_text(&connection, "scoped").await, "inside the namespace");
    let inside = vault.server.admin_in("team", "GET", "secret/data/scoped", None);
    assert_eq!(inside["data"]["data"]["value"], "inside the namespace");
    let outside = vault.server.call("GET", "secret/data/scoped", None).expect("root namespace answers");
    assert_eq!(outside.0, 404, "the secret leaked into the root namespace");
}
