//! The manager's settings for Conjur, checked once when a connection opens.

use keyway_plugin_sdk::{settings, ProviderError};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// Settings exactly as `manifest.toml` declares them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    url: String,
    account: String,
    login: String,
    api_key: Option<String>,
    password: Option<String>,
    authn_service_id: Option<String>,
    policy_branch: Option<String>,
    page_size: Option<i64>,
    timeout_seconds: Option<i64>,
}

/// The secret the login proves itself with.
pub enum Credential {
    /// An API key, sent to the authenticator.
    ApiKey(Zeroizing<String>),
    /// A password: exchanged for the API key at `/authn/{account}/login` (built-in authn), or sent
    /// to an LDAP authenticator as is.
    Password(Zeroizing<String>),
}

/// Checked settings.
pub struct ConjurSettings {
    /// Conjur's base URL, without a trailing slash.
    pub url: String,
    /// The account.
    pub account: String,
    /// `host/NAME` or a user name.
    pub login: String,
    /// The API key or password.
    pub credential: Credential,
    /// The `authn-ldap` service id, when that authenticator is used.
    pub authn_service_id: Option<String>,
    /// Where new variables are declared; `None` for a read-only manager.
    pub policy_branch: Option<String>,
    /// Variables per list page when the caller gives none.
    pub page_size: u32,
    /// Seconds to wait for each answer.
    pub timeout_seconds: u64,
}

impl fmt::Debug for ConjurSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credential = match self.credential {
            Credential::ApiKey(_) => "api_key",
            Credential::Password(_) => "password",
        };
        f.debug_struct("ConjurSettings")
            .field("url", &self.url)
            .field("account", &self.account)
            .field("login", &self.login)
            .field("credential", &credential)
            .field("authn_service_id", &self.authn_service_id)
            .field("policy_branch", &self.policy_branch)
            .field("page_size", &self.page_size)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Configuration(message.into())
}

/// Whether `text` is usable as one path segment's content (an account or service id).
fn plain(text: &str) -> bool {
    !text.is_empty() && !text.contains(['/', ':', '?', '#']) && !text.chars().any(|c| c.is_control() || c == ' ')
}

impl ConjurSettings {
    /// Parses and checks the settings the host passes.
    pub fn from_json(settings: &keyway_plugin_sdk::Settings) -> Result<Self, ProviderError> {
        let raw: RawSettings = settings.parse()?;
        let account = raw.account.trim().to_owned();
        if !plain(&account) {
            return Err(config(format!(
                "account '{}' is not a Conjur account name (no '/', ':' or spaces)",
                account.escape_debug()
            )));
        }
        let login = raw.login.trim().to_owned();
        if login.is_empty() || login.chars().any(char::is_control) {
            return Err(config("login is empty: give host/NAME for a host, or a user name"));
        }
        let credential = match (settings::present(raw.api_key.as_deref()), settings::present(raw.password.as_deref())) {
            (Some(key), None) => Credential::ApiKey(Zeroizing::new(key)),
            (None, Some(password)) => Credential::Password(Zeroizing::new(password)),
            (Some(_), Some(_)) => return Err(config("both api_key and password are set: give only one")),
            (None, None) => return Err(config("no credential: give the login's api_key (or a user's password)")),
        };
        let authn_service_id = settings::present(raw.authn_service_id.as_deref());
        if let Some(id) = &authn_service_id {
            if !plain(id) {
                return Err(config(format!("authn_service_id '{}' is not a service id", id.escape_debug())));
            }
        }
        let page_size = settings::page_size(raw.page_size)?;
        let timeout_seconds = settings::timeout_seconds(raw.timeout_seconds)?;
        Ok(Self {
            url: url(&raw.url)?,
            account,
            login,
            credential,
            authn_service_id,
            policy_branch: settings::present(raw.policy_branch.as_deref()).map(|b| policy_branch(&b)).transpose()?,
            page_size,
            timeout_seconds,
        })
    }
}

/// `http(s)://host[:port][/path]` without a trailing slash.
fn url(text: &str) -> Result<String, ProviderError> {
    let url = settings::http_url(text).ok_or_else(|| {
        config(format!(
            "url '{}' is not a Conjur URL: give https://HOST[:PORT][/PATH], e.g. https://conjur.example.com",
            text.escape_debug()
        ))
    })?;
    Ok(url.to_owned())
}

/// `root` or a slash-separated policy id without empty segments.
fn policy_branch(text: &str) -> Result<String, ProviderError> {
    let branch = text.trim_matches('/');
    let valid = !branch.is_empty()
        && !branch.split('/').any(|s| s.is_empty() || s == "." || s == "..")
        && !branch.chars().any(|c| c.is_control() || c == ':' || c == ' ');
    if !valid {
        return Err(config(format!(
            "policy_branch '{}' is not a policy id: give root or a path such as apps/kestra",
            text.escape_debug()
        )));
    }
    Ok(branch.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ConjurSettings, ProviderError> {
        ConjurSettings::from_json(&keyway_plugin_sdk::Settings::from_json(json)?)
    }

    fn message(result: Result<ConjurSettings, ProviderError>) -> String {
        match result {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(err) => err.to_string(),
        }
    }

    const BASE: &str = r#""url":"https://conjur:8443/","account":"myorg","login":"host/apps/kestra""#;

    #[test]
    fn defaults_and_normalised_values() -> Result<(), ProviderError> {
        let s = parse(&format!(r#"{{{BASE},"api_key":"k"}}"#))?;
        assert_eq!(s.url, "https://conjur:8443");
        assert!(matches!(s.credential, Credential::ApiKey(_)));
        assert_eq!((s.policy_branch, s.authn_service_id, s.page_size), (None, None, 100));
        let s =
            parse(&format!(r#"{{{BASE},"password":"p","policy_branch":"/apps/kestra/","authn_service_id":"corp"}}"#))?;
        assert!(matches!(s.credential, Credential::Password(_)));
        assert_eq!(s.policy_branch.as_deref(), Some("apps/kestra"));
        assert_eq!(s.authn_service_id.as_deref(), Some("corp"));
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_work() {
        assert!(message(parse(&format!(r#"{{{BASE}}}"#))).contains("no credential"));
        assert!(message(parse(&format!(r#"{{{BASE},"api_key":"k","password":"p"}}"#))).contains("only one"));
        let bad_account = r#"{"url":"https://c","account":"my/org","login":"l","api_key":"k"}"#;
        assert!(message(parse(bad_account)).contains("account"));
        assert!(
            message(parse(r#"{"url":"conjur","account":"a","login":"l","api_key":"k"}"#)).contains("not a Conjur URL")
        );
        assert!(
            message(parse(&format!(r#"{{{BASE},"api_key":"k","policy_branch":"a//b"}}"#))).contains("policy_branch")
        );
        assert!(message(parse(&format!(r#"{{{BASE},"api_key":"k","page_size":0}}"#))).contains("page_size"));
        assert!(message(parse(&format!(r#"{{{BASE},"api_key":"k","username":"u"}}"#))).contains("unknown field"));
    }

    #[test]
    fn debug_hides_credentials() -> Result<(), ProviderError> {
        let s = parse(&format!(r#"{{{BASE},"api_key":"3x9-top-secret-key"}}"#))?;
        assert!(!format!("{s:?}").contains("top-secret"));
        Ok(())
    }
}
