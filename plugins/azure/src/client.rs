//! Calls to the vault: the bearer token from the host (the SDK's [`BearerToken`]: kept until near
//! expiry, renewed once on a 401 challenge), the api-version, and Key Vault's errors mapped to the
//! contract's.
//! Throttling (429 with `Retry-After`) and 5xx answers are retried by the SDK's [`HttpClient`].

use crate::model::{Bundle, Page};
use crate::settings::Config;
use keyway_plugin_sdk::http::{encode_path, Method};
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::token::BearerToken;

/// One vault, as one manager sees it.
pub struct KeyVault {
    http: HttpClient,
    /// The checked settings.
    pub config: Config,
    token: BearerToken,
}

impl KeyVault {
    /// A client for the configured vault.
    pub fn new(config: Config) -> Self {
        let http = HttpClient::new(config.vault_url.clone()).with_header("accept", "application/json");
        let token = BearerToken::new(&[config.scope.as_str()]);
        Self { http, config, token }
    }

    /// The URL of `collection/NAME[/rest]` with the api-version.
    pub fn path(&self, collection: &str, name: &str, rest: &str) -> String {
        let mut path = format!("/{collection}/{}", encode_path(name));
        if !rest.is_empty() {
            path.push('/');
            path.push_str(rest);
        }
        format!("{path}?api-version={}", self.config.api_version)
    }

    /// The URL of a collection's first page, `maxresults` items at most.
    pub fn list_path(&self, collection: &str, maxresults: u32) -> String {
        format!("/{collection}?api-version={}&maxresults={maxresults}", self.config.api_version)
    }

    /// Sends a request with the bearer token; on 401 renews the token once and retries.
    pub fn send(&self, method: Method, path: &str, body: Option<&serde_json::Value>) -> Result<Response> {
        self.token.send(|token| {
            let mut request = self.http.request(method.clone(), path).bearer(token);
            if let Some(body) = body {
                request = request.json(body)?;
            }
            request.send()
        })
    }

    /// Sends and maps a non-success answer about `what` (e.g. `secret 'db'`) to an error.
    pub fn send_ok(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Response> {
        let response = self.send(method, path, body)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(error(&response, what))
        }
    }

    /// A bundle answer.
    pub fn bundle(&self, method: Method, path: &str, body: Option<&serde_json::Value>, what: &str) -> Result<Bundle> {
        self.send_ok(method, path, body, what)?.json()
    }

    /// A list page, from a first-page path or a `nextLink` on this vault.
    pub fn page(&self, url: &str, what: &str) -> Result<Page> {
        self.send_ok(Method::GET, url, None, what)?.json()
    }

    /// Whether `url` (a `nextLink` or a page token) points into this vault's `collection`.
    pub fn owns_link(&self, url: &str, collection: &str) -> bool {
        let normalized = url.replacen(":443/", "/", 1);
        let base = &self.config.vault_url;
        [url, normalized.as_str()].iter().any(|u| {
            u.strip_prefix(base.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.strip_prefix(collection))
                .is_some_and(|rest| rest.starts_with('?') || rest.starts_with('/'))
        })
    }
}

/// Whether the answer is Key Vault's refusal to read a disabled secret.
pub fn is_disabled(response: &Response) -> bool {
    response.status == 403 && inner_code(response).as_deref() == Some("SecretDisabled")
}

/// Whether a 409 is about a deletion, recovery or purge still in progress (worth waiting for).
pub fn is_in_transition(response: &Response) -> bool {
    response.status == 409 && response.error_message().is_some_and(|m| m.contains("currently being"))
}

/// Key Vault's `error.innererror.code`, when present.
fn inner_code(response: &Response) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    json.pointer("/error/innererror/code").and_then(|c| c.as_str()).map(str::to_owned)
}

/// The tenant named by a 401 challenge's `authorization="https://login…/TENANT"`.
fn challenge_tenant(response: &Response) -> Option<String> {
    let header = response.header("www-authenticate")?;
    let start = header.find("authorization=\"")? + "authorization=\"".len();
    let url = &header[start..];
    let url = &url[..url.find('"')?];
    url.trim_end_matches('/').rsplit('/').next().map(str::to_owned)
}

/// The contract's error for a failed answer about `what`.
pub fn error(response: &Response, what: &str) -> ProviderError {
    let detail = response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status));
    match response.status {
        401 => {
            let tenant = challenge_tenant(response)
                .map(|t| format!(" The vault belongs to tenant {t}; the identity must be in that tenant."))
                .unwrap_or_default();
            ProviderError::AccessDenied(format!(
                "Key Vault refused the access token of the manager's Azure identity ({detail}). Check the \
                 manager's `auth` settings.{tenant}"
            ))
        }
        403 if is_disabled(response) => ProviderError::Conflict(format!(
            "{what} is disabled; enable it (update with enabled = true) to read its value"
        )),
        403 => ProviderError::AccessDenied(format!(
            "the manager's Azure identity is not allowed to do this on {what} ({detail}); grant it a Key Vault \
             secrets role or access policy"
        )),
        404 => ProviderError::NotFound(format!("{what} does not exist")),
        400 => ProviderError::InvalidArgument(format!("Key Vault refused the request for {what}: {detail}")),
        409 => ProviderError::Conflict(format!("{what}: {detail}")),
        _ => response.to_error(),
    }
}
