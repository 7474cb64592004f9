//! The Vault token: obtained by logging in (or given), renewed before it
//! expires, re-acquired when Vault rejects it, and never part of an error.

use crate::errors;
use crate::settings::{Auth, VaultSettings};
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::{encode_path, percent_encode};
use keyway_plugin_sdk::redact::redact_error;
use keyway_plugin_sdk::{HttpClient, Method, ProviderError, Response};
use serde::Deserialize;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// A token close to its end is replaced rather than used.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// One request to Vault's API, replayable after a new login.
pub struct Call<'a> {
    /// The HTTP method (`LIST` is sent as `GET …?list=true`).
    pub method: Method,
    /// The path below the address, starting with `v1/`.
    pub path: &'a str,
    /// Query parameters.
    pub query: Vec<(&'a str, String)>,
    /// A JSON body.
    pub body: Option<serde_json::Value>,
}

impl<'a> Call<'a> {
    /// A request without query or body.
    pub fn new(method: Method, path: &'a str) -> Self {
        Self { method, path, query: Vec::new(), body: None }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
}

struct Token {
    value: Zeroizing<String>,
    /// When to renew (two thirds into the lease); `None` for tokens that do not expire.
    renew_at: Option<Instant>,
    expires_at: Option<Instant>,
    renewable: bool,
}

impl Token {
    fn new(value: Zeroizing<String>, lease_seconds: u64, renewable: bool) -> Self {
        let now = Instant::now();
        let (renew_at, expires_at) = if lease_seconds == 0 {
            (None, None)
        } else {
            let lease = Duration::from_secs(lease_seconds);
            (Some(now + lease * 2 / 3), Some(now + lease))
        };
        Self { value, renew_at, expires_at, renewable }
    }

    fn nearly_expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() + EXPIRY_MARGIN >= at)
    }

    fn due_for_renewal(&self) -> bool {
        self.renew_at.is_some_and(|at| Instant::now() >= at)
    }
}

/// The `auth` block of a login or renewal answer, and the `data` of `lookup-self`.
#[derive(Deserialize)]
struct AuthBlock {
    client_token: Option<String>,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
}

#[derive(Deserialize)]
struct AuthAnswer {
    auth: Option<AuthBlock>,
}

#[derive(Deserialize)]
struct LookupData {
    #[serde(default)]
    ttl: u64,
    #[serde(default)]
    renewable: bool,
}

#[derive(Deserialize)]
struct LookupAnswer {
    data: Option<LookupData>,
}

/// An authenticated session with one Vault server.
pub struct Session {
    http: HttpClient,
    auth: Auth,
    token: RefCell<Option<Token>>,
}

impl Session {
    /// A session that logs in on first use.
    pub fn new(settings: VaultSettings) -> Self {
        let mut http = HttpClient::new(settings.address.clone())
            .with_timeout(Duration::from_secs(settings.timeout_seconds))
            .with_header("x-vault-request", "true");
        if let Some(namespace) = &settings.namespace {
            http = http.with_header("x-vault-namespace", namespace);
        }
        Self { http, auth: settings.auth, token: RefCell::new(None) }
    }

    /// The server's address.
    pub fn address(&self) -> &str {
        self.http.base_url()
    }

    /// Sends `call` with a valid token. When Vault answers 401/403 to a token
    /// obtained by logging in, logs in again once and repeats the call, so an
    /// expired or revoked token heals itself. Any status comes back as a
    /// [`Response`]; transport failures are errors.
    pub fn send(&self, call: &Call<'_>) -> Result<Response, ProviderError> {
        let fresh = self.ensure_token()?;
        let response = self.send_with_token(call)?;
        if !matches!(response.status, 401 | 403) || fresh || !self.auth.can_login() {
            return Ok(response);
        }
        host::log(Level::Debug, "vault rejected the token; logging in again", &[("method", self.auth.method())]);
        *self.token.borrow_mut() = None;
        self.login()?;
        self.send_with_token(call)
    }

    fn send_with_token(&self, call: &Call<'_>) -> Result<Response, ProviderError> {
        let token = self.token.borrow();
        let mut request = self.http.request(call.method.clone(), call.path);
        if let Some(token) = token.as_ref() {
            request = request.header("x-vault-token", &token.value);
        }
        for (name, value) in &call.query {
            request = request.query(name, value);
        }
        if let Some(body) = &call.body {
            request = request.json(body)?;
        }
        request.send().map_err(|err| self.scrub(self.explain_transport(err)))
    }

    /// Adds what to check when an HTTPS connection fails: the host reports a
    /// certificate it does not trust as a failed connection.
    fn explain_transport(&self, error: ProviderError) -> ProviderError {
        match error {
            ProviderError::Unavailable(message) if self.address().starts_with("https://") => {
                ProviderError::Unavailable(format!(
                    "{message}; if Vault is running, check that its certificate is trusted (a private CA belongs in \
                     the manager's tls_ca_file)"
                ))
            }
            other => other,
        }
    }

