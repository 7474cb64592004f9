//! The approval workflow over real `keyway serve` processes sharing one catalog: a quorum of two distinct
//! approvers from group `approvers`, self-approval and outsiders refused, one rejection, expiry, two services
//! approving at the same instant applying the change once, the proposed value never in clear in keyway's
//! files, and every step in the audit trail.

use crate::service::{Api, Server};
use crate::support::{code, json, Sandbox};
use reqwest::Method;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const ALICE: &str = "alice-token-1c7e9a3f5b2d08";
const BOB: &str = "bob-token-6f2a8d0c4e1b97";
const CAROL: &str = "carol-token-3b9e5a7c1d0f42";
const DAVE: &str = "dave-token-8d4c2e6a0f9b13";
const PROPOSED: &str = "proposed-value-4e8a1c9f3b7d";
const RACED: &str = "raced-value-0b5d9e2a7c4f";
const REJECTED: &str = "rejected-value-7c1f3a9e5d2b";
const LAPSED: &str = "lapsed-value-2a6e0c8f4b1d";
const APPROVERS: &[(&str, &str)] = &[("X-Keyway-Groups", "approvers")];

/// Four clients (alice, bob and carol may act as `approvers`, dave may not), one manager `local`, and two
/// profiles: `prod` (quorum 2, an hour to decide) and `brief` (quorum 1, two seconds).
fn sandbox(label: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(label);
    let audit = sandbox.path().join("audit.jsonl");
    sandbox.configure_text(&format!(
        "audit: {{ file: {} }}\n\
         serve:\n  clients:\n\
         \x20   alice: {{ token: {ALICE}, namespaces: [\"*\"], groups: [approvers] }}\n\
         \x20   bob: {{ token: {BOB}, namespaces: [\"*\"], groups: [approvers] }}\n\
         \x20   carol: {{ token: {CAROL}, namespaces: [\"*\"], groups: [approvers] }}\n\
         \x20   dave: {{ token: {DAVE}, namespaces: [\"*\"] }}\n\
         managers:\n  local:\n    plugin: local\n\
         profiles:\n\
         \x20 prod:\n    secrets: [\"local/prod/**\"]\n    approval: {{ groups: [approvers], quorum: 2, lifetime: 1h }}\n\
         \x20 brief:\n    secrets: [\"local/brief/**\"]\n    approval: {{ groups: [approvers], quorum: 1, lifetime: 2s }}\n",
        audit.display(),
    ));
    sandbox
}

/// Whether any file under `dir` holds `needle` in clear.
fn anywhere_in(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(anywhere_in(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|window| window == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn audit_records(sandbox: &Sandbox) -> Vec<Value> {
    std::thread::sleep(Duration::from_millis(1200));
    let text = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).expect("each record is JSON")).collect()
}

fn records_of<'a>(records: &'a [Value], operation: &str, request: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["operation"] == operation && r["detail"].as_str().is_some_and(|d| d.contains(request)))
        .collect()
}

