//! The Password Safe session: `POST Auth/SignAppin` (with the API key and run-as user, or with an
//! OAuth token), the `ASP.NET_SessionId` cookie every later call carries, signing in again when the
//! session has ended, and `POST Auth/Signout` when the connection closes.

use crate::errors;
use crate::settings::Auth;
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::redact::redact_error;
use keyway_plugin_sdk::{HttpClient, Method, ProviderError, Response};
use serde::Deserialize;
use std::cell::RefCell;
use std::time::Duration;
use zeroize::Zeroizing;

/// A request body.
pub enum Body {
    /// No body.
    Empty,
    /// Serialized JSON (it may hold a secret value, so it is wiped when dropped).
    Json(Zeroizing<Vec<u8>>),
    /// Bytes of a content type (multipart forms of file secrets).
    Raw(String, Zeroizing<Vec<u8>>),
}

/// One call to the API, replayable after signing in again.
pub struct Call {
    /// The HTTP method.
    pub method: Method,
    /// The path below the API URL, e.g. `Secrets-Safe/Secrets`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Call {
    /// A call without query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self { method, path: path.into(), query: Vec::new(), body: Body::Empty }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, value: &serde_json::Value) -> Result<Self, ProviderError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|err| ProviderError::InvalidArgument(format!("request body is not serializable: {err}")))?;
        self.body = Body::Json(Zeroizing::new(bytes));
        Ok(self)
    }

    /// Sets a raw body.
    pub fn raw(mut self, content_type: String, bytes: Zeroizing<Vec<u8>>) -> Self {
        self.body = Body::Raw(content_type, bytes);
        self
    }
}

/// The signed-in user, as `SignAppin` answers: new secrets name it as their owner.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// The user's id.
    pub user_id: i64,
    /// The login name.
    #[serde(default)]
    pub user_name: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The e-mail address.
    #[serde(default)]
    pub email_address: Option<String>,
}

struct SignedIn {
    authorization: Zeroizing<String>,
    cookie: Zeroizing<String>,
    user: User,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// A session with one Password Safe server.
pub struct Session {
    http: HttpClient,
    auth: Auth,
    state: RefCell<Option<SignedIn>>,
}

impl Session {
    /// A session that signs in on first use.
    pub fn new(api_url: &str, timeout_seconds: u64, auth: Auth) -> Self {
        let http = HttpClient::new(api_url).with_timeout(Duration::from_secs(timeout_seconds));
        Self { http, auth, state: RefCell::new(None) }
    }

    /// The API's base URL.
    pub fn api_url(&self) -> &str {
        self.http.base_url()
    }

    /// The signed-in user (signing in when needed).
    pub fn user(&self) -> Result<User, ProviderError> {
        self.ensure_signed_in()?;
        self.state
            .borrow()
            .as_ref()
            .map(|s| s.user.clone())
            .ok_or_else(|| ProviderError::Other("the Password Safe session ended while it was being used".into()))
    }

    /// Sends `call` in the session. A 401 to a session that was not opened just now means it has
    /// ended (Password Safe ends idle sessions): the plugin signs in once more and repeats the call.
    /// Any status comes back as a [`Response`]; transport failures are errors.
    pub fn send(&self, call: &Call) -> Result<Response, ProviderError> {
        let fresh = self.ensure_signed_in()?;
        let response = self.send_signed(call)?;
        if response.status != 401 || fresh {
            return Ok(response);
        }
        host::log(Level::Debug, "password safe ended the session; signing in again", &[("auth", self.auth.method())]);
        *self.state.borrow_mut() = None;
        self.sign_in()?;
        self.send_signed(call)
    }

    fn send_signed(&self, call: &Call) -> Result<Response, ProviderError> {
        let state = self.state.borrow();
        let mut request = self.http.request(call.method.clone(), &call.path);
        if let Some(state) = state.as_ref() {
            request = request.header("authorization", &state.authorization).header("cookie", &state.cookie);
        }
        for (name, value) in &call.query {
            request = request.query(name, value);
        }
        request = match &call.body {
            Body::Empty => request,
            Body::Json(bytes) => request.body("application/json", bytes.to_vec()),
            Body::Raw(content_type, bytes) => request.body(content_type, bytes.to_vec()),
        };
        request.send().map_err(|err| self.scrub(self.explain_transport(err)))
    }

    /// Adds what to check when an HTTPS connection fails: the host reports a certificate it does
    /// not trust as a failed connection.
    fn explain_transport(&self, error: ProviderError) -> ProviderError {
        match error {
            ProviderError::Unavailable(message) if self.api_url().starts_with("https://") => {
                ProviderError::Unavailable(format!(
                    "{message}; if Password Safe is running, check that its certificate is trusted (a private CA \
                     belongs in the manager's tls_ca_file)"
                ))
            }
            other => other,
        }
    }

