//! Renewal: `keyway renew` by a manager's rule, a rotation hook whose failure keeps the current version and
//! records the error (and whose next attempt reuses the waiting value), and the scheduler of a running
//! `keyway serve` renewing a secret every two seconds.

use crate::service::Server;
use crate::support::{code, json, Sandbox};
use std::time::{Duration, Instant};

fn configure(sandbox: &mut Sandbox, hook: &str) {
    sandbox.configure(&format!(
        "  local:\n    plugin: local\n    renewal:\n      - names: \"app/*\"\n        every: 2s\n        type: api-key\n        policy: {{ api_key: {{ length: 48, prefix: \"kw_\" }} }}\n{hook}"
    ));
}

#[test]
fn renew_makes_a_new_valid_version_now() {
    let mut sandbox = Sandbox::new("renew-now");
    configure(&mut sandbox, "");
    sandbox.run(&["put", "local/app/api", "kw_initial-value-0001", "--type", "api-key"]).ok();
    let out = sandbox.run(&["renew", "local/app/api"]).ok();
    assert!(out.starts_with("renewed local/app/api (version v2-"), "{out}");
    let value = sandbox.run(&["get", "local/app/api"]).ok();
    assert!(value.starts_with("kw_") && value.len() == 51 && value != "kw_initial-value-0001", "{value}");
    assert_eq!(sandbox.run(&["get", "local/app/api", "--label", "previous"]).ok(), "kw_initial-value-0001");
    let history = json(&sandbox.run(&["versions", "local/app/api", "--history", "--json"]).ok());
    assert_eq!(history[0]["origin"], "keyway");
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).expect("audit");
    assert!(audit.contains("\"renew-read\""), "the renewal's read of the old value is audited: {audit}");
    sandbox.run(&["put", "local/other", "x"]).ok();
    let message = sandbox.run(&["renew", "local/other"]).fails(code::INVALID);
    assert!(message.contains("no rule of managers.local.renewal matches 'other'"), "{message}");
}

#[test]
fn a_failing_rotation_hook_keeps_the_current_version_and_records_the_failure() {
    let mut sandbox = Sandbox::new("renew-hook");
    let received = sandbox.path().join("received.txt");
    configure(&mut sandbox, "        hook:\n          set: [\"false\"]\n");
    sandbox.run(&["put", "local/app/db", "kw_current-value-0002", "--type", "api-key"]).ok();
    let message = sandbox.run(&["renew", "local/app/db"]).fails(code::BACKEND);
    assert!(message.contains("set command false failed") && message.contains("the current version stays"), "{message}");
    assert_eq!(sandbox.run(&["get", "local/app/db"]).ok(), "kw_current-value-0002");
    let errors = json(&sandbox.run(&["errors", "local/app/db", "--json"]).ok());
    assert_eq!(errors[0]["operation"], "renew", "{errors}");

    // The target system comes back: the next attempt sets the value that was waiting, then promotes it.
    let set = format!(
        "        hook:\n          set: [\"sh\", \"-c\", \"cat > {}\"]\n          test: [\"true\"]\n",
        received.display()
    );
    configure(&mut sandbox, &set);
    let out = sandbox.run(&["renew", "local/app/db"]).ok();
    assert!(out.contains("finishing the renewal left half-way"), "{out}");
    let current = sandbox.run(&["get", "local/app/db"]).ok();
    assert_eq!(std::fs::read_to_string(&received).expect("the hook got the value"), current);
    assert_ne!(current, "kw_current-value-0002");
}

#[test]
fn a_running_service_renews_what_is_due() {
    let mut sandbox = Sandbox::new("renew-serve");
    configure(&mut sandbox, "");
    sandbox.run(&["put", "local/app/rotating", "kw_first-value-000003", "--type", "api-key"]).ok();
    let mut server = Server::start(&sandbox, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut versions = 1;
    while Instant::now() < deadline && versions < 3 {
        std::thread::sleep(Duration::from_millis(500));
        let listed = json(&sandbox.run(&["versions", "local/app/rotating", "--json"]).ok());
        versions = listed.as_array().map_or(0, Vec::len);
    }
    server.stop();
    assert!(versions >= 3, "renewed at least twice in 30 s with a 2 s interval: {versions} versions");
    assert!(server.log().contains("renewed"), "the scheduler logs its renewals");
    assert_ne!(sandbox.run(&["get", "local/app/rotating"]).ok(), "kw_first-value-000003");
}
