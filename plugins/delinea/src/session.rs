//! The OAuth2 access token: obtained with the password or client-credentials grant, renewed
//! (with the refresh token when there is one) before it expires, obtained again when Secret
//! Server rejects it, and never part of an error.

use crate::errors;
use crate::settings::Grant;
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::redact::redact_error;
use keyway_plugin_sdk::{HttpClient, Method, ProviderError, Response};
use serde::Deserialize;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// A token this close to its end is replaced rather than used.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// One REST call below `/api/v1`, replayable after a new login.
pub struct Call {
    /// The HTTP method.
    pub method: Method,
    /// The path below `/api/v1/`, e.g. `secrets/12`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'static str, String)>,
    /// A JSON body (it may hold field values, so it is wiped when dropped).
    pub body: Option<Zeroizing<Vec<u8>>>,
}

impl Call {
    /// A call without query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self { method, path: path.into(), query: Vec::new(), body: None }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn json(mut self, value: &serde_json::Value) -> Result<Self, ProviderError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|err| ProviderError::InvalidArgument(format!("request body is not serializable: {err}")))?;
        self.body = Some(Zeroizing::new(bytes));
        Ok(self)
    }
}

struct Token {
    access: Zeroizing<String>,
    refresh: Option<Zeroizing<String>>,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// An authenticated session with one Secret Server.
pub struct Session {
    http: HttpClient,
    grant: Grant,
    token: RefCell<Option<Token>>,
}

impl Session {
    /// A session that logs in on first use.
    pub fn new(base_url: &str, timeout_seconds: u64, grant: Grant) -> Self {
        let http = HttpClient::new(base_url).with_timeout(Duration::from_secs(timeout_seconds));
        Self { http, grant, token: RefCell::new(None) }
    }

    /// Sends `call` with a valid token. A 401 to a token that was not obtained just now means Secret
    /// Server no longer accepts it: the plugin logs in again once and repeats the call. Any status
    /// comes back as a [`Response`]; transport failures are errors.
    pub fn send(&self, call: &Call) -> Result<Response, ProviderError> {
        let fresh = self.ensure_token()?;
        let response = self.send_with_token(call)?;
        if response.status != 401 || fresh {
            return Ok(response);
        }
        host::log(Level::Debug, "secret server rejected the token; logging in again", &[]);
        *self.token.borrow_mut() = None;
        self.login(None)?;
        self.send_with_token(call)
    }

    fn send_with_token(&self, call: &Call) -> Result<Response, ProviderError> {
        let token = self.token.borrow();
        let mut request = self.http.request(call.method.clone(), &format!("api/v1/{}", call.path));
        if let Some(token) = token.as_ref() {
            request = request.bearer(&token.access);
        }
        for (name, value) in &call.query {
            request = request.query(name, value);
        }
        if let Some(body) = &call.body {
            request = request.body("application/json", body.to_vec());
        }
        request.send().map_err(|err| self.scrub(self.explain_transport(err)))
    }

    /// Adds what to check when an HTTPS connection fails: the host reports a certificate it does
    /// not trust as a failed connection.
    fn explain_transport(&self, error: ProviderError) -> ProviderError {
        match error {
            ProviderError::Unavailable(message) if self.http.base_url().starts_with("https://") => {
                ProviderError::Unavailable(format!(
                    "{message}; if Secret Server is running, check that its certificate is trusted (a private CA \
                     belongs in the manager's tls_ca_file)"
                ))
            }
            other => other,
        }
    }

    /// Makes sure a usable token is held; returns whether it was obtained just now.
    fn ensure_token(&self) -> Result<bool, ProviderError> {
        let state = self.token.borrow().as_ref().map(|t| (Instant::now() >= t.renew_at, t.refresh.clone()));
        match state {
            Some((false, _)) => Ok(false),
            Some((true, refresh)) => {
                self.login(refresh)?;
                Ok(true)
            }
            None => {
                self.login(None)?;
                Ok(true)
            }
        }
    }

    /// Gets a token: with the refresh token when one is given (falling back to the grant), else with
    /// the configured grant.
    fn login(&self, refresh: Option<Zeroizing<String>>) -> Result<(), ProviderError> {
        if let Some(refresh) = refresh {
            let form = Zeroizing::new(format!("grant_type=refresh_token&refresh_token={}", percent_encode(&refresh)));
            match self.token_request(&form) {
                Ok(response) if response.is_success() => return self.keep(&response),
                _ => host::log(Level::Debug, "refreshing the secret server token failed; logging in again", &[]),
            }
        }
        let form = Zeroizing::new(match &self.grant {
            Grant::Password { username, password, domain } => {
                let mut form = format!(
                    "grant_type=password&username={}&password={}",
                    percent_encode(username),
                    percent_encode(password)
                );
                if let Some(domain) = domain {
                    form.push_str(&format!("&domain={}", percent_encode(domain)));
                }
                form
            }
            Grant::ClientCredentials { client_id, client_secret } => format!(
                "grant_type=client_credentials&client_id={}&client_secret={}",
                percent_encode(client_id),
                percent_encode(client_secret)
            ),
        });
        let response = self.token_request(&form)?;
        if !response.is_success() {
            return Err(self.scrub(errors::login_failure(&response, &self.grant.who(), self.grant.hint())));
        }
        self.keep(&response)
    }

    fn token_request(&self, form: &str) -> Result<Response, ProviderError> {
        self.http
            .post("oauth2/token")
            .body("application/x-www-form-urlencoded", form.as_bytes().to_vec())
            .send()
            .map_err(|err| self.scrub(self.explain_transport(err)))
    }

    fn keep(&self, response: &Response) -> Result<(), ProviderError> {
        // Secret Server answers some failed logins with 200 and an HTML page.
        let grant: TokenAnswer = response.json().map_err(|_| {
            ProviderError::Other(format!("the login of {} got no token (status {})", self.grant.who(), response.status))
        })?;
        let lifetime = Duration::from_secs(grant.expires_in.unwrap_or(1200));
        let renew_at = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN).max(lifetime / 2);
        host::log(Level::Debug, "logged in to secret server", &[]);
        *self.token.borrow_mut() = Some(Token {
            access: Zeroizing::new(grant.access_token),
            refresh: grant.refresh_token.map(Zeroizing::new),
            renew_at,
        });
        Ok(())
    }

    /// Removes every credential (and the current access and refresh tokens) that a message might echo.
    pub fn scrub(&self, error: ProviderError) -> ProviderError {
        let token = self.token.borrow();
        let mut secrets = self.grant.credentials();
        if let Some(token) = token.as_ref() {
            secrets.push(token.access.as_str());
            secrets.extend(token.refresh.as_ref().map(|refresh| refresh.as_str()));
        }
        redact_error(error, &secrets)
    }
}
