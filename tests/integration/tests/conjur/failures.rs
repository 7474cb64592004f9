//! Failures a user must be able to tell apart, and the access token's life: a wrong key, an unknown
//! account, password and LDAP authentication, revoked and expiring tokens, an untrusted certificate,
//! server errors and a stopped server.

use super::{assert_kind, provider_error, ConjurUnderTest, ACCOUNT, ADMIN_KEY};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::with_extra;
use keyway_runtime::ConnectionConfig;
use keyway_types::{ErrorKind, VersionSelector};
use serde_json::json;
use std::time::Duration;

const LATEST: VersionSelector = VersionSelector::Latest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_api_key_or_account_is_access_denied_without_echoing_the_key() {
    let conjur = ConjurUnderTest::start().await;
    let wrong_key = conjur.connect_with(conjur.settings("admin", "3x9-definitely-wrong", json!({}))).await;
    let err = provider_error(wrong_key.get("db/password", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("authenticate 'admin' in account 'myorg'"), "{err}");
    assert!(!err.to_string().contains("definitely-wrong"), "the key never appears: {err}");

    // Conjur answers an unknown account like a wrong key, so the message names the account to check.
    let mut settings = conjur.settings("admin", ADMIN_KEY, json!({}));
    settings["account"] = json!("no-such-account");
    let unknown = conjur.connect_with(settings).await;
    let err = provider_error(unknown.get("db/password", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("account 'no-such-account'") && err.message().contains("check login, account"));
    assert_eq!(conjur.fake.stat("failed_authentications").await, 2);
    assert_eq!(conjur.fake.stat("secret_reads").await, 0, "nothing was read without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_ldap_authenticate_too() {
    let conjur = ConjurUnderTest::start().await;
    conjur.fake.load_policy("root", "- !user\n  id: alice\n  password: Alice-Passw0rd!\n- !variable shared").await;
    conjur
        .fake
        .control(
            "policy",
            json!({ "branch": "root", "policy":
        "- !permit\n  role: !user alice\n  privileges: [read, execute]\n  resource: !variable shared" }),
        )
        .await;
    conjur.fake.set("shared", "for-alice").await;
    let base = json!({ "url": conjur.fake.url, "account": ACCOUNT, "login": "alice" });
    let with = |extra: serde_json::Value| with_extra(base.clone(), extra);
    let password = conjur.connect_with(with(json!({ "password": "Alice-Passw0rd!" }))).await;
    let secret = password.get("shared", &LATEST).await.expect("login with the password, then authenticate");
    assert_eq!(secret.value.expose_text(), Some("for-alice"));
    assert_eq!(conjur.fake.stat("logins").await, 1);
    let ldap = conjur.connect_with(with(json!({ "password": "Alice-Passw0rd!", "authn_service_id": "corp" }))).await;
    assert_eq!(ldap.get("shared", &LATEST).await.expect("authn-ldap").value.expose_text(), Some("for-alice"));
    let wrong = conjur.connect_with(with(json!({ "password": "wrong", "authn_service_id": "corp" }))).await;
    let err = provider_error(wrong.get("shared", &LATEST).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(err.message().contains("authn-ldap/corp"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_replaced_transparently() {
    let conjur = ConjurUnderTest::start().await;
    conjur.fake.load_policy("root", "- !variable db").await;
    conjur.fake.set("db", "v1").await;
    let conn = conjur.admin(json!({})).await;
    assert_eq!(conn.get("db", &LATEST).await.expect("get").value.expose_text(), Some("v1"));
    conjur.fake.control("revoke-tokens", json!({})).await;
    assert_eq!(conn.get("db", &LATEST).await.expect("get after revocation").value.expose_text(), Some("v1"));
    assert_eq!(conjur.fake.stat("rejected_tokens").await, 1);
    assert_eq!(conjur.fake.stat("authentications").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_token_is_renewed_before_conjur_refuses_it() {
    let conjur = ConjurUnderTest::start().await;
    conjur.fake.load_policy("root", "- !variable db").await;
    conjur.fake.set("db", "v1").await;
    conjur.fake.control("config", json!({ "token_lifetime": 2 })).await;
    let conn = conjur
        .connect_config(ConnectionConfig {
            settings: conjur.settings("admin", ADMIN_KEY, json!({})),
            ca_certificates: vec![conjur.fake.ca.clone()],
            // One instance, so one token is reused across the calls.
            limits: keyway_runtime::Limits { max_instances: 1, ..Default::default() },
            ..ConnectionConfig::default()
        })
        .await;
    conn.get("db", &LATEST).await.expect("first read");
    conn.get("db", &LATEST).await.expect("second read with the same token");
    assert_eq!(conjur.fake.stat("authentications").await, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    conn.get("db", &LATEST).await.expect("read with a renewed token");
    assert_eq!(conjur.fake.stat("authentications").await, 2, "renewed a second before its expiry");
    assert_eq!(conjur.fake.stat("rejected_tokens").await, 0, "Conjur never saw an expired token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_unavailable_with_a_hint() {
    let conjur = ConjurUnderTest::start().await;
    let config = ConnectionConfig { settings: conjur.settings("admin", ADMIN_KEY, json!({})), ..Default::default() };
    let conn = conjur.connect_config(config).await;
    let err = provider_error(conn.get("db", &LATEST).await);
    assert_kind(&err, ErrorKind::Unavailable);
    assert!(err.message().contains("tls_ca_file"), "{err}");
    assert_eq!(conjur.fake.stat("authentications").await, 0, "nothing got through TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_a_stopped_server_is_unavailable() {
    let mut conjur = ConjurUnderTest::start().await;
    conjur.fake.load_policy("root", "- !variable db").await;
    conjur.fake.set("db", "v1").await;
    let conn = conjur.admin(json!({})).await;
    conn.get("db", &LATEST).await.expect("warm up");
    conjur.fake.control("fail", json!({ "count": 2, "status": 502 })).await;
    assert_eq!(conn.get("db", &LATEST).await.expect("retried").value.expose_text(), Some("v1"));
    assert_eq!(conjur.fake.stat("failed").await, 2);
    conjur.fake.stop();
    assert_kind(&provider_error(conn.get("db", &LATEST).await), ErrorKind::Unavailable);
}
