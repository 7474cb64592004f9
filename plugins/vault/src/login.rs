//! How the plugin gets its Vault token: by logging in with the configured method (userpass, AppRole,
//! Kubernetes), or by looking up the configured token's TTL; renewed with `renew-self` while Vault allows
//! it. The SDK's session keeps the token, renews it before it expires and logs in again when Vault
//! refuses it.

use crate::errors::{self, vault_message};
use crate::settings::{Auth, VaultSettings};
use keyway_plugin_sdk::failures;
use keyway_plugin_sdk::http::{encode_path, percent_encode, RequestBuilder};
use keyway_plugin_sdk::session::{Issued, Login, Session};
use keyway_plugin_sdk::{HttpClient, ProviderError, Response};
use serde::Deserialize;
use std::time::Duration;
use zeroize::Zeroizing;

/// An authenticated session with one Vault server.
pub type VaultSession = Session<VaultLogin>;

/// A session with the server `settings` name, logging in on first use.
pub fn session(settings: VaultSettings) -> VaultSession {
    let mut http = HttpClient::new(settings.address)
        .with_timeout(Duration::from_secs(settings.timeout_seconds))
        .with_header("x-vault-request", "true");
    if let Some(namespace) = &settings.namespace {
        http = http.with_header("x-vault-namespace", namespace);
    }
    Session::new(http, VaultLogin { auth: settings.auth })
}

/// A Vault token and whether Vault lets it be renewed.
pub struct Token {
    value: Zeroizing<String>,
    renewable: bool,
}

/// Logging in to Vault with the configured auth method.
pub struct VaultLogin {
    auth: Auth,
}

/// The `auth` block of a login or renewal answer.
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

/// The `data` of `lookup-self`.
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

/// A token living `lease_seconds` (0: a token that does not expire).
fn issued(value: Zeroizing<String>, lease_seconds: u64, renewable: bool) -> Issued<Token> {
    let token = Token { value, renewable };
    match lease_seconds {
        0 => Issued::until_refused(token),
        seconds => Issued::expiring(token, Duration::from_secs(seconds)),
    }
}

impl VaultLogin {
    /// Takes the configured token and asks Vault how long it lives, so it is renewed in time. A token
    /// that may not look itself up is used as it is.
    fn look_up(&self, http: &HttpClient, token: &Zeroizing<String>) -> Issued<Token> {
        let lookup = http.get("v1/auth/token/lookup-self").header("x-vault-token", token).send();
        let data = match lookup {
            Ok(response) if response.is_success() => response.json::<LookupAnswer>().ok().and_then(|a| a.data),
            _ => None,
        };
        let (ttl, renewable) = data.map_or((0, false), |data| (data.ttl, data.renewable));
        issued(token.clone(), ttl, renewable)
    }
}

impl Login for VaultLogin {
    type Token = Token;
    const BACKEND: &'static str = "Vault";

    fn log_in(&self, http: &HttpClient) -> Result<Issued<Token>, ProviderError> {
        let (path, body, what, check) = match &self.auth {
            Auth::Token { token } => return Ok(self.look_up(http, token)),
            Auth::Userpass { mount, username, password } => (
                format!("v1/auth/{}/login/{}", encode_path(mount), percent_encode(username)),
                serde_json::json!({ "password": password.as_str() }),
                format!("the userpass login of '{username}' at auth/{mount}"),
                "check username and password",
            ),
            Auth::AppRole { mount, role_id, secret_id } => {
                let mut body = serde_json::json!({ "role_id": role_id });
                if let Some(secret_id) = secret_id {
                    body["secret_id"] = serde_json::Value::String(secret_id.to_string());
                }
                let what = format!("the AppRole login at auth/{mount}");
                (format!("v1/auth/{}/login", encode_path(mount)), body, what, "check role_id and secret_id")
            }
            Auth::Kubernetes { mount, role, jwt } => (
                format!("v1/auth/{}/login", encode_path(mount)),
                serde_json::json!({ "role": role, "jwt": jwt.as_str() }),
                format!("the Kubernetes login as role '{role}' at auth/{mount}"),
                "check kubernetes_role and kubernetes_jwt (the role must be bound to the service account)",
            ),
        };
        let response = http.post(&path).json(&body)?.send()?;
        drop(body);
        if !response.is_success() {
            return Err(errors::login_failure(&response, &what, check));
        }
        let auth = response.json::<AuthAnswer>()?.auth;
        let Some(AuthBlock { client_token: Some(token), lease_duration, renewable }) = auth else {
            return Err(ProviderError::Other(format!("{what} answered without a client token")));
        };
        Ok(issued(Zeroizing::new(token), lease_duration, renewable))
    }

    fn renew(&self, http: &HttpClient, token: &Token) -> Option<Result<Issued<Token>, ProviderError>> {
        token.renewable.then(|| {
            let request = self.authorize(http.post("v1/auth/token/renew-self"), token).json(&serde_json::json!({}))?;
            let response = request.send()?;
            renewal(&response, token)
        })
    }

    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &Token) -> RequestBuilder<'a> {
        request.header("x-vault-token", &token.value)
    }

    fn secrets<'a>(&'a self, token: Option<&'a Token>) -> Vec<&'a str> {
        let mut secrets = self.auth.credentials();
        secrets.extend(token.map(|token| token.value.as_str()));
        secrets
    }

    /// Vault answers 403 to a token it no longer knows.
    fn refused(&self, response: &Response) -> bool {
        matches!(response.status, 401 | 403)
    }

    fn can_log_in_again(&self) -> bool {
        self.auth.can_login()
    }
}

/// The token `renew-self` answered for, with its new lease.
fn renewal(response: &Response, token: &Token) -> Result<Issued<Token>, ProviderError> {
    if !response.is_success() {
        return Err(failures::failure(response, "Vault", "renewing the token", &vault_message(response)));
    }
    match response.json::<AuthAnswer>()?.auth {
        Some(auth) => Ok(issued(token.value.clone(), auth.lease_duration, auth.renewable)),
        None => Err(ProviderError::Other("Vault renewed the token without saying for how long".into())),
    }
}
