//! The manager's settings for Secret Server, checked once when a connection opens.

use keyway_plugin_sdk::{settings, ProviderError};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// Settings exactly as `manifest.toml` declares them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    base_url: String,
    username: Option<String>,
    password: Option<String>,
    domain: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    folder_id: Option<i64>,
    template_id: Option<i64>,
    field: Option<String>,
    site_id: Option<i64>,
    page_size: Option<i64>,
    timeout_seconds: Option<i64>,
}

/// The OAuth2 grant the plugin logs in with (`POST /oauth2/token`).
pub enum Grant {
    /// `grant_type=password`.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Zeroizing<String>,
        /// The Active Directory domain of a domain account.
        domain: Option<String>,
    },
    /// `grant_type=client_credentials` (an SDK client account).
    ClientCredentials {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: Zeroizing<String>,
    },
}

impl Grant {
    /// Who logs in, for messages.
    pub fn who(&self) -> String {
        match self {
            Self::Password { username, domain: Some(domain), .. } => format!("user '{domain}\\{username}'"),
            Self::Password { username, .. } => format!("user '{username}'"),
            Self::ClientCredentials { client_id, .. } => format!("client '{client_id}'"),
        }
    }

    /// The settings to check when the login is refused.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Password { .. } => "check username, password and domain",
            Self::ClientCredentials { .. } => "check client_id and client_secret",
        }
    }

    /// The credential strings, so error messages can be scrubbed of them.
    pub fn credentials(&self) -> Vec<&str> {
        match self {
            Self::Password { password, .. } => vec![password.as_str()],
            Self::ClientCredentials { client_secret, .. } => vec![client_secret.as_str()],
        }
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant").field("who", &self.who()).finish_non_exhaustive()
    }
}

/// Which fields are the secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldChoice {
    /// One field, by slug.
    Slug(String),
    /// Every field with a value, as a JSON object by slug.
    All,
}

/// Checked settings of one connection.
#[derive(Debug)]
pub struct SecretServerSettings {
    /// Secret Server's URL, without a trailing slash or `/api/v1`.
    pub base_url: String,
    /// How to log in.
    pub grant: Grant,
    /// The folder of the secrets.
    pub folder_id: Option<i64>,
    /// The template of new secrets.
    pub template_id: Option<i64>,
    /// The value's field(s).
    pub field: FieldChoice,
    /// The site of new secrets.
    pub site_id: Option<i64>,
    /// Secrets per list page when the caller gives none.
    pub page_size: u32,
    /// Seconds to wait for each answer.
    pub timeout_seconds: u64,
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Configuration(message.into())
}

impl SecretServerSettings {
    /// Parses and checks the settings the host passes to `open`.
    pub fn from_json(settings: &keyway_plugin_sdk::Settings) -> Result<Self, ProviderError> {
        let raw: RawSettings = settings.parse()?;
        let grant = grant(&raw)?;
        for (name, value) in [("folder_id", raw.folder_id), ("template_id", raw.template_id), ("site_id", raw.site_id)]
        {
            if value.is_some_and(|v| v < 1) {
                return Err(config(format!("{name} must be a positive id")));
            }
        }
        let field = match settings::present(raw.field.as_deref()).as_deref() {
            None => FieldChoice::Slug("password".into()),
            Some("*") => FieldChoice::All,
            Some(slug) if slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
                FieldChoice::Slug(slug.to_ascii_lowercase())
            }
            Some(other) => {
                return Err(config(format!(
                    "field '{}' is not a field slug (letters, digits, '-'), nor * for every field",
                    other.escape_debug()
                )))
            }
        };
        let page_size = settings::page_size(raw.page_size)?;
        let timeout_seconds = settings::timeout_seconds(raw.timeout_seconds)?;
        Ok(Self {
            base_url: base_url(&raw.base_url)?,
            grant,
            folder_id: raw.folder_id,
            template_id: raw.template_id,
            field,
            site_id: raw.site_id,
            page_size,
            timeout_seconds,
        })
    }
}

