//! `keyway check`: a reachable manager, a backend that is down, the JSON report, secrets read on request,
//! expiring secrets as warnings, refusals, and the audit records it leaves.

use crate::support::{code, json, Sandbox};

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// `local` on the embedded store, and `dead`: the Vault plugin pointed at a closed loopback port.
fn local_and_dead(label: &str) -> (Sandbox, u16) {
    let mut sandbox = Sandbox::new(label);
    let port = closed_port();
    sandbox.configure(&format!(
        "  local:\n    plugin: local\n\
         \x20 dead:\n    plugin: vault\n    settings: {{ address: \"http://127.0.0.1:{port}\", token: \"not-a-real-token\" }}\n\
         \x20 team:\n    plugin: local\n    access: {{ groups: [etl] }}\n"
    ));
    (sandbox, port)
}

#[test]
fn a_dead_backend_fails_the_check_with_exit_1_and_says_where_it_looked() {
    let (sandbox, port) = local_and_dead("check-dead");
    // `managers` only opens plugins: the dead backend looks fine there.
    let managers = json(&sandbox.run(&["managers", "--json"]).ok());
    let dead = managers.as_array().and_then(|all| all.iter().find(|m| m["name"] == "dead")).cloned();
    assert_eq!(dead.map(|m| m["status"].clone()), Some(serde_json::json!("ok")));

    let run = sandbox.run(&["check"]);
    assert_eq!(run.code, code::BACKEND, "stderr: {}", run.stderr);
    let out = run.out();
    let row = |name: &str| out.lines().find(|line| line.starts_with(&format!("{name} "))).unwrap_or("").to_owned();
    assert!(row("local").contains(" ok ") && row("local").contains("list"), "{out}");
    assert!(row("dead").contains(" failed ") && row("dead").contains(&format!("127.0.0.1:{port}")), "{out}");
    // A manager the caller may not use is skipped, not failed.
    assert!(row("team").contains(" skipped "), "{out}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", run.stderr);
    assert!(lines[0].starts_with("keyway: check failed: manager 'dead' (vault) failed: "), "{}", lines[0]);
    assert!(lines[0].contains("reachable at the address in managers.dead.settings"), "{}", lines[0]);

    // The managers that work pass on their own.
    let out = sandbox.run(&["check", "local"]).ok();
    assert!(out.contains("local") && !out.contains("dead"), "{out}");
    let out = sandbox.run(&["--group", "etl", "check", "team", "local"]).ok();
    assert!(out.lines().any(|line| line.starts_with("team ") && line.contains(" ok ")), "{out}");

    // Every manager checked has an audit record, with its outcome and the probe made.
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    let records: Vec<serde_json::Value> = audit.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let check = |manager: &str, outcome: &str| {
        records.iter().any(|r| r["operation"] == "check" && r["manager"] == manager && r["outcome"] == outcome)
    };
    assert!(check("local", "ok") && check("dead", "backend-error") && check("team", "denied"), "{audit}");
}

#[test]
fn the_json_report_has_managers_reads_records_and_expiring_secrets() {
    let (sandbox, _) = local_and_dead("check-json");
    sandbox.run(&["put", "local/db/password", "check-pass-6c1d"]).ok();
    let run = sandbox.run(&["check", "local", "--json", "--read", "local/db/password"]);
    assert_eq!(run.code, code::OK, "stderr: {}", run.stderr);
    assert!(!run.out().contains("check-pass-6c1d"), "a read never prints the value");
    let report = json(&run.out());
    assert_eq!(report["ok"], true);
    assert_eq!(report["exit_code"], 0);
    let managers = report["managers"].as_array().cloned().unwrap_or_default();
    assert_eq!(managers.len(), 1, "{report}");
    let local = &managers[0];
    assert_eq!((local["name"].as_str(), local["plugin"].as_str()), (Some("local"), Some("local")));
    assert_eq!((local["status"].as_str(), local["probe"].as_str()), (Some("ok"), Some("list")));
    assert!(local["message"].is_null() && local["elapsed_ms"].is_number(), "{local}");
    let capabilities = local["capabilities"].as_array().cloned().unwrap_or_default();
    assert!(capabilities.contains(&serde_json::json!("read")) && capabilities.contains(&serde_json::json!("list")));
    let read = &report["reads"][0];
    assert_eq!((read["secret"].as_str(), read["status"].as_str()), (Some("local/db/password"), Some("ok")));
    assert!(read["version"].is_string(), "{read}");
    assert_eq!(report["catalog"]["status"], "ok");
    assert_eq!(report["expiring_within"], "7days");
    assert_eq!(report["expiring"], serde_json::json!([]));

    // The dead manager in JSON: exit 1, the reason in `message`.
    let run = sandbox.run(&["check", "dead", "--json"]);
    assert_eq!(run.code, code::BACKEND);
    let report = json(&run.out());
    assert_eq!((report["ok"].as_bool(), report["exit_code"].as_i64()), (Some(false), Some(1)));
    assert_eq!(report["managers"][0]["status"], "failed");
    assert!(report["managers"][0]["message"].as_str().unwrap_or_default().contains("unavailable"), "{report}");
}

