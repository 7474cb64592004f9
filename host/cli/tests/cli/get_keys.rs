//! `keyway get MANAGER/NAME/KEY` reads like the placeholder `${secret:MANAGER/NAME/KEY}`: when the full path is
//! no secret, the last segment is a key of the JSON secret the rest names.

use crate::support::{code, json, Sandbox};

#[test]
fn get_reads_a_key_of_a_json_secret_exactly_like_the_placeholder() {
    let sandbox = Sandbox::local("get-keys");
    sandbox.run(&["put", "local/db", r#"{"username":"orders_app","password":"key-pass-5e7f"}"#]).ok();
    let step = sandbox.write("step.json", br#"{"password": "${secret:local/db/password}"}"#);
    let resolved = json(&sandbox.run(&["resolve", &step.display().to_string(), "--reveal"]).ok());
    assert_eq!(resolved["password"], "key-pass-5e7f");
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "key-pass-5e7f");
    assert_eq!(sandbox.run(&["get", "local/db/username"]).ok(), "orders_app");

    // --json: the key, its value, and the metadata of the secret it was read from.
    let read = json(&sandbox.run(&["get", "local/db/password", "--json"]).ok());
    assert_eq!((read["key"].as_str(), read["value"].as_str()), (Some("password"), Some("key-pass-5e7f")));
    assert_eq!(read["metadata"]["name"], "db");
    // A version selector applies to the JSON secret.
    let version = read["metadata"]["version_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(sandbox.run(&["get", "local/db/password", "--version", &version]).ok(), "key-pass-5e7f");

    // The placeholder's error for a missing key; a plain "not found" when neither secret exists.
    let message = sandbox.run(&["get", "local/db/port"]).fails(code::INVALID);
    assert!(message.contains("secret 'db' on manager 'local' has no key 'port'"), "{message}");
    let message = sandbox.run(&["get", "local/nothing/here"]).fails(code::NOT_FOUND);
    assert!(message.contains("secret 'nothing/here' not found on manager 'local'"), "{message}");

    // A secret whose name is the full path wins, as for the placeholder.
    sandbox.run(&["put", "local/db/password", "whole-secret-8a9b"]).ok();
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "whole-secret-8a9b");
    let resolved = json(&sandbox.run(&["resolve", &step.display().to_string(), "--reveal"]).ok());
    assert_eq!(resolved["password"], "whole-secret-8a9b");
}