/// Proposes `value` for `path` as `api` and returns the request's id.
async fn propose(api: &Api, path: &str, value: &str) -> String {
    let answer = api.call(Method::PUT, path, &[], Some(serde_json::json!({ "value": value }))).await;
    assert_eq!(answer.status, 202, "a gated write waits: {}", answer.text);
    assert_eq!(answer.body["status"], "pending-approval", "{}", answer.text);
    assert!(answer.body["message"].as_str().is_some_and(|m| m.contains("keyway approvals approve")), "{}", answer.text);
    answer.body["request"].as_str().expect("a request id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_wait_for_a_quorum_of_other_approvers_and_apply_once() {
    let sandbox = sandbox("approvals");
    let first = Server::start(&sandbox, &[]);
    let second = Server::start(&sandbox, &[]);
    let alice = Api::anonymous(&first).with_token(ALICE);
    let bob = Api::anonymous(&first).with_token(BOB);
    let carol = Api::anonymous(&first).with_token(CAROL);
    let carol_on_second = Api::anonymous(&second).with_token(CAROL);
    let dave = Api::anonymous(&first).with_token(DAVE);
    let secret = "/v1/secrets/local/prod/db";

    // A gated create: nothing is written, the value waits sealed.
    let id = propose(&alice, secret, PROPOSED).await;
    alice.call(Method::GET, secret, &[], None).await.error(404, "not-found");
    let leaks = anywhere_in(&sandbox.home(), PROPOSED);
    assert!(leaks.is_empty(), "the proposed value is in clear in {leaks:?}");
    let listed = bob.call(Method::GET, "/v1/approvals", &[], None).await;
    let pending = listed.ok()["approvals"].as_array().expect("a list").clone();
    assert_eq!(pending.len(), 1, "{}", listed.text);
    assert_eq!((pending[0]["id"].as_str(), pending[0]["state"].as_str()), (Some(id.as_str()), Some("pending")));
    assert_eq!(pending[0]["operation"], "create");
    assert_eq!(pending[0]["requester"], "client=alice");
    assert!(pending[0]["fingerprint"].as_str().is_some_and(|f| f.len() >= 16), "approvers compare fingerprints");
    assert!(!listed.text.contains(PROPOSED), "no value in the list");
    let shown = bob.call(Method::GET, &format!("/v1/approvals/{id}?reveal=true"), APPROVERS, None).await;
    shown.error(400, "invalid");
    assert!(shown.message().contains("approval.reveal"), "{}", shown.text);

    // The requester, an outsider, and a second vote of one approver do not count.
    let own = alice.call(Method::POST, &format!("/v1/approvals/{id}/approve"), APPROVERS, None).await;
    own.error(403, "denied");
    assert!(own.message().contains("self_approval"), "{}", own.text);
    let outsider = dave.call(Method::POST, &format!("/v1/approvals/{id}/approve"), &[], None).await;
    outsider.error(403, "denied");
    assert!(outsider.message().contains("approvers"), "{}", outsider.text);
    let vote = bob.call(Method::POST, &format!("/v1/approvals/{id}/approve"), APPROVERS, None).await;
    assert_eq!((vote.ok()["outcome"].as_str(), vote.body["approvals"].as_u64()), (Some("waiting"), Some(1)));
    bob.call(Method::POST, &format!("/v1/approvals/{id}/approve"), APPROVERS, None).await.error(400, "invalid");
    alice.call(Method::GET, secret, &[], None).await.error(404, "not-found");
    let applied =
        carol.call(Method::POST, &format!("/v1/approvals/{id}/approve?comment=checked"), APPROVERS, None).await;
    assert_eq!(applied.ok()["outcome"], "applied", "{}", applied.text);
    assert_eq!(alice.call(Method::GET, secret, &[], None).await.ok()["value"], PROPOSED);
    let leaks = anywhere_in(&sandbox.home(), PROPOSED);
    assert!(leaks.is_empty(), "the applied value stays only in the encrypted store: {leaks:?}");

    // Two services, two approvers, the same instant: both votes count, the change is applied once.
    let mut raced = Vec::new();
    for n in 0..3 {
        let id = propose(&alice, &format!("/v1/secrets/local/prod/race-{n}"), &format!("{RACED}-{n}")).await;
        let approve = format!("/v1/approvals/{id}/approve");
        let (one, two) = tokio::join!(
            bob.call(Method::POST, &approve, APPROVERS, None),
            carol_on_second.call(Method::POST, &approve, APPROVERS, None),
        );
        let mut outcomes = vec![one.ok()["outcome"].clone(), two.ok()["outcome"].clone()];
        outcomes.sort_by_key(ToString::to_string);
        assert!(outcomes.contains(&Value::from("applied")), "one of them applies: {outcomes:?}");
        assert!(
            outcomes.contains(&Value::from("waiting")) || outcomes.contains(&Value::from("applied-elsewhere")),
            "and only one: {outcomes:?}"
        );
        raced.push(id);
    }
    for (n, id) in raced.iter().enumerate() {
        let history = alice.call(Method::GET, &format!("/v1/history/local/prod/race-{n}"), &[], None).await;
        assert_eq!(history.ok()["history"].as_array().map(Vec::len), Some(1), "applied once: {}", history.text);
        let shown = bob.call(Method::GET, &format!("/v1/approvals/{id}"), &[], None).await;
        assert_eq!(shown.ok()["state"], "applied", "{}", shown.text);
        assert_eq!(shown.body["holds_value"], false, "the proposed value is wiped");
    }

    // One rejection ends a request; nothing changes.
    let update = alice.call(Method::PATCH, secret, &[], Some(serde_json::json!({ "value": REJECTED }))).await;
    assert_eq!(update.status, 202, "{}", update.text);
    let rejected_id = update.body["request"].as_str().expect("an id").to_owned();
    let rejected =
        bob.call(Method::POST, &format!("/v1/approvals/{rejected_id}/reject?comment=wrong"), APPROVERS, None).await;
    assert_eq!(rejected.ok()["state"], "rejected", "{}", rejected.text);
    carol
        .call(Method::POST, &format!("/v1/approvals/{rejected_id}/approve"), APPROVERS, None)
        .await
        .error(409, "conflict");
    assert_eq!(alice.call(Method::GET, secret, &[], None).await.ok()["value"], PROPOSED, "nothing changed");

    // A request past its lifetime lapses.
    let lapsed_id = propose(&alice, "/v1/secrets/local/brief/token", LAPSED).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let late = bob.call(Method::POST, &format!("/v1/approvals/{lapsed_id}/approve"), APPROVERS, None).await;
    late.error(409, "conflict");
    assert!(late.message().contains("expired"), "{}", late.text);
    alice.call(Method::GET, "/v1/secrets/local/brief/token", &[], None).await.error(404, "not-found");

    // Nothing proposed is left in clear, and every step is in the audit trail.
    for value in [REJECTED, LAPSED] {
        let leaks = anywhere_in(&sandbox.home(), value);
        assert!(leaks.is_empty(), "{value} is in clear in {leaks:?}");
    }
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).unwrap_or_default();
    for value in [PROPOSED, REJECTED, LAPSED, RACED] {
        assert!(!audit.contains(value), "the audit trail holds a value");
    }
    let records = audit_records(&sandbox);
    let one = |operation: &str, request: &str, outcome: &str| {
        let found = records_of(&records, operation, request);
        assert!(
            found.iter().any(|r| r["outcome"] == outcome),
            "no {operation} record with outcome {outcome} for {request}: {found:?}"
        );
    };
    one("approval-request", &id, "pending");
    one("approve", &id, "denied");
    one("approve", &id, "ok");
    one("approval-apply", &id, "ok");
    one("reject", &rejected_id, "ok");
    one("approval-expire", &lapsed_id, "ok");
    for id in &raced {
        let applies = records_of(&records, "approval-apply", id);
        assert_eq!(applies.len(), 1, "one apply per request across both services: {applies:?}");
    }
    let apply = records_of(&records, "approval-apply", &id)[0];
    assert_eq!(apply["client"], "alice", "the change is applied as its requester");

    // The CLI sees the same requests; this user asked for none, so it may not approve as itself either.
    let listed = sandbox.run(&["approvals", "list", "--all", "--json"]);
    let all = json(&listed.ok());
    assert!(all.as_array().is_some_and(|list| list.len() >= 6), "{all}");
    let refused = sandbox.run(&["approvals", "approve", &rejected_id]);
    assert_eq!(refused.code, code::DENIED, "{}", refused.stderr);
}