fn grant(raw: &RawSettings) -> Result<Grant, ProviderError> {
    match (settings::present(raw.username.as_deref()), settings::present(raw.client_id.as_deref())) {
        (Some(_), Some(_)) => Err(config("give username and password, or client_id and client_secret, not both")),
        (Some(username), None) => {
            if raw.client_secret.is_some() {
                return Err(config("client_secret belongs to the client-credentials grant: remove it"));
            }
            let password = raw.password.clone().filter(|p| !p.is_empty());
            let password = password.ok_or_else(|| config("username needs password (the password grant)"))?;
            Ok(Grant::Password {
                username,
                password: Zeroizing::new(password),
                domain: settings::present(raw.domain.as_deref()),
            })
        }
        (None, Some(client_id)) => {
            if raw.password.is_some() || raw.domain.is_some() {
                return Err(config(
                    "password and domain belong to the password grant; a client logs in with client_secret",
                ));
            }
            let secret = settings::present(raw.client_secret.as_deref())
                .ok_or_else(|| config("client_id needs client_secret"))?;
            Ok(Grant::ClientCredentials { client_id, client_secret: Zeroizing::new(secret) })
        }
        (None, None) => {
            Err(config("no credentials: give username and password, or client_id and client_secret (an SDK client)"))
        }
    }
}

/// `https://host[:port][/path]`, without a trailing slash, `/api/v1` or `/oauth2/token`.
fn base_url(text: &str) -> Result<String, ProviderError> {
    let mut trimmed = settings::http_url(text).ok_or_else(|| {
        config(format!(
            "base_url '{}' is not a URL: give https://HOST[/PATH], e.g. https://tenant.secretservercloud.com",
            text.escape_debug()
        ))
    })?;
    for suffix in ["/oauth2/token", "/api/v1"] {
        if trimmed.to_ascii_lowercase().ends_with(suffix) {
            trimmed = &trimmed[..trimmed.len() - suffix.len()];
        }
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<SecretServerSettings, ProviderError> {
        SecretServerSettings::from_json(&keyway_plugin_sdk::Settings::from_json(json)?)
    }

    fn message(json: &str) -> String {
        match parse(json) {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn settings_and_defaults() -> Result<(), ProviderError> {
        let s = parse(
            r#"{"base_url":"https://ss.example.com/SecretServer/api/v1/","username":"u","password":"p","folder_id":3}"#,
        )?;
        assert_eq!(s.base_url, "https://ss.example.com/SecretServer");
        assert_eq!((s.folder_id, s.template_id, s.page_size, s.timeout_seconds), (Some(3), None, 100, 30));
        assert_eq!(s.field, FieldChoice::Slug("password".into()));
        assert_eq!(s.grant.who(), "user 'u'");
        let s = parse(r#"{"base_url":"https://h","client_id":"sdk-client-1","client_secret":"s","field":"*"}"#)?;
        assert_eq!(s.field, FieldChoice::All);
        assert!(matches!(s.grant, Grant::ClientCredentials { .. }));
        let s = parse(r#"{"base_url":"https://h","username":"u","password":"p","domain":"corp","field":"API-Key"}"#)?;
        assert_eq!((s.grant.who(), s.field), ("user 'corp\\u'".into(), FieldChoice::Slug("api-key".into())));
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_work() {
        let user = |extra: &str| format!(r#"{{"base_url":"https://h","username":"u","password":"p"{extra}}}"#);
        assert!(message(r#"{"base_url":"https://h"}"#).contains("no credentials"));
        assert!(message(r#"{"base_url":"https://h","username":"u"}"#).contains("needs password"));
        assert!(message(r#"{"base_url":"https://h","client_id":"c"}"#).contains("client_secret"));
        assert!(message(&user(r#","client_id":"c""#)).contains("not both"));
        assert!(message(r#"{"base_url":"h","username":"u","password":"p"}"#).contains("not a URL"));
        assert!(message(&user(r#","folder_id":0"#)).contains("folder_id"));
        assert!(message(&user(r#","field":"a b""#)).contains("not a field slug"));
        assert!(message(&user(r#","page_size":5000"#)).contains("page_size"));
        assert!(message(&user(r#","folderId":3"#)).contains("unknown field"));
    }

    #[test]
    fn debug_hides_credentials() -> Result<(), ProviderError> {
        let s = parse(r#"{"base_url":"https://h","username":"u","password":"hunter2-pass"}"#)?;
        assert!(!format!("{s:?}").contains("hunter2"));
        Ok(())
    }
}
