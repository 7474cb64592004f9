//! `keyway plugin test`: the conformance suite for plugin authors.

use crate::cli::PluginTestArgs;
use anyhow::Result;
use keyway::error::exit;
use keyway::KeywayError;
use keyway_conformance::{run as run_suite, SuiteOptions};
use keyway_runtime::{ConnectionConfig, Runtime, RuntimeConfig};
use serde::Deserialize;
use std::path::Path;

/// The test configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestConfig {
    #[serde(default)]
    settings: serde_json::Value,
    #[serde(default)]
    egress: Vec<String>,
    #[serde(default)]
    auth: Option<serde_json::Value>,
    #[serde(default)]
    current_label: Option<String>,
    #[serde(default)]
    previous_label: Option<String>,
    #[serde(default)]
    invalid_name: Option<String>,
    #[serde(default)]
    name_prefix: Option<String>,
}

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
    let options = SuiteOptions {
        name_prefix: test.name_prefix.unwrap_or_else(|| SuiteOptions::default().name_prefix),
        invalid_name: test.invalid_name,
        current_label: test.current_label,
        previous_label: test.previous_label,
        cleanup: true,
    };
    let report = run_suite(&connection, &options).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "plugin {} {} ({}): capabilities {}",
            plugin.name(),
            plugin.manifest().version,
            args.wasm.display(),
            connection.capabilities().names().join(",")
        );
        print!("{report}");
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
