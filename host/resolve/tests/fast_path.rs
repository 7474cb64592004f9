//! The resolver's fast path (compiled strings and remembered cache entries): what a repeated resolution
//! skips, and what it must never skip — access checks, audit records, invalidation, eviction, masking.

mod common;

use common::{short_cache, FakeSource};
use keyway_resolve::{AccessPolicy, Auditor, CacheOptions, Identity, KeyRule, ManagerOptions, Resolver};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn backend() -> Arc<FakeSource> {
    let source = FakeSource::new(false);
    source.put("api-token", "tok-0123456789");
    source.put("prod/db", r#"{"username":"app","password":"pw-abcdef"}"#);
    source
}

fn resolver(source: &Arc<FakeSource>, cache: CacheOptions, options: ManagerOptions) -> Resolver {
    Resolver::builder().cache(cache).manager("aws", source.clone(), options).build().expect("valid configuration")
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("audit file");
    text.lines().map(|line| serde_json::from_str(line).expect("JSON line")).collect()
}

#[tokio::test]
async fn repeated_resolutions_read_the_backend_once_and_are_each_audited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.jsonl");
    let source = backend();
    let resolver = Resolver::builder()
        .auditor(Auditor::to_file(&path).expect("audit file"))
        .manager("aws", source.clone(), ManagerOptions::default())
        .build()
        .expect("valid configuration");
    let step = json!({"a": "Bearer ${secret:aws/api-token}", "b": ["${secret:aws/prod/db/password}"]});
    for _ in 0..5 {
        let resolved = resolver.resolve(&Identity::in_namespace("team"), &step).await.expect("resolves");
        assert_eq!(resolved.value(), &json!({"a": "Bearer tok-0123456789", "b": ["pw-abcdef"]}));
    }
    // api-token once; prod/db/password (not found, remembered) then prod/db once.
    assert_eq!(source.gets(), 3);
    resolver.auditor().flush().expect("flushed");
    let records = audit_lines(&path);
    assert_eq!(records.len(), 10, "one record per distinct secret per resolution");
    let caches: Vec<&str> = records.iter().map(|record| record["cache"].as_str().unwrap_or_default()).collect();
    assert_eq!(&caches[..2], ["miss", "miss"]);
    assert!(caches[2..].iter().all(|cache| *cache == "hit"), "{caches:?}");
    let db = records.iter().rev().find(|record| record["secret"] == "prod/db").expect("db record");
    assert_eq!((&db["key"], &db["path"], &db["namespace"]), (&json!("password"), &json!("b[0]"), &json!("team")));
}

#[tokio::test]
async fn a_step_mixing_cached_and_new_secrets_reads_only_the_new_ones() {
    let source = backend();
    source.put("other", "other-value-1");
    let resolver = resolver(&source, CacheOptions::default(), ManagerOptions::default());
    let identity = Identity::default();
    resolver.resolve(&identity, &json!("${secret:aws/api-token}")).await.expect("warm");
    let step = json!({"x": "${secret:aws/other}", "y": "${secret:aws/api-token}", "z": "${secret:aws/other}"});
    let resolved = resolver.resolve(&identity, &step).await.expect("resolves");
    assert_eq!(resolved.value(), &json!({"x": "other-value-1", "y": "tok-0123456789", "z": "other-value-1"}));
    assert_eq!((source.gets(), resolved.secrets()), (2, 2));
    let again = resolver.resolve(&identity, &step).await.expect("resolves");
    assert_eq!(again.value(), resolved.value());
    assert_eq!(source.gets(), 2);
}

#[tokio::test]
async fn a_denied_caller_is_refused_even_when_the_secret_is_cached() {
    let source = backend();
    let access = AccessPolicy { namespaces: vec!["company.team".into()], ..AccessPolicy::default() };
    let resolver = resolver(&source, CacheOptions::default(), ManagerOptions { access, ..ManagerOptions::default() });
    let step = json!({"token": "${secret:aws/api-token}"});
    resolver.resolve(&Identity::in_namespace("company.team"), &step).await.expect("member");
    let error = resolver.resolve(&Identity::in_namespace("company.other"), &step).await.expect_err("outsider");
    assert!(error.cause().is_denied(), "{error}");
    let error = resolver
        .get(&Identity::default(), "aws", "api-token", &keyway_types::VersionSelector::Latest)
        .await
        .expect_err("outsider");
    assert!(error.is_denied());
    assert_eq!(source.gets(), 1);
}

#[tokio::test]
async fn invalidation_and_expiry_reach_remembered_entries() {
    let source = backend();
    let resolver = resolver(&source, short_cache(Duration::from_millis(200)), ManagerOptions::default());
    let identity = Identity::default();
    let step = json!("${secret:aws/api-token}");
    resolver.resolve(&identity, &step).await.expect("resolves");
    source.put("api-token", "tok-rotated-2");
    let scope = keyway_resolve::CacheScope::Secret { manager: "aws".into(), name: "api-token".into() };
    resolver.clear_cache(scope).await.expect("cleared");
    assert_eq!(resolver.resolve(&identity, &step).await.expect("resolves").value(), "tok-rotated-2");
    source.put("api-token", "tok-rotated-3");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(resolver.resolve(&identity, &step).await.expect("resolves").value(), "tok-rotated-3");
    assert_eq!(source.gets(), 3);
}

#[tokio::test]
async fn entries_the_cache_evicts_are_not_served_from_the_front() {
    let source = FakeSource::new(false);
    for i in 0..40 {
        source.put(&format!("s{i}"), &format!("value-{i:04}"));
    }
    let options = CacheOptions { max_entries: 10, ..short_cache(Duration::from_secs(60)) };
    let resolver = resolver(&source, options, ManagerOptions { keys: KeyRule::Never, ..ManagerOptions::default() });
    let step: Value = (0..40).map(|i| (format!("k{i}"), json!(format!("${{secret:aws/s{i}}}")))).collect();
    resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = source.gets();
    let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves again");
    assert_eq!(resolved.value()["k31"], "value-0031");
    assert!(source.gets() - before >= 30, "at most 10 of 40 served from the cache, read {}", source.gets() - before);
}

#[tokio::test]
async fn many_distinct_strings_stay_correct_past_the_fronts_bounds() {
    let source = backend();
    let resolver = resolver(&source, CacheOptions::default(), ManagerOptions::default());
    let long = format!("{} ${{secret:aws/api-token}}", "x".repeat(5000));
    let resolved = resolver.resolve(&Identity::default(), &json!(long)).await.expect("long string");
    assert!(resolved.value().as_str().is_some_and(|text| text.ends_with(" tok-0123456789")));
    for i in 0..5000 {
        let step = json!({"a": format!("{i} ${{secret:aws/api-token}}"), "b": "${secret:aws/prod/db?key=username}"});
        let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves");
        assert_eq!(resolved.value()["a"], format!("{i} tok-0123456789"));
        assert_eq!(resolved.value()["b"], "app");
    }
    assert_eq!(source.gets(), 2);
}

#[tokio::test]
async fn a_cleared_masker_learns_cached_values_again() {
    let source = backend();
    let resolver = resolver(&source, CacheOptions::default(), ManagerOptions::default());
    let step = json!({"t": "${secret:aws/api-token}", "p": "${secret:aws/prod/db?key=password}"});
    resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    resolver.masker().clear();
    assert_eq!(resolver.masker().mask("tok-0123456789 pw-abcdef"), "tok-0123456789 pw-abcdef");
    resolver.resolve(&Identity::default(), &step).await.expect("resolves from the cache");
    assert_eq!(resolver.masker().mask("tok-0123456789 pw-abcdef"), "****** ******");
}
