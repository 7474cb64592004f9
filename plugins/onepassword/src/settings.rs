//! The manager's settings for 1Password Connect, checked once when a connection opens.

use keyway_plugin_sdk::{settings, ProviderError};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// Settings exactly as `manifest.toml` declares them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    connect_host: String,
    token: String,
    vault: String,
    page_size: Option<i64>,
    timeout_seconds: Option<i64>,
}

/// Checked settings.
pub struct ConnectSettings {
    /// The Connect server's base URL, without a trailing slash or `/v1`.
    pub connect_host: String,
    /// The Connect token.
    pub token: Zeroizing<String>,
    /// The vault's name or id, as given.
    pub vault: String,
    /// Items per list page when the caller gives none.
    pub page_size: u32,
    /// Seconds to wait for each answer.
    pub timeout_seconds: u64,
}

impl fmt::Debug for ConnectSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectSettings")
            .field("connect_host", &self.connect_host)
            .field("vault", &self.vault)
            .field("page_size", &self.page_size)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish_non_exhaustive()
    }
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Configuration(message.into())
}

impl ConnectSettings {
    /// Parses and checks the settings the host passes.
    pub fn from_json(settings: &keyway_plugin_sdk::Settings) -> Result<Self, ProviderError> {
        let raw: RawSettings = settings.parse()?;
        let token = Zeroizing::new(raw.token.trim().to_owned());
        if token.is_empty() {
            return Err(config("token is empty: give a Connect server access token"));
        }
        let vault = raw.vault.trim().to_owned();
        if vault.is_empty() || vault.contains(['"', '\\']) || vault.chars().any(char::is_control) {
            return Err(config(
                "vault must be a vault's name or id, without quotes, backslashes or control characters",
            ));
        }
        let page_size = settings::page_size(raw.page_size)?;
        let timeout_seconds = settings::timeout_seconds(raw.timeout_seconds)?;
        Ok(Self { connect_host: connect_host(&raw.connect_host)?, token, vault, page_size, timeout_seconds })
    }
}

/// `http(s)://host[:port][/path]`, without a trailing slash or the API's `/v1`.
fn connect_host(text: &str) -> Result<String, ProviderError> {
    let url = settings::http_url(text).ok_or_else(|| {
        config(format!(
            "connect_host '{}' is not a Connect server URL: give http(s)://HOST[:PORT], e.g. http://localhost:8080",
            text.escape_debug()
        ))
    })?;
    Ok(url.strip_suffix("/v1").unwrap_or(url).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ConnectSettings, ProviderError> {
        ConnectSettings::from_json(&keyway_plugin_sdk::Settings::from_json(json)?)
    }

    fn message(result: Result<ConnectSettings, ProviderError>) -> String {
        match result {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn defaults_and_normalised_host() -> Result<(), ProviderError> {
        let s = parse(r#"{"connect_host":"http://127.0.0.1:8080/v1/","token":"t","vault":"Private"}"#)?;
        assert_eq!(s.connect_host, "http://127.0.0.1:8080");
        assert_eq!((s.page_size, s.timeout_seconds), (100, 30));
        let s = parse(r#"{"connect_host":"https://op.example.com/connect","token":"t","vault":"v","page_size":5}"#)?;
        assert_eq!(s.connect_host, "https://op.example.com/connect");
        assert_eq!(s.page_size, 5);
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_work() {
        let base = |extra: &str| format!(r#"{{"connect_host":"http://h:8080","token":"t","vault":"v"{extra}}}"#);
        assert!(message(parse(r#"{"connect_host":"h:8080","token":"t","vault":"v"}"#)).contains("not a Connect"));
        assert!(message(parse(r#"{"connect_host":"http://h","token":" ","vault":"v"}"#)).contains("token is empty"));
        assert!(message(parse(r#"{"connect_host":"http://h","token":"t","vault":"a\"b"}"#)).contains("quotes"));
        assert!(message(parse(&base(r#","page_size":0"#))).contains("page_size"));
        assert!(message(parse(&base(r#","timeout_seconds":601"#))).contains("timeout_seconds"));
        assert!(message(parse(&base(r#","vault_id":"x""#))).contains("unknown field"));
    }

    #[test]
    fn debug_hides_the_token() -> Result<(), ProviderError> {
        let s = parse(r#"{"connect_host":"http://h","token":"eyJ-top-secret","vault":"v"}"#)?;
        assert!(!format!("{s:?}").contains("top-secret"));
        Ok(())
    }

    #[test]
    fn settings_agree_with_the_manifest() -> Result<(), toml::de::Error> {
        let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
        manifest.assert_agrees(include_str!("../README.md"), ConnectSettings::from_json);
        Ok(())
    }
}
