//! A runtime per test, and connections to the embedded plugins.

use crate::harness::workspace_root;
use keyway_conformance::{ProxyOptions, Report, SuiteOptions};
use keyway_runtime::{Connection, ConnectionConfig, Plugin, PluginManifest, Runtime, RuntimeConfig};
use std::sync::Arc;

/// A runtime whose precompiled-plugin cache is shared by all tests.
pub fn runtime() -> Runtime {
    let config = RuntimeConfig {
        cache_dir: Some(workspace_root().join("target/keyway-test-cache")),
        ..RuntimeConfig::default()
    };
    Runtime::new(config).unwrap_or_else(|err| panic!("runtime: {err}"))
}

/// Loads the embedded plugin `name`.
pub fn load(runtime: &Runtime, name: &str) -> Arc<keyway_runtime::Plugin> {
    let built =
        keyway_plugins::find(name).unwrap_or_else(|| panic!("plugin '{name}' is not built into keyway-plugins"));
    let manifest = PluginManifest::parse(built.manifest, name).unwrap_or_else(|err| panic!("{err}"));
    runtime.load_plugin(manifest, built.wasm).unwrap_or_else(|err| panic!("{err}"))
}

/// Opens `manager` on the embedded plugin `name` with `settings`.
pub async fn connect(runtime: &Runtime, name: &str, manager: &str, config: ConnectionConfig) -> Connection {
    let plugin = load(runtime, name);
    runtime.connect(&plugin, manager, config).await.unwrap_or_else(|err| panic!("connect {manager}: {err}"))
}

/// A connection config with these settings and defaults otherwise.
pub fn with_settings(settings: serde_json::Value) -> ConnectionConfig {
    ConnectionConfig { settings, ..ConnectionConfig::default() }
}

/// `settings` (a JSON object) with the fields of `extra` added, replacing those of the same name.
pub fn with_extra(mut settings: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(target), serde_json::Value::Object(extra)) = (settings.as_object_mut(), extra) {
        target.extend(extra);
    }
    settings
}

/// Runs the conformance kit's misbehaving-proxy cases for `plugin` connecting with `config` (its backend URL
/// setting is pointed at the kit's proxy), and asserts that every case passed and that only `skipped` were
/// skipped.
pub async fn passes_the_proxy_cases(
    runtime: &Runtime,
    plugin: &Arc<Plugin>,
    config: ConnectionConfig,
    options: &SuiteOptions,
    proxy: &ProxyOptions,
    skipped: usize,
) -> Report {
    let report = keyway_conformance::run_behind_proxy(runtime, plugin, config, options, proxy).await;
    println!("{report}");
    assert!(report.is_success(), "the misbehaving-proxy cases failed:\n{report}");
    assert_eq!(report.skipped(), skipped, "skipped cases:\n{report}");
    report
}
