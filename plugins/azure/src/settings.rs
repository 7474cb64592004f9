//! The manager's settings and what follows from them: the vault URL and the token scope.

use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::settings::{https_root_url, page_size};
use std::collections::BTreeMap;

/// Settings as the manifest declares them.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AzureSettings {
    vault_name: Option<String>,
    vault_uri: Option<String>,
    cloud: Option<String>,
    prefix: Option<String>,
    default_tags: Option<BTreeMap<String, String>>,
    page_size: Option<u32>,
    api_version: Option<String>,
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `https://NAME.vault.azure.net` (no trailing slash).
    pub vault_url: String,
    /// The OAuth scope of the vault's cloud, e.g. `https://vault.azure.net/.default`.
    pub scope: String,
    /// Prepended to every name.
    pub prefix: String,
    /// Added to every created secret.
    pub default_tags: Tags,
    /// Default list page size.
    pub page_size: u32,
    /// The REST api-version.
    pub api_version: String,
}

/// Vault DNS suffix and token resource of each cloud.
const CLOUDS: &[(&str, &str)] = &[
    ("public", "vault.azure.net"),
    ("china", "vault.azure.cn"),
    ("us-government", "vault.usgovcloudapi.net"),
    ("germany", "vault.microsoftazure.de"),
];

fn invalid(message: String) -> ProviderError {
    ProviderError::Configuration(message)
}

impl AzureSettings {
    /// Checks the settings and derives the vault URL and scope.
    pub fn into_config(self) -> Result<Config> {
        let vault_url = match (&self.vault_name, &self.vault_uri) {
            (Some(_), Some(_)) => return Err(invalid("give vault_name or vault_uri, not both".into())),
            (None, None) => {
                return Err(invalid("vault_name or vault_uri is required (e.g. vault_name = \"my-vault\")".into()))
            }
            (Some(name), None) => {
                let cloud = self.cloud.as_deref().unwrap_or("public");
                let suffix = CLOUDS.iter().find(|(c, _)| *c == cloud).map(|(_, s)| *s).ok_or_else(|| {
                    invalid(format!("cloud '{cloud}' is not one of public, china, us-government, germany"))
                })?;
                if !valid_vault_name(name) {
                    return Err(invalid(format!(
                        "vault_name '{name}' is not a Key Vault name: 3 to 24 letters, digits and dashes, \
                         starting with a letter"
                    )));
                }
                format!("https://{}.{suffix}", name.to_ascii_lowercase())
            }
            (None, Some(uri)) => {
                if self.cloud.is_some() {
                    return Err(invalid("cloud applies to vault_name; vault_uri already names the host".into()));
                }
                https_root_url("vault_uri", uri, "https://my-vault.vault.azure.net")?
            }
        };
        let scope = scope_for(&vault_url);
        let prefix = self.prefix.unwrap_or_default();
        if !prefix.is_empty() && !prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(invalid(format!("prefix '{prefix}' may contain only letters, digits and dashes")));
        }
        let page_size = page_size(self.page_size)?;
        Ok(Config {
            vault_url,
            scope,
            prefix,
            default_tags: self.default_tags.unwrap_or_default(),
            page_size,
            api_version: self.api_version.unwrap_or_else(|| "7.5".into()),
        })
    }
}

fn valid_vault_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The token scope of the vault's cloud; the public cloud's for other hosts.
fn scope_for(vault_url: &str) -> String {
    let host = vault_url.split("://").nth(1).unwrap_or_default().split([':', '/']).next().unwrap_or_default();
    let suffix = CLOUDS.iter().map(|(_, s)| *s).find(|s| host.ends_with(&format!(".{s}"))).unwrap_or("vault.azure.net");
    format!("https://{suffix}/.default")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> Result<Config> {
        serde_json::from_value::<AzureSettings>(json)
            .map_err(|e| ProviderError::Configuration(e.to_string()))?
            .into_config()
    }

    #[test]
    fn vault_name_and_cloud_give_url_and_scope() {
        let c = config(serde_json::json!({"vault_name": "My-Vault", "cloud": "china"})).expect("valid");
        assert_eq!(c.vault_url, "https://my-vault.vault.azure.cn");
        assert_eq!(c.scope, "https://vault.azure.cn/.default");
        let c = config(serde_json::json!({"vault_name": "kv1x"})).expect("valid");
        assert_eq!(c.scope, "https://vault.azure.net/.default");
    }

    #[test]
    fn uris_must_be_https_unless_loopback() {
        let ok = config(serde_json::json!({"vault_uri": "https://x.vault.usgovcloudapi.net/"})).expect("valid");
        assert_eq!(ok.vault_url, "https://x.vault.usgovcloudapi.net");
        assert_eq!(ok.scope, "https://vault.usgovcloudapi.net/.default");
        assert!(config(serde_json::json!({"vault_uri": "http://127.0.0.1:8080"})).is_ok());
        assert!(config(serde_json::json!({"vault_uri": "http://kv.example.com"})).is_err());
        assert!(config(serde_json::json!({"vault_uri": "https://kv.example.com/secrets"})).is_err());
    }

    #[test]
    fn exactly_one_of_name_or_uri() {
        assert!(config(serde_json::json!({})).is_err());
        assert!(config(serde_json::json!({"vault_name": "abc", "vault_uri": "https://abc.vault.azure.net"})).is_err());
        assert!(config(serde_json::json!({"vault_name": "a_b"})).is_err());
        assert!(config(serde_json::json!({"vault_name": "abc", "prefix": "team_a"})).is_err());
    }

    #[test]
    fn settings_agree_with_the_manifest() -> std::result::Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), |settings| settings.parse::<AzureSettings>());
        Ok(())
    }
}
