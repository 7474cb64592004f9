//! Calls to Secret Manager: the host's OAuth token (the SDK's [`BearerToken`]: kept until near
//! expiry, renewed once on a 401), the `v1` paths, and Google's error answers mapped to the
//! contract's errors.
//! Throttling (429) and 5xx answers are retried with backoff by the SDK's [`HttpClient`].

use crate::settings::{Config, SCOPE};
use keyway_plugin_sdk::failures;
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::token::BearerToken;
use serde::de::DeserializeOwned;

/// One project (and location), as one manager sees it.
pub struct SecretManager {
    http: HttpClient,
    /// The checked settings.
    pub config: Config,
    token: BearerToken,
}

/// Google's error body: `{"error": {"code", "message", "status", "details"}}`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct GoogleError {
    error: GoogleStatus,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct GoogleStatus {
    message: String,
    status: String,
    details: Vec<serde_json::Value>,
}

impl SecretManager {
    /// A client for the configured endpoint.
    pub fn new(config: Config) -> Self {
        let http = HttpClient::new(config.endpoint.clone()).with_header("accept", "application/json");
        Self { http, config, token: BearerToken::new(&[SCOPE]) }
    }

    /// The resource name of a secret id: `projects/P[/locations/L]/secrets/ID`.
    pub fn secret_path(&self, id: &str) -> String {
        format!("{}/secrets/{id}", self.config.parent)
    }

    /// Sends `v1/{path}` with the bearer token and `query`; on 401 renews the token once.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Response> {
        self.token.send(|token| {
            let mut request = self.http.request(method.clone(), &format!("v1/{path}")).bearer(token);
            for (name, value) in query {
                request = request.query(name, value);
            }
            if let Some(body) = body {
                request = request.json(body)?;
            }
            request.send()
        })
    }

    /// Sends and decodes a success, or maps the failure about `what` (e.g. `secret 'db'`).
    pub fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<T> {
        let response = self.send(method, path, query, body)?;
        if response.is_success() {
            response.json()
        } else {
            Err(self.error(&response, what))
        }
    }

    /// The contract's error for a failed answer about `what`.
    pub fn error(&self, response: &Response, what: &str) -> ProviderError {
        let body: GoogleError = serde_json::from_slice(&response.body).unwrap_or_default();
        let status = body.error.status.as_str();
        let message: String = body.error.message.chars().take(300).collect();
        let detail = if message.is_empty() { format!("HTTP {}", response.status) } else { message };
        let reason = body
            .error
            .details
            .iter()
            .find_map(|d| d.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let project = &self.config.project;
        match (response.status, status) {
            (401, _) => ProviderError::AccessDenied(format!(
                "Secret Manager refused the access token of the manager's Google identity ({detail}); check the \
                 manager's `auth` settings"
            )),
            (403, _) if reason == "CONSUMER_INVALID" => ProviderError::Configuration(format!(
                "project '{project}' does not exist or the identity cannot see it ({detail}); check the manager's \
                 `project` setting"
            )),
            (403, _) if reason == "SERVICE_DISABLED" => ProviderError::Configuration(format!(
                "the Secret Manager API is not enabled in project '{project}' ({detail})"
            )),
            (403, _) => ProviderError::AccessDenied(format!(
                "the manager's Google identity may not do this on {what} ({detail}); grant it roles/secretmanager.admin \
                 (or roles/secretmanager.secretAccessor to read)"
            )),
            (404, _) => ProviderError::NotFound(format!("{what} does not exist ({detail})")),
            (409, "ALREADY_EXISTS") => ProviderError::AlreadyExists(format!("{what} exists already")),
            (409, _) | (400, "FAILED_PRECONDITION") => ProviderError::Conflict(format!("{what}: {detail}")),
            (400, _) => ProviderError::InvalidArgument(format!("Secret Manager refused the request for {what}: {detail}")),
            (429, _) => failures::throttled(response, format!("Secret Manager is throttling requests ({detail})")),
            (500..=599, _) => ProviderError::Unavailable(format!("Secret Manager failed ({detail})")),
            _ => response.to_error(),
        }
    }
}

/// Whether a failed answer is `FAILED_PRECONDITION`: for a `PATCH` carrying an etag, the secret
/// changed since it was read.
pub fn is_failed_precondition(response: &Response) -> bool {
    let body: GoogleError = serde_json::from_slice(&response.body).unwrap_or_default();
    response.status == 400 && body.error.status == "FAILED_PRECONDITION"
}
