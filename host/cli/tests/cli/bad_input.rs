//! Bad input: each mistake gives one clear line on stderr, its own exit code, and changes nothing.

use crate::support::{code, random_key, Sandbox};

/// A sandbox with one stored secret, and the store's files as they are.
fn with_one_secret(label: &str) -> Sandbox {
    let sandbox = Sandbox::local(label);
    sandbox.run(&["put", "local/db/password", "kept-value-5e1f"]).ok();
    sandbox
}

/// Runs `args`, expects failure with `expected`, checks the store is untouched; returns the message.
#[track_caller]
fn refused(sandbox: &Sandbox, args: &[&str], expected: i32) -> String {
    let before = sandbox.store_snapshot();
    let message = sandbox.run(args).fails(expected);
    assert_eq!(sandbox.store_snapshot(), before, "`keyway {}` changed the store", args.join(" "));
    assert!(!message.contains("kept-value-5e1f"), "{message}");
    message
}

#[test]
fn an_unknown_manager_names_the_configured_ones() {
    let sandbox = with_one_secret("unknown-manager");
    for args in [
        &["put", "nope/db/password", "v"][..],
        &["get", "nope/db/password"],
        &["describe", "nope/x"],
        &["list", "nope"],
        &["delete", "nope/x", "--force"],
    ] {
        let message = refused(&sandbox, args, code::CONFIG);
        assert!(message.contains("unknown secret manager 'nope'") && message.contains("local"), "{message}");
    }
}

#[test]
fn a_malformed_reference_shows_the_expected_form() {
    let sandbox = with_one_secret("malformed");
    for reference in ["password", "/db/password", "local/", ""] {
        let message = refused(&sandbox, &["put", reference, "v"], code::INVALID);
        assert!(message.contains("is not MANAGER/NAME") && message.contains("local/db/password"), "{message}");
        refused(&sandbox, &["get", reference], code::INVALID);
    }
}

#[test]
fn a_missing_value_says_how_to_give_one() {
    let sandbox = with_one_secret("missing-value");
    let message = refused(&sandbox, &["put", "local/api/token"], code::INVALID);
    assert!(message.contains("no value given") && message.contains("--stdin"), "{message}");
    let message = refused(&sandbox, &["update", "local/db/password"], code::INVALID);
    assert!(message.contains("nothing to update"), "{message}");
    let message = refused(&sandbox, &["put", "local/x", "v", "--tag", "novalue"], code::INVALID);
    assert!(message.contains("not KEY=VALUE"), "{message}");
    let message = refused(&sandbox, &["put", "local/x", "v", "--expires", "someday"], code::INVALID);
    assert!(message.contains("RFC 3339"), "{message}");
    refused(&sandbox, &["put", "local/db/password", "other"], code::CONFLICT);
    refused(&sandbox, &["get", "local/db/absent"], code::NOT_FOUND);
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "kept-value-5e1f");
}

#[test]
fn an_unreadable_configuration_names_the_file() {
    let mut sandbox = with_one_secret("unreadable-config");
    let missing = sandbox.path().join("missing.yaml").display().to_string();
    let message = refused(&sandbox, &["--config", &missing, "put", "local/x", "v"], code::CONFIG);
    assert!(message.contains("cannot read configuration file") && message.contains("missing.yaml"), "{message}");
    let folder = sandbox.path().display().to_string();
    refused(&sandbox, &["--config", &folder, "get", "local/db/password"], code::CONFIG);
    let broken = sandbox.write("broken.yaml", b"managers: [local\n");
    sandbox.set_env("KEYWAY_CONFIG", &broken.display().to_string());
    let message = refused(&sandbox, &["put", "local/x", "v"], code::CONFIG);
    assert!(message.contains("broken.yaml"), "{message}");
}

#[test]
fn an_unknown_configuration_field_is_named() {
    let mut sandbox = with_one_secret("unknown-field");
    sandbox.configure("  local:\n    plugin: local\n    prefx: team/\n");
    let message = refused(&sandbox, &["put", "local/x", "v"], code::CONFIG);
    assert!(message.contains("unknown field `prefx`") && message.contains("prefix"), "{message}");
    sandbox.configure("  local:\n    plugin: local\n    settings: { colour: red }\n");
    let message = refused(&sandbox, &["put", "local/x", "v"], code::CONFIG);
    assert!(message.contains("setting `colour` is unknown"), "{message}");
    sandbox.configure("  local:\n    plugin: local\n    settings: { key: \"${env:KEYWAY_TEST_UNSET}\" }\n");
    let message = refused(&sandbox, &["get", "local/db/password"], code::CONFIG);
    assert!(message.contains("KEYWAY_TEST_UNSET is not set"), "{message}");
}

#[test]
fn a_wrong_master_key_is_refused_and_the_store_stays_readable_with_the_right_one() {
    let mut sandbox = Sandbox::new("wrong-key");
    sandbox.configure("  local:\n    plugin: local\n    settings: { key: \"${env:KEYWAY_LOCAL_KEY}\" }\n");
    let (right, wrong) = (random_key(), random_key());
    sandbox.set_env("KEYWAY_LOCAL_KEY", &right);
    sandbox.run(&["put", "local/db/password", "kept-value-5e1f"]).ok();

    sandbox.set_env("KEYWAY_LOCAL_KEY", &wrong);
    for args in [&["get", "local/db/password"][..], &["put", "local/db/other", "v"], &["list", "local"]] {
        let message = refused(&sandbox, args, code::CONFIG);
        assert!(message.contains("wrong master key") && message.contains("keyring"), "{message}");
        assert!(!message.contains(&wrong) && !message.contains(&right), "the key is never printed: {message}");
    }
    sandbox.set_env("KEYWAY_LOCAL_KEY", "not base64!");
    let message = refused(&sandbox, &["get", "local/db/password"], code::CONFIG);
    assert!(message.contains("setting `key` is not base64"), "{message}");

    sandbox.set_env("KEYWAY_LOCAL_KEY", &right);
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "kept-value-5e1f");
    sandbox.run(&["get", "local/db/other"]).fails(code::NOT_FOUND);
}

#[test]
fn no_running_service_is_said_plainly() {
    let mut sandbox = Sandbox::new("no-service");
    let port = keyway_integration_tests::harness::free_port();
    sandbox.set_env("KEYWAY_SERVER", &format!("http://127.0.0.1:{port}"));
    for args in [&["cache", "list"][..], &["cache", "clear"], &["cache", "clear", "local/x"]] {
        let message = sandbox.run(args).fails(code::BACKEND);
        assert!(message.contains("no keyway service at") && message.contains("keyway serve"), "{message}");
    }
    let message = sandbox.run(&["cache", "clear", "/x"]).fails(code::INVALID);
    assert!(message.contains("MANAGER/NAME"), "{message}");
}
