//! A manager's Google identity settings, as written in its `auth` section.

use crate::error::GcpAuthError;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// How the host obtains a manager's Google access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GcpAuthMethod {
    /// Application Default Credentials, as the Google Cloud SDK finds them: the key file named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's `application_default_credentials.json`,
    /// then the metadata server of Compute Engine, GKE, Cloud Run and Cloud Functions.
    #[default]
    Implicit,
    /// A service-account key (`service_account` JSON or `service_account_file`).
    ServiceAccount,
    /// The metadata server only.
    Metadata,
}

/// Google identity settings of one manager.
///
/// ```yaml
/// auth:
///   type: gcp
///   method: service-account
///   service_account: |
///     { "type": "service_account", "client_email": "…", "private_key": "…", … }
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcpAuthSettings {
    /// `implicit` (the default), `service-account` or `metadata`.
    #[serde(default)]
    pub method: GcpAuthMethod,
    /// The JSON key file's content (Kestra's `serviceAccount`). Never printed.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub service_account: Option<Zeroizing<String>>,
    /// A path to the JSON key file (a service account, or gcloud's authorized-user file).
    #[serde(default)]
    pub service_account_file: Option<PathBuf>,
    /// Overrides the key file's `token_uri` (private endpoints, tests).
    #[serde(default)]
    pub token_uri: Option<String>,
    /// The metadata server's `host[:port]`; default `GCE_METADATA_HOST` or `metadata.google.internal`.
    #[serde(default)]
    pub metadata_host: Option<String>,
    /// A PEM file of extra root certificates trusted for the token endpoints (private PKI, tests).
    #[serde(default)]
    pub ca_certificate: Option<PathBuf>,
}

fn deserialize_secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Zeroizing<String>>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(Zeroizing::new))
}

impl fmt::Debug for GcpAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcpAuthSettings")
            .field("method", &self.method)
            .field("service_account", &self.service_account.as_ref().map(|_| "<redacted>"))
            .field("service_account_file", &self.service_account_file)
            .field("token_uri", &self.token_uri)
            .field("metadata_host", &self.metadata_host)
            .field("ca_certificate", &self.ca_certificate)
            .finish()
    }
}

impl GcpAuthSettings {
    /// Settings with a service-account key given as JSON text.
    pub fn service_account_json(key: &str) -> Self {
        Self {
            method: GcpAuthMethod::ServiceAccount,
            service_account: Some(Zeroizing::new(key.to_owned())),
            ..Self::default()
        }
    }

    /// Checks that the fields fit the method.
    pub fn validate(&self) -> Result<(), GcpAuthError> {
        let key_given = self.service_account.is_some() || self.service_account_file.is_some();
        if self.service_account.is_some() && self.service_account_file.is_some() {
            return Err(GcpAuthError::Settings("give service_account or service_account_file, not both".into()));
        }
        match self.method {
            GcpAuthMethod::ServiceAccount if !key_given => Err(GcpAuthError::Settings(
                "method `service-account` needs service_account (the JSON key) or service_account_file".into(),
            )),
            GcpAuthMethod::Metadata if key_given => Err(GcpAuthError::Settings(
                "a key is given but method is `metadata`: set `method: service-account`".into(),
            )),
            GcpAuthMethod::Implicit if key_given => Err(GcpAuthError::Settings(
                "a key is given but method is `implicit`: set `method: service-account`".into(),
            )),
            _ => Ok(()),
        }?;
        if let Some(uri) = &self.token_uri {
            let loopback = ["http://127.", "http://localhost", "http://[::1]"].iter().any(|p| uri.starts_with(p));
            if !uri.starts_with("https://") && !loopback {
                return Err(GcpAuthError::Settings(format!(
                    "token_uri `{uri}` must be an https:// URL (http only to loopback)"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<GcpAuthSettings, String> {
        let settings: GcpAuthSettings = serde_json::from_str(json).map_err(|e| e.to_string())?;
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }

    #[test]
    fn implicit_is_the_default() {
        assert_eq!(parse("{}").expect("empty").method, GcpAuthMethod::Implicit);
    }

    #[test]
    fn methods_and_keys_must_agree() {
        assert!(parse(r#"{"method":"service-account"}"#).expect_err("no key").contains("needs service_account"));
        assert!(parse(r#"{"service_account":"{}"}"#).expect_err("implicit").contains("service-account"));
        assert!(parse(r#"{"method":"metadata","service_account_file":"k.json"}"#).is_err());
        assert!(parse(r#"{"method":"service-account","service_account":"{}","service_account_file":"k"}"#).is_err());
        assert!(parse(r#"{"method":"service-account","service_account_file":"k.json"}"#).is_ok());
    }

    #[test]
    fn token_uris_are_https_or_loopback_and_unknown_fields_refused() {
        let with = |uri: &str| format!(r#"{{"method":"metadata","token_uri":"{uri}"}}"#);
        assert!(parse(&with("http://oauth.example")).is_err());
        assert!(parse(&with("http://127.0.0.1:9/token")).is_ok());
        assert!(parse(r#"{"project":"p"}"#).expect_err("unknown").contains("unknown field"));
    }

    #[test]
    fn debug_hides_the_key() {
        let settings = GcpAuthSettings::service_account_json("{\"private_key\": \"hunter2-key\"}");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
