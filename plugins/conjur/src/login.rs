//! How the plugin authenticates to Conjur: with the API key, an LDAP password, or the API key obtained
//! with the password first; the access token goes on requests as `Authorization: Token token="<base64>"`
//! and lives as long as its payload says (eight minutes by default). The SDK's session keeps the token,
//! replaces it before it expires and authenticates again when Conjur refuses it.

use crate::errors::authentication_failure;
use crate::settings::{ConjurSettings, Credential};
use base64::Engine as _;
use keyway_plugin_sdk::http::{percent_encode, RequestBuilder};
use keyway_plugin_sdk::session::{Issued, Login, Session};
use keyway_plugin_sdk::{HttpClient, ProviderError, Response};
use std::cell::RefCell;
use std::time::Duration;
use zeroize::Zeroizing;

/// The lifetime of a token whose payload does not say (Conjur's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(8 * 60);

/// An authenticated session with one Conjur account.
pub type ConjurSession = Session<ConjurLogin>;

/// A session with the account `settings` name, authenticating on first use.
pub fn session(settings: ConjurSettings) -> ConjurSession {
    let http = HttpClient::new(settings.url).with_timeout(Duration::from_secs(settings.timeout_seconds));
    let login = ConjurLogin {
        account: settings.account,
        login: settings.login,
        credential: settings.credential,
        authn_service_id: settings.authn_service_id,
        api_key: RefCell::new(None),
    };
    Session::new(http, login)
}

/// Authenticating one login in one Conjur account.
pub struct ConjurLogin {
    account: String,
    login: String,
    credential: Credential,
    authn_service_id: Option<String>,
    /// The API key obtained with the password (built-in authn only).
    api_key: RefCell<Option<Zeroizing<String>>>,
}

/// The lifetime a token's payload (`{"iat", "exp"}`, base64) states.
fn token_lifetime(token: &[u8]) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_slice(token).ok()?;
    let payload = base64::engine::general_purpose::STANDARD.decode(json.get("payload")?.as_str()?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    let (issued, expires) = (claims.get("iat")?.as_u64()?, claims.get("exp")?.as_u64()?);
    (expires > issued).then(|| Duration::from_secs(expires - issued))
}

/// The `Authorization` header of an `authenticate` answer, and the token's lifetime.
fn access_token(response: &Response) -> Issued<Zeroizing<String>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let (token, raw) = if response.header("content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
        // Sent already encoded (`Accept-Encoding: base64`).
        let text = Zeroizing::new(String::from_utf8_lossy(&response.body).trim().to_owned());
        let raw = Zeroizing::new(engine.decode(text.as_bytes()).unwrap_or_default());
        (text, raw)
    } else {
        (Zeroizing::new(engine.encode(&response.body)), Zeroizing::new(response.body.clone()))
    };
    let lifetime = token_lifetime(&raw).unwrap_or(DEFAULT_LIFETIME);
    Issued::expiring(Zeroizing::new(format!("Token token=\"{}\"", token.as_str())), lifetime)
}

impl ConjurLogin {
    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    fn authenticator(&self) -> String {
        match &self.authn_service_id {
            Some(id) => format!("authn-ldap/{id}"),
            None => "authn".into(),
        }
    }

    /// What the authenticator is sent: the API key, an LDAP password, or the API key obtained with the
    /// password from `/authn/{account}/login`.
    fn secret(&self, http: &HttpClient) -> Result<Zeroizing<String>, ProviderError> {
        match &self.credential {
            Credential::ApiKey(key) => Ok(key.clone()),
            Credential::Password(password) if self.authn_service_id.is_some() => Ok(password.clone()),
            Credential::Password(password) => {
                if let Some(key) = self.api_key.borrow().as_ref() {
                    return Ok(key.clone());
                }
                let key = self.login_with_password(http, password)?;
                *self.api_key.borrow_mut() = Some(key.clone());
                Ok(key)
            }
        }
    }

    fn login_with_password(&self, http: &HttpClient, password: &str) -> Result<Zeroizing<String>, ProviderError> {
        let basic = Zeroizing::new(format!("{}:{password}", self.login));
        let header =
            Zeroizing::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(basic.as_bytes())));
        let path = format!("authn/{}/login", percent_encode(&self.account));
        let response = http.get(&path).header("authorization", &header).send()?;
        if !response.is_success() {
            return Err(authentication_failure(&response, &self.login, &self.account, "authn login"));
        }
        Ok(Zeroizing::new(String::from_utf8_lossy(&response.body).trim().to_owned()))
    }
}

impl Login for ConjurLogin {
    type Token = Zeroizing<String>;
    const BACKEND: &'static str = "Conjur";

    fn log_in(&self, http: &HttpClient) -> Result<Issued<Self::Token>, ProviderError> {
        let (login, account) = (percent_encode(&self.login), percent_encode(&self.account));
        let path = match &self.authn_service_id {
            Some(id) => format!("authn-ldap/{}/{account}/{login}/authenticate", percent_encode(id)),
            None => format!("authn/{account}/{login}/authenticate"),
        };
        let mut retried = false;
        let response = loop {
            let secret = self.secret(http)?;
            let response = http.post(&path).body("text/plain", secret.as_bytes().to_vec()).send()?;
            // An API key obtained with the password may have been rotated since: log in again once.
            let from_login = self.api_key.borrow().is_some();
            if response.status == 401 && from_login && !retried {
                *self.api_key.borrow_mut() = None;
                retried = true;
                continue;
            }
            break response;
        };
        if !response.is_success() {
            return Err(authentication_failure(&response, &self.login, &self.account, &self.authenticator()));
        }
        Ok(access_token(&response))
    }

    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &Self::Token) -> RequestBuilder<'a> {
        request.header("authorization", token)
    }

    fn secrets<'a>(&'a self, token: Option<&'a Self::Token>) -> Vec<&'a str> {
        let credential = match &self.credential {
            Credential::ApiKey(secret) | Credential::Password(secret) => secret.as_str(),
        };
        [Some(credential), token.map(|token| token.as_str())].into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lifetime_from_the_payload() {
        let payload = base64::engine::general_purpose::STANDARD.encode(r#"{"sub":"admin","iat":100,"exp":580}"#);
        let token = format!(r#"{{"protected":"e30=","payload":"{payload}","signature":"c2ln"}}"#);
        assert_eq!(token_lifetime(token.as_bytes()), Some(Duration::from_secs(480)));
        assert_eq!(token_lifetime(b"not json"), None);
    }
}
