//! The manager's settings for Password Safe, checked once when a connection opens.

use keyway_plugin_sdk::{settings, ProviderError};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// The path of the public API below the server's URL.
pub const API_PATH: &str = "/BeyondTrust/api/public/v3";

/// Settings exactly as `manifest.toml` declares them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    api_url: String,
    api_key: Option<String>,
    run_as: Option<String>,
    run_as_password: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    folder: Option<String>,
    folder_id: Option<String>,
    create_folders: Option<bool>,
    api_version: Option<String>,
    page_size: Option<i64>,
    timeout_seconds: Option<i64>,
}

/// How the plugin signs in (`POST Auth/SignAppin`).
pub enum Auth {
    /// `Authorization: PS-Auth key=KEY; runas=USER; [pwd=[PASSWORD];]`.
    ApiKey {
        /// The API registration's key.
        key: Zeroizing<String>,
        /// The user the calls run as.
        run_as: String,
        /// The run-as user's password, for registrations that require it.
        password: Option<Zeroizing<String>>,
    },
    /// A token from `POST Auth/connect/token` (client credentials), then `Authorization: Bearer TOKEN`.
    OAuth {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: Zeroizing<String>,
    },
}

impl Auth {
    /// The method's name, for logs.
    pub fn method(&self) -> &'static str {
        match self {
            Self::ApiKey { .. } => "api-key",
            Self::OAuth { .. } => "oauth",
        }
    }

    /// The credential strings, so error messages can be scrubbed of them.
    pub fn credentials(&self) -> Vec<&str> {
        match self {
            Self::ApiKey { key, password, .. } => {
                std::iter::once(key.as_str()).chain(password.iter().map(|p| p.as_str())).collect()
            }
            Self::OAuth { client_secret, .. } => vec![client_secret.as_str()],
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey { run_as, .. } => f.debug_struct("ApiKey").field("run_as", run_as).finish_non_exhaustive(),
            Self::OAuth { client_id, .. } => {
                f.debug_struct("OAuth").field("client_id", client_id).finish_non_exhaustive()
            }
        }
    }
}

/// Where keyway names live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// Names are full paths: `FOLDER/…/TITLE`.
    None,
    /// Names are relative to this folder path (no slashes around it).
    Path(String),
    /// Names are relative to the folder with this GUID.
    FolderId(String),
}

/// Checked settings of one connection.
#[derive(Debug)]
pub struct PasswordSafeSettings {
    /// The API's base URL, ending in `/BeyondTrust/api/public/v3`.
    pub api_url: String,
    /// How to sign in.
    pub auth: Auth,
    /// Where names live.
    pub root: Root,
    /// Whether missing sub-folders are created.
    pub create_folders: bool,
    /// The request version sent with Secrets Safe calls.
    pub api_version: String,
    /// Secrets per list page when the caller gives none.
    pub page_size: u32,
    /// Seconds to wait for each answer.
    pub timeout_seconds: u64,
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Configuration(message.into())
}

impl PasswordSafeSettings {
    /// Parses and checks the settings the host passes to `open`.
    pub fn from_json(settings: &keyway_plugin_sdk::Settings) -> Result<Self, ProviderError> {
        let raw: RawSettings = settings.parse()?;
        let auth = auth(&raw)?;
        let root = match (settings::present(raw.folder.as_deref()), settings::present(raw.folder_id.as_deref())) {
            (Some(_), Some(_)) => return Err(config("give folder or folder_id, not both")),
            (Some(path), None) => Root::Path(folder_path(&path)?),
            (None, Some(id)) => Root::FolderId(guid(&id)?),
            (None, None) => Root::None,
        };
        let api_version = settings::present(raw.api_version.as_deref()).unwrap_or_else(|| "3.1".into());
        if !["3.0", "3.1", "3.2"].contains(&api_version.as_str()) {
            return Err(config(format!("api_version '{api_version}' is not one of 3.0, 3.1, 3.2")));
        }
        let page_size = settings::page_size(raw.page_size)?;
        let timeout_seconds = settings::timeout_seconds(raw.timeout_seconds)?;
        Ok(Self {
            api_url: api_url(&raw.api_url)?,
            auth,
            root,
            create_folders: raw.create_folders.unwrap_or(true),
            api_version,
            page_size,
            timeout_seconds,
        })
    }
}

