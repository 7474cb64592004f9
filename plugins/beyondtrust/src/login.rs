//! How the plugin signs in to Password Safe: `POST Auth/SignAppin` with the API key and run-as user, or
//! with an OAuth token obtained first; every later call carries the same `Authorization` header and the
//! `ASP.NET_SessionId` cookie of the answer, and `POST Auth/Signout` ends the session. The SDK's session
//! keeps the sign-in until Password Safe ends it (a 401) and then signs in again once.

use crate::errors;
use crate::settings::Auth;
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::{percent_encode, RequestBuilder};
use keyway_plugin_sdk::session::{Issued, Login, Session};
use keyway_plugin_sdk::{HttpClient, ProviderError, Response};
use serde::Deserialize;
use std::time::Duration;
use zeroize::Zeroizing;

/// A session with one Password Safe server.
pub type PasswordSafeSession = Session<PasswordSafeLogin>;

/// A session with the API at `api_url`, signing in on first use.
pub fn session(api_url: &str, timeout_seconds: u64, auth: Auth) -> PasswordSafeSession {
    let http = HttpClient::new(api_url).with_timeout(Duration::from_secs(timeout_seconds));
    Session::new(http, PasswordSafeLogin { auth })
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

/// An open Password Safe session: what every call carries, and who signed in.
pub struct SignedIn {
    authorization: Zeroizing<String>,
    cookie: Zeroizing<String>,
    /// The signed-in user.
    pub user: User,
}

/// Signing in with the configured credentials.
pub struct PasswordSafeLogin {
    auth: Auth,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

impl PasswordSafeLogin {
    fn oauth_token(
        &self,
        http: &HttpClient,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Zeroizing<String>, ProviderError> {
        let form = Zeroizing::new(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            percent_encode(client_id),
            percent_encode(client_secret)
        ));
        let response = http
            .post("Auth/connect/token")
            .body("application/x-www-form-urlencoded", form.as_bytes().to_vec())
            .send()?;
        if !response.is_success() {
            let what = format!("the OAuth token request of client '{client_id}'");
            return Err(errors::sign_in_failure(&response, &what, "check client_id and client_secret"));
        }
        Ok(Zeroizing::new(response.json::<TokenAnswer>()?.access_token))
    }
}

impl Login for PasswordSafeLogin {
    type Token = SignedIn;
    const BACKEND: &'static str = "Password Safe";

    fn log_in(&self, http: &HttpClient) -> Result<Issued<SignedIn>, ProviderError> {
        let (authorization, what, hint) = match &self.auth {
            Auth::ApiKey { key, run_as, password } => {
                let mut header = Zeroizing::new(format!("PS-Auth key={}; runas={run_as};", key.as_str()));
                if let Some(password) = password {
                    header.push_str(&format!(" pwd=[{}];", password.as_str()));
                }
                (
                    header,
                    format!("the sign-in with the API key as '{run_as}'"),
                    "check api_key, run_as and run_as_password",
                )
            }
            Auth::OAuth { client_id, client_secret } => {
                let token = self.oauth_token(http, client_id, client_secret)?;
                (
                    Zeroizing::new(format!("Bearer {}", token.as_str())),
                    format!("the sign-in as OAuth client '{client_id}'"),
                    "the token was issued but the sign-in was refused; check the API registration",
                )
            }
        };
        let response = http.post("Auth/SignAppin").header("authorization", &authorization).send()?;
        if !response.is_success() {
            return Err(errors::sign_in_failure(&response, &what, hint));
        }
        let user: User = response.json()?;
        let cookie = session_cookie(&response)
            .ok_or_else(|| ProviderError::Other(format!("{what}: Password Safe set no session cookie")))?;
        Ok(Issued::until_refused(SignedIn { authorization, cookie, user }))
    }

    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &SignedIn) -> RequestBuilder<'a> {
        request.header("authorization", &token.authorization).header("cookie", &token.cookie)
    }

    fn secrets<'a>(&'a self, token: Option<&'a SignedIn>) -> Vec<&'a str> {
        let mut secrets = self.auth.credentials();
        if let Some(token) = token {
            secrets.extend([token.authorization.as_str(), token.cookie.as_str()]);
        }
        secrets
    }

    /// Ends the session on the server, so it does not linger until its timeout.
    fn log_out(&self, http: &HttpClient, token: &SignedIn) {
        let quick = http.clone().with_retries(0).with_timeout(Duration::from_secs(5));
        let outcome = self.authorize(quick.post("Auth/Signout"), token).send();
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
