//! `keyway plugin test` on the local plugin as a plugin author has it: a `.wasm` file with its manifest
//! beside it.

use crate::support::{code, json, Sandbox};

/// Writes the built local plugin as `local.wasm` and its manifest as `local.toml`; returns the `.wasm` path.
fn local_plugin_file(sandbox: &Sandbox) -> String {
    let plugin = keyway_plugins::find("local").expect("the local plugin is built into this checkout");
    sandbox.write("local.toml", plugin.manifest.as_bytes());
    sandbox.write("local.wasm", plugin.wasm).display().to_string()
}

/// The table row of `case`, split into its cells (two spaces or more apart).
fn row<'a>(report: &'a str, case: &str) -> Vec<&'a str> {
    let line = report.lines().find(|line| line.split_whitespace().next() == Some(case));
    let line = line.unwrap_or_else(|| panic!("no row for {case}:\n{report}"));
    line.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).collect()
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
    let header = report.lines().nth(1).unwrap_or_default();
    assert_eq!(header.split_whitespace().collect::<Vec<_>>(), ["CASE", "RESULT", "TIME", "NOTE"], "{report}");
    let text = row(&report, "text-round-trip");
    assert_eq!(text[1], "passed", "{report}");
    assert!(text[2].ends_with(" ms"), "{report}");
    assert!(report.contains("0 failed, 0 skipped"), "every case runs and passes:\n{report}");

    let report = json(&sandbox.run(&["plugin", "test", &wasm, "--config", &config, "--json"]).ok());
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 15, "{report}");
    assert!(cases.iter().all(|case| case["outcome"]["outcome"] == "passed"), "{report}");
}

#[test]
fn skipped_cases_say_what_would_run_them_and_failures_exit_1() {
    let sandbox = Sandbox::new("plugin-test-hints");
    let wasm = local_plugin_file(&sandbox);
    let config = sandbox.write("test.yaml", b"settings: {}\ndescriptions: false\n").display().to_string();
    let report = sandbox.run(&["plugin", "test", &wasm, "--config", &config]).ok();
    let invalid = row(&report, "invalid-name");
    assert_eq!(&invalid[1..3], ["skipped", "-"], "{report}");
    assert!(invalid[3].contains("no `invalid_name:` in test.yaml; to run it: set `invalid_name:`"), "{report}");
    let labels = row(&report, "labels");
    assert!(labels[1] == "skipped" && labels[3].contains("set `previous_label:` in test.yaml"), "{report}");
    let described = row(&report, "description-and-tags");
    assert_eq!(described[1], "passed", "tags are still checked:\n{report}");
    assert!(described[3].starts_with("not checked: the description is kept (`descriptions: false`"), "{report}");
    assert!(report.contains("conformance: 15 passed, 0 failed, 2 skipped"), "{report}");

    let report = json(&sandbox.run(&["plugin", "test", &wasm, "--config", &config, "--json"]).ok());
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    let invalid = cases.iter().find(|case| case["name"] == "invalid-name").cloned().unwrap_or_default();
    assert_eq!(invalid["outcome"]["outcome"], "skipped", "{report}");
    assert!(invalid["hint"].as_str().is_some_and(|hint| hint.starts_with("set `invalid_name:`")), "{report}");

    // A name the store accepts is not invalid: the case fails, and the run exits 1.
    let config = sandbox.write("valid.yaml", b"settings: {}\ninvalid_name: fine-name\n").display().to_string();
    let run = sandbox.run(&["plugin", "test", &wasm, "--config", &config]);
    let report = run.out();
    assert_eq!(run.code, code::BACKEND, "{report}");
    let failed = row(&report, "invalid-name");
    assert!(failed[1] == "failed" && failed[3].contains("expected InvalidArgument"), "{report}");
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
    let config = sandbox.write("not-a-flag.yaml", b"descriptions: none\n").display().to_string();
    let message = sandbox.run(&["plugin", "test", &wasm, "--config", &config]).fails(code::CONFIG);
    assert!(message.contains("descriptions"), "{message}");
    let absent = sandbox.path().join("absent.yaml").display().to_string();
    let message = sandbox.run(&["plugin", "test", &wasm, "--config", &absent]).fails(code::CONFIG);
    assert!(message.contains("cannot read the test configuration"), "{message}");
}