fn auth(raw: &RawSettings) -> Result<Auth, ProviderError> {
    let key = settings::present(raw.api_key.as_deref());
    let client_id = settings::present(raw.client_id.as_deref());
    match (key, client_id) {
        (Some(_), Some(_)) => Err(config("give api_key (with run_as) or client_id and client_secret, not both")),
        (Some(key), None) => {
            if raw.client_secret.is_some() {
                return Err(config(
                    "client_secret belongs to OAuth auth: remove it, or use client_id instead of api_key",
                ));
            }
            if key.contains([';', '=', '\r', '\n']) {
                return Err(config(
                    "api_key must be the key alone: give the run-as user in run_as (not as ;runas= in the key)",
                ));
            }
            let run_as = settings::present(raw.run_as.as_deref())
                .ok_or_else(|| config("api_key needs run_as: the Password Safe user the calls run as"))?;
            if run_as.contains([';', '\r', '\n']) {
                return Err(config("run_as must not contain ';' or line breaks"));
            }
            let password = raw.run_as_password.clone().filter(|p| !p.is_empty());
            if password.as_deref().is_some_and(|p| p.contains([']', '\r', '\n'])) {
                return Err(config(
                    "run_as_password cannot contain ']' or line breaks: the PS-Auth header has no escaping",
                ));
            }
            Ok(Auth::ApiKey { key: Zeroizing::new(key), run_as, password: password.map(Zeroizing::new) })
        }
        (None, Some(client_id)) => {
            if raw.run_as.is_some() || raw.run_as_password.is_some() {
                return Err(config(
                    "run_as and run_as_password belong to API key auth; OAuth clients run as themselves",
                ));
            }
            let client_secret = settings::present(raw.client_secret.as_deref())
                .ok_or_else(|| config("client_id needs client_secret (OAuth client credentials)"))?;
            Ok(Auth::OAuth { client_id, client_secret: Zeroizing::new(client_secret) })
        }
        (None, None) => Err(config(
            "no credentials: give api_key and run_as (API key auth), or client_id and client_secret (OAuth)",
        )),
    }
}

/// `https://host[:port][/prefix]`, with the API path added when it is not there.
fn api_url(text: &str) -> Result<String, ProviderError> {
    let trimmed = settings::http_url(text).ok_or_else(|| {
        config(format!(
            "api_url '{}' is not a URL: give https://HOST[:PORT], e.g. https://pws.example.com",
            text.escape_debug()
        ))
    })?;
    let lower = trimmed.to_ascii_lowercase();
    if lower.ends_with(&API_PATH.to_ascii_lowercase()) {
        return Ok(trimmed.to_owned());
    }
    if lower.contains("/beyondtrust/api/public/") {
        return Err(config(format!("api_url '{trimmed}' names another API version: this plugin speaks {API_PATH}")));
    }
    Ok(format!("{trimmed}{API_PATH}"))
}

/// A folder path: segments separated by `/`, none empty, at most 7 deep.
pub fn folder_path(text: &str) -> Result<String, ProviderError> {
    let trimmed = text.trim().trim_matches('/');
    let segments: Vec<&str> = trimmed.split('/').collect();
    let bad = segments.iter().any(|s| s.is_empty() || s.trim() != *s || s.chars().count() > 256);
    if trimmed.is_empty() || bad || trimmed.chars().any(char::is_control) {
        return Err(config(format!(
            "folder '{}' is not a folder path: give folder names separated by '/', e.g. Kestra/prod",
            text.escape_debug()
        )));
    }
    if segments.len() > 7 {
        return Err(config("folder is deeper than the 7 folder levels Password Safe allows"));
    }
    Ok(trimmed.to_owned())
}

