//! `keyway serve`: every endpoint over real HTTP, identity headers and access rules, the cache view and
//! revocation, the bearer token, and no secret value in any answer or log line but the explicit value reads.

use crate::service::{Api, Server};
use crate::support::{code, json, Sandbox};
use base64::Engine as _;
use reqwest::Method;
use serde_json::json;

const V1: &str = "first-value-0a1b2c";
const V2: &str = "second-value-3d4e5f";
const V3: &str = "third-value-6a7b8c";
const PW: &str = "kv-password-9d8e7f";
const TEAM: &str = "team-value-1f2e3d";
const BINARY: &[u8] = b"\x00\xffbinary-value-4c5b6a\x80";

/// `local` (open), `ro` (read-only view of `local`'s store), `team` (namespace `company.team` or group `etl`,
/// names matching `*admin*` refused).
fn sandbox(label: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(label);
    let store = sandbox.path().join("store").display().to_string();
    sandbox.configure(&format!(
        "  local:\n    plugin: local\n    data_dir: {store}\n\
         \x20 ro:\n    plugin: local\n    data_dir: {store}\n    read_only: true\n\
         \x20 team:\n    plugin: local\n    access: {{ namespaces: [company.team], groups: [etl], deny: [\"*admin*\"] }}\n"
    ));
    sandbox
}

