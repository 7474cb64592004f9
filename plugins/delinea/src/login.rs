//! How the plugin gets its OAuth2 access token from Secret Server: the password or client-credentials
//! grant at `POST /oauth2/token`, renewed with the refresh token when there is one. The SDK's session
//! keeps the token, renews it before `expires_in` ends (logging in again when the refresh fails) and
//! logs in again when Secret Server rejects it.

use crate::errors;
use crate::settings::Grant;
use keyway_plugin_sdk::http::{percent_encode, RequestBuilder};
use keyway_plugin_sdk::session::{Issued, Login, Session};
use keyway_plugin_sdk::{HttpClient, ProviderError, Response};
use serde::Deserialize;
use std::time::Duration;
use zeroize::Zeroizing;

/// The lifetime of a token whose answer does not say (Secret Server's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(1200);

/// An authenticated session with one Secret Server.
pub type SecretServerSession = Session<SecretServerLogin>;

/// A session with the Secret Server at `base_url`, logging in on first use.
pub fn session(base_url: &str, timeout_seconds: u64, grant: Grant) -> SecretServerSession {
    let http = HttpClient::new(base_url).with_timeout(Duration::from_secs(timeout_seconds));
    Session::new(http, SecretServerLogin { grant })
}

/// An access token, and the refresh token that renews it.
pub struct Token {
    access: Zeroizing<String>,
    refresh: Option<Zeroizing<String>>,
}

/// Logging in with the configured grant.
pub struct SecretServerLogin {
    grant: Grant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl SecretServerLogin {
    fn token_request(&self, http: &HttpClient, form: &str) -> Result<Response, ProviderError> {
        http.post("oauth2/token").body("application/x-www-form-urlencoded", form.as_bytes().to_vec()).send()
    }

    /// The token a successful answer of the token endpoint holds.
    fn issued(&self, response: &Response) -> Result<Issued<Token>, ProviderError> {
        // Secret Server answers some failed logins with 200 and an HTML page.
        let grant: TokenAnswer = response.json().map_err(|_| {
            ProviderError::Other(format!("the login of {} got no token (status {})", self.grant.who(), response.status))
        })?;
        let lifetime = grant.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let token =
            Token { access: Zeroizing::new(grant.access_token), refresh: grant.refresh_token.map(Zeroizing::new) };
        Ok(Issued::expiring(token, lifetime))
    }
}

impl Login for SecretServerLogin {
    type Token = Token;
    const BACKEND: &'static str = "Secret Server";

    fn log_in(&self, http: &HttpClient) -> Result<Issued<Token>, ProviderError> {
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
        let response = self.token_request(http, &form)?;
        if !response.is_success() {
            return Err(errors::login_failure(&response, &self.grant.who(), self.grant.hint()));
        }
        self.issued(&response)
    }

    /// Renews with the `refresh_token` grant, when the login gave a refresh token.
    fn renew(&self, http: &HttpClient, token: &Token) -> Option<Result<Issued<Token>, ProviderError>> {
        let refresh = token.refresh.as_ref()?;
        let form = Zeroizing::new(format!("grant_type=refresh_token&refresh_token={}", percent_encode(refresh)));
        Some(self.token_request(http, &form).and_then(|response| match response.is_success() {
            true => self.issued(&response),
            false => Err(errors::api_failure(&response, "refreshing the token")),
        }))
    }

    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &Token) -> RequestBuilder<'a> {
        request.bearer(&token.access)
    }

    fn secrets<'a>(&'a self, token: Option<&'a Token>) -> Vec<&'a str> {
        let mut secrets = self.grant.credentials();
        if let Some(token) = token {
            secrets.push(token.access.as_str());
            secrets.extend(token.refresh.as_ref().map(|refresh| refresh.as_str()));
        }
        secrets
    }
}
