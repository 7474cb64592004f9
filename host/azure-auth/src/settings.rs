//! A manager's Azure identity settings, as written in its `auth` section.

use crate::error::AzureAuthError;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// How the host authenticates a manager to Microsoft Entra ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// The host's own identity, tried in order: the `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/
    /// `AZURE_CLIENT_SECRET` environment variables, workload identity (`AZURE_FEDERATED_TOKEN_FILE`),
    /// managed identity, then the Azure CLI or Azure Developer CLI login.
    #[default]
    Implicit,
    /// A service principal's tenant id, client (application) id and client secret.
    ClientSecret,
}

/// Azure identity settings of one manager.
///
/// ```toml
/// [managers.vault.auth]
/// method = "client-secret"
/// tenant_id = "…"
/// client_id = "…"
/// client_secret = "…"
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureAuthSettings {
    /// `implicit` (the default) or `client-secret`.
    #[serde(default)]
    pub method: AuthMethod,
    /// The directory (tenant) id; required with `client-secret`.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The application (client) id; required with `client-secret`. With `implicit` it selects a
    /// user-assigned managed identity.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The client secret; only with `client-secret`. Never printed.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub client_secret: Option<Zeroizing<String>>,
    /// The Entra ID authority, `https://login.microsoftonline.com` by default; sovereign clouds
    /// use `https://login.microsoftonline.us` or `https://login.chinacloudapi.cn`.
    #[serde(default)]
    pub authority_host: Option<String>,
    /// A PEM file of extra root certificates trusted for the identity endpoints (private PKI, tests).
    #[serde(default)]
    pub ca_certificate: Option<PathBuf>,
}

fn deserialize_secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Zeroizing<String>>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(Zeroizing::new))
}

impl fmt::Debug for AzureAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureAuthSettings")
            .field("method", &self.method)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("authority_host", &self.authority_host)
            .field("ca_certificate", &self.ca_certificate)
            .finish()
    }
}

impl AzureAuthSettings {
    /// Client-secret settings.
    pub fn client_secret(tenant_id: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            method: AuthMethod::ClientSecret,
            tenant_id: Some(tenant_id.to_owned()),
            client_id: Some(client_id.to_owned()),
            client_secret: Some(Zeroizing::new(client_secret.to_owned())),
            ..Self::default()
        }
    }

    /// Checks that the fields fit the method: all three credentials for `client-secret`, no
    /// secret for `implicit`, an `https` authority host.
    pub fn validate(&self) -> Result<(), AzureAuthError> {
        let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        match self.method {
            AuthMethod::ClientSecret => {
                let mut missing = Vec::new();
                if !present(&self.tenant_id) {
                    missing.push("tenant_id");
                }
                if !present(&self.client_id) {
                    missing.push("client_id");
                }
                if self.client_secret.as_deref().is_none_or(|s| s.is_empty()) {
                    missing.push("client_secret");
                }
                if !missing.is_empty() {
                    return Err(AzureAuthError::Settings(format!(
                        "method `client-secret` needs tenant_id, client_id and client_secret; missing: {}",
                        missing.join(", ")
                    )));
                }
            }
            AuthMethod::Implicit => {
                if self.client_secret.is_some() {
                    return Err(AzureAuthError::Settings(
                        "client_secret is set but method is `implicit`: set `method = \"client-secret\"`".into(),
                    ));
                }
            }
        }
        if let Some(host) = &self.authority_host {
            if !host.starts_with("https://") {
                return Err(AzureAuthError::Settings(format!("authority_host `{host}` must be an https:// URL")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<AzureAuthSettings, String> {
        let settings: AzureAuthSettings = serde_json::from_str(json).map_err(|e| e.to_string())?;
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }

    #[test]
    fn implicit_is_the_default() {
        let settings = parse("{}").expect("empty settings are implicit");
        assert_eq!(settings.method, AuthMethod::Implicit);
    }

    #[test]
    fn client_secret_needs_all_three() {
        let err = parse(r#"{"method":"client-secret","tenant_id":"t","client_secret":"s"}"#).expect_err("refused");
        assert!(err.contains("missing: client_id"), "{err}");
        assert!(parse(r#"{"method":"client-secret","tenant_id":"t","client_id":"c","client_secret":"s"}"#).is_ok());
    }

    #[test]
    fn a_secret_with_implicit_is_refused() {
        let err = parse(r#"{"client_secret":"s"}"#).expect_err("refused");
        assert!(err.contains("client-secret"), "{err}");
    }

    #[test]
    fn unknown_fields_and_plain_http_authorities_are_refused() {
        assert!(parse(r#"{"tenant":"t"}"#).expect_err("refused").contains("unknown field"));
        assert!(parse(r#"{"authority_host":"http://login.example"}"#).expect_err("refused").contains("https"));
    }

    #[test]
    fn debug_hides_the_secret() {
        let settings = AzureAuthSettings::client_secret("t", "c", "hunter2-value");
        assert!(!format!("{settings:?}").contains("hunter2-value"));
    }
}
