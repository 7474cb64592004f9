//! The test configuration `keyway plugin test PLUGIN.wasm --config test.yaml` reads: how to connect to the
//! backend, and what the suite may expect of it. The kit's README documents every option with an example.

use crate::suite::SuiteOptions;
use serde::Deserialize;

/// The contents of `test.yaml`. Unknown keys are refused, so a misspelt option is never silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestConfig {
    /// The plugin's settings, as a manager's `settings:` would give them, checked against its manifest.
    #[serde(default)]
    pub settings: serde_json::Value,
    /// Hosts (or addresses, ranges) the plugin may reach besides its settings' URLs and its manifest's egress.
    #[serde(default)]
    pub egress: Vec<String>,
    /// Credentials the host resolves for the plugin, as a manager's `auth:` (`{type: aws}` and so on).
    #[serde(default)]
    pub auth: Option<serde_json::Value>,
    /// Prefix of every secret the suite creates (default `kwct-`).
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// A name the backend refuses: `get` of it must answer invalid-argument.
    #[serde(default)]
    pub invalid_name: Option<String>,
    /// The label the backend gives the newest version (`AWSCURRENT`).
    #[serde(default)]
    pub current_label: Option<String>,
    /// The label the backend gives the version before the newest (`AWSPREVIOUS`).
    #[serde(default)]
    pub previous_label: Option<String>,
    /// `false` for a backend that keeps no descriptions (default `true`).
    #[serde(default)]
    pub descriptions: Option<bool>,
}

impl TestConfig {
    /// The suite's options from this configuration; the suite cleans up what it creates.
    pub fn suite_options(&self) -> SuiteOptions {
        let defaults = SuiteOptions::default();
        SuiteOptions {
            name_prefix: self.name_prefix.clone().unwrap_or(defaults.name_prefix),
            invalid_name: self.invalid_name.clone(),
            current_label: self.current_label.clone(),
            previous_label: self.previous_label.clone(),
            descriptions: self.descriptions.unwrap_or(defaults.descriptions),
            cleanup: defaults.cleanup,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_suite_options() -> Result<(), serde_json::Error> {
        let config: TestConfig =
            serde_json::from_value(serde_json::json!({"descriptions": false, "invalid_name": "bad name"}))?;
        let options = config.suite_options();
        assert!(!options.descriptions && options.cleanup);
        assert_eq!((options.invalid_name.as_deref(), options.name_prefix.as_str()), (Some("bad name"), "kwct-"));
        assert!(TestConfig::default().suite_options().descriptions, "descriptions are expected by default");
        let typo = serde_json::from_value::<TestConfig>(serde_json::json!({"description": false}));
        assert!(typo.is_err_and(|err| err.to_string().contains("unknown field `description`")));
        Ok(())
    }
}
