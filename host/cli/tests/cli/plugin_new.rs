//! A third party's plugin from `keyway plugin new` to a manager: the generated crate builds out of tree for
//! wasm32-wasip2, `keyway plugin pack` makes it one file, the conformance kit passes against the key-value
//! API its README describes, and a plugins folder loads it with the SHA-256 that grants pin.

use crate::kv_server::KvServer;
use crate::support::{code, json, Sandbox};
use keyway_integration_tests::harness::workspace_root;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TOKEN: &str = "kv-test-token-5d1e";

fn sha256(path: &Path) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("the packed plugin")))
}

/// Builds the crate in `dir` as its README says, with dependencies compiled once for every run under the
/// workspace's `target/plugin-new`; returns the component.
fn build(dir: &Path) -> PathBuf {
    let target = workspace_root().join("target/plugin-new");
    // The versions keyway is tested with, which Cargo already has: the build needs no network.
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("the workspace's lock file");
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(dir).args(["build", "--release", "--target", "wasm32-wasip2", "--offline"]);
    command.env("CARGO_TARGET_DIR", &target);
    for var in ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_BUILD_TARGET", "RUSTC_WORKSPACE_WRAPPER"] {
        command.env_remove(var);
    }
    let started = Instant::now();
    let output = command.output().expect("cargo runs");
    assert!(output.status.success(), "the generated plugin builds:\n{}", String::from_utf8_lossy(&output.stderr));
    eprintln!("the generated plugin built in {:.1} s", started.elapsed().as_secs_f64());
    target.join("wasm32-wasip2/release/acme_kv.wasm")
}

/// `keyway.yaml` with the plugins folder, a manager `kv` on the store at `url`, and `grants` (YAML lines).
fn configure(sandbox: &mut Sandbox, plugins: &Path, url: &str, grants: &str) {
    let text = format!(
        "plugins:\n  cache_dir: {}\n  dir: {}\n{grants}managers:\n  kv:\n    plugin: acme-kv\n    settings: {{ url: \"{url}\", \
         token: \"${{env:ACME_KV_TOKEN}}\" }}\n",
        crate::support::shared_plugin_cache().display(),
        plugins.display()
    );
    let path = sandbox.write("keyway.yaml", text.as_bytes());
    sandbox.set_env("KEYWAY_CONFIG", &path.display().to_string());
}

