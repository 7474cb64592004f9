//! Typed secrets through the command line and the service: each type's rule checked before the backend sees
//! the value (an invalid one changes nothing), facts recorded as tags, a JWT's `exp` as the expiry, and
//! type-aware input and output.

use crate::service::{Api, Server};
use crate::support::{code, json, Sandbox};
use base64::Engine as _;
use reqwest::Method;
use serde_json::json;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../secret-types/tests/fixtures").join(name)
}

/// An unsigned-looking but well-formed HS256 token whose `exp` is `exp`.
fn jwt(exp: u64) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(format!(r#"{{"sub":"etl","exp":{exp}}}"#).as_bytes());
    format!("{header}.{payload}.{}", b64(&[7u8; 32]))
}

#[test]
fn invalid_typed_values_are_refused_before_the_backend_and_change_nothing() {
    let sandbox = Sandbox::local("typed-invalid");
    let before = sandbox.store_snapshot();
    let message = sandbox.run(&["put", "local/x", "whatever-1f3a", "--type", "bogus"]).fails(code::INVALID);
    assert!(
        message.contains("bogus") && message.contains("basic-auth") && message.contains("private-key"),
        "{message}"
    );
    let message = sandbox.run(&["put", "local/token", "notajwt-77c2", "--type", "jwt"]).fails(code::INVALID);
    assert!(message.contains("type jwt") && !message.contains("notajwt-77c2"), "{message}");
    let message =
        sandbox.run(&["put", "local/db", "{\"username\":\"etl\"}", "--type", "basic-auth"]).fails(code::INVALID);
    assert!(message.contains("field `password` is missing"), "{message}");
    let weak = fixture("rsa-1024.pem").display().to_string();
    let message = sandbox.run(&["put", "local/key", "--file", &weak, "--type", "private-key"]).fails(code::INVALID);
    assert!(message.contains("1024") && !message.contains("BEGIN"), "{message}");
    assert_eq!(sandbox.store_snapshot(), before, "nothing reached the store");
    sandbox.run(&["get", "local/token"]).fails(code::NOT_FOUND);

    // A typed secret keeps its type: a new value that breaks the rule is refused, the old one stays current.
    sandbox.run(&["put", "local/api", "key-abc123-good", "--type", "api-key"]).ok();
    let message = sandbox.run(&["update", "local/api", "two\nlines"]).fails(code::INVALID);
    assert!(message.contains("type api-key"), "{message}");
    assert_eq!(sandbox.run(&["get", "local/api"]).ok(), "key-abc123-good");
}

#[test]
fn valid_typed_values_are_stored_with_their_facts() {
    let sandbox = Sandbox::local("typed-valid");
    let out = sandbox.run_with_stdin(&["put", "local/db", "--username", "etl", "--password-stdin"], b"s3cret-pw-5a\n");
    out.ok();
    assert_eq!(sandbox.run(&["get", "local/db", "--field", "password"]).ok(), "s3cret-pw-5a");
    assert_eq!(sandbox.run(&["get", "local/db", "--field", "username"]).ok(), "etl");

    let key = fixture("rsa-pkcs8.pem").display().to_string();
    sandbox.run(&["put", "local/key", "--file", &key, "--type", "private-key"]).ok();
    let meta = json(&sandbox.run(&["describe", "local/key", "--json"]).ok());
    assert_eq!(meta["tags"]["keyway-key-type"], "rsa", "{meta}");
    assert_eq!(meta["tags"]["keyway-bits"], "2048", "{meta}");
    assert_eq!(meta["secret_type"], "private-key");

    let exp = 4_102_444_800; // 2100-01-01
    sandbox.run(&["put", "local/token", &jwt(exp), "--type", "jwt"]).ok();
    let meta = json(&sandbox.run(&["describe", "local/token", "--json"]).ok());
    assert_eq!(meta["expires_at"], "2100-01-01T00:00:00Z", "the token's exp is its expiry: {meta}");
    let store = fixture("store.p12").display().to_string();
    sandbox.run(&["put", "local/store", "--file", &store, "--binary", "--type", "key-store"]).ok();
    sandbox
        .run(&[
            "put",
            "local/aes",
            "--type",
            "secret-key",
            &base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
        ])
        .ok();
}

#[tokio::test]
async fn the_service_checks_types_too() {
    let sandbox = Sandbox::local("typed-http");
    let server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    let invalid = json!({"value": "not-a-token-8e1b", "secret_type": "jwt"});
    let answer = api.call(Method::PUT, "/v1/secrets/local/token", &[], Some(invalid)).await;
    answer.error(400, "invalid");
    assert!(!answer.text.contains("not-a-token-8e1b"), "{}", answer.text);
    api.call(Method::GET, "/v1/secrets/local/token", &[], None).await.error(404, "not-found");
    let valid = json!({"value": jwt(4_102_444_800), "secret_type": "jwt"});
    api.call(Method::PUT, "/v1/secrets/local/token", &[], Some(valid)).await.ok();
}
