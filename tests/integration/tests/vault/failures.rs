//! Failures a user must be able to tell apart: each gives one typed error
//! with a message that says what to fix, and never a credential.

use super::{provider_error, put, read_text, FakeKubernetes, OpenBao, VaultUnderTest};
use keyway_integration_tests::plugins::with_settings;
use keyway_runtime::{CallError, ConnectionConfig, RuntimeError};
use keyway_types::{ErrorKind, ProviderError, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::time::{Duration, Instant};

const LATEST: VersionSelector = VersionSelector::Latest;

fn assert_kind(error: &ProviderError, kind: ErrorKind, mentions: &[&str]) {
    println!("{error}");
    assert_eq!(error.kind(), kind, "unexpected error: {error}");
    for word in mentions {
        assert!(error.message().contains(word), "'{error}' does not mention '{word}'");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_access_denied_without_echoing_it() {
    let vault = VaultUnderTest::start();
    let token = "s.NotARealTokenAtAll0000";
    let connection = vault.connect(json!({ "address": vault.server.address(), "token": token })).await;
    let error = provider_error("get with a wrong token", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::AccessDenied, &["token"]);
    assert!(!format!("{error} {error:?}").contains(token), "the token leaked: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_login_credentials_are_access_denied_without_echoing_them() {
    let vault = VaultUnderTest::start();
    let fake = FakeKubernetes::start();
    let mut userpass = vault.userpass_settings("the-right-password");
    userpass["password"] = json!("a-wrong-password-123");
    let mut approle = vault.approle_settings();
    approle["secret_id"] = json!("00000000-1111-2222-3333-444444444444");
    let mut kubernetes = vault.kubernetes_settings(&fake);
    let foreign_jwt = super::kubernetes::service_account_jwt("flows", "keyway-runner", "uid-not-issued");
    kubernetes["kubernetes_jwt"] = json!(foreign_jwt);
    for (settings, method, credential) in [
        (userpass, "userpass", "a-wrong-password-123"),
        (approle, "AppRole", "00000000-1111-2222-3333-444444444444"),
        (kubernetes, "Kubernetes", foreign_jwt.as_str()),
    ] {
        let connection = vault.connect(settings).await;
        let error = provider_error(method, connection.get("app/db", &LATEST).await);
        assert_kind(&error, ErrorKind::AccessDenied, &[method, "login"]);
        assert!(!format!("{error} {error:?}").contains(credential), "{method} leaked its credential: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_mount_and_kv_version_1_are_configuration_errors() {
    let vault = VaultUnderTest::start();
    let mut settings = vault.token_settings();
    settings["mount"] = json!("nothing-mounted-here");
    let connection = vault.connect(settings).await;
    let error = provider_error("get on a missing mount", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::Configuration, &["nothing-mounted-here"]);

    vault.server.mount("legacy", "kv", json!({ "version": "1" }));
    let mut settings = vault.token_settings();
    settings["mount"] = json!("legacy");
    let connection = vault.connect(settings).await;
    let error = provider_error("get on a KV v1 mount", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::Configuration, &["version 1", "enable-versioning"]);

    let mut settings = vault.token_settings();
    settings["mount"] = json!("secret/team");
    let connection = vault.connect(settings).await;
    let error = provider_error("get below the mount point", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::Configuration, &["set mount to 'secret'", "prefix"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_settings_are_refused_when_the_connection_opens() {
    let vault = VaultUnderTest::start();
    for (field, value, mentions) in [
        ("engine_version", json!(1), "enable-versioning"),
        ("tls_ca_cert", json!("/etc/ssl/vault-ca.pem"), "tls_ca_file"),
        ("auth_method", json!("ldap"), "not supported"),
    ] {
        let mut settings = vault.token_settings();
        settings[field] = value;
        match vault.try_connect(settings).await {
            Err(RuntimeError::Open { source, .. }) => match *source {
                CallError::Provider(error) => assert_kind(&error, ErrorKind::Configuration, &[field, mentions]),
                other => panic!("{field}: expected a configuration error, got {other}"),
            },
            Err(other) => panic!("{field}: expected the plugin to refuse the settings, got {other}"),
            Ok(_) => panic!("{field}: the connection opened"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_server_is_unavailable() {
    let mut vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    put(&connection, "app/db", "before the outage").await;
    vault.server.stop();
    let started = Instant::now();
    let error = provider_error("get from a stopped server", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::Unavailable, &["127.0.0.1"]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?} to notice", started.elapsed());
    let error = provider_error(
        "create on a stopped server",
        connection.create("app/x", &SecretValue::text("v"), &WriteOptions::default()).await,
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_policy_is_access_denied_for_that_path_only() {
    let vault = VaultUnderTest::start();
    vault.server.admin("POST", "secret/data/app/config", Some(json!({ "data": { "value": "readable" } })));
    vault.server.admin("POST", "secret/data/app/admin/root", Some(json!({ "data": { "value": "forbidden" } })));
    vault.server.policy(
        "app-only",
        r#"
path "secret/data/app/*"       { capabilities = ["create", "read", "update"] }
path "secret/metadata/app/*"   { capabilities = ["read", "list"] }
path "secret/data/app/admin/*" { capabilities = ["deny"] }
"#,
    );
    vault.server.userpass_user("limited", "limited-password", "app-only", json!({}));
    let connection = vault
        .connect(json!({ "address": vault.server.address(), "username": "limited", "password": "limited-password" }))
        .await;
    assert_eq!(read_text(&connection, "app/config").await, "readable");
    let error = provider_error("get of a denied path", connection.get("app/admin/root", &LATEST).await);
    assert_kind(&error, ErrorKind::AccessDenied, &["app/admin/root", "permission denied", "policy"]);
    let write = connection.create("app/admin/new", &SecretValue::text("x"), &WriteOptions::default()).await;
    assert_kind(&provider_error("create on a denied path", write), ErrorKind::AccessDenied, &["app/admin/new"]);
    let error = provider_error("get outside the policy", connection.get("billing/key", &LATEST).await);
    assert_kind(&error, ErrorKind::AccessDenied, &["billing/key"]);
    // The refusals did not break the connection.
    assert_eq!(read_text(&connection, "app/config").await, "readable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_ca_is_untrusted_until_the_manager_trusts_it() {
    let vault = VaultUnderTest::with(OpenBao::start_tls());
    let connection = vault.connect(vault.token_settings()).await;
    let error = provider_error("get over TLS from an unknown CA", connection.get("app/db", &LATEST).await);
    assert_kind(&error, ErrorKind::Unavailable, &["https://127.0.0.1", "tls_ca_file"]);

    let ca = std::fs::read(vault.server.ca_file()).expect("OpenBao wrote its CA");
    let config = ConnectionConfig { ca_certificates: vec![ca], ..with_settings(vault.token_settings()) };
    let connection = vault.try_connect_with(config).await.expect("connect with the manager's CA");
    put(&connection, "app/db", "over tls").await;
    assert_eq!(read_text(&connection, "app/db").await, "over tls");
}
