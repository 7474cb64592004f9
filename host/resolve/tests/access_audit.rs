//! Access control before any backend call, and audit records without values.

mod common;

use common::FakeSource;
use keyway_resolve::{AccessPolicy, Auditor, Identity, ManagerOptions, Resolver, SecretError, SharedTrail};
use keyway_types::{Operation, ProviderError, SecretMetadata, VersionSelector};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const VALUES: [&str; 3] = ["tok-0123456789", "pw-abcdef", "app-user"];

fn backend() -> Arc<FakeSource> {
    let source = FakeSource::new(false);
    source.put("api-token", VALUES[0]);
    source.put("prod/db", &format!(r#"{{"password":"{}","username":"{}"}}"#, VALUES[1], VALUES[2]));
    source.put("admin/root", "root-password-1");
    source
}

fn restricted(source: &Arc<FakeSource>, auditor: Auditor) -> Resolver {
    let access = AccessPolicy {
        groups: vec!["etl".into()],
        namespaces: vec!["company.team".into()],
        allow: vec![],
        deny: vec!["admin/**".into()],
    };
    Resolver::builder()
        .auditor(auditor)
        .manager("aws", source.clone(), ManagerOptions { access, ..ManagerOptions::default() })
        .build()
        .expect("valid configuration")
}

#[tokio::test]
async fn denied_callers_and_names_fail_before_any_backend_call() {
    let source = backend();
    let resolver = restricted(&source, Auditor::tracing_only());
    let step = json!({"token": "${secret:aws/api-token}"});

    for outsider in [Identity::in_namespace("company.teamwork"), Identity::in_groups(["sales"]), Identity::default()] {
        let error = resolver.resolve(&outsider, &step).await.expect_err("denied");
        assert!(error.cause().is_denied(), "{error}");
    }
    let member = Identity::in_namespace("company.team.sub");
    let error = resolver.resolve(&member, &json!("${secret:aws/admin/root}")).await.expect_err("deny pattern");
    assert!(matches!(error.cause(), SecretError::Denied { name, .. } if name == "admin/root"), "{error}");
    assert!(resolver.get(&Identity::in_groups(["sales"]), "aws", "api-token", &VersionSelector::Latest).await.is_err());
    assert_eq!(source.gets(), 0, "no backend call for a denied caller");

    let resolved = resolver.resolve(&member, &step).await.expect("child namespace allowed");
    assert_eq!(resolved.value()["token"], VALUES[0]);
    assert!(resolver.authorize(&Identity::in_groups(["etl"]), "aws", Some("api-token")).is_ok());
}

#[tokio::test]
async fn a_denied_write_never_runs() {
    let source = backend();
    let resolver = restricted(&source, Auditor::tracing_only());
    let ran = AtomicBool::new(false);
    let result = resolver
        .write(&Identity::in_groups(["sales"]), "aws", "api-token", Operation::Delete, || async {
            ran.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await;
    assert!(result.expect_err("denied").is_denied());
    assert!(!ran.load(Ordering::SeqCst));
}

#[tokio::test]
async fn audit_records_say_who_did_what_and_never_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.jsonl");
    let source = backend();
    let resolver = restricted(&source, Auditor::to_file(&path).expect("audit file"));
    let identity = Identity {
        namespace: Some("company.team".into()),
        groups: vec!["etl".into()],
        flow: Some("nightly-load".into()),
        step: Some("extract".into()),
        ..Identity::default()
    };
    let step = json!({"steps": [{"auth": "Bearer ${secret:aws/api-token}", "db": "${secret:aws/prod/db/password}"}]});
    resolver.resolve(&identity, &step).await.expect("resolves");
    resolver.resolve(&identity, &step).await.expect("resolves again");
    let _ = resolver.resolve(&identity, &json!("${secret:aws/admin/root}")).await;
    let _ = resolver.resolve(&identity, &json!("${secret:aws/missing}")).await;
    resolver
        .write(&identity, "aws", "api-token", Operation::Update, || async {
            let version = source.put("api-token", "tok-rotated-987654");
            Ok(SecretMetadata { version_id: Some(version), ..SecretMetadata::named("api-token") })
        })
        .await
        .expect("written");
    let failed: Result<(), _> = resolver
        .write(&identity, "aws", "api-token", Operation::Delete, || async {
            Err(ProviderError::Conflict("locked".into()))
        })
        .await;
    assert!(failed.is_err());
    resolver.auditor().flush().expect("flushed");

    let text = std::fs::read_to_string(&path).expect("audit file");
    for value in VALUES.iter().chain(&["tok-rotated-987654", "root-password-1"]) {
        assert!(!text.contains(value), "audit contains a value");
    }
    let records: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).expect("JSON line")).collect();
    let summary: Vec<(String, String, String, String)> = records
        .iter()
        .map(|r| {
            let field = |name: &str| r[name].as_str().unwrap_or_default().to_owned();
            (field("operation"), field("secret"), field("outcome"), field("cache"))
        })
        .collect();
    let expect = |op: &str, secret: &str, outcome: &str, cache: &str| {
        (op.to_owned(), secret.to_owned(), outcome.to_owned(), cache.to_owned())
    };
    assert!(summary.contains(&expect("resolve", "api-token", "ok", "miss")), "{summary:?}");
    assert!(summary.contains(&expect("resolve", "api-token", "ok", "hit")));
    assert!(summary.contains(&expect("resolve", "prod/db", "ok", "miss")));
    assert!(summary.contains(&expect("resolve", "admin/root", "denied", "bypassed")));
    assert!(summary.contains(&expect("resolve", "missing", "not-found", "miss")));
    assert!(summary.contains(&expect("update", "api-token", "ok", "bypassed")));
    assert!(summary.contains(&expect("delete", "api-token", "backend-error", "bypassed")));
    let first = &records[0];
    assert_eq!(first["namespace"], "company.team");
    assert_eq!(first["flow"], "nightly-load");
    assert_eq!(first["step"], "extract");
    assert_eq!(first["manager"], "aws");
    assert!(first["time"].as_str().is_some_and(|time| time.ends_with('Z')));
    let db = records.iter().find(|r| r["secret"] == "prod/db").expect("db record");
    assert_eq!((db["key"].as_str(), db["version"].as_str()), (Some("password"), Some("v2")));
    assert_eq!(db["path"], "steps[0].db");
    let update = records.iter().find(|r| r["operation"] == "update").expect("update record");
    assert_eq!(update["version"], "v4");
}

#[tokio::test]
async fn confirm_says_whether_the_records_reached_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = backend();
    let good = restricted(&source, Auditor::to_file(&dir.path().join("audit.jsonl")).expect("audit file"));
    let member = Identity::in_namespace("company.team");
    good.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    good.auditor().confirm().await.expect("written");
    let written = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit file");
    assert!(written.contains("\"revealed\":true"), "{written}");

    // A device that is always full: opened fine, every write refused.
    let full = restricted(&source, Auditor::to_file(std::path::Path::new("/dev/full")).expect("/dev/full opens"));
    full.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    assert!(full.auditor().confirm().await.is_err(), "the record could not be written");
    // Nothing new to write is no excuse: the earlier loss still counts for everything up to it.
    assert!(full.auditor().confirm().await.is_err());
    // Without a file there is nothing to fail.
    let tracing_only = restricted(&source, Auditor::tracing_only());
    tracing_only.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    tracing_only.auditor().confirm().await.expect("nothing to confirm");
}

