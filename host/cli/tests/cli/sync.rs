//! Synchronisation from the command line and by `keyway serve`: a put to a source lands in its copy, a
//! write to the copy is refused, a copy changed behind keyway's back is drift (reported, repaired by
//! `keyway sync run`, or by the service's periodic check for a profile that repairs by itself), deletes
//! propagate, `keyway bind` and `keyway change-source`; the service's periodic compliance report records
//! findings of secrets written before their profile existed.

use crate::service::Server;
use crate::support::{code, json, Sandbox};
use std::time::{Duration, Instant};

const ORIGINAL: &str = "Orig1nal-value-6d2f9a4c1e7b";
const TAMPERED: &str = "tampered-3a8c";

/// `main` and `mirror` (two stores) and `mirror-raw` (the mirror's store under another name: writes behind
/// the profile's back); profile `app` copies `main/app/**` to `mirror` and leaves drift to `keyway sync
/// run`, profile `auto` copies `main/auto/**` and repairs drift every second.
fn sandbox(label: &str, extra: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(label);
    let (a, b) = (sandbox.path().join("store-a"), sandbox.path().join("store-b"));
    sandbox.configure_text(&format!(
        "audit: {{ file: {audit} }}\n\
         managers:\n  main: {{ plugin: local, data_dir: {a} }}\n  mirror: {{ plugin: local, data_dir: {b} }}\n  \
         mirror-raw: {{ plugin: local, data_dir: {b} }}\n\
         profiles:\n\
         \x20 app:\n    secrets: [\"main/app/**\"]\n    source: main\n    sync: {{ to: [mirror], repair: manual }}\n\
         \x20 auto:\n    secrets: [\"main/auto/**\"]\n    source: main\n    sync: {{ to: [mirror], check_every: 1s }}\n\
         {extra}",
        audit = sandbox.path().join("audit.jsonl").display(),
        a = a.display(),
        b = b.display(),
    ));
    sandbox
}

fn copies(sandbox: &Sandbox, profile: &str) -> serde_json::Value {
    json(&sandbox.run(&["sync", "status", profile, "--json"]).out())
}

#[test]
fn copies_follow_their_source_and_drift_is_reported_and_repaired() {
    let sandbox = sandbox("sync-cli", "");
    let put = sandbox.run(&["put", "main/app/db", ORIGINAL]);
    assert!(put.ok().contains("stored main/app/db"));
    assert!(put.stderr.contains("mirror/app/db: synced"), "{}", put.stderr);
    assert_eq!(sandbox.run(&["get", "mirror/app/db"]).ok(), ORIGINAL);
    let message = sandbox.run(&["put", "mirror/app/db", "x", "--overwrite"]).fails(code::INVALID);
    assert!(message.contains("synchronised copy of 'main/app/db'"), "{message}");
    let status = copies(&sandbox, "app");
    assert_eq!(status[0]["state"], "synced", "{status}");
    assert_eq!(status[0]["fingerprint"], status[0]["source_fingerprint"]);

    // Behind keyway's back: the next read of the copy finds the drift; manual repair only reports it.
    sandbox.run(&["update", "mirror-raw/app/db", TAMPERED]).ok();
    assert_eq!(sandbox.run(&["get", "mirror/app/db"]).ok(), TAMPERED);
    let drift = sandbox.run(&["sync", "status", "app"]);
    assert_eq!(drift.code, code::BACKEND, "drift is not a clean status: {}", drift.out());
    assert!(drift.out().contains("drift"), "{}", drift.out());
    let errors = sandbox.run(&["errors", "mirror/app/db"]).ok();
    assert!(errors.contains("changed outside keyway") && !errors.contains(TAMPERED), "{errors}");
    assert!(sandbox.run(&["sync", "run", "app"]).ok().contains("synced"));
    assert_eq!(sandbox.run(&["get", "mirror/app/db"]).ok(), ORIGINAL);

    // Deletes propagate.
    sandbox.run(&["delete", "main/app/db", "--force"]).ok();
    sandbox.run(&["get", "mirror/app/db"]).fails(code::NOT_FOUND);
    assert_eq!(copies(&sandbox, "app")[0]["state"], "deleted");

    // A secret outside the patterns, bound by hand; unknown profiles and copies are refused.
    sandbox.run(&["put", "main/other/token", "tok-5e1b"]).ok();
    sandbox.run(&["get", "mirror/other/token"]).fails(code::NOT_FOUND);
    let message = sandbox.run(&["bind", "main/other/token", "nope"]).fails(code::INVALID);
    assert!(message.contains("no profile 'nope'") && message.contains("app, auto"), "{message}");
    let bound = sandbox.run(&["bind", "main/other/token", "app"]);
    assert!(bound.stderr.contains("mirror/other/token: synced"), "{}", bound.stderr);
    assert_eq!(sandbox.run(&["get", "mirror/other/token"]).ok(), "tok-5e1b");
    sandbox.run(&["unbind", "main/other/token"]).ok();
    sandbox.run(&["unbind", "main/other/token"]).fails(code::INVALID);

    // The source moves: the copy becomes the source, the former source a copy.
    sandbox.run(&["put", "main/app/key", "key-1d4e"]).ok();
    let moved = sandbox.run(&["change-source", "main/app/key", "mirror"]);
    assert!(moved.stderr.contains("main/app/key: synced"), "{}", moved.stderr);
    sandbox.run(&["update", "main/app/key", "key-2b7f"]).fails(code::INVALID);
    sandbox.run(&["update", "mirror/app/key", "key-2b7f"]).ok();
    assert_eq!(sandbox.run(&["get", "main/app/key"]).ok(), "key-2b7f");
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("\"operation\":\"change-source\"") && audit.contains("\"operation\":\"bind\""));
    for value in [ORIGINAL, TAMPERED, "tok-5e1b", "key-1d4e", "key-2b7f"] {
        assert!(!audit.contains(value), "the audit trail holds a value");
    }
}

#[test]
fn the_service_repairs_drift_and_reports_compliance_on_its_own() {
    // Written before the profile existed: too short for it.
    let sandbox = sandbox("sync-serve", "");
    sandbox.run(&["put", "main/legacy/pw", "short-9c1e"]).ok();
    let strict = "  strict:\n    secrets: [\"main/legacy/**\"]\n    compliance: { min_length: 24, check_every: 1h }\n";
    let before = sandbox.path().join("keyway.yaml");
    let text = std::fs::read_to_string(&before).expect("the configuration");
    sandbox.write("keyway.yaml", format!("{text}{strict}").as_bytes());

    let mut server = Server::start(&sandbox, &[]);
    sandbox.run(&["put", "main/auto/key", ORIGINAL]).ok();
    sandbox.run(&["update", "mirror-raw/auto/key", TAMPERED]).ok();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let copy = sandbox.run(&["get", "mirror/auto/key"]).ok();
        if copy == ORIGINAL {
            break;
        }
        assert!(Instant::now() < deadline, "the service did not repair the copy: {}", server.log());
        std::thread::sleep(Duration::from_millis(300));
    }
    let errors = sandbox.run(&["errors", "mirror/auto/key"]).ok();
    assert!(errors.contains("changed outside keyway"), "the drift is reported: {errors}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let findings = sandbox.run(&["errors", "main/legacy/pw"]).ok();
        if findings.contains("min_length") {
            assert!(!findings.contains("short-9c1e"), "{findings}");
            break;
        }
        assert!(Instant::now() < deadline, "no periodic compliance finding: {}", server.log());
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(!server.log().contains(ORIGINAL) && !server.log().contains(TAMPERED), "the log holds a value");
    server.stop();
}
