//! keyway's own records through the command line and the service: version history with keyed fingerprints
//! (writes through keyway, changes made outside it), error history, and expiry that stops a secret from
//! being served anywhere.

use crate::service::{Api, Server};
use crate::support::{code, json, Sandbox};
use keyway_plugin_local::keyring::KeySource;
use keyway_plugin_local::store::{LocalStore, StoreOptions};
use keyway_types::{SecretValue, WriteOptions};
use reqwest::Method;
use serde_json::Value;

fn history(sandbox: &Sandbox, reference: &str) -> Vec<Value> {
    let out = sandbox.run(&["versions", reference, "--history", "--json"]).ok();
    json(&out).as_array().cloned().unwrap_or_default()
}

#[test]
fn writes_and_outside_changes_are_recorded_with_keyed_fingerprints() {
    let mut sandbox = Sandbox::new("records-history");
    sandbox.configure("  local:\n    plugin: local\n  copy:\n    plugin: local\n");
    sandbox.run(&["--namespace", "team.a", "put", "local/db/password", "first-value-3c1d"]).ok();
    sandbox.run(&["put", "local/db/password", "second-value-9e2a", "--overwrite"]).ok();
    let recorded = history(&sandbox, "local/db/password");
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert_eq!(recorded[0]["number"], 2);
    assert_eq!(recorded[1]["origin"], "keyway");
    assert_eq!(recorded[1]["actor"], "namespace=team.a");
    assert_ne!(recorded[0]["fingerprint"], recorded[1]["fingerprint"]);
    let text = serde_json::to_string(&recorded).expect("json");
    assert!(!text.contains("first-value-3c1d") && !text.contains("second-value-9e2a"), "no value: {text}");

    // The same content in another manager has the same fingerprint; other content another one.
    sandbox.run(&["put", "copy/db/password", "second-value-9e2a"]).ok();
    assert_eq!(history(&sandbox, "copy/db/password")[0]["fingerprint"], recorded[0]["fingerprint"]);

    // A change made on the backend without keyway: recorded as outside when keyway next reads it.
    {
        let data = sandbox.home().join("data/local");
        let store = LocalStore::open(&data, &KeySource::KeyFile, StoreOptions::default()).expect("the store");
        let over = WriteOptions { overwrite: true, ..WriteOptions::default() };
        store.create("db/password", &SecretValue::text("changed-outside-77f0"), &over).expect("outside write");
    }
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "changed-outside-77f0");
    let recorded = history(&sandbox, "local/db/password");
    assert_eq!(
        (recorded.len(), &recorded[0]["origin"], &recorded[0]["number"]),
        (3, &Value::from("outside"), &Value::from(3))
    );
    assert!(recorded[0]["actor"].is_null());

    // Another installation (another home, another catalog key) fingerprints the same content differently.
    let mut other = Sandbox::new("records-other");
    other.configure("  local:\n    plugin: local\n");
    other.run(&["put", "local/db/password", "second-value-9e2a"]).ok();
    assert_ne!(history(&other, "local/db/password")[0]["fingerprint"], recorded[1]["fingerprint"]);

    let table = sandbox.run(&["versions", "local/db/password", "--history"]).ok();
    assert!(
        table.contains("FINGERPRINT") && table.contains("outside") && table.contains("namespace=team.a"),
        "{table}"
    );
    let key = sandbox.home().join("catalog.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).expect("catalog key").permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn failures_are_kept_in_the_error_history() {
    let sandbox = Sandbox::local("records-errors");
    sandbox.run(&["--namespace", "team.b", "get", "local/missing/one"]).fails(code::NOT_FOUND);
    let out = sandbox.run(&["errors", "local", "--json"]).ok();
    let errors = json(&out);
    let first = &errors[0];
    assert_eq!(
        (first["name"].as_str(), first["operation"].as_str(), first["kind"].as_str()),
        (Some("missing/one"), Some("get"), Some("not-found"))
    );
    assert_eq!(first["actor"], "namespace=team.b");
    let table = sandbox.run(&["errors"]).ok();
    assert!(table.contains("local/missing/one") && table.contains("not-found"), "{table}");
    assert_eq!(json(&sandbox.run(&["errors", "local/other", "--json"]).ok()), Value::Array(Vec::new()));
}

