//! The first flow a user runs, on the built-in default (no configuration file): store a secret in the
//! embedded encrypted store and read it back, then the rest of a secret's life.

use crate::support::{code, json, Sandbox};

#[test]
fn put_then_get_round_trips_on_a_fresh_machine() {
    let sandbox = Sandbox::new("first-flow");
    let stored = sandbox.run(&["put", "local/db/password", "s3cr3t-first-flow"]).ok();
    assert!(stored.starts_with("stored local/db/password (version "), "{stored}");
    // `$(keyway get ...)`: the raw value, no newline.
    let got = sandbox.run(&["get", "local/db/password"]);
    assert_eq!(got.ok(), "s3cr3t-first-flow");
    assert!(got.stderr.is_empty(), "{}", got.stderr);
    // The store is encrypted on disk: the value is in no file under the home folder.
    for (path, contents) in sandbox.store_snapshot() {
        let text = String::from_utf8_lossy(&contents);
        assert!(!text.contains("s3cr3t-first-flow"), "{} holds the value in clear", path.display());
    }
}

#[test]
fn values_from_stdin_and_files_and_metadata() {
    let sandbox = Sandbox::local("inputs");
    sandbox.run_with_stdin(&["put", "local/api/token", "--stdin", "--tag", "team=payments"], b"tok-from-stdin").ok();
    let file = sandbox.write("value.txt", b"from-a-file\n");
    sandbox
        .run(&[
            "put",
            "local/api/file",
            "--file",
            &file.display().to_string(),
            "--description",
            "a file",
            "--expires",
            "90d",
        ])
        .ok();
    assert_eq!(sandbox.run(&["get", "local/api/token"]).ok(), "tok-from-stdin");
    assert_eq!(sandbox.run(&["get", "local/api/file"]).ok(), "from-a-file\n");

    let described = sandbox.run(&["describe", "local/api/file", "--json"]).ok();
    let meta = json(&described);
    assert_eq!(meta["description"], "a file");
    assert!(meta["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{meta}");
    assert!(!described.contains("from-a-file"), "describe never prints the value");
    let got = json(&sandbox.run(&["get", "local/api/token", "--json"]).ok());
    assert_eq!(got["value"], "tok-from-stdin");
    assert_eq!(got["binary"], false);
    assert_eq!(got["metadata"]["tags"]["team"], "payments");
}

#[test]
fn binary_values_round_trip_raw_and_as_base64() {
    let sandbox = Sandbox::local("binary");
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    let file = sandbox.write("keystore.p12", &bytes);
    sandbox.run(&["put", "local/tls/keystore", "--file", &file.display().to_string(), "--binary"]).ok();
    assert_eq!(sandbox.run(&["get", "local/tls/keystore"]).stdout, bytes);
    let got = json(&sandbox.run(&["get", "local/tls/keystore", "--json"]).ok());
    assert_eq!(got["binary"], true);
    use base64::Engine as _;
    assert_eq!(got["value"], base64::engine::general_purpose::STANDARD.encode(&bytes));
    // Bytes that are not UTF-8 need --binary, and nothing is stored without it.
    let refused = sandbox.run(&["put", "local/tls/other", "--file", &file.display().to_string()]);
    assert!(refused.fails(code::INVALID).contains("--binary"));
    sandbox.run(&["get", "local/tls/other"]).fails(code::NOT_FOUND);
}

#[test]
fn keys_of_json_secrets() {
    let sandbox = Sandbox::local("keys");
    sandbox.run(&["put", "local/db/creds", r#"{"user":"app","password":"pw-9d2c7e"}"#]).ok();
    sandbox.run(&["put", "local/db/plain", "not-json-value"]).ok();
    assert_eq!(sandbox.run(&["get", "local/db/creds", "--key", "password"]).ok(), "pw-9d2c7e");
    let got = json(&sandbox.run(&["get", "local/db/creds", "--key", "user", "--json"]).ok());
    assert_eq!((got["key"].as_str(), got["value"].as_str()), (Some("user"), Some("app")));
    let missing = sandbox.run(&["get", "local/db/creds", "--key", "port"]).fails(code::INVALID);
    assert!(missing.contains("has no key 'port'") && !missing.contains("pw-9d2c7e"), "{missing}");
    let not_json = sandbox.run(&["get", "local/db/plain", "--key", "user"]).fails(code::INVALID);
    assert!(not_json.contains("not a JSON key/value secret") && !not_json.contains("not-json-value"), "{not_json}");
}

#[test]
fn versions_list_delete_and_restore() {
    let sandbox = Sandbox::local("lifecycle");
    let first = json(&sandbox.run(&["put", "local/app/key", "v-one-1111", "--tag", "env=prod", "--json"]).ok());
    let first_version = first["version_id"].as_str().expect("a version id").to_owned();
    sandbox.run(&["put", "local/app/key", "v-dup"]).fails(code::CONFLICT);
    sandbox.run(&["update", "local/app/key", "v-two-2222"]).ok();
    sandbox.run(&["put", "local/other/key", "other-3333", "--tag", "env=dev"]).ok();
    assert_eq!(sandbox.run(&["get", "local/app/key"]).ok(), "v-two-2222");
    assert_eq!(sandbox.run(&["get", "local/app/key", "--version", &first_version]).ok(), "v-one-1111");

    let versions = json(&sandbox.run(&["versions", "local/app/key", "--json"]).ok());
    let versions = versions.as_array().expect("an array");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.iter().any(|v| v["version_id"] == first_version.as_str()));
    let table = sandbox.run(&["versions", "local/app/key"]).ok();
    assert!(table.starts_with("VERSION") && table.lines().count() == 3, "{table}");

    let listed = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "local", "--json"];
        all.extend_from_slice(args);
        let out = json(&sandbox.run(&all).ok());
        out.as_array().expect("an array").iter().map(|m| m["name"].as_str().unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(listed(&[]), ["app/key", "other/key"]);
    assert_eq!(listed(&["--prefix", "app/"]), ["app/key"]);
    assert_eq!(listed(&["--tag", "env=dev"]), ["other/key"]);
    let table = sandbox.run(&["list", "local"]).ok();
    assert!(!table.contains("v-two-2222") && !table.contains("other-3333"), "list never prints values");

    let deleted = sandbox.run(&["delete", "local/app/key", "--recovery-days", "7"]).ok();
    assert!(deleted.contains("recoverable until"), "{deleted}");
    sandbox.run(&["get", "local/app/key"]).fails(code::NOT_FOUND);
    assert_eq!(listed(&[]), ["other/key"]);
    assert_eq!(listed(&["--include-deleted"]), ["app/key", "other/key"]);
    sandbox.run(&["restore", "local/app/key"]).ok();
    assert_eq!(sandbox.run(&["get", "local/app/key"]).ok(), "v-two-2222");

    sandbox.run(&["delete", "local/app/key", "--force"]).ok();
    sandbox.run(&["get", "local/app/key"]).fails(code::NOT_FOUND);
    sandbox.run(&["restore", "local/app/key"]).fails(code::NOT_FOUND);
    assert_eq!(listed(&["--include-deleted"]), ["other/key"]);
}

#[test]
fn every_command_has_an_example_in_its_help() {
    let sandbox = Sandbox::new("help");
    for command in [
        "get", "describe", "put", "update", "delete", "restore", "list", "versions", "managers", "plugins", "resolve",
        "exec", "serve",
    ] {
        let help = sandbox.run(&[command, "--help"]).ok();
        assert!(help.contains("Example"), "`keyway {command} --help` has no example:\n{help}");
    }
    for command in [["cache", "list"], ["cache", "clear"], ["plugin", "test"]] {
        let help = sandbox.run(&[command[0], command[1], "--help"]).ok();
        assert!(help.contains("Example"), "`keyway {} {} --help` has no example", command[0], command[1]);
    }
}

#[test]
fn a_disabled_secret_keeps_its_metadata_but_not_its_value() {
    let sandbox = Sandbox::local("disabled");
    sandbox.run(&["put", "local/db/old", "s3cr3t-disabled"]).ok();
    sandbox.run(&["update", "local/db/old", "--disable"]).ok();
    let refused = sandbox.run(&["get", "local/db/old"]).fails(code::CONFLICT);
    assert!(refused.contains("is disabled") && refused.contains("--enable"), "{refused}");
    assert!(!refused.contains("s3cr3t-disabled"));
    let meta = json(&sandbox.run(&["describe", "local/db/old", "--json"]).ok());
    assert_eq!(meta["enabled"], false);
    sandbox.run(&["update", "local/db/old", "--enable"]).ok();
    assert_eq!(sandbox.run(&["get", "local/db/old"]).ok(), "s3cr3t-disabled");
}
