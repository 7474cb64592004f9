//! Kestra's namespaces on a manager that keeps secrets by namespace: a flow finds its namespace's secret, or
//! with inheritance the nearest one above; `namespace='…'` names its own namespace or one above, never a
//! sibling's; the same placeholder text resolves per namespace; a manager without namespaces refuses
//! `namespace=` with what to configure.

use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_types::{SecretValue, WriteOptions};
use serde_json::json;

async fn keyway(home: &std::path::Path) -> Keyway {
    let yaml = format!(
        "home: {home}\ndefault_manager: kv\nmanagers:\n  kv:\n    plugin: local\n    namespaces: {{ layout: \"{{namespace}}/{{name}}\", inherit: true }}\n  plain:\n    plugin: local\n",
        home = home.display()
    );
    Keyway::open(Config::from_yaml(&yaml).expect("config"), ConfigSource::BuiltInDefault).await.expect("keyway")
}

fn flow(namespace: &str) -> Identity {
    Identity { namespace: Some(namespace.into()), flow: Some("etl".into()), ..Identity::default() }
}

async fn resolved(keyway: &Keyway, identity: &Identity, text: &str) -> Result<String, KeywayError> {
    let step = json!({ "value": text });
    let resolved = keyway.resolve(identity, &step).await?;
    Ok(resolved.into_parts().0["value"].as_str().expect("text").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_found_in_the_nearest_namespace() {
    let home = tempfile::tempdir().expect("home");
    let keyway = keyway(home.path()).await;
    let admin = Identity::default();
    for (name, value) in [("company/db", "company-db"), ("company.team/db", "team-db"), ("company/top", "top-only")] {
        keyway.create(&admin, "kv", name, &SecretValue::text(value), &WriteOptions::default()).await.expect("create");
    }
    let sub = flow("company.team.sub");
    assert_eq!(resolved(&keyway, &sub, "{{ secret('db') }}").await.expect("nearest"), "team-db");
    assert_eq!(resolved(&keyway, &sub, "{{ secret('top') }}").await.expect("inherited"), "top-only");
    // The same text, another namespace: its own answer, not the first caller's.
    let other = flow("company.other");
    assert_eq!(resolved(&keyway, &other, "{{ secret('db') }}").await.expect("company's"), "company-db");
    assert_eq!(resolved(&keyway, &sub, "{{ secret('db') }}").await.expect("again"), "team-db");
    // A namespace above the flow's may be named; a sibling's may not.
    let team = flow("company.team");
    let named = resolved(&keyway, &team, "{{ secret('db', namespace='company') }}").await.expect("above");
    assert_eq!(named, "company-db");
    let sibling = resolved(&keyway, &team, "{{ secret('db', namespace='company.other') }}").await.expect_err("sibling");
    assert!(sibling.to_string().contains("denied") || sibling.to_string().contains("not allowed"), "{sibling}");
    let client = Identity { client: Some("kestra".into()), peer: Some("127.0.0.1:5000".into()), ..Identity::default() };
    resolved(&keyway, &client, "{{ secret('db', namespace='company') }}")
        .await
        .expect_err("a client must say its namespace");
    // Not found anywhere up the tree.
    let missing = resolved(&keyway, &sub, "{{ secret('nowhere') }}").await.expect_err("missing");
    assert!(missing.to_string().contains("tried 'company.team.sub/nowhere', then 'company.team/nowhere'"), "{missing}");
    // A manager without namespaces says what to configure.
    let plain = resolved(&keyway, &team, "{{ secret('db', namespace='company', manager='plain') }}").await;
    let plain = plain.expect_err("not namespaced").to_string();
    assert!(plain.contains("managers.plain.namespaces"), "{plain}");
    // The canonical form names secrets as stored: the caller's namespace and those above it only.
    assert_eq!(resolved(&keyway, &sub, "${secret:kv/company/db}").await.expect("canonical"), "company-db");
    keyway
        .create(&admin, "kv", "company.other/db", &SecretValue::text("other-db"), &WriteOptions::default())
        .await
        .expect("create");
    let escaped =
        resolved(&keyway, &team, "${secret:kv/company.other/db}").await.expect_err("a sibling's, canonically");
    assert!(escaped.to_string().contains("denied") || escaped.to_string().contains("not allowed"), "{escaped}");
    assert!(!escaped.to_string().contains("other-db"));
    // A name that smuggles another namespace stays in the caller's.
    let smuggled =
        resolved(&keyway, &team, "{{ secret('company.other/db') }}").await.expect_err("not found in its own");
    assert!(smuggled.to_string().contains("company.team/company.other/db"), "{smuggled}");
    // The flow-node API and listings follow the same rule.
    use keyway_types::{ListRequest, VersionSelector};
    keyway.get(&team, "kv", "company.other/db", &VersionSelector::Latest).await.expect_err("get of a sibling's");
    let own = keyway.get(&team, "kv", "company/db", &VersionSelector::Latest).await.expect("get from above");
    assert_eq!(own.value().expose_text(), Some("company-db"));
    let listed = keyway.list(&team, "kv", &ListRequest::default()).await.expect("list");
    let names: Vec<&str> = listed.secrets.iter().map(|meta| meta.name.as_str()).collect();
    assert!(
        names.contains(&"company/db") && names.contains(&"company.team/db") && !names.contains(&"company.other/db"),
        "{names:?}"
    );
    // A caller over a front end that asserts no namespace uses none.
    let anonymous =
        Identity { client: Some("kestra".into()), peer: Some("127.0.0.1:5000".into()), ..Identity::default() };
    resolved(&keyway, &anonymous, "{{ secret('db') }}").await.expect_err("no namespace asserted");
    keyway.get(&anonymous, "kv", "company/db", &VersionSelector::Latest).await.expect_err("no namespace asserted");
}

#[tokio::test]
async fn a_layout_must_place_the_namespace_before_the_name() {
    let home = tempfile::tempdir().expect("home");
    for layout in ["{ns}/{name}", "{name}/{namespace}", "{namespace}.{name}", "{namespace}{name}"] {
        let yaml = format!(
            "home: {}\nmanagers:\n  kv:\n    plugin: local\n    namespaces: {{ layout: \"{layout}\" }}\n",
            home.path().display()
        );
        let err = Keyway::open(Config::from_yaml(&yaml).expect("config"), ConfigSource::BuiltInDefault).await;
        let err = err.expect_err(layout).to_string();
        assert!(err.contains("managers.kv.namespaces"), "{layout}: {err}");
    }
}
