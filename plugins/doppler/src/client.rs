//! Calls to Doppler's API v3: the token as a bearer, the project and config on every call, and
//! Doppler's error answers (`{"messages": [..], "success": false}`) mapped to the contract's.
//! Throttling (429 with `Retry-After`) and 5xx answers are retried by the SDK's [`HttpClient`].

use crate::settings::Config;
use keyway_plugin_sdk::failures;
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;
use serde::de::DeserializeOwned;

/// One project config, as one manager sees it.
pub struct DopplerApi {
    http: HttpClient,
    /// The checked settings.
    pub config: Config,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DopplerError {
    messages: Vec<String>,
}

impl DopplerApi {
    /// A client for the configured endpoint and token.
    pub fn new(config: Config) -> Self {
        let http = HttpClient::new(config.endpoint.clone())
            .with_header("accept", "application/json")
            .with_header("authorization", &format!("Bearer {}", config.token));
        Self { http, config }
    }

    /// Sends `method` to `path` with the project, the config and `query`; the JSON body when given
    /// also carries the project and config.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Result<Response> {
        let mut request = self.http.request(method, path);
        match body {
            Some(mut body) => {
                body["project"] = self.config.project.as_str().into();
                body["config"] = self.config.config.as_str().into();
                request = request.json(&body)?;
            }
            None => {
                request = request.query("project", &self.config.project).query("config", &self.config.config);
            }
        }
        for (name, value) in query {
            request = request.query(name, value);
        }
        request.send()
    }

    /// Sends and decodes a success, or maps the failure about `what` (e.g. `secret 'DB'`).
    pub fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
        what: &str,
    ) -> Result<T> {
        let response = self.send(method, path, query, body)?;
        if response.is_success() {
            if response.body.is_empty() {
                return serde_json::from_str("{}").map_err(|err| ProviderError::Other(err.to_string()));
            }
            response.json()
        } else {
            Err(self.error(&response, what))
        }
    }

    /// The contract's error for a failed answer about `what`.
    pub fn error(&self, response: &Response, what: &str) -> ProviderError {
        let body: DopplerError = serde_json::from_slice(&response.body).unwrap_or_default();
        let detail: String = body.messages.join("; ").chars().take(300).collect();
        let detail = if detail.is_empty() { format!("HTTP {}", response.status) } else { detail };
        let lower = detail.to_ascii_lowercase();
        let (project, config) = (&self.config.project, &self.config.config);
        match response.status {
            401 => ProviderError::AccessDenied(format!(
                "Doppler refused the manager's token ({detail}); check the `token` setting (revoked or mistyped?)"
            )),
            403 => ProviderError::AccessDenied(format!(
                "the manager's Doppler token may not do this on {what} ({detail}); a service token needs write \
                 access to write"
            )),
            404 if lower.contains("project") || lower.contains("config") || lower.contains("environment") => {
                ProviderError::Configuration(format!(
                    "Doppler has no config '{config}' in project '{project}' visible to this token ({detail}); check \
                     the `project` and `config` settings"
                ))
            }
            404 => ProviderError::NotFound(format!("{what} does not exist")),
            400 | 422 => ProviderError::InvalidArgument(format!("Doppler refused the request for {what}: {detail}")),
            409 => ProviderError::Conflict(format!("{what}: {detail}")),
            429 => failures::throttled(response, format!("Doppler is rate limiting this token ({detail})")),
            500..=599 => ProviderError::Unavailable(format!("Doppler failed ({detail})")),
            _ => response.to_error(),
        }
    }
}