#[test]
fn the_cli_proposes_and_a_different_user_approves() {
    let sandbox = sandbox("approvals-cli");
    let put = sandbox.run(&["put", "local/prod/api-key", "cli-proposed-5f1a"]);
    let line = put.fails(code::PENDING);
    assert!(line.contains("waits for approval") && line.contains("keyway approvals approve"), "{line}");
    let id = line.split("request ").nth(1).and_then(|rest| rest.split(';').next()).expect("the id").trim().to_owned();
    let described = sandbox.run(&["describe", "local/prod/api-key"]).fails(code::NOT_FOUND);
    assert!(described.contains(&format!("its create waits for approval (request {id})")), "{described}");
    let shown = sandbox.run(&["approvals", "show", &id]);
    let text = shown.ok();
    assert!(text.contains("local/prod/api-key") && text.contains("create") && text.contains("0 of 2"), "{text}");
    assert!(!text.contains("cli-proposed-5f1a"));
    let own = sandbox.run(&["--group", "approvers", "approvals", "approve", &id]);
    let message = own.fails(code::DENIED);
    assert!(message.contains("may not approve"), "{message}");
    let withdrawn = sandbox.run(&["approvals", "reject", &id, "--comment", "withdrawn"]);
    assert!(withdrawn.ok().contains("rejected request"), "the requester may withdraw: {}", withdrawn.stderr);
    sandbox.run(&["get", "local/prod/api-key"]).fails(code::NOT_FOUND);
}
