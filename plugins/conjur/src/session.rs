//! The Conjur access token: obtained by authenticating (with the API key, or with a password that is
//! first exchanged for the API key), sent as `Authorization: Token token="<base64>"`, replaced shortly
//! before it expires (Conjur's tokens live eight minutes) or when Conjur refuses it, and never part
//! of an error or a log line.

use crate::errors::authentication_failure;
use crate::settings::{ConjurSettings, Credential};
use base64::Engine as _;
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::{HttpClient, Method, ProviderError, Response};
use std::cell::RefCell;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The lifetime of a token whose payload does not say (Conjur's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(8 * 60);

/// One request to Conjur's API, replayable after a new authentication.
pub struct Call<'a> {
    /// The HTTP method.
    pub method: Method,
    /// The path below the URL.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'a str, String)>,
    /// Extra headers.
    pub headers: Vec<(&'a str, &'a str)>,
    /// A body with its content type.
    pub body: Option<(&'a str, &'a [u8])>,
}

impl<'a> Call<'a> {
    /// A request without query, headers or body.
    pub fn new(method: Method, path: String) -> Self {
        Self { method, path, query: Vec::new(), headers: Vec::new(), body: None }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets the body.
    pub fn body(mut self, content_type: &'a str, body: &'a [u8]) -> Self {
        self.body = Some((content_type, body));
        self
    }
}

struct Token {
    header: Zeroizing<String>,
    refresh_at: Instant,
}

/// An authenticated session with one Conjur account.
pub struct Session {
    http: HttpClient,
    account: String,
    login: String,
    credential: Credential,
    authn_service_id: Option<String>,
    /// The API key obtained with the password (built-in authn only).
    api_key: RefCell<Option<Zeroizing<String>>>,
    token: RefCell<Option<Token>>,
}

/// When to replace a token that lives `lifetime`: an eighth of it early, at least a second and at
/// most a minute (seven minutes into Conjur's eight).
fn refresh_after(lifetime: Duration) -> Duration {
    let margin = (lifetime / 8).clamp(Duration::from_secs(1), Duration::from_secs(60));
    lifetime.saturating_sub(margin)
}

/// The lifetime a token's payload (`{"iat", "exp"}`, base64) states.
fn token_lifetime(token: &[u8]) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_slice(token).ok()?;
    let payload = base64::engine::general_purpose::STANDARD.decode(json.get("payload")?.as_str()?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    let (issued, expires) = (claims.get("iat")?.as_u64()?, claims.get("exp")?.as_u64()?);
    (expires > issued).then(|| Duration::from_secs(expires - issued))
}

impl Session {
    /// A session that authenticates on first use.
    pub fn new(settings: ConjurSettings) -> Self {
        let http = HttpClient::new(settings.url).with_timeout(Duration::from_secs(settings.timeout_seconds));
        Self {
            http,
            account: settings.account,
            login: settings.login,
            credential: settings.credential,
            authn_service_id: settings.authn_service_id,
            api_key: RefCell::new(None),
            token: RefCell::new(None),
        }
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Sends `call` with a valid token. When Conjur answers 401 to a token that was not fresh, the
    /// plugin authenticates again once and repeats the call. Any status comes back as a
    /// [`Response`]; transport failures are errors.
    pub fn send(&self, call: &Call<'_>) -> Result<Response, ProviderError> {
        let fresh = self.ensure_token()?;
        let response = self.send_with_token(call)?;
        if response.status != 401 || fresh {
            return Ok(response);
        }
        host::log(Level::Debug, "conjur refused the access token; authenticating again", &[("login", &self.login)]);
        *self.token.borrow_mut() = None;
        self.authenticate()?;
        self.send_with_token(call)
    }

    fn send_with_token(&self, call: &Call<'_>) -> Result<Response, ProviderError> {
        let token = self.token.borrow();
        let mut request = self.http.request(call.method.clone(), &call.path);
        if let Some(token) = token.as_ref() {
            request = request.header("authorization", &token.header);
        }
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        for (name, value) in &call.query {
            request = request.query(name, value);
        }
        if let Some((content_type, body)) = call.body {
            request = request.body(content_type, body.to_vec());
        }
        request.send().map_err(|err| self.explain_transport(err))
    }

    /// Adds what to check when an HTTPS connection fails: the host reports a certificate it does not
    /// trust as a failed connection.
    fn explain_transport(&self, error: ProviderError) -> ProviderError {
        match error {
            ProviderError::Unavailable(message) if self.http.base_url().starts_with("https://") => {
                ProviderError::Unavailable(format!(
                    "{message}; if Conjur is running, check that its certificate is trusted (a private CA belongs in \
                     the manager's tls_ca_file)"
                ))
            }
            other => other,
        }
    }

    /// Makes sure a usable token is held; returns whether it was obtained just now.
    fn ensure_token(&self) -> Result<bool, ProviderError> {
        let valid = self.token.borrow().as_ref().is_some_and(|t| Instant::now() < t.refresh_at);
        if valid {
            return Ok(false);
        }
        self.authenticate()?;
        Ok(true)
    }

    fn authenticator(&self) -> String {
        match &self.authn_service_id {
            Some(id) => format!("authn-ldap/{id}"),
            None => "authn".into(),
        }
    }

    /// Authenticates and keeps the new token.
    fn authenticate(&self) -> Result<(), ProviderError> {
        let (login, account) = (percent_encode(&self.login), percent_encode(&self.account));
        let path = match &self.authn_service_id {
            Some(id) => format!("authn-ldap/{}/{account}/{login}/authenticate", percent_encode(id)),
            None => format!("authn/{account}/{login}/authenticate"),
        };
        let mut retried = false;
        let response = loop {
            let secret = self.secret()?;
            let response = self
                .http
                .post(&path)
                .body("text/plain", secret.as_bytes().to_vec())
                .send()
                .map_err(|err| self.explain_transport(err))?;
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
        *self.token.borrow_mut() = Some(Token {
            header: Zeroizing::new(format!("Token token=\"{}\"", token.as_str())),
            refresh_at: Instant::now() + refresh_after(lifetime),
        });
        host::log(Level::Debug, "authenticated to conjur", &[("login", &self.login), ("account", &self.account)]);
        Ok(())
    }

    /// What the authenticator is sent: the API key, an LDAP password, or the API key obtained with the
    /// password from `/authn/{account}/login`.
    fn secret(&self) -> Result<Zeroizing<String>, ProviderError> {
        match &self.credential {
            Credential::ApiKey(key) => Ok(key.clone()),
            Credential::Password(password) if self.authn_service_id.is_some() => Ok(password.clone()),
            Credential::Password(password) => {
                if let Some(key) = self.api_key.borrow().as_ref() {
                    return Ok(key.clone());
                }
                let key = self.login_with_password(password)?;
                *self.api_key.borrow_mut() = Some(key.clone());
                Ok(key)
            }
        }
    }

    fn login_with_password(&self, password: &str) -> Result<Zeroizing<String>, ProviderError> {
        let basic = Zeroizing::new(format!("{}:{password}", self.login));
        let header =
            Zeroizing::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(basic.as_bytes())));
        let response = self
            .http
            .get(&format!("authn/{}/login", percent_encode(&self.account)))
            .header("authorization", &header)
            .send()
            .map_err(|err| self.explain_transport(err))?;
        if !response.is_success() {
            return Err(authentication_failure(&response, &self.login, &self.account, "authn login"));
        }
        Ok(Zeroizing::new(String::from_utf8_lossy(&response.body).trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_before_they_expire() {
        assert_eq!(refresh_after(DEFAULT_LIFETIME), Duration::from_secs(7 * 60));
        assert_eq!(refresh_after(Duration::from_secs(4)), Duration::from_secs(3));
        assert_eq!(refresh_after(Duration::from_secs(40)), Duration::from_secs(35));
    }

    #[test]
    fn reads_the_lifetime_from_the_payload() {
        let payload = base64::engine::general_purpose::STANDARD.encode(r#"{"sub":"admin","iat":100,"exp":580}"#);
        let token = format!(r#"{{"protected":"e30=","payload":"{payload}","signature":"c2ln"}}"#);
        assert_eq!(token_lifetime(token.as_bytes()), Some(Duration::from_secs(480)));
        assert_eq!(token_lifetime(b"not json"), None);
    }
}