#[test]
fn a_new_plugin_builds_out_of_tree_packs_passes_the_kit_and_loads_from_a_plugins_folder() {
    let mut sandbox = Sandbox::new("plugin-new");
    let crate_dir = sandbox.path().join("src/acme-kv");
    let out = sandbox.run(&["plugin", "new", "acme-kv", "--dir", &crate_dir.display().to_string()]).ok();
    assert!(out.contains("cargo build --release --target wasm32-wasip2"), "{out}");
    let cargo_toml = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    let sdk = workspace_root().join("plugins/sdk").canonicalize().expect("the SDK");
    assert!(cargo_toml.contains(&format!("keyway-plugin-sdk = {{ path = \"{}\" }}", sdk.display())), "{cargo_toml}");
    assert!(cargo_toml.contains("\n[workspace]\n"), "{cargo_toml}");

    let component = build(&crate_dir);
    let plugins = sandbox.path().join("plugins");
    let packed = plugins.join("acme-kv.wasm");
    let manifest = crate_dir.join("acme-kv.toml");
    let (component, manifest_arg) = (component.display().to_string(), manifest.display().to_string());
    let out = sandbox
        .run(&["plugin", "pack", &component, "--manifest", &manifest_arg, "-o", &packed.display().to_string()])
        .ok();
    let size = std::fs::metadata(&packed).expect("the packed plugin").len();
    eprintln!("the packed plugin is {size} bytes");
    assert!(out.contains(&format!("{size} bytes, SHA-256 {}", sha256(&packed))), "{out}");

    // The conformance kit, with the generated test.yaml pointed at the store.
    let server = KvServer::start(TOKEN);
    sandbox.set_env("ACME_KV_TOKEN", TOKEN);
    let test_yaml = std::fs::read_to_string(crate_dir.join("test.yaml")).expect("test.yaml");
    assert!(test_yaml.contains("http://127.0.0.1:8808"), "{test_yaml}");
    let config = sandbox.write("test.yaml", test_yaml.replace("http://127.0.0.1:8808", &server.url).as_bytes());
    let (packed_arg, config) = (packed.display().to_string(), config.display().to_string());
    let report = json(&sandbox.run(&["plugin", "test", &packed_arg, "--config", &config, "--json"]).ok());
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 15, "{report}");
    for case in &cases {
        let (outcome, detail) = (&case["outcome"]["outcome"], case["outcome"]["detail"].as_str().unwrap_or_default());
        let undeclared = detail.contains("not declared") || detail.contains("does not declare");
        let skipped_undeclared = outcome == "skipped" && undeclared;
        assert!(outcome == "passed" || skipped_undeclared, "only undeclared capabilities are skipped: {case}");
    }
    for case in ["text-round-trip", "list-prefix-paging", "force-delete", "invalid-name", "description-and-tags"] {
        assert!(cases.iter().any(|c| c["name"] == case && c["outcome"]["outcome"] == "passed"), "{case}: {report}");
    }

    // The packed file alone, from a plugins folder.
    configure(&mut sandbox, &plugins, &server.url, "");
    sandbox.run(&["put", "kv/db/password", "s3cr3t", "--description", "app db"]).ok();
    assert_eq!(sandbox.run(&["get", "kv/db/password"]).ok(), "s3cr3t");
    let message = sandbox.run(&["put", "kv/db/keyed", "x", "--kms-key", "k1"]).fails(code::UNSUPPORTED);
    assert!(message.contains("cannot keep the write option 'kms-key-id'"), "refused, not dropped: {message}");
    let listed = sandbox.run(&["plugins"]).ok();
    let row = listed.lines().find(|line| line.starts_with("acme-kv ")).unwrap_or_default().to_owned();
    assert!(row.contains(&sha256(&packed)), "the row shows the packed file's SHA-256: {listed}");
    let listed = json(&sandbox.run(&["plugins", "--json"]).ok());
    let entry = listed.as_array().and_then(|all| all.iter().find(|p| p["name"] == "acme-kv")).cloned();
    assert_eq!(entry.map(|p| p["sha256"].clone()), Some(sha256(&packed).into()), "{listed}");

    // A manifest beside the packed file: the same text is fine, another is refused naming both files.
    let beside = plugins.join("acme-kv.toml");
    std::fs::copy(&manifest, &beside).expect("the same manifest beside");
    assert_eq!(sandbox.run(&["get", "kv/db/password"]).ok(), "s3cr3t");
    let changed =
        std::fs::read_to_string(&manifest).expect("manifest").replace("version = \"0.1.0\"", "version = \"9.9.9\"");
    std::fs::write(&beside, changed).expect("another manifest beside");
    let message = sandbox.run(&["get", "kv/db/password"]).fails(code::CONFIG);
    assert!(message.contains(&packed_arg) && message.contains(&beside.display().to_string()), "{message}");
    std::fs::remove_file(&beside).expect("remove it");

    // The grant pins the packed file: the same code packed with a manifest asking for more is another build.
    let grant = sandbox.run(&["plugin", "trust", &packed_arg]).ok();
    assert!(grant.contains(&format!("  sha256: {}", sha256(&packed))), "{grant}");
    let grants = format!("  grants:\n    acme-kv: {{ sha256: \"{}\" }}\n", sha256(&packed));
    configure(&mut sandbox, &plugins, &server.url, &grants);
    assert_eq!(sandbox.run(&["get", "kv/db/password"]).ok(), "s3cr3t", "granted");
    let before = sha256(&packed);
    let more = std::fs::read_to_string(&manifest).expect("manifest").replace("# egress = [", "egress = [");
    let asking = sandbox.write("asking.toml", more.as_bytes()).display().to_string();
    sandbox.run(&["plugin", "pack", &component, "--manifest", &asking, "-o", &packed_arg]).ok();
    assert_ne!(sha256(&packed), before);
    let message = sandbox.run(&["get", "kv/db/password"]).fails(code::CONFIG);
    assert!(message.contains("not the build plugins.grants.acme-kv was given for"), "{message}");
    sandbox.run(&["delete", "kv/db/password", "--force"]);
}

#[test]
fn plugin_new_refuses_bad_names_and_existing_folders_and_pack_needs_a_manifest() {
    let sandbox = Sandbox::new("plugin-new-mistakes");
    let dir = |name: &str| sandbox.path().join(name).display().to_string();
    for name in ["Acme", "2fa", "acme.kv", "fn", "local"] {
        let message = sandbox.run(&["plugin", "new", name, "--dir", &dir(name)]).fails(code::INVALID);
        assert!(message.contains("cannot name a plugin crate"), "{message}");
        assert!(!sandbox.path().join(name).exists(), "{name}: nothing written");
    }
    std::fs::create_dir_all(sandbox.path().join("taken")).expect("a folder");
    let message = sandbox.run(&["plugin", "new", "acme", "--dir", &dir("taken")]).fails(code::CONFLICT);
    assert!(message.contains("already exists"), "{message}");
    let message =
        sandbox.run(&["plugin", "new", "acme", "--dir", &dir("x"), "--sdk", &dir("nowhere")]).fails(code::INVALID);
    assert!(message.contains("is not the SDK's folder"), "{message}");

    let wasm = sandbox.write("acme.wasm", b"\0asm\x0d\0\x01\0").display().to_string();
    let message = sandbox.run(&["plugin", "pack", &wasm]).fails(code::CONFIG);
    assert!(message.contains("acme.toml") && message.contains("--manifest"), "{message}");
    let message = sandbox.run(&["plugin", "test", &wasm]).fails(code::CONFIG);
    assert!(message.contains("acme.toml") && message.contains("keyway plugin pack"), "{message}");
}
