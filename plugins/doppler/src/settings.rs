//! The manager's settings: the token, the project and config, the endpoint and the prefix.

use crate::names;
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::settings::{https_root_url, page_size};

/// Settings as the manifest declares them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DopplerSettings {
    token: String,
    project: String,
    config: String,
    prefix: Option<String>,
    endpoint: Option<String>,
    page_size: Option<u32>,
}

/// Checked settings. No `Debug`: it holds the token.
pub struct Config {
    /// The API token.
    pub token: String,
    /// The project.
    pub project: String,
    /// The config.
    pub config: String,
    /// Prepended to every name.
    pub prefix: String,
    /// The API's base URL, without a trailing slash.
    pub endpoint: String,
    /// Default list page size.
    pub page_size: u32,
}

fn invalid(message: String) -> ProviderError {
    ProviderError::Configuration(message)
}

/// Project and config names: letters, digits, dashes and underscores.
fn valid_slug(text: &str) -> bool {
    !text.is_empty() && text.len() <= 100 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl DopplerSettings {
    /// Checks the settings.
    pub fn into_config(self) -> Result<Config> {
        let token = self.token.trim().to_owned();
        if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "token is empty or contains spaces; give the Doppler service or personal token".into(),
            ));
        }
        for (what, value) in [("project", &self.project), ("config", &self.config)] {
            if !valid_slug(value) {
                return Err(invalid(format!(
                    "{what} '{}' is not a Doppler {what} name (letters, digits, dashes and underscores)",
                    value.escape_debug()
                )));
            }
        }
        let prefix = self.prefix.unwrap_or_default();
        if !prefix.is_empty() && !names::is_upper_snake(&prefix) {
            return Err(invalid(format!(
                "prefix '{}' must be UPPER_SNAKE_CASE like the names it starts (e.g. KESTRA_)",
                prefix.escape_debug()
            )));
        }
        let endpoint = self.endpoint.as_deref().unwrap_or("https://api.doppler.com");
        let endpoint = https_root_url("endpoint", endpoint, "https://api.doppler.com")?;
        let page_size = page_size(self.page_size)?;
        Ok(Config { token, project: self.project, config: self.config, prefix, endpoint, page_size })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> Result<Config> {
        serde_json::from_value::<DopplerSettings>(json)
            .map_err(|e| ProviderError::Configuration(e.to_string()))?
            .into_config()
    }

    #[test]
    fn defaults_and_checks() {
        let base = serde_json::json!({"token": "dp.st.x", "project": "backend", "config": "prd"});
        let c = config(base.clone()).expect("valid");
        assert_eq!((c.endpoint.as_str(), c.page_size), ("https://api.doppler.com", 100));
        let with = |key: &str, value: serde_json::Value| {
            let mut json = base.clone();
            json[key] = value;
            config(json)
        };
        assert!(with("endpoint", "http://127.0.0.1:8080/".into()).is_ok());
        for (key, value) in [
            ("endpoint", serde_json::json!("http://api.example.com")),
            ("prefix", serde_json::json!("kestra_")),
            ("project", serde_json::json!("my project")),
            ("token", serde_json::json!(" ")),
            ("page_size", serde_json::json!(0)),
            ("vault", serde_json::json!("x")),
        ] {
            let err = with(key, value).err().unwrap_or_else(|| panic!("{key} must be refused"));
            assert_eq!(err.kind(), keyway_plugin_sdk::ErrorKind::Configuration, "{err}");
        }
    }

    #[test]
    fn settings_agree_with_the_manifest() -> std::result::Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), |settings| settings.parse::<DopplerSettings>());
        Ok(())
    }
}