#[test]
fn a_read_that_fails_fails_the_check() {
    let (sandbox, _) = local_and_dead("check-read");
    let run = sandbox.run(&["check", "local", "--read", "local/db/absent"]);
    assert_eq!(run.code, code::BACKEND, "stderr: {}", run.stderr);
    assert!(run.out().lines().any(|line| line.starts_with("local/db/absent") && line.contains("failed")));
    assert!(run.stderr.contains("reading 'local/db/absent' failed: not found"), "{}", run.stderr);
}

#[test]
fn a_secret_expiring_soon_is_a_warning_listed_with_its_date() {
    let (sandbox, _) = local_and_dead("check-expiring");
    sandbox.run(&["put", "local/api/token", "expiring-token-2d", "--expires", "2d"]).ok();
    sandbox.run(&["put", "local/api/later", "expiring-later-40d", "--expires", "40d"]).ok();
    let out = sandbox.run(&["check", "local"]).ok();
    assert!(out.contains("Warning: 1 secret(s) expire within 7days"), "{out}");
    let row = out.lines().find(|line| line.starts_with("local/api/token")).unwrap_or_default();
    assert!(row.contains("in 1day 23h"), "{out}");
    assert!(!out.contains("local/api/later"), "{out}");

    let report = json(&sandbox.run(&["check", "local", "--json", "--expiring-within", "60d"]).ok());
    let expiring: Vec<&str> =
        report["expiring"].as_array().into_iter().flatten().filter_map(|e| e["secret"].as_str()).collect();
    assert_eq!(expiring, ["local/api/token", "local/api/later"], "soonest first: {report}");
    assert_eq!(report["expiring"][0]["expired"], false);
    assert!(report["expiring"][0]["expires_at"].as_str().unwrap_or_default().ends_with('Z'), "{report}");

    let out = sandbox.run(&["check", "local", "--expiring-within", "1d"]).ok();
    assert!(out.contains("No secret keyway knows of expires within 1day"), "{out}");
}

#[test]
fn managers_and_secrets_named_must_be_usable_and_known() {
    let (sandbox, _) = local_and_dead("check-refused");
    let message = sandbox.run(&["check", "team"]).fails(code::DENIED);
    assert!(message.contains("team"), "{message}");
    sandbox.run(&["check", "local", "--read", "team/db/password"]).fails(code::DENIED);
    let message = sandbox.run(&["check", "nowhere"]).fails(code::CONFIG);
    assert!(message.contains("unknown secret manager 'nowhere'"), "{message}");
    sandbox.run(&["check", "--read", "no-slash"]).fails(code::INVALID);
    assert_eq!(sandbox.run(&["check", "--expiring-within", "soon"]).code, code::INVALID, "clap refuses it");
}

#[test]
fn a_manager_configured_wrongly_fails_the_check_with_exit_6() {
    let mut sandbox = Sandbox::new("check-config");
    sandbox.configure(&format!(
        "  local:\n    plugin: local\n  broken:\n    plugin: vault\n    settings: {{ address: \"http://127.0.0.1:{}\" }}\n",
        closed_port()
    ));
    let run = sandbox.run(&["check", "--json"]);
    assert_eq!(run.code, code::CONFIG, "stderr: {}", run.stderr);
    let report = json(&run.out());
    let broken = report["managers"].as_array().and_then(|all| all.iter().find(|m| m["name"] == "broken")).cloned();
    let broken = broken.unwrap_or_default();
    assert_eq!((broken["status"].as_str(), broken["probe"].as_str()), (Some("misconfigured"), Some("none")));
    assert!(broken["message"].as_str().unwrap_or_default().contains("managers.broken"), "{broken}");
    assert!(run.stderr.starts_with("keyway: check failed: manager 'broken' (vault) misconfigured: "), "{}", run.stderr);
}
