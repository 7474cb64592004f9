//! Compiles every plugin of the workspace (a member folder with a `manifest.toml`)
//! for `wasm32-wasip2` in one nested cargo invocation, and generates the table
//! of embedded plugins. Cargo reruns this whenever a plugin, the SDK, the shared
//! types or the contract change, so a stale `.wasm` is never embedded.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";

struct PluginDir {
    package: String,
    name: String,
    dir: PathBuf,
    test_only: bool,
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..").canonicalize().expect("workspace root exists");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for watched in ["plugins/sdk", "host/types", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let plugins = workspace_plugins(&root);
    for plugin in &plugins {
        println!("cargo:rerun-if-changed={}", plugin.dir.display());
    }
    println!("cargo:rerun-if-env-changed=KEYWAY_SKIP_PLUGIN_BUILD");

    let target_dir = root.join("target/plugins");
    if std::env::var_os("KEYWAY_SKIP_PLUGIN_BUILD").is_none() {
        build(&root, &target_dir, &plugins);
    }
    let mut table = String::from("/// Every plugin built with this crate.\npub static ALL: &[BuiltPlugin] = &[\n");
    for plugin in &plugins {
        let artifact = target_dir.join(TARGET).join(PROFILE).join(format!("{}.wasm", plugin.package.replace('-', "_")));
        let manifest = plugin.dir.join("manifest.toml");
        // The component's digest, so that loading it from the precompiled cache need not read (and hash) it.
        let sha256 = std::fs::read(&artifact).map(|wasm| hex(&Sha256::digest(wasm))).unwrap_or_default();
        table.push_str(&format!(
            "    BuiltPlugin {{ name: {:?}, wasm: include_bytes!({:?}), sha256: {sha256:?}, manifest: include_str!({:?}), test_only: {} }},\n",
            plugin.name,
            artifact.display().to_string(),
            manifest.display().to_string(),
            plugin.test_only
        ));
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("plugins.rs"), table).expect("OUT_DIR is writable");
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Workspace members that contain a `manifest.toml`.
fn workspace_plugins(root: &Path) -> Vec<PluginDir> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).expect("workspace Cargo.toml is readable");
    let workspace: toml::Table = toml::from_str(&text).expect("workspace Cargo.toml is valid TOML");
    let members = workspace
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    let mut plugins = Vec::new();
    for member in members.iter().filter_map(|m| m.as_str()) {
        let dir = root.join(member);
        let manifest = dir.join("manifest.toml");
        if !manifest.exists() {
            continue;
        }
        let cargo: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).expect("member Cargo.toml"))
                .expect("member Cargo.toml is valid TOML");
        let package = cargo["package"]["name"].as_str().expect("package name").to_owned();
        let plugin: toml::Table =
            toml::from_str(&std::fs::read_to_string(&manifest).expect("manifest.toml is readable"))
                .expect("manifest.toml is valid TOML");
        let name = plugin["name"].as_str().expect("manifest has a name").to_owned();
        plugins.push(PluginDir { package, name, dir, test_only: member.starts_with("tests/") });
    }
    plugins
}

fn build(root: &Path, target_dir: &Path, plugins: &[PluginDir]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["build", "--target", TARGET, "--profile", PROFILE, "--target-dir"]).arg(target_dir);
    for plugin in plugins {
        command.args(["-p", &plugin.package]);
    }
    // The outer build's settings are for the host target; the plugins get their own.
    for var in
        ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_WORKSPACE_WRAPPER"]
    {
        command.env_remove(var);
    }
    let status = command.status().expect("cargo can be started to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for {TARGET} failed (see the errors above). If the target is missing, run: rustup target add {TARGET}"
        );
    }
}