fn guid(text: &str) -> Result<String, ProviderError> {
    let hex_groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = hex_groups.iter().map(|g| g.len()).collect();
    let all_hex = hex_groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    if lengths != [8, 4, 4, 4, 12] || !all_hex {
        return Err(config(format!(
            "folder_id '{}' is not a folder GUID like 6f1f2a5e-0b7c-4f8e-9a51-3c2d1e0f9a77",
            text.escape_debug()
        )));
    }
    Ok(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<PasswordSafeSettings, ProviderError> {
        PasswordSafeSettings::from_json(&keyway_plugin_sdk::Settings::from_json(json)?)
    }

    fn message(json: &str) -> String {
        match parse(json) {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn api_key_settings_and_defaults() -> Result<(), ProviderError> {
        let s =
            parse(r#"{"api_url":"https://pws.example.com/","api_key":"k","run_as":"svc","folder":"/Kestra/prod/"}"#)?;
        assert_eq!(s.api_url, "https://pws.example.com/BeyondTrust/api/public/v3");
        assert_eq!(s.root, Root::Path("Kestra/prod".into()));
        assert_eq!((s.api_version.as_str(), s.page_size, s.timeout_seconds, s.create_folders), ("3.1", 100, 30, true));
        assert!(matches!(s.auth, Auth::ApiKey { ref run_as, password: None, .. } if run_as == "svc"));
        let s = parse(r#"{"api_url":"https://h/BeyondTrust/api/public/v3","client_id":"c","client_secret":"s"}"#)?;
        assert_eq!(s.api_url, "https://h/BeyondTrust/api/public/v3");
        assert_eq!(s.root, Root::None);
        let s = parse(
            r#"{"api_url":"https://h","client_id":"c","client_secret":"s","folder_id":"6F1F2A5E-0B7C-4F8E-9A51-3C2D1E0F9A77"}"#,
        )?;
        assert_eq!(s.root, Root::FolderId("6f1f2a5e-0b7c-4f8e-9a51-3c2d1e0f9a77".into()));
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_work() {
        let key = |extra: &str| format!(r#"{{"api_url":"https://h","api_key":"k","run_as":"u"{extra}}}"#);
        assert!(message(r#"{"api_url":"https://h"}"#).contains("no credentials"));
        assert!(message(r#"{"api_url":"https://h","api_key":"k"}"#).contains("needs run_as"));
        assert!(message(r#"{"api_url":"https://h","api_key":"k;runas=u","run_as":"u"}"#).contains("key alone"));
        assert!(message(r#"{"api_url":"https://h","client_id":"c"}"#).contains("client_secret"));
        assert!(message(r#"{"api_url":"pws.example.com","client_id":"c","client_secret":"s"}"#).contains("not a URL"));
        assert!(message(&key(r#","client_id":"c""#)).contains("not both"));
        assert!(message(&key(r#","folder":"a//b""#)).contains("not a folder path"));
        assert!(message(&key(r#","folder":"a","folder_id":"x""#)).contains("not both"));
        assert!(message(&key(r#","folder_id":"12""#)).contains("GUID"));
        assert!(message(&key(r#","api_version":"3.9""#)).contains("api_version"));
        assert!(message(&key(r#","page_size":0"#)).contains("page_size"));
        assert!(message(&key(r#","run_as_password":"a]b""#)).contains("']'"));
        assert!(message(&key(r#","address":"x""#)).contains("unknown field"));
        let old = r#"{"api_url":"https://h/BeyondTrust/api/public/v2","client_id":"c","client_secret":"s"}"#;
        assert!(message(old).contains("another API version"));
    }

    #[test]
    fn debug_hides_credentials() -> Result<(), ProviderError> {
        let s = parse(r#"{"api_url":"https://h","api_key":"top-secret-key","run_as":"u","run_as_password":"pw-123"}"#)?;
        let shown = format!("{s:?}");
        assert!(!shown.contains("top-secret-key") && !shown.contains("pw-123"), "{shown}");
        Ok(())
    }
}