    /// Signs in unless a session is open; returns whether it signed in just now.
    fn ensure_signed_in(&self) -> Result<bool, ProviderError> {
        if self.state.borrow().is_some() {
            return Ok(false);
        }
        self.sign_in()?;
        Ok(true)
    }

    fn sign_in(&self) -> Result<(), ProviderError> {
        let (authorization, what, hint) = match &self.auth {
            Auth::ApiKey { key, run_as, password } => {
                let mut header = Zeroizing::new(format!("PS-Auth key={}; runas={run_as};", key.as_str()));
                if let Some(password) = password {
                    header.push_str(&format!(" pwd=[{}];", password.as_str()));
                }
                (
                    header,
                    format!("signing in with the API key as '{run_as}'"),
                    "check api_key, run_as and run_as_password",
                )
            }
            Auth::OAuth { client_id, client_secret } => {
                let token = self.oauth_token(client_id, client_secret)?;
                (
                    Zeroizing::new(format!("Bearer {}", token.as_str())),
                    format!("signing in as OAuth client '{client_id}'"),
                    "the token was issued but the sign-in was refused; check the API registration",
                )
            }
        };
        let response = self
            .http
            .post("Auth/SignAppin")
            .header("authorization", &authorization)
            .send()
            .map_err(|err| self.scrub(self.explain_transport(err)))?;
        if !response.is_success() {
            return Err(self.scrub(errors::sign_in_failure(&response, &what, hint)));
        }
        let user: User = response.json()?;
        let cookie = session_cookie(&response)
            .ok_or_else(|| ProviderError::Other(format!("{what}: Password Safe set no session cookie")))?;
        host::log(Level::Debug, "signed in to password safe", &[("auth", self.auth.method())]);
        *self.state.borrow_mut() = Some(SignedIn { authorization, cookie, user });
        Ok(())
    }

    fn oauth_token(&self, client_id: &str, client_secret: &str) -> Result<Zeroizing<String>, ProviderError> {
        let form = Zeroizing::new(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            percent_encode(client_id),
            percent_encode(client_secret)
        ));
        let response = self
            .http
            .post("Auth/connect/token")
            .body("application/x-www-form-urlencoded", form.as_bytes().to_vec())
            .send()
            .map_err(|err| self.scrub(self.explain_transport(err)))?;
        if !response.is_success() {
            let what = format!("getting an OAuth token for client '{client_id}'");
            return Err(self.scrub(errors::sign_in_failure(&response, &what, "check client_id and client_secret")));
        }
        Ok(Zeroizing::new(response.json::<TokenAnswer>()?.access_token))
    }

    /// Removes every credential (and the session cookie) that a message might echo.
    pub fn scrub(&self, error: ProviderError) -> ProviderError {
        let state = self.state.borrow();
        let mut secrets = self.auth.credentials();
        if let Some(state) = state.as_ref() {
            secrets.push(state.cookie.as_str());
        }
        redact_error(error, &secrets)
    }
}

impl Drop for Session {
    /// Ends the session on the server (`POST Auth/Signout`), so it does not linger until its
    /// timeout; a failure here changes nothing for the caller.
    fn drop(&mut self) {
        let Some(state) = self.state.get_mut().take() else { return };
        let quick = self.http.clone().with_retries(0).with_timeout(Duration::from_secs(5));
        let outcome = quick
            .post("Auth/Signout")
            .header("authorization", &state.authorization)
            .header("cookie", &state.cookie)
            .send();
        let status = outcome.map(|r| r.status.to_string()).unwrap_or_else(|_| "unreachable".into());
        host::log(Level::Debug, "signed out of password safe", &[("status", &status)]);
    }
}

/// The `name=value` pairs of the answer's `Set-Cookie` headers, as one `Cookie` header.
fn session_cookie(response: &Response) -> Option<Zeroizing<String>> {
    let pairs: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.split(';').next())
        .map(str::trim)
        .filter(|pair| pair.contains('='))
        .collect();
    (!pairs.is_empty()).then(|| Zeroizing::new(pairs.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_from_set_cookie_headers() {
        let response = Response {
            status: 200,
            headers: vec![
                ("set-cookie".into(), "ASP.NET_SessionId=abc123; path=/; secure; HttpOnly".into()),
                ("content-type".into(), "application/json".into()),
                ("Set-Cookie".into(), "lb=node2; path=/".into()),
            ],
            body: Vec::new(),
        };
        assert_eq!(
            session_cookie(&response).as_deref().map(String::as_str),
            Some("ASP.NET_SessionId=abc123; lb=node2")
        );
        let none = Response { status: 200, headers: Vec::new(), body: Vec::new() };
        assert!(session_cookie(&none).is_none());
    }
}