    /// Makes sure a usable token is held; returns whether it was obtained just now.
    fn ensure_token(&self) -> Result<bool, ProviderError> {
        let state = self.token.borrow().as_ref().map(|t| (t.nearly_expired(), t.due_for_renewal(), t.renewable));
        let Some((nearly_expired, due, renewable)) = state else {
            match &self.auth {
                Auth::Token { token } => self.adopt_static_token(token.clone()),
                _ => self.login()?,
            }
            return Ok(true);
        };
        if !(nearly_expired || due) {
            return Ok(false);
        }
        if renewable {
            match self.renew() {
                Ok(()) => return Ok(false),
                Err(err) => {
                    let err = self.scrub(err);
                    host::log(Level::Warn, "could not renew the vault token", &[("error", err.message())]);
                }
            }
        }
        if self.auth.can_login() {
            self.login()?;
            return Ok(true);
        }
        // A configured token that cannot be renewed is used until Vault refuses it.
        if let Some(token) = self.token.borrow_mut().as_mut() {
            token.renew_at = None;
            token.expires_at = None;
        }
        Ok(false)
    }

    /// Takes the configured token and asks Vault how long it lives, so it can
    /// be renewed in time. A token that may not look itself up is used as is.
    fn adopt_static_token(&self, token: Zeroizing<String>) {
        *self.token.borrow_mut() = Some(Token::new(token, 0, false));
        let lookup = self.send_with_token(&Call::new(Method::GET, "v1/auth/token/lookup-self"));
        let data = match lookup {
            Ok(response) if response.is_success() => response.json::<LookupAnswer>().ok().and_then(|a| a.data),
            _ => None,
        };
        if let (Some(data), Some(current)) = (data, self.token.borrow_mut().as_mut()) {
            let value = std::mem::take(&mut current.value);
            *current = Token::new(value, data.ttl, data.renewable);
        }
    }

    fn renew(&self) -> Result<(), ProviderError> {
        let call = Call::new(Method::POST, "v1/auth/token/renew-self").body(serde_json::json!({}));
        let response = self.send_with_token(&call)?;
        if !response.is_success() {
            return Err(errors::login_failure(&response, "renewing the token"));
        }
        let auth = response.json::<AuthAnswer>()?.auth;
        let mut slot = self.token.borrow_mut();
        if let (Some(auth), Some(current)) = (auth, slot.as_mut()) {
            let value = std::mem::take(&mut current.value);
            *current = Token::new(value, auth.lease_duration, auth.renewable);
        }
        Ok(())
    }

    /// Logs in with the configured method and keeps the new token.
    fn login(&self) -> Result<(), ProviderError> {
        let (path, body, what) = match &self.auth {
            Auth::Token { .. } => return Ok(()),
            Auth::Userpass { mount, username, password } => (
                format!("v1/auth/{}/login/{}", encode_path(mount), percent_encode(username)),
                serde_json::json!({ "password": password.as_str() }),
                format!("userpass login of '{username}' at auth/{mount}"),
            ),
            Auth::AppRole { mount, role_id, secret_id } => {
                let mut body = serde_json::json!({ "role_id": role_id });
                if let Some(secret_id) = secret_id {
                    body["secret_id"] = serde_json::Value::String(secret_id.to_string());
                }
                (format!("v1/auth/{}/login", encode_path(mount)), body, format!("AppRole login at auth/{mount}"))
            }
            Auth::Kubernetes { mount, role, jwt } => (
                format!("v1/auth/{}/login", encode_path(mount)),
                serde_json::json!({ "role": role, "jwt": jwt.as_str() }),
                format!("Kubernetes login as role '{role}' at auth/{mount}"),
            ),
        };
        let response =
            self.http.post(&path).json(&body)?.send().map_err(|err| self.scrub(self.explain_transport(err)))?;
        drop(body);
        if !response.is_success() {
            return Err(self.scrub(errors::login_failure(&response, &what)));
        }
        let auth = response.json::<AuthAnswer>()?.auth;
        let Some(AuthBlock { client_token: Some(token), lease_duration, renewable }) = auth else {
            return Err(ProviderError::Other(format!("{what} answered without a client token")));
        };
        host::log(Level::Debug, "logged in to vault", &[("method", self.auth.method())]);
        *self.token.borrow_mut() = Some(Token::new(Zeroizing::new(token), lease_duration, renewable));
        Ok(())
    }

    /// Removes any credential (and the current token) that a message might echo.
    pub fn scrub(&self, error: ProviderError) -> ProviderError {
        let token = self.token.borrow();
        let mut secrets = self.auth.credentials();
        if let Some(token) = token.as_ref() {
            secrets.push(token.value.as_str());
        }
        redact_error(error, &secrets)
    }
}
