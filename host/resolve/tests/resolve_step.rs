//! Resolving whole steps: syntaxes, key rules, escapes, binary values, errors with paths (a missing version
//! and a deleted secret said as such), concurrency.

mod common;

use common::FakeSource;
use keyway_resolve::{Identity, KeyRule, ManagerOptions, Resolver, SecretError};
use keyway_types::{ProviderError, SecretValue, VersionSelector};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn resolver(source: &Arc<FakeSource>, keys: KeyRule) -> Resolver {
    Resolver::builder()
        .manager("aws", source.clone(), ManagerOptions { keys, ..ManagerOptions::default() })
        .default_manager("aws")
        .build()
        .expect("valid configuration")
}

fn backend() -> Arc<FakeSource> {
    let source = FakeSource::new(true);
    source.put("api-token", "tok-0123456789");
    source.put("prod/db", r#"{"username":"app","password":"pw-abcdef","port":5432}"#);
    source.put("team/app/plain", "plain-value-1");
    source
}

#[tokio::test]
async fn resolves_every_syntax_in_a_json_tree() {
    let source = backend();
    let resolver = resolver(&source, KeyRule::Auto);
    let step = json!({
        "steps": [{
            "headers": {"Authorization": "Bearer ${secret:aws/api-token}"},
            "db": {
                "user": "${secret:aws/prod/db/username}",
                "password": "{{ secret('prod/db', subkey='password') }}",
                "port": "${secret:aws/prod/db?key=port}",
                "url": "postgres://${secret:aws/prod/db/username}:${secret:aws/prod/db/password}@db:5432"
            },
            "plain": "{{ secret('team/app/plain', manager='aws') }}",
            "literal": "cost: $${secret:not/resolved}",
            "untouched": ["{{ inputs.x }}", 42, true, null]
        }]
    });
    let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    let expected = json!({
        "steps": [{
            "headers": {"Authorization": "Bearer tok-0123456789"},
            "db": {
                "user": "app",
                "password": "pw-abcdef",
                "port": "5432",
                "url": "postgres://app:pw-abcdef@db:5432"
            },
            "plain": "plain-value-1",
            "literal": "cost: ${secret:not/resolved}",
            "untouched": ["{{ inputs.x }}", 42, true, null]
        }]
    });
    assert_eq!(resolved.value(), &expected);
    // Distinct secrets: api-token, prod/db/username (not found) then prod/db, prod/db/password (not found),
    // prod/db (same entry), team/app/plain.
    assert_eq!(source.gets(), 5, "each distinct name read once");
    assert!(!format!("{resolved:?}").contains("tok-0123456789"));
}

#[tokio::test]
async fn yaml_trees_resolve_the_same_way() {
    let source = backend();
    let resolver = resolver(&source, KeyRule::LastSegment);
    let yaml =
        "tasks:\n  - id: call\n    token: \"${secret:aws/api-token}\"\n    user: ${secret:aws/prod/db/username}\n";
    let step: serde_json::Value = serde_yaml::from_str(yaml).expect("valid yaml");
    let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    assert_eq!(resolved.value()["tasks"][0]["token"], "tok-0123456789");
    assert_eq!(resolved.value()["tasks"][0]["user"], "app");
}

#[tokio::test]
async fn key_rules_read_trailing_segments_differently() {
    let source = backend();
    source.put("prod/db/password", "a-secret-named-like-a-key");
    let step = json!("${secret:aws/prod/db/password}");
    let auto = resolver(&source, KeyRule::Auto).resolve(&Identity::default(), &step).await.expect("auto");
    assert_eq!(auto.value(), "a-secret-named-like-a-key", "the full name wins under auto");
    let last = resolver(&source, KeyRule::LastSegment).resolve(&Identity::default(), &step).await.expect("last");
    assert_eq!(last.value(), "pw-abcdef", "CloverDX's rule: the last segment is a key");
    let never = resolver(&source, KeyRule::Never);
    let error =
        never.resolve(&Identity::default(), &json!("${secret:aws/prod/db/username}")).await.expect_err("no key");
    assert!(error.cause().is_not_found());
}

#[tokio::test]
async fn binary_values_fill_whole_strings_as_base64_only() {
    let source = backend();
    source.put_value("keystore", SecretValue::binary(vec![0u8, 1, 2, 250, 251, 252]));
    let resolver = resolver(&source, KeyRule::Auto);
    let whole = resolver.resolve(&Identity::default(), &json!({"ks": "${secret:aws/keystore}"})).await.expect("whole");
    assert_eq!(whole.value()["ks"], "AAEC+vv8");
    let embedded = resolver
        .resolve(&Identity::default(), &json!({"ks": "data:${secret:aws/keystore}"}))
        .await
        .expect_err("embedded binary");
    assert!(matches!(embedded.cause(), SecretError::BinaryEmbedded { .. }));
    assert_eq!(embedded.path().to_string(), "ks");
}

#[tokio::test]
async fn each_failure_has_its_own_error_naming_path_and_placeholder() {
    let source = backend();
    let resolver = resolver(&source, KeyRule::LastSegment);
    let identity = Identity::default();
    let at = |field: &str, text: &str| json!({"steps": [{}, {}, {"headers": {field: text}}]});

    let malformed = resolver.resolve(&identity, &at("Authorization", "Bearer ${secret:aws/a b}")).await;
    let malformed = malformed.expect_err("malformed");
    assert!(matches!(malformed.cause(), SecretError::Malformed(_)));
    assert_eq!(malformed.path().to_string(), "steps[2].headers.Authorization");
    assert_eq!(malformed.placeholder(), "${secret:aws/a b}");

    let unknown = resolver.resolve(&identity, &at("A", "${secret:gcp/x}")).await.expect_err("unknown");
    assert_eq!(unknown.cause(), &SecretError::UnknownManager { manager: "gcp".into() });
    assert_eq!(unknown.to_string(), "steps[2].headers.A: ${secret:gcp/x}: unknown manager 'gcp'");

    let missing = resolver.resolve(&identity, &at("A", "${secret:aws/prod/db/pin}")).await.expect_err("missing key");
    assert!(matches!(missing.cause(), SecretError::MissingKey { key, .. } if key == "pin"));

    let not_json = resolver.resolve(&identity, &at("A", "${secret:aws/api-token?key=x}")).await.expect_err("not json");
    assert!(matches!(not_json.cause(), SecretError::NotKeyValue { .. }));

    let not_found = resolver.resolve(&identity, &at("A", "${secret:aws/nope}")).await.expect_err("not found");
    assert!(not_found.cause().is_not_found());

    source.fail_with(Some(ProviderError::Unavailable("backend down".into())));
    let backend = resolver.resolve(&identity, &at("A", "${secret:aws/other}")).await.expect_err("backend");
    assert!(matches!(backend.cause(), SecretError::Backend { .. }));
    assert!(backend.to_string().contains("backend down"));
}

#[tokio::test]
async fn a_missing_label_or_version_is_not_a_missing_secret() {
    let source = backend();
    source.put("api-token", "tok-2");
    let resolver = resolver(&source, KeyRule::LastSegment);
    let identity = Identity::default();
    let label = resolver.resolve(&identity, &json!("${secret:aws/api-token?label=NOPE}")).await.expect_err("label");
    assert!(label.cause().is_not_found(), "{label}");
    assert_eq!(
        label.cause().to_string(),
        "secret 'api-token' on manager 'aws' exists, but has no version labelled 'NOPE'; `keyway versions \
         aws/api-token` lists its versions and their labels"
    );
    let version = resolver.get(&identity, "aws", "api-token", &VersionSelector::Id("v99".into())).await;
    let version = version.expect_err("no such version");
    assert!(version.to_string().contains("exists, but has no version 'v99'"), "{version}");
    let key = resolver.resolve(&identity, &json!("${secret:aws/prod/db/password?label=OLD}")).await;
    let key = key.expect_err("the key's secret has no such label");
    assert!(
        key.to_string().contains("secret 'prod/db' on manager 'aws' exists, but has no version labelled 'OLD'"),
        "{key}"
    );
    let missing = resolver.get(&identity, "aws", "nope", &VersionSelector::Label("NOPE".into())).await;
    assert_eq!(missing.expect_err("missing").to_string(), "secret 'nope' not found on manager 'aws'");
}

#[tokio::test]
async fn a_deleted_secret_says_until_when_and_how_to_restore_it() {
    let source = backend();
    let purge_at = 1_900_000_000_000; // 2030-03-17T17:46:40Z
    source.delete_recoverably("api-token", purge_at, ProviderError::not_found("api-token"));
    // AWS refuses to read a secret scheduled for deletion with a conflict rather than "not found".
    source.delete_recoverably("team/app/plain", purge_at, ProviderError::Conflict("marked for deletion".into()));
    let resolver = resolver(&source, KeyRule::LastSegment);
    for name in ["api-token", "team/app/plain"] {
        let error = resolver.get(&Identity::default(), "aws", name, &VersionSelector::Latest).await;
        let error = error.expect_err("deleted");
        assert!(error.is_not_found(), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "secret '{name}' on manager 'aws' is deleted, and scheduled for deletion for good on \
                 2030-03-17T17:46:40.000Z; `keyway restore aws/{name}` restores it until then"
            )
        );
    }
}