/// A shared trail for the tests: keeps what it is given, or refuses everything.
struct Trail {
    kept: Arc<std::sync::Mutex<String>>,
    refuse: bool,
}

impl SharedTrail for Trail {
    fn append(&mut self, lines: &str) -> std::io::Result<()> {
        if self.refuse {
            return Err(std::io::Error::other("the records are unreachable"));
        }
        self.kept.lock().expect("kept").push_str(lines);
        Ok(())
    }
}

#[tokio::test]
async fn records_reach_the_shared_trail_and_its_failure_is_a_failed_write() {
    let source = backend();
    let member = Identity::in_namespace("company.team");
    let kept = Arc::new(std::sync::Mutex::new(String::new()));
    let trail = Trail { kept: Arc::clone(&kept), refuse: false };
    let shared = restricted(&source, Auditor::new(None, Some(Box::new(trail))).expect("a shared trail alone"));
    assert!(shared.auditor().has_file(), "a shared trail can fail, so callers failing closed wait for it");
    shared.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    shared.auditor().confirm().await.expect("appended");
    let lines = kept.lock().expect("kept").clone();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let record: Value = serde_json::from_str(lines.trim_end()).expect("one JSON object per line");
    assert_eq!((record["manager"].as_str(), record["secret"].as_str()), (Some("aws"), Some("api-token")));
    assert!(!lines.contains(VALUES[0]), "never a value: {lines}");

    // Both: the file and the trail get the same line.
    let dir = tempfile::tempdir().expect("temp dir");
    let kept_too = Arc::new(std::sync::Mutex::new(String::new()));
    let trail = Trail { kept: Arc::clone(&kept_too), refuse: false };
    let path = dir.path().join("audit.jsonl");
    let both = restricted(&source, Auditor::new(Some(&path), Some(Box::new(trail))).expect("file and trail"));
    both.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    both.auditor().confirm().await.expect("written");
    assert_eq!(std::fs::read_to_string(&path).expect("audit file"), *kept_too.lock().expect("kept"));

    // A trail that cannot be reached: the records count as lost, as with a file that cannot be written.
    let down = Trail { kept: Arc::default(), refuse: true };
    let refused = restricted(&source, Auditor::new(None, Some(Box::new(down))).expect("a trail"));
    refused.resolve(&member, &json!({"t": "${secret:aws/api-token}"})).await.expect("resolves");
    assert!(refused.auditor().confirm().await.is_err(), "the record could not be appended");
}

#[tokio::test]
async fn a_failing_placeholder_never_shows_what_its_siblings_resolved() {
    let good = FakeSource::new(false);
    good.put("api-token", "sibling-value-8e1f4c");
    let echoing = FakeSource::new(false);
    echoing.fail_with(Some(ProviderError::Unavailable("proxy said: sibling-value-8e1f4c is not mine".into())));
    let resolver = Resolver::builder()
        .manager("good", good, ManagerOptions::default())
        .manager("echo", echoing, ManagerOptions::default())
        .build()
        .expect("resolver");
    let step = json!({"a": "${secret:good/api-token}", "b": "${secret:echo/other}"});
    let err = resolver.resolve(&Identity::default(), &step).await.expect_err("b fails");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("sibling-value-8e1f4c"), "{text}");
    assert!(text.contains("proxy said: ****** is not mine"), "the rest of the message stays: {text}");
}
