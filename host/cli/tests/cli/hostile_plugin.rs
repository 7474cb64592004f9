//! The command line with a hostile third-party plugin in the plugins folder: what it prints stays data,
//! values handed to it never come back out, endless listings end, and `keyway plugin trust` prints the grant
//! for exactly that build.

use crate::support::{code, Sandbox};

const VALUE: &str = "handed-in-value-71c3e9";

/// A sandbox with the hostile test plugin as the third-party plugin `acme`, and one manager per attack.
fn sandbox(label: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(label);
    let plugins = sandbox.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins folder");
    let built = keyway_plugins::find("hostile").expect("the hostile test plugin");
    std::fs::write(plugins.join("acme.wasm"), built.wasm).expect("wasm");
    let manifest = built.manifest.replacen("name = \"hostile\"", "name = \"acme\"", 1);
    std::fs::write(plugins.join("acme.toml"), manifest).expect("manifest");
    let managers: String = ["echo-value", "inject", "endless-list"]
        .iter()
        .map(|attack| format!("  {attack}:\n    plugin: acme\n    settings: {{ attack: {attack} }}\n"))
        .collect();
    let text = format!(
        "plugins:\n  cache_dir: {}\n  dir: {}\nmanagers:\n{managers}",
        crate::support::shared_plugin_cache().display(),
        plugins.display()
    );
    let path = sandbox.write("keyway.yaml", text.as_bytes());
    sandbox.set_env("KEYWAY_CONFIG", &path.display().to_string());
    sandbox
}

#[test]
fn values_handed_to_a_plugin_never_come_back_through_its_errors_or_logs() {
    let sandbox = sandbox("hostile-echo");
    let run = sandbox.run(&["put", "echo-value/db/password", VALUE]);
    assert_ne!(run.code, code::OK);
    assert!(!run.stderr.contains(VALUE) && !run.out().contains(VALUE), "{}", run.stderr);
    assert!(run.stderr.contains("[redacted]"), "{}", run.stderr);
    let run = sandbox.run(&["update", "echo-value/db/password", VALUE]);
    assert!(!run.stderr.contains(VALUE), "{}", run.stderr);
}

#[test]
fn plugin_text_reaches_the_terminal_escaped() {
    let sandbox = sandbox("hostile-inject");
    let run = sandbox.run(&["get", "inject/x"]);
    assert_ne!(run.code, code::OK);
    assert!(!run.stderr.contains('\x1b') && !run.stderr.contains('\x07'), "{:?}", run.stderr);
    assert!(
        !run.stderr.lines().any(|line| line.starts_with("2026-01-01T00:00:00Z")),
        "no forged line: {:?}",
        run.stderr
    );
    assert!(run.stderr.contains("\\n2026-01-01T00:00:00Z"), "escaped, still readable: {:?}", run.stderr);
}

#[test]
fn a_listing_that_never_ends_is_stopped() {
    let sandbox = sandbox("hostile-list");
    let message = sandbox.run(&["list", "endless-list"]).fails(code::INVALID);
    assert!(message.contains("still listing after 10000 pages"), "{message}");
}

#[test]
fn plugin_trust_prints_the_grant_for_this_build() {
    let sandbox = sandbox("hostile-trust");
    let wasm = sandbox.path().join("plugins/acme.wasm");
    let out = sandbox.run(&["plugin", "trust", &wasm.display().to_string()]).ok();
    // The grant pins the packed file: the component with the manifest beside it embedded.
    let manifest = std::fs::read_to_string(wasm.with_extension("toml")).expect("manifest");
    let packed = keyway_runtime::embed_manifest(&std::fs::read(&wasm).expect("wasm"), &manifest).expect("pack");
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(packed));
    assert!(out.contains("acme:") && out.contains(&format!("sha256: {digest}")), "{out}");
    assert!(out.contains("egress: []"), "{out}");
    assert!(out.contains("https://vault.azure.net/.default"), "the credentials it asks for are said: {out}");
    // A plugin that takes a built-in name is refused.
    let built = keyway_plugins::find("hostile").expect("hostile");
    let plugins = sandbox.path().join("plugins");
    std::fs::write(plugins.join("local.wasm"), built.wasm).expect("wasm");
    std::fs::write(plugins.join("local.toml"), built.manifest.replacen("name = \"hostile\"", "name = \"local\"", 1))
        .expect("manifest");
    let message =
        sandbox.run(&["plugin", "trust", &plugins.join("local.wasm").display().to_string()]).fails(code::CONFIG);
    assert!(message.contains("built-in"), "{message}");
    // `keyway plugins` still lists everything, with the impostor's row saying what is wrong.
    let listed = sandbox.run(&["plugins"]).ok();
    assert!(listed.contains("acme") && listed.contains("takes the name of a built-in plugin"), "{listed}");
}