#[tokio::test]
async fn errors_never_contain_values() {
    let source = backend();
    let resolver = resolver(&source, KeyRule::LastSegment);
    let step = json!({"a": "${secret:aws/prod/db/username}", "b": "x-${secret:aws/prod/db/nope}"});
    let error = resolver.resolve(&Identity::default(), &step).await.expect_err("missing key");
    for text in [error.to_string(), format!("{error:?}")] {
        for value in ["app", "pw-abcdef", "5432"] {
            assert!(!text.contains(value), "{text} contains {value}");
        }
    }
}

#[tokio::test]
async fn a_placeholder_without_manager_needs_a_default() {
    let source = backend();
    let resolver = Resolver::builder().manager("aws", source, ManagerOptions::default()).build().expect("valid");
    let error =
        resolver.resolve(&Identity::default(), &json!("{{ secret('api-token') }}")).await.expect_err("no default");
    assert_eq!(error.cause(), &SecretError::NoDefaultManager);
}

#[tokio::test]
async fn distinct_secrets_of_a_step_are_read_concurrently() {
    let source = FakeSource::new(false);
    for i in 0..10 {
        source.put(&format!("s{i}"), &format!("value-{i:04}"));
    }
    source.set_delay(Duration::from_millis(200));
    let resolver = resolver(&source, KeyRule::Never);
    let step: serde_json::Value = (0..10).map(|i| (format!("k{i}"), json!(format!("${{secret:aws/s{i}}}")))).collect();
    let started = Instant::now();
    let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    assert!(started.elapsed() < Duration::from_millis(1500), "took {:?}", started.elapsed());
    assert_eq!(resolved.value()["k7"], "value-0007");
    assert_eq!(source.gets(), 10);
}

#[tokio::test]
async fn resolved_values_are_registered_for_masking() {
    let source = backend();
    let resolver = resolver(&source, KeyRule::LastSegment);
    let step = json!({"token": "${secret:aws/api-token}", "pw": "${secret:aws/prod/db/password}"});
    let resolved = resolver.resolve(&Identity::default(), &step).await.expect("resolves");
    let log = format!("calling with {} and pw-abcdef", resolved.value());
    let masked = resolver.masker().mask(&log);
    assert!(!masked.contains("tok-0123456789") && !masked.contains("pw-abcdef"), "{masked}");
    assert!(masked.contains("******"));
}
