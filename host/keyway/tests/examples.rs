//! The example configuration in the README parses, and every manager's settings pass its plugin's manifest.

use keyway::Config;
use keyway_runtime::PluginManifest;
use std::path::Path;

#[test]
fn example_configuration_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/keyway.yaml");
    let config = Config::from_file(&path).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.default_manager.as_deref(), Some("local"));
    for (name, manager) in &config.managers {
        let built = keyway_plugins::find(&manager.plugin)
            .unwrap_or_else(|| panic!("manager '{name}' uses plugin '{}', which is not built in", manager.plugin));
        let manifest = PluginManifest::parse(built.manifest, &manager.plugin).unwrap_or_else(|err| panic!("{err}"));
        let settings = if manager.settings.is_null() { serde_json::json!({}) } else { manager.settings.clone() };
        manifest.validate(name, &settings).unwrap_or_else(|err| panic!("{err}"));
    }
    assert_eq!(config.managers.len(), 4);
    std::env::set_var("KESTRA_KEYWAY_TOKEN", "an-example-token-of-the-workers");
    let home = std::env::temp_dir().join(format!("keyway-example-home-{}", std::process::id()));
    let clients = keyway::ClientRegistry::from_config(&config.serve, &home, None).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(clients.by_token("an-example-token-of-the-workers").map(|c| c.name()), Some("kestra-workers"));
    assert_eq!(clients.by_uid(1001).map(|c| c.name()), Some("airflow"));
}

#[test]
fn the_production_db_example_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/production-db.yaml");
    let config = Config::from_file(&path).unwrap_or_else(|err| panic!("{err}"));
    for (name, manager) in &config.managers {
        let built = keyway_plugins::find(&manager.plugin).unwrap_or_else(|| panic!("{name}: no plugin"));
        let manifest = PluginManifest::parse(built.manifest, &manager.plugin).unwrap_or_else(|err| panic!("{err}"));
        manifest.validate(name, &manager.settings).unwrap_or_else(|err| panic!("{err}"));
    }
    let profile = &config.profiles["production-db"];
    assert_eq!((profile.source.as_deref(), profile.managers()), (Some("aws"), vec!["aws", "vault"]));
    assert_eq!(profile.approval.as_ref().map(|policy| policy.quorum), Some(2));
    assert_eq!(profile.compliance.as_ref().and_then(|rules| rules.min_length), Some(24));
}
