//! Configuration mistakes through the runtime's public API: each gives one
//! error whose message names the field (or plugin) and what is wrong, before
//! any plugin code runs.

use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::plugins::{load, runtime, with_settings};
use keyway_runtime::{ConnectionConfig, RuntimeError};
use serde_json::json;

/// Connects `manager` to the embedded plugin `plugin` and returns the error it must fail with.
async fn refused(plugin: &str, manager: &str, config: ConnectionConfig) -> RuntimeError {
    let rt = runtime();
    let plugin = load(&rt, plugin);
    match rt.connect(&plugin, manager, config).await {
        Ok(conn) => panic!("{conn:?} opened with a broken configuration"),
        Err(err) => err,
    }
}

fn one_line(err: &RuntimeError) -> String {
    let text = err.to_string();
    assert_eq!(text.lines().count(), 1, "one message, one line: {text}");
    text
}

#[tokio::test]
async fn an_unknown_field_is_named_with_the_accepted_ones() {
    let err = refused("memory", "cache", with_settings(json!({ "page_sise": 10 }))).await;
    assert!(matches!(&err, RuntimeError::Settings { field, .. } if field == "page_sise"), "{err:?}");
    assert_eq!(
        one_line(&err),
        "manager 'cache': setting `page_sise` is unknown; plugin 'memory' accepts: page_size, read_only"
    );
}

#[tokio::test]
async fn a_missing_required_field_is_named_with_its_meaning() {
    let dir = TempDir::new("config-missing");
    let config = ConnectionConfig { data_dir: Some(dir.path().join("data")), ..with_settings(json!({})) };
    let err = refused("hostile", "attacker", config).await;
    assert!(matches!(&err, RuntimeError::Settings { field, .. } if field == "attack"), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.starts_with("manager 'attacker': setting `attack` is required (What `get` does: read-file, "),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_type_names_the_expected_and_the_given_kind() {
    let err = refused("memory", "cache", with_settings(json!({ "page_size": "ten" }))).await;
    assert_eq!(one_line(&err), "manager 'cache': setting `page_size` must be a whole number, but is a string");
    let err = refused("memory", "cache", with_settings(json!({ "read_only": "yes" }))).await;
    assert_eq!(one_line(&err), "manager 'cache': setting `read_only` must be true or false, but is a string");
    let err = refused("memory", "cache", with_settings(json!(["page_size", 10]))).await;
    assert_eq!(one_line(&err), "manager 'cache': setting `settings` must be a map of setting names to values");
}

#[tokio::test]
async fn a_missing_data_directory_is_named() {
    let err = refused("hostile", "attacker", with_settings(json!({ "attack": "loop" }))).await;
    assert_eq!(
        one_line(&err),
        "manager 'attacker': setting `data_dir` is required: plugin 'hostile' keeps its data in a directory"
    );
}

#[tokio::test]
async fn an_unknown_plugin_is_named() {
    assert!(keyway_plugins::find("no-such-plugin").is_none());
    let rt = runtime();
    let dir = TempDir::new("config-unknown-plugin");
    let path = dir.path().join("no-such-plugin.wasm");
    let err = rt.load_plugin_file(&path).expect_err("there is no such plugin");
    assert!(matches!(&err, RuntimeError::Read { .. }), "{err:?}");
    let text = one_line(&err);
    assert!(text.starts_with(&format!("cannot read plugin {}: ", path.display())), "{text}");

    // A component without its manifest beside it is refused by name too.
    let memory = keyway_plugins::find("memory").expect("the memory plugin is built in");
    std::fs::write(&path, memory.wasm).expect("write a plugin without a manifest");
    let err = rt.load_plugin_file(&path).expect_err("the manifest is missing");
    let manifest = dir.path().join("no-such-plugin.toml");
    assert!(one_line(&err).starts_with(&format!("cannot read plugin {}: ", manifest.display())), "{err}");
}

#[tokio::test]
async fn a_manifest_for_another_contract_is_refused() {
    let rt = runtime();
    let dir = TempDir::new("config-contract");
    let memory = keyway_plugins::find("memory").expect("the memory plugin is built in");
    let wasm = dir.path().join("future.wasm");
    std::fs::write(&wasm, memory.wasm).expect("write the component");
    let manifest = memory.manifest.replace("keyway:provider@0.1.0", "keyway:provider@9.0.0");
    std::fs::write(dir.path().join("future.toml"), manifest).expect("write the manifest");
    let err = rt.load_plugin_file(&wasm).expect_err("another contract");
    assert!(matches!(&err, RuntimeError::Manifest { .. }), "{err:?}");
    assert!(
        one_line(&err)
            .ends_with("it targets contract `keyway:provider@9.0.0`, but this keyway serves `keyway:provider@0.1.0`"),
        "{err}"
    );
}
