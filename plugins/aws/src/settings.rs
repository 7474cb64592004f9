//! The manager settings this plugin takes, as declared in `manifest.toml`.
//!
//! Credentials are not among them: the manager's `auth` section is resolved
//! by the host, and the manager's `prefix` and `default_tags` are applied by
//! the host to every plugin alike.

use keyway_plugin_sdk::{ProviderError, Result};
use serde::Deserialize;
use std::time::Duration;

/// The settings of one AWS Secrets Manager connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AwsSettings {
    /// The AWS Region of the secrets, e.g. `eu-west-1`.
    pub region: String,
    /// An endpoint URL used instead of the regional one (VPC endpoint, LocalStack, moto).
    #[serde(default)]
    pub endpoint_override: Option<String>,
    /// Use the Region's FIPS endpoint.
    #[serde(default)]
    pub use_fips: bool,
    /// Attempts per call, the first included.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// The longest one operation may take, retries included, in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

impl AwsSettings {
    /// Attempts per call when `max_attempts` is not set.
    const DEFAULT_ATTEMPTS: u32 = 3;
    /// Operation timeout when `timeout_seconds` is not set.
    const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

    /// Checks the values serde cannot: the Region's shape, the endpoint's scheme, the ranges.
    pub fn validate(&self) -> Result<()> {
        let region = self.region.trim();
        let region_ok = !region.is_empty()
            && region.len() <= 64
            && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(ProviderError::Configuration(format!(
                "`region` '{}' is not an AWS Region name such as `eu-west-1`",
                self.region.escape_debug()
            )));
        }
        if let Some(endpoint) = &self.endpoint_override {
            let rest = endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"));
            if rest.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
                return Err(ProviderError::Configuration(format!(
                    "`endpoint_override` '{}' must be an http:// or https:// URL with a host",
                    endpoint.escape_debug()
                )));
            }
        }
        if !(1..=10).contains(&self.attempts()) {
            return Err(ProviderError::Configuration(format!(
                "`max_attempts` must be 1 to 10, not {}",
                self.attempts()
            )));
        }
        let timeout = self.timeout_seconds.unwrap_or(Self::DEFAULT_TIMEOUT_SECONDS);
        if !(1..=300).contains(&timeout) {
            return Err(ProviderError::Configuration(format!("`timeout_seconds` must be 1 to 300, not {timeout}")));
        }
        Ok(())
    }

    /// Attempts per call.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(Self::DEFAULT_ATTEMPTS)
    }

    /// The operation timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.unwrap_or(Self::DEFAULT_TIMEOUT_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<AwsSettings> {
        let settings: AwsSettings = serde_json::from_str(json)
            .map_err(|err| ProviderError::Configuration(format!("invalid settings: {err}")))?;
        settings.validate()?;
        Ok(settings)
    }

    #[test]
    fn region_is_required_and_checked() {
        assert!(matches!(parse("{}"), Err(ProviderError::Configuration(m)) if m.contains("region")));
        assert!(matches!(parse(r#"{"region":"EU West"}"#), Err(ProviderError::Configuration(_))));
        assert_eq!(parse(r#"{"region":"eu-west-1"}"#).map(|s| s.attempts()), Ok(3));
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(parse(r#"{"region":"eu-west-1","access_key_id":"AKIA"}"#).is_err());
        assert!(parse(r#"{"region":"eu-west-1","endpoint_override":"localhost:4566"}"#).is_err());
        assert!(parse(r#"{"region":"eu-west-1","max_attempts":0}"#).is_err());
        assert!(parse(r#"{"region":"eu-west-1","timeout_seconds":0}"#).is_err());
        let ok = parse(r#"{"region":"us-east-1","endpoint_override":"http://127.0.0.1:5000","max_attempts":1}"#);
        assert_eq!(ok.map(|s| (s.attempts(), s.timeout())), Ok((1, Duration::from_secs(30))));
    }

    #[test]
    fn settings_agree_with_the_manifest() -> std::result::Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), |settings| settings.parse::<AwsSettings>());
        Ok(())
    }
}