/// Asserts that no answer but the value reads, no log line and no audit record holds a secret value.
fn assert_no_leaks(api: &Api, server: &Server, sandbox: &Sandbox) {
    let binary_b64 = base64::engine::general_purpose::STANDARD.encode(BINARY);
    let values = [V1, V2, V3, PW, TEAM, binary_b64.as_str(), "binary-value-4c5b6a"];
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    let log = server.log();
    assert!(log.contains("keyway::serve") && log.contains("status=200"), "the service logs requests: {log}");
    for value in values {
        for answer in api.answers_without_value_reads() {
            assert!(!answer.text.contains(value), "an answer holds a value: {}", answer.text);
        }
        assert!(!log.contains(value), "the log holds a value:\n{log}");
        assert!(!audit.contains(value), "the audit file holds a value");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_api_end_to_end() {
    let sandbox = sandbox("serve-secrets");
    let mut server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    let anyone: &[(&str, &str)] = &[];
    let path = "/v1/secrets/local/db/password";

    let health = api.call(Method::GET, "/v1/health", anyone, None).await;
    assert_eq!(health.ok()["status"], "ok");

    let body =
        json!({"value": V1, "tags": {"env": "prod"}, "description": "app db", "expires_at": "2099-01-01T00:00:00Z"});
    let created = api.call(Method::PUT, path, anyone, Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["metadata"]["name"], "db/password");
    assert_eq!(created.body["metadata"]["expires_at"], "2099-01-01T00:00:00Z");
    let v1 = created.body["metadata"]["version_id"].as_str().expect("a version").to_owned();
    api.call(Method::PUT, path, anyone, Some(json!({"value": V2}))).await.error(409, "already-exists");
    let overwritten = api.call(Method::PUT, path, anyone, Some(json!({"value": V2, "overwrite": true}))).await;
    assert_eq!(overwritten.status, 201, "{}", overwritten.text);

    let got = api.call(Method::GET, path, anyone, None).await;
    assert_eq!((&got.ok()["value"], &got.body["binary"]), (&json!(V2), &json!(false)));
    assert_eq!(got.body["metadata"]["tags"]["env"], "prod");
    assert_eq!(got.body["metadata"]["description"], "app db");
    let old = api.call(Method::GET, &format!("{path}?version={v1}"), anyone, None).await;
    assert_eq!(old.ok()["value"], V1);
    let previous = api.call(Method::GET, &format!("{path}?label=previous"), anyone, None).await;
    assert_eq!(previous.ok()["value"], V1);
    api.call(Method::GET, &format!("{path}?version={v1}&label=previous"), anyone, None).await.error(400, "invalid");
    api.call(Method::GET, &format!("{path}?colour=red"), anyone, None).await.error(400, "invalid");

    // Key/value secrets: an object body is stored as JSON text; ?key= reads one field.
    let creds = "/v1/secrets/local/db/creds";
    api.call(Method::PUT, creds, anyone, Some(json!({"value": {"user": "app", "password": PW}}))).await.ok();
    let field = api.call(Method::GET, &format!("{creds}?key=password"), anyone, None).await;
    assert_eq!((&field.ok()["key"], &field.body["value"]), (&json!("password"), &json!(PW)));
    api.call(Method::GET, &format!("{creds}?key=port"), anyone, None).await.error(404, "missing-key");
    api.call(Method::GET, &format!("{path}?key=user"), anyone, None).await.error(400, "not-key-value");

    // Binary values travel as base64.
    let encoded = base64::engine::general_purpose::STANDARD.encode(BINARY);
    let keystore = "/v1/secrets/local/tls/keystore";
    api.call(Method::PUT, keystore, anyone, Some(json!({"value": encoded, "binary": true}))).await.ok();
    let got = api.call(Method::GET, keystore, anyone, None).await;
    assert_eq!((&got.ok()["value"], &got.body["binary"]), (&json!(encoded), &json!(true)));

    // Bad bodies: one clear error each, never quoting the value.
    let bad = api.call(Method::PUT, "/v1/secrets/local/x", anyone, Some(json!({"value": V3, "binary": true}))).await;
    assert!(bad.error(400, "invalid").message().contains("base64"), "{}", bad.text);
    let bad = api.call(Method::PUT, "/v1/secrets/local/x", anyone, Some(json!({"value": V3, "colour": 1}))).await;
    assert!(bad.error(400, "invalid").message().contains("colour"), "{}", bad.text);
    let bad =
        api.call(Method::PUT, "/v1/secrets/local/x", anyone, Some(json!({"value": V3, "overwrite": "yes"}))).await;
    assert!(bad.error(400, "invalid").message().contains("`overwrite`"), "{}", bad.text);
    api.call(Method::PUT, "/v1/secrets/local/x", anyone, Some(json!({"tags": {}}))).await.error(400, "invalid");
    api.raw(Method::PUT, "/v1/secrets/local/x", r#"{"value": "first-value-0a1b2c""#).await.error(400, "invalid");
    api.raw(Method::PUT, "/v1/secrets/local/x", "").await.error(400, "invalid");
    api.call(Method::GET, "/v1/secrets/local/x", anyone, None).await.error(404, "not-found");

    // Update: attributes and a new version.
    let patch = json!({"description": "primary db", "tags": {"owner": "ops"}, "remove_tags": ["env"]});
    let patched = api.call(Method::PATCH, path, anyone, Some(patch)).await;
    assert_eq!(patched.ok()["metadata"]["description"], "primary db");
    assert_eq!(patched.body["metadata"]["tags"], json!({"owner": "ops"}));
    api.call(Method::PATCH, path, anyone, Some(json!({}))).await.error(400, "invalid");
    api.call(Method::PATCH, path, anyone, Some(json!({"value": V3}))).await.ok();
    assert_eq!(api.call(Method::GET, path, anyone, None).await.ok()["value"], V3);
    let versions = api.call(Method::GET, "/v1/versions/local/db/password", anyone, None).await;
    assert!(versions.ok()["versions"].as_array().is_some_and(|v| v.len() >= 3), "{}", versions.text);

    // Listing: prefix, tags, deleted ones on request.
    let names = |answer: &crate::service::Answer| -> Vec<String> {
        let secrets = answer.ok()["secrets"].as_array().cloned().unwrap_or_default();
        secrets.iter().map(|m| m["name"].as_str().unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(
        names(&api.call(Method::GET, "/v1/list/local?prefix=db/", anyone, None).await),
        ["db/creds", "db/password"]
    );
    assert_eq!(names(&api.call(Method::GET, "/v1/list/local?tag=owner=ops", anyone, None).await), ["db/password"]);
    api.call(Method::GET, "/v1/list/local?tag=owner", anyone, None).await.error(400, "invalid");
    api.call(Method::GET, "/v1/list/local?sort=name", anyone, None).await.error(400, "invalid");

    // Delete with a recovery window, restore, force delete.
    let deleted = api.call(Method::DELETE, &format!("{path}?recovery_days=7"), anyone, None).await;
    assert_eq!((&deleted.ok()["recoverable"], deleted.body["purge_at"].is_string()), (&json!(true), true));
    api.call(Method::GET, path, anyone, None).await.error(404, "not-found");
    assert_eq!(names(&api.call(Method::GET, "/v1/list/local?prefix=db/", anyone, None).await), ["db/creds"]);
    let with_deleted = api.call(Method::GET, "/v1/list/local?prefix=db/&include_deleted=true", anyone, None).await;
    assert_eq!(names(&with_deleted), ["db/creds", "db/password"]);
    api.call(Method::POST, "/v1/restore/local/db/password", anyone, None).await.ok();
    assert_eq!(api.call(Method::GET, path, anyone, None).await.ok()["value"], V3);
    api.call(Method::DELETE, &format!("{path}?force=true&recovery_days=3"), anyone, None).await.error(400, "invalid");
    let forced = api.call(Method::DELETE, &format!("{path}?force=true"), anyone, None).await;
    assert_eq!(forced.ok()["recoverable"], false);
    api.call(Method::POST, "/v1/restore/local/db/password", anyone, None).await.error(404, "not-found");

    // Managers, unknown ones, read-only ones, unknown routes and methods.
    let managers = api.call(Method::GET, "/v1/managers", anyone, None).await;
    let list = managers.ok()["managers"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| list.iter().find(|m| m["name"] == name).cloned().unwrap_or_default();
    assert_eq!((&find("local")["allowed"], &find("team")["allowed"]), (&json!(true), &json!(false)));
    assert_eq!(find("ro")["read_only"], true);
    api.call(Method::GET, "/v1/secrets/nope/x", anyone, None).await.error(404, "unknown-manager");
    let refused = api.call(Method::PUT, "/v1/secrets/ro/x", anyone, Some(json!({"value": V1}))).await;
    assert!(refused.error(403, "denied").message().contains("read-only"), "{}", refused.text);
    assert_eq!(api.call(Method::GET, "/v1/secrets/ro/db/creds?key=user", anyone, None).await.ok()["value"], "app");
    api.call(Method::GET, "/v1/nothing", anyone, None).await.error(404, "no-route");
    api.call(Method::POST, "/v1/health", anyone, None).await.error(405, "method-not-allowed");

    assert_no_leaks(&api, &server, &sandbox);
    assert_eq!(server.stop(), Some(0), "a clean stop on SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_resolution_and_the_cache() {
    let mut sandbox = sandbox("serve-identity");
    let mut server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    let anyone: &[(&str, &str)] = &[];
    let member: &[(&str, &str)] =
        &[("X-Keyway-Namespace", "company.team.sub"), ("X-Keyway-Flow", "nightly-load"), ("X-Keyway-Step", "extract")];
    let etl: &[(&str, &str)] = &[("X-Keyway-Groups", "ops, etl")];
    let outsider: &[(&str, &str)] = &[("X-Keyway-Namespace", "company.teamwork"), ("X-Keyway-Groups", "ops")];

    api.call(Method::PUT, "/v1/secrets/local/db/password", anyone, Some(json!({"value": V1}))).await.ok();
    let team = "/v1/secrets/team/db/password";
    api.call(Method::PUT, team, member, Some(json!({"value": TEAM}))).await.ok();
    api.call(Method::GET, team, anyone, None).await.error(403, "denied");
    api.call(Method::GET, team, outsider, None).await.error(403, "denied");
    api.call(Method::PUT, team, outsider, Some(json!({"value": V2, "overwrite": true}))).await.error(403, "denied");
    api.call(Method::GET, "/v1/list/team", outsider, None).await.error(403, "denied");
    assert_eq!(api.call(Method::GET, team, member, None).await.ok()["value"], TEAM);
    assert_eq!(api.call(Method::GET, team, etl, None).await.ok()["value"], TEAM);
    let admin = api.call(Method::PUT, "/v1/secrets/team/admin-key", etl, Some(json!({"value": V2}))).await;
    assert!(admin.error(403, "denied").message().contains("*admin*"), "{}", admin.text);

    // Resolution: masked by default, revealed on request, in both body forms.
    let step =
        json!({"url": "postgres://app:${secret:local/db/password}@db", "auth": "${secret:team/db/password}", "n": 3});
    let masked = api.resolve("", member, step.clone(), false).await;
    assert_eq!(masked.ok(), &json!({"url": "postgres://app:******@db", "auth": "******", "n": 3}));
    assert_eq!(masked.headers.get("x-keyway-secrets").and_then(|v| v.to_str().ok()), Some("2"));
    let revealed = api.resolve("?reveal=true", member, step.clone(), true).await;
    assert_eq!(revealed.ok()["auth"], TEAM);
    let wrapped = api.resolve("", member, json!({"step": step.clone(), "reveal": true}), true).await;
    assert_eq!(wrapped.ok()["url"], format!("postgres://app:{V1}@db"));
    let denied = api.resolve("", anyone, step.clone(), false).await;
    assert!(denied.error(403, "denied").message().contains("auth"), "the step path: {}", denied.text);

    // The cache view: names, versions, ages and hits, only what the caller may read, never values.
    api.call(Method::GET, "/v1/secrets/local/db/password", anyone, None).await.ok();
    let view = api.call(Method::GET, "/v1/cache", anyone, None).await;
    let entries = view.ok()["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "only the open manager's entry: {}", view.text);
    let entry = &entries[0];
    assert_eq!(
        (&entry["name"], &entry["selector"], &entry["state"]),
        (&json!("db/password"), &json!("latest"), &json!("fresh"))
    );
    assert!(
        entry["hits"].as_u64() >= Some(1) && entry["age_ms"].is_u64() && entry["expires_in_ms"].is_u64(),
        "{entry}"
    );
    assert!(entry["version_id"].is_string() && entry.get("value").is_none(), "{entry}");
    let team_view = api.call(Method::GET, "/v1/cache", etl, None).await;
    assert_eq!(team_view.ok()["entries"].as_array().map(Vec::len), Some(2));

    // The CLI's view of the same cache.
    sandbox.set_env("KEYWAY_SERVER", &server.base);
    let listed = json(&sandbox.run(&["--group", "etl", "cache", "list", "--json"]).ok());
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    let table = sandbox.run(&["cache", "list"]).ok();
    assert!(table.starts_with("MANAGER") && table.contains("db/password") && !table.contains("team"), "{table}");

    // Revocation: one secret, one manager, everything; access rules apply.
    let cleared = api.call(Method::DELETE, "/v1/cache/local/db/password", anyone, None).await;
    assert_eq!(cleared.ok()["entries_dropped"], 1);
    assert_eq!(api.call(Method::GET, "/v1/cache", anyone, None).await.ok()["entries"], json!([]));
    api.call(Method::DELETE, "/v1/cache/team", anyone, None).await.error(403, "denied");
    api.call(Method::DELETE, "/v1/cache/nope", anyone, None).await.error(404, "unknown-manager");
    let all = api.call(Method::DELETE, "/v1/cache", anyone, None).await;
    assert!(all.error(403, "denied").message().contains("team"), "{}", all.text);
    sandbox.run(&["cache", "clear"]).fails(code::DENIED);
    sandbox.run(&["cache", "clear", "nope"]).fails(code::CONFIG);
    let out = sandbox.run(&["--group", "etl", "cache", "clear", "team/db/password"]).ok();
    assert_eq!(out, "cleared team/db/password (1 cache entry dropped)\n");
    api.call(Method::GET, team, etl, None).await.ok();
    assert_eq!(
        sandbox.run(&["--group", "etl", "cache", "clear"]).ok(),
        "cleared the whole cache (1 cache entry dropped)\n"
    );
    assert_eq!(api.call(Method::GET, "/v1/cache", etl, None).await.ok()["entries"], json!([]));

    // Resolution errors name the step path and the placeholder.
    let missing = api.resolve("", anyone, json!({"steps": [{"x": "${secret:local/absent}"}]}), false).await;
    assert!(missing.error(404, "not-found").message().contains("steps[0].x"), "{}", missing.text);
    let malformed = api.resolve("", anyone, json!({"x": "${secret:local}"}), false).await;
    malformed.error(400, "malformed");

    // Audit records carry the identity from the headers.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"nightly-load\"") && l.contains("\"extract\"") && l.contains("company.team.sub")),
        "{audit}"
    );
    assert_no_leaks(&api, &server, &sandbox);
    assert_eq!(server.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_is_required_when_configured() {
    let mut sandbox = sandbox("serve-token");
    let token = "t0ken-for-tests-6b3f1e9a2c";
    sandbox.set_env("SERVE_TOKEN", token);
    let server = Server::start(&sandbox, &["--token-env", "SERVE_TOKEN"]);
    assert!(server.token.is_none(), "no token file with --token-env");
    let bare = Api::anonymous(&server);
    bare.call(Method::GET, "/v1/health", &[], None).await.ok();
    let answer = bare.call(Method::GET, "/v1/managers", &[], None).await;
    answer.error(401, "unauthorized");
    assert_eq!(answer.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    bare.call(Method::GET, "/v1/cache", &[], None).await.error(401, "unauthorized");
    let wrong = Api::anonymous(&server).with_token("t0ken-for-tests-6b3f1e9a2d");
    let answer = wrong.call(Method::GET, "/v1/cache", &[], None).await;
    assert!(!answer.error(401, "unauthorized").text.contains(token));
    let right = Api::anonymous(&server).with_token(token);
    right.call(Method::GET, "/v1/health", &[], None).await.ok();
    right.call(Method::PUT, "/v1/secrets/local/x", &[], Some(json!({"value": V1}))).await.ok();

    sandbox.set_env("KEYWAY_SERVER", &server.base);
    let message = sandbox.run(&["cache", "list"]).fails(code::DENIED);
    assert!(message.contains("Bearer") && message.contains("KEYWAY_TOKEN"), "{message}");
    sandbox.run(&["cache", "list", "--token-env", "SERVE_TOKEN"]).ok();
    sandbox.set_env("KEYWAY_TOKEN", token);
    sandbox.run(&["cache", "list"]).ok();
    assert!(!server.log().contains(token), "the token is never logged");
}

#[test]
fn remote_listening_needs_allow_remote_and_tls() {
    let mut sandbox = sandbox("serve-remote");
    let message = sandbox.run(&["serve", "--listen", "0.0.0.0:0"]).fails(code::INVALID);
    assert!(message.contains("not a loopback address") && message.contains("--allow-remote"), "{message}");
    let message = sandbox.run(&["serve", "--listen", "0.0.0.0:0", "--allow-remote"]).fails(code::INVALID);
    assert!(message.contains("plain HTTP") && message.contains("--insecure-plain-http"), "{message}");
    sandbox.set_env("SHORT", "abc");
    let message = sandbox
        .run(&["serve", "--listen", "0.0.0.0:0", "--allow-remote", "--insecure-plain-http", "--token-env", "SHORT"])
        .fails(code::INVALID);
    assert!(message.contains("at least 16 characters") && !message.contains("abc"), "{message}");
    let message = sandbox.run(&["serve", "--listen", "nowhere"]).fails(code::INVALID);
    assert!(message.contains("HOST:PORT"), "{message}");
    let message =
        sandbox.run(&["serve", "--listen", "127.0.0.1:0", "--token-env", "UNSET_VARIABLE"]).fails(code::INVALID);
    assert!(message.contains("UNSET_VARIABLE"), "{message}");
}
