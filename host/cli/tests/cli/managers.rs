//! Managers from configuration: read-only managers, access rules by namespace and group, placeholder
//! resolution of step files, and `exec` with secrets in the environment.

use crate::support::{code, json, Sandbox};

/// `rw` and `ro` share one store; `ro` is read-only. `team` admits namespace `company.team` (and its
/// children) and group `etl`, and refuses names matching `*admin*`.
fn three_managers(label: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(label);
    let shared = sandbox.path().join("shared-store").display().to_string();
    sandbox.configure(&format!(
        "  rw:\n    plugin: local\n    data_dir: {shared}\n\
         \x20 ro:\n    plugin: local\n    data_dir: {shared}\n    read_only: true\n\
         \x20 team:\n    plugin: local\n    access: {{ namespaces: [company.team], groups: [etl], deny: [\"*admin*\"] }}\n"
    ));
    sandbox
}

#[test]
fn a_read_only_manager_reads_but_refuses_every_write() {
    let sandbox = three_managers("read-only");
    sandbox.run(&["put", "rw/db/password", "shared-value-77ab"]).ok();
    assert_eq!(sandbox.run(&["get", "ro/db/password"]).ok(), "shared-value-77ab");
    let before = std::fs::read_dir(sandbox.path().join("shared-store/secrets")).map(|d| d.count()).unwrap_or(0);
    for args in [
        &["put", "ro/db/new", "v"][..],
        &["put", "ro/db/password", "v", "--overwrite"],
        &["update", "ro/db/password", "v2"],
        &["delete", "ro/db/password", "--force"],
        &["restore", "ro/db/password"],
    ] {
        let message = sandbox.run(args).fails(code::DENIED);
        assert!(message.contains("read-only"), "{message}");
    }
    let after = std::fs::read_dir(sandbox.path().join("shared-store/secrets")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(before, after);
    assert_eq!(sandbox.run(&["get", "rw/db/password"]).ok(), "shared-value-77ab");
    let managers = json(&sandbox.run(&["managers", "--json"]).ok());
    let ro = managers.as_array().and_then(|all| all.iter().find(|m| m["name"] == "ro")).expect("ro listed");
    assert_eq!(ro["read_only"], true);
    assert!(!ro["capabilities"].as_str().unwrap_or_default().contains("write"), "{ro}");
}

#[test]
fn access_rules_admit_namespaces_with_their_children_and_groups() {
    let sandbox = three_managers("access");
    sandbox.run(&["--namespace", "company.team", "put", "team/db/password", "team-value-31cc"]).ok();
    for identity in [
        &["--namespace", "company.team"][..],
        &["--namespace", "company.team.sub"],
        &["--group", "other", "--group", "etl"],
    ] {
        let mut args = identity.to_vec();
        args.extend(["get", "team/db/password"]);
        assert_eq!(sandbox.run(&args).ok(), "team-value-31cc", "{identity:?}");
    }
    for identity in [&[][..], &["--namespace", "company.teamwork"], &["--namespace", "company"], &["--group", "ops"]] {
        let mut args = identity.to_vec();
        args.extend(["get", "team/db/password"]);
        let message = sandbox.run(&args).fails(code::DENIED);
        assert!(message.contains("denied") && !message.contains("team-value-31cc"), "{message}");
    }
    // Denied writes change nothing, and denied names are refused even to members.
    let message = sandbox.run(&["--group", "ops", "put", "team/db/password", "x", "--overwrite"]).fails(code::DENIED);
    assert!(message.contains("not allowed to use this manager"), "{message}");
    let message = sandbox.run(&["--group", "etl", "put", "team/admin-token", "x"]).fails(code::DENIED);
    assert!(message.contains("deny pattern `*admin*`"), "{message}");
    assert_eq!(sandbox.run(&["--group", "etl", "get", "team/db/password"]).ok(), "team-value-31cc");
    sandbox.run(&["--group", "etl", "get", "team/admin-token"]).fails(code::DENIED);
    sandbox.run(&["list", "team"]).fails(code::DENIED);
    let listed = json(&sandbox.run(&["--group", "etl", "list", "team", "--json"]).ok());
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[test]
fn resolve_masks_values_unless_revealed() {
    let sandbox = three_managers("resolve");
    sandbox.run(&["put", "rw/db/password", "resolved-pass-1a2b"]).ok();
    sandbox.run(&["put", "rw/api", r#"{"token":"api-token-9f8e"}"#]).ok();
    let step = sandbox.write(
        "step.yaml",
        b"url: postgres://app:${secret:rw/db/password}@db/app\nheaders:\n  Authorization: \"Bearer ${secret:rw/api/token}\"\nretries: 3\n",
    );
    let step = step.display().to_string();
    let masked = sandbox.run(&["resolve", &step]).ok();
    assert!(!masked.contains("resolved-pass-1a2b") && !masked.contains("api-token-9f8e"), "{masked}");
    let masked = json(&masked);
    assert_eq!(masked["url"], "postgres://app:******@db/app");
    assert_eq!(masked["headers"]["Authorization"], "Bearer ******");
    assert_eq!(masked["retries"], 3);
    let revealed = json(&sandbox.run(&["resolve", &step, "--reveal"]).ok());
    assert_eq!(revealed["url"], "postgres://app:resolved-pass-1a2b@db/app");
    assert_eq!(revealed["headers"]["Authorization"], "Bearer api-token-9f8e");
    let yaml = sandbox.run(&["resolve", &step, "--yaml"]).ok();
    assert!(yaml.contains("url: postgres://app:******@db/app"), "{yaml}");

    let broken = sandbox.write("broken.json", br#"{"steps": [{"a": "x"}, {"b": "${secret:rw/db/absent}"}]}"#);
    let message = sandbox.run(&["resolve", &broken.display().to_string()]).fails(code::NOT_FOUND);
    assert!(message.contains("steps[1].b") && message.contains("${secret:rw/db/absent}"), "{message}");
    let denied = sandbox.write("denied.json", br#"{"a": "${secret:team/db/password}"}"#);
    sandbox.run(&["resolve", &denied.display().to_string()]).fails(code::DENIED);
}

#[test]
fn exec_passes_secrets_in_the_environment_and_masks_them_in_output() {
    let sandbox = three_managers("exec");
    sandbox.run(&["put", "rw/db/password", "exec-pass-4d5e"]).ok();
    let run = sandbox.run(&[
        "exec",
        "--env",
        "PGPASSWORD=${secret:rw/db/password}",
        "--env",
        "URL=postgres://app:${secret:rw/db/password}@db",
        "--",
        "sh",
        "-c",
        r#"test "$PGPASSWORD" = exec-pass-4d5e || exit 9; echo "out $PGPASSWORD $URL"; echo "err $PGPASSWORD" >&2"#,
    ]);
    assert_eq!(run.ok(), "out ****** postgres://app:******@db\n");
    assert_eq!(run.stderr, "err ******\n");
    let run = sandbox.run(&["exec", "--env", "X=${secret:rw/db/password}", "--", "sh", "-c", "exit 7"]);
    assert_eq!(run.code, 7, "the command's exit code: {}", run.stderr);
    sandbox.run(&["exec", "--env", "X=${secret:rw/db/absent}", "--", "true"]).fails(code::NOT_FOUND);
    sandbox.run(&["exec", "--env", "novalue", "--", "true"]).fails(code::INVALID);
}
