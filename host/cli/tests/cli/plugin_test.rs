//! `keyway plugin test` on the local plugin as a plugin author has it: a `.wasm` file with its manifest
//! beside it.

use crate::support::{code, json, Sandbox};

/// Writes the built local plugin as `local.wasm` and its manifest as `local.toml`; returns the `.wasm` path.
fn local_plugin_file(sandbox: &Sandbox) -> String {
    let plugin = keyway_plugins::find("local").expect("the local plugin is built into this checkout");
    sandbox.write("local.toml", plugin.manifest.as_bytes());
    sandbox.write("local.wasm", plugin.wasm).display().to_string()
}

#[test]
fn the_local_plugin_passes_the_conformance_suite_from_a_file() {
    let sandbox = Sandbox::new("plugin-test");
    let wasm = local_plugin_file(&sandbox);
    let config = sandbox.write(
        "test.yaml",
        b"settings: {}\ncurrent_label: current\nprevious_label: previous\ninvalid_name: \"bad\\nname\"\n",
    );
    let config = config.display().to_string();
    let report = sandbox.run(&["plugin", "test", &wasm, "--config", &config]).ok();
    assert!(report.starts_with("plugin local 0.1.0"), "{report}");
    assert!(report.contains("0 failed, 0 skipped"), "every case runs and passes:\n{report}");

    let report = json(&sandbox.run(&["plugin", "test", &wasm, "--config", &config, "--json"]).ok());
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 15, "{report}");
    assert!(cases.iter().all(|case| case["outcome"]["outcome"] == "passed"), "{report}");
}

#[test]
fn plugin_test_mistakes_are_one_line_each() {
    let sandbox = Sandbox::new("plugin-test-mistakes");
    let wasm = local_plugin_file(&sandbox);
    let missing = sandbox.path().join("absent.wasm").display().to_string();
    let message = sandbox.run(&["plugin", "test", &missing]).fails(code::CONFIG);
    assert!(message.contains("absent"), "{message}");
    let config = sandbox.write("test.yaml", b"settings: { colour: red }\n").display().to_string();
    let message = sandbox.run(&["plugin", "test", &wasm, "--config", &config]).fails(code::CONFIG);
    assert!(message.contains("colour"), "{message}");
    let config = sandbox.write("typo.yaml", b"setings: {}\n").display().to_string();
    let message = sandbox.run(&["plugin", "test", &wasm, "--config", &config]).fails(code::CONFIG);
    assert!(message.contains("setings"), "{message}");
    let absent = sandbox.path().join("absent.yaml").display().to_string();
    let message = sandbox.run(&["plugin", "test", &wasm, "--config", &absent]).fails(code::CONFIG);
    assert!(message.contains("cannot read the test configuration"), "{message}");
}
