//! `keyway plugin test`: the conformance suite for plugin authors; `keyway plugin trust`: the operator's
//! grant for a third-party plugin.

use crate::cli::{PluginTestArgs, PluginTrustArgs};
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::KeywayError;
use keyway_conformance::needs::Capability;
use keyway_conformance::{run as run_suite, Report, TestConfig};
use keyway_runtime::{ConnectionConfig, Runtime, RuntimeConfig};
use std::path::Path;

/// Runs the suite against the plugin file with the test configuration at `config` (`host/conformance/README.md`
/// documents it), prints a table of the cases or `--json`, and exits 0 when no case failed, 1 when one did.
pub async fn run(args: &PluginTestArgs, config: Option<&Path>) -> Result<i32> {
    let test: TestConfig = match config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|err| KeywayError::Config {
                message: format!("cannot read the test configuration {}: {err}", path.display()),
            })?;
            serde_yaml::from_str(&text)
                .map_err(|err| KeywayError::Config { message: format!("{}: {err}", path.display()) })?
        }
        None => TestConfig::default(),
    };
    let options = test.suite_options();
    let mut settings = if test.settings.is_null() { serde_json::json!({}) } else { test.settings };
    keyway::config::interpolate(&mut settings, "settings")?;
    let mut auth = test.auth;
    if let Some(auth) = auth.as_mut() {
        keyway::config::interpolate(auth, "auth")?;
    }
    let runtime = Runtime::new(RuntimeConfig::default()).map_err(KeywayError::from)?;
    let plugin = runtime.load_plugin_file(&args.wasm).map_err(KeywayError::from)?;
    let data_dir = ScratchDir(std::env::temp_dir().join(format!("keyway-plugin-test-{}", std::process::id())));
    let connection_config = ConnectionConfig {
        settings,
        egress: test.egress,
        data_dir: Some(data_dir.0.clone()),
        credentials: keyway::auth::credentials_for("conformance", auth.as_ref())?,
        ..ConnectionConfig::default()
    };
    let connection = runtime.connect(&plugin, "conformance", connection_config).await.map_err(KeywayError::from)?;
    let report = run_suite(&connection, &options).await;
    if args.json {
        output::json(&serde_json::to_value(&report)?);
    } else {
        println!(
            "plugin {} {} ({}): capabilities {}",
            plugin.name(),
            plugin.manifest().version,
            args.wasm.display(),
            Capability::declared(&connection.capabilities()).join(", ")
        );
        output::table(&Report::HEADER, &report.rows());
        println!("{}", report.summary());
    }
    Ok(if report.is_success() { exit::OK } else { exit::BACKEND })
}

/// The plugin's data directory for the run, removed however the run ends.
struct ScratchDir(std::path::PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints the `plugins.grants` entry for the plugin file: its name, SHA-256 and the egress its manifest
/// requests, for the operator to read and add to the configuration.
pub fn trust(args: &PluginTrustArgs) -> Result<i32> {
    use sha2::Digest as _;
    let read = |path: &Path| {
        std::fs::read(path)
            .map_err(|err| KeywayError::Config { message: format!("cannot read {}: {err}", path.display()) })
    };
    let wasm = read(&args.wasm)?;
    let manifest_path = args.wasm.with_extension("toml");
    let manifest = String::from_utf8_lossy(&read(&manifest_path)?).into_owned();
    let manifest = keyway_runtime::PluginManifest::parse(&manifest, &manifest_path.display().to_string())
        .map_err(KeywayError::from)?;
    keyway::plugins::valid_plugin_name(&manifest.name).map_err(|message| KeywayError::Config { message })?;
    if keyway::plugins::is_built_in(&manifest.name) {
        return Err(KeywayError::Config {
            message: format!("'{}' is a built-in plugin's name; a third-party plugin may not take it", manifest.name),
        }
        .into());
    }
    let mut checked = keyway_runtime::EgressPolicy::deny_all();
    for pattern in &manifest.egress {
        checked
            .allow(pattern)
            .map_err(|err| KeywayError::Config { message: format!("{}: {err}", manifest_path.display()) })?;
    }
    let digest = hex::encode(sha2::Sha256::digest(&wasm));
    let egress: Vec<String> = manifest.egress.iter().map(|pattern| format!("\"{pattern}\"")).collect();
    println!("# {} {}: {}", manifest.name, manifest.version, keyway_runtime::sanitize(&manifest.description, 200));
    println!("# Add under `plugins: grants:` in keyway's configuration; edit `egress` to grant less.");
    println!("{}:", manifest.name);
    println!("  sha256: {digest}");
    println!("  egress: [{}]", egress.join(", "));
    if !manifest.credentials.scopes.is_empty() || manifest.credentials.aws {
        println!(
            "# It also asks for credentials ({}{}): a manager gives them with `auth:`, narrowed by `auth.scopes`.",
            if manifest.credentials.aws { "AWS " } else { "" },
            manifest.credentials.scopes.join(", ")
        );
    }
    Ok(exit::OK)
}