#[tokio::test]
async fn an_expired_secret_is_served_nowhere_unless_the_manager_allows_it() {
    let mut sandbox = Sandbox::local("records-expiry");
    sandbox.run(&["put", "local/short-lived", "soon-gone-41ab", "--expires", "2s"]).ok();
    sandbox.run(&["put", "local/later", "not-yet-5d0e", "--expires", "30d"]).ok();
    assert_eq!(sandbox.run(&["get", "local/short-lived"]).ok(), "soon-gone-41ab");
    std::thread::sleep(std::time::Duration::from_millis(2200));

    let listing = sandbox.run(&["list", "local"]).ok();
    assert!(listing.lines().any(|line| line.starts_with("short-lived") && line.contains("expired")), "{listing}");
    assert!(listing.lines().any(|line| line.starts_with("later") && line.contains("enabled")), "{listing}");
    let message = sandbox.run(&["get", "local/short-lived"]).fails(code::EXPIRED);
    assert!(message.contains("expired at") && message.contains("serve_expired"), "{message}");
    assert!(!message.contains("soon-gone-41ab"));
    let step = sandbox.write("step.yaml", b"password: ${secret:local/short-lived}\n");
    sandbox.run(&["resolve", &step.display().to_string()]).fails(code::EXPIRED);
    let run = sandbox.run(&["exec", "--env", "X=${secret:local/short-lived}", "--", "true"]);
    assert_eq!(run.code, code::EXPIRED, "{}", run.stderr);
    assert_eq!(sandbox.run(&["get", "local/later"]).ok(), "not-yet-5d0e");

    let server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    api.call(Method::GET, "/v1/secrets/local/short-lived", &[], None).await.error(410, "expired");
    let answer = api.call(Method::GET, "/v1/errors?manager=local&name=short-lived", &[], None).await;
    let kinds: Vec<&str> =
        answer.ok()["errors"].as_array().expect("errors").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"expired"), "{kinds:?}");
    let history = api.call(Method::GET, "/v1/history/local/later", &[], None).await;
    assert_eq!(history.ok()["history"][0]["origin"], "keyway");
    drop(server);

    sandbox.configure("  local:\n    plugin: local\n    serve_expired: true\n");
    assert_eq!(sandbox.run(&["get", "local/short-lived"]).ok(), "soon-gone-41ab");
}

#[test]
fn two_nodes_on_one_postgres_catalog_share_the_history() {
    let server = keyway_integration_tests::postgres::Postgres::start();
    let url = server.create_database("shared_catalog");
    let key = crate::support::random_key();
    let node = |label: &str| {
        let mut sandbox = Sandbox::new(label);
        sandbox.set_env("KEYWAY_CATALOG_KEY", &key);
        sandbox.configure_text(&format!(
            "catalog:\n  url: \"{url}\"\n  key: \"${{env:KEYWAY_CATALOG_KEY}}\"\nmanagers:\n  local:\n    plugin: local\n"
        ));
        sandbox
    };
    let (first, second) = (node("records-pg-1"), node("records-pg-2"));
    first.run(&["--namespace", "team.a", "put", "local/shared/name", "value-on-node-one"]).ok();
    second.run(&["put", "local/shared/name", "value-on-node-two"]).ok();
    // Each node has its own store; the catalog is one.
    let history = json(&second.run(&["versions", "local/shared/name", "--history", "--json"]).ok());
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    assert_eq!(history[1]["actor"], "namespace=team.a");
    assert!(!first.home().join("catalog.db").exists(), "no SQLite file when the catalog is PostgreSQL");

    let mut stranger = node("records-pg-3");
    stranger.set_env("KEYWAY_CATALOG_KEY", &crate::support::random_key());
    let message = stranger.run(&["put", "local/x", "y"]).fails(code::BACKEND);
    assert!(message.contains("was created with another catalog key"), "{message}");
    stranger.run(&["get", "local/x"]).fails(code::NOT_FOUND);
}

#[test]
fn reads_go_on_when_the_catalog_is_down_and_writes_wait_for_it() {
    let mut sandbox = Sandbox::local("records-down");
    sandbox.run(&["put", "local/kept", "kept-value-4c2e"]).ok();
    let port = keyway_integration_tests::harness::free_port();
    sandbox.set_env("KEYWAY_CATALOG_KEY", &crate::support::random_key());
    sandbox.configure_text(&format!(
        "catalog:\n  url: \"postgres://keyway@127.0.0.1:{port}/nowhere\"\n  key: \"${{env:KEYWAY_CATALOG_KEY}}\"\nmanagers:\n  local:\n    plugin: local\n"
    ));
    let started = std::time::Instant::now();
    let run = sandbox.run(&["get", "local/kept"]);
    assert_eq!(run.code, code::OK, "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "a read does not stall on the catalog");
    let message = sandbox.run(&["put", "local/new", "v"]).fails(code::BACKEND);
    assert!(message.contains("cannot open the catalog"), "{message}");
    sandbox.run(&["get", "local/new"]).fails(code::NOT_FOUND);
}
