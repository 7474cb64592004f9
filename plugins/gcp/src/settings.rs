//! The manager's settings and what follows from them: the endpoint and the resource parent.

use crate::names;
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::settings::{https_root_url, page_size};
use std::collections::BTreeMap;

/// The OAuth scope every Secret Manager call needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Settings as the manifest declares them.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcpSettings {
    project: String,
    location: Option<String>,
    endpoint: Option<String>,
    prefix: Option<String>,
    default_tags: Option<BTreeMap<String, String>>,
    replication_locations: Option<Vec<String>>,
    page_size: Option<u32>,
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API's base URL, without `/v1` and without a trailing slash.
    pub endpoint: String,
    /// `projects/P` or `projects/P/locations/L`.
    pub parent: String,
    /// The project as configured, for messages.
    pub project: String,
    /// Whether secrets are regional.
    pub regional: bool,
    /// Prepended to every secret id.
    pub prefix: String,
    /// Labels added to every created secret.
    pub default_tags: Tags,
    /// User-managed replication locations; automatic replication when empty.
    pub replication_locations: Vec<String>,
    /// Default list page size.
    pub page_size: u32,
}

fn invalid(message: String) -> ProviderError {
    ProviderError::Configuration(message)
}

/// Project ids are 6 to 30 lowercase letters, digits and dashes; project numbers are digits;
/// older domain-scoped ids look like `example.com:my-project`.
fn valid_project(project: &str) -> bool {
    !project.is_empty()
        && project.len() <= 100
        && project.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | ':'))
}

fn valid_location(location: &str) -> bool {
    !location.is_empty() && location.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl GcpSettings {
    /// Checks the settings and derives the endpoint and parent.
    pub fn into_config(self) -> Result<Config> {
        let project = self.project.trim().to_owned();
        if !valid_project(&project) {
            return Err(invalid(format!(
                "project '{project}' is not a Google Cloud project id (lowercase letters, digits and dashes) or number"
            )));
        }
        let location = self.location.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        if let Some(location) = &location {
            if !valid_location(location) {
                return Err(invalid(format!("location '{location}' is not a Google Cloud location like europe-west1")));
            }
        }
        let replication_locations = self.replication_locations.unwrap_or_default();
        if location.is_some() && !replication_locations.is_empty() {
            return Err(invalid(
                "replication_locations applies to global secrets; a regional secret lives in its `location`".into(),
            ));
        }
        if let Some(bad) = replication_locations.iter().find(|l| !valid_location(l)) {
            return Err(invalid(format!("replication location '{bad}' is not a Google Cloud location")));
        }
        let endpoint = match (&self.endpoint, &location) {
            (Some(endpoint), _) => check_endpoint(endpoint)?,
            (None, Some(location)) => format!("https://secretmanager.{location}.rep.googleapis.com"),
            (None, None) => "https://secretmanager.googleapis.com".to_owned(),
        };
        let prefix = self.prefix.unwrap_or_default();
        if !prefix.chars().all(names::id_char) {
            return Err(invalid(format!("prefix '{prefix}' may contain only letters, digits, dashes and underscores")));
        }
        let default_tags = self.default_tags.unwrap_or_default();
        names::check_labels(&default_tags).map_err(|err| invalid(format!("default_tags: {}", err.message())))?;
        let page_size = page_size(self.page_size)?;
        let parent = match &location {
            Some(location) => format!("projects/{project}/locations/{location}"),
            None => format!("projects/{project}"),
        };
        Ok(Config {
            endpoint,
            parent,
            project,
            regional: location.is_some(),
            prefix,
            default_tags,
            replication_locations,
            page_size,
        })
    }
}

/// The API's root URL: `https://` anywhere, plain `http://` only to a loopback host (emulators and
/// test fakes); a trailing `/v1` is dropped.
fn check_endpoint(endpoint: &str) -> Result<String> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    https_root_url("endpoint", trimmed.strip_suffix("/v1").unwrap_or(trimmed), "https://secretmanager.googleapis.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> Result<Config> {
        serde_json::from_value::<GcpSettings>(json)
            .map_err(|e| ProviderError::Configuration(e.to_string()))?
            .into_config()
    }

    #[test]
    fn global_and_regional_endpoints() {
        let c = config(serde_json::json!({"project": "my-project"})).expect("valid");
        assert_eq!(c.endpoint, "https://secretmanager.googleapis.com");
        assert_eq!(c.parent, "projects/my-project");
        let c = config(serde_json::json!({"project": "p-1", "location": "europe-west1"})).expect("valid");
        assert_eq!(c.endpoint, "https://secretmanager.europe-west1.rep.googleapis.com");
        assert_eq!(c.parent, "projects/p-1/locations/europe-west1");
        assert!(c.regional);
    }

    #[test]
    fn endpoints_must_be_https_unless_loopback() {
        let c = config(serde_json::json!({"project": "p", "endpoint": "http://127.0.0.1:9000/v1/"})).expect("loopback");
        assert_eq!(c.endpoint, "http://127.0.0.1:9000");
        assert!(config(serde_json::json!({"project": "p", "endpoint": "http://sm.example.com"})).is_err());
        assert!(config(serde_json::json!({"project": "p", "endpoint": "https://sm.example.com/x"})).is_err());
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        for bad in [
            serde_json::json!({"project": "My Project"}),
            serde_json::json!({"project": "p", "location": "Europe West"}),
            serde_json::json!({"project": "p", "prefix": "a/b"}),
            serde_json::json!({"project": "p", "default_tags": {"Team": "x"}}),
            serde_json::json!({"project": "p", "location": "us-east1", "replication_locations": ["us-east4"]}),
            serde_json::json!({"project": "p", "page_size": 0}),
            serde_json::json!({"project": "p", "vault": "x"}),
        ] {
            let err = config(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(err.kind(), keyway_plugin_sdk::ErrorKind::Configuration, "{err}");
        }
    }

    #[test]
    fn settings_agree_with_the_manifest() -> std::result::Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), |settings| settings.parse::<GcpSettings>());
        Ok(())
    }
}
