//! `keyway plugin test`: the conformance suite for plugin authors.

use crate::cli::PluginTestArgs;
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
