//! An HTTP client for plugins, over `wasi:http`: JSON in and out, HTTP status
//! mapped to the contract's errors, and the retries of [`crate::retry`]: throttling
//! and server errors (honouring `Retry-After`) and, for idempotent methods,
//! connections reset or refused and answers cut short. The host decides which
//! hosts are reachable.

use crate::retry;
use keyway_types::error::serde_message_without_values;
use keyway_types::ProviderError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use wstd::http::{Body, Client, Request};

pub use ::http::Method;

/// A client bound to a base URL, with default headers and a retry budget.
#[derive(Debug, Clone)]
pub struct HttpClient {
    base_url: String,
    headers: Vec<(String, String)>,
    max_retries: u32,
    timeout: Duration,
}

impl HttpClient {
    /// A client for `base_url` (for example `https://vault.example.com:8200`).
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { base_url, headers: Vec::new(), max_retries: 3, timeout: Duration::from_secs(30) }
    }

    /// Adds a header sent with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets how often throttled (429) or failed (5xx) requests are retried.
    pub fn with_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the timeout for the first byte of each response.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Starts a request to `path` (joined to the base URL; an absolute `http(s)://` URL is used as is).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{}", self.base_url, path.trim_start_matches('/'))
        };
        RequestBuilder { client: self, method, url, query: Vec::new(), headers: Vec::new(), body: Vec::new() }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }
}

/// One request being built.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    client: &'a HttpClient,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RequestBuilder<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds a query parameter (percent-encoded).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ProviderError> {
        self.body = serde_json::to_vec(body)
            .map_err(|err| ProviderError::InvalidArgument(format!("request body is not serializable: {err}")))?;
        self.headers.push(("content-type".into(), "application/json".into()));
        Ok(self)
    }

    /// Sends raw bytes with a content type.
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = body;
        self.headers.push(("content-type".into(), content_type.to_owned()));
        self
    }

    /// Sends the request, retrying 429 and 5xx, and returns any response (also errors).
    pub fn send(self) -> Result<Response, ProviderError> {
        wstd::runtime::block_on(self.send_async())
    }

    /// Sends the request and maps a non-success status to a [`ProviderError`].
    pub fn send_ok(self) -> Result<Response, ProviderError> {
        self.send()?.error_for_status()
    }

    /// Sends the request and decodes a successful JSON response.
    pub fn send_json<T: DeserializeOwned>(self) -> Result<T, ProviderError> {
        self.send_ok()?.json()
    }

    fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let query: Vec<String> =
            self.query.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.url, query.join("&"))
    }

    async fn send_async(self) -> Result<Response, ProviderError> {
        let url = self.full_url();
        let mut attempt = 0;
        // A connection reset or refused, or a body cut short, is worth another try when repeating the
        // request cannot apply a change twice (HTTP's idempotent methods).
        let idempotent =
            [Method::GET, Method::HEAD, Method::OPTIONS, Method::PUT, Method::DELETE].contains(&self.method);
        loop {
            let response = match self.send_once(&url).await {
                Ok(response) => response,
                Err(err)
                    if idempotent
                        && err.kind() == keyway_types::ErrorKind::Unavailable
                        && attempt < self.client.max_retries =>
                {
                    wstd::task::sleep(retry::backoff(attempt).into()).await;
                    attempt += 1;
                    continue;
                }
                Err(err) => return Err(err),
            };
            if !retry::retryable_status(response.status) || attempt >= self.client.max_retries {
                return Ok(response);
            }
            wstd::task::sleep(retry::wait(response.retry_after(), attempt).into()).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, url: &str) -> Result<Response, ProviderError> {
        let mut builder = Request::builder().method(self.method.clone()).uri(url);
        for (name, value) in self.client.headers.iter().chain(self.headers.iter()) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(Body::from(self.body.clone()))
            .map_err(|err| ProviderError::InvalidArgument(format!("invalid request to {}: {err}", redact_url(url))))?;
        let mut client = Client::new();
        client.set_first_byte_timeout(self.client.timeout);
        let response = client.send(request).await.map_err(|err| send_error(url, &err))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let mut body = response.into_body();
        let bytes = body
            .contents()
            .await
            .map_err(|err| {
                ProviderError::Unavailable(format!("reading the response of {} failed: {err}", redact_url(url)))
            })?
            .to_vec();
        Ok(Response { status, headers, body: bytes })
    }
}

/// A complete HTTP response.
#[derive(Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies can carry secret values.
        f.debug_struct("Response").field("status", &self.status).field("body_len", &self.body.len()).finish()
    }
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The wait the `Retry-After` header asks for (see [`retry::retry_after`]), if present.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after").and_then(retry::retry_after)
    }

    /// Decodes the body as JSON. The error never quotes a value of the body (it may be a secret).
    /// A body that ends too early (a connection cut mid-answer) is `unavailable`, so callers retry and a
    /// cached value is served meanwhile; a complete body of the wrong shape is `other`, never `not-found`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|err| {
            if err.classify() == serde_json::error::Category::Eof {
                return ProviderError::Unavailable(format!(
                    "the backend's answer (status {}) was cut short; retry",
                    self.status
                ));
            }
            ProviderError::Other(format!(
                "the backend answered with unexpected JSON (status {}): {}",
                self.status,
                serde_message_without_values(&err.to_string())
            ))
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Returns the response when it is 2xx, otherwise the matching error.
    pub fn error_for_status(self) -> Result<Self, ProviderError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }

    /// The contract error for this (non-success) status, with the backend's
    /// own error message when it sends one in a known JSON shape.
    pub fn to_error(&self) -> ProviderError {
        let message = match self.error_message() {
            Some(detail) => format!("HTTP {}: {detail}", self.status),
            None => format!("HTTP {}", self.status),
        };
        match self.status {
            404 | 410 => ProviderError::NotFound(message),
            401 | 403 => ProviderError::AccessDenied(message),
            409 | 412 => ProviderError::Conflict(message),
            429 => crate::failures::throttled(self, message),
            400 | 422 => ProviderError::InvalidArgument(message),
            405 | 501 => ProviderError::Unsupported(message),
            500..=599 => ProviderError::Unavailable(message),
            _ => ProviderError::Other(message),
        }
    }

    /// Extracts an error message from common JSON error shapes
    /// (`{"errors":[..]}`, `{"error":{"message":..}}`, `{"message":..}`), at most 300 characters.
    pub fn error_message(&self) -> Option<String> {
        let json: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        let text = match &json {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Array(errors)) = map.get("errors") {
                    errors
                        .iter()
                        .map(|e| e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string()))
                        .collect::<Vec<_>>()
                        .join("; ")
                } else if let Some(error) = map.get("error") {
                    match error {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Object(inner) => {
                            inner.get("message").and_then(|m| m.as_str()).unwrap_or_default().to_owned()
                        }
                        _ => String::new(),
                    }
                } else {
                    ["message", "Message", "error_description"]
                        .iter()
                        .find_map(|key| map.get(*key).and_then(|m| m.as_str()).map(str::to_owned))
                        .unwrap_or_default()
                }
            }
            _ => String::new(),
        };
        let text = text.trim();
        if text.is_empty() {
            None
        } else {
            Some(text.chars().take(300).collect())
        }
    }
}

/// Percent-encodes a path segment or query component (RFC 3986 unreserved characters stay).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Percent-encodes each segment of a slash-separated path, keeping the slashes.
pub fn encode_path(path: &str) -> String {
    path.split('/').map(percent_encode).collect::<Vec<_>>().join("/")
}

/// The contract error for a request that got no response. A request the host
/// refused (its host is not in the manager's egress allowlist) is `access-denied`:
/// retrying cannot help, the manager's configuration must allow the host.
fn send_error(url: &str, err: &wstd::http::Error) -> ProviderError {
    match err.downcast_ref::<wstd::http::error::ErrorCode>() {
        Some(wstd::http::error::ErrorCode::HttpRequestDenied) => ProviderError::AccessDenied(format!(
            "the host refused the request to {}: its host is not in this manager's egress allowlist, or resolves only to addresses the manager does not grant",
            redact_url(url)
        )),
        _ => ProviderError::Unavailable(format!("request to {} failed: {err}", redact_url(url))),
    }
}

fn redact_url(url: &str) -> &str {
    // Query strings can carry tokens: report only scheme, host and path.
    url.split('?').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Version {
        version: u64,
    }

    #[test]
    fn json_errors_never_quote_the_body() {
        let good = Response { status: 200, headers: Vec::new(), body: br#"{"version":3}"#.to_vec() };
        assert_eq!(good.json::<Version>().map(|v| v.version), Ok(3));
        let response = Response { status: 200, headers: Vec::new(), body: br#"{"version":"hunter2-pass"}"#.to_vec() };
        let err = response.json::<Version>().expect_err("a string is not a version");
        assert_eq!(err.kind(), keyway_types::ErrorKind::Other);
        assert!(err.message().contains("invalid type: expected u64"), "{err}");
        assert!(!err.message().contains("hunter2"), "{err}");
    }

    #[test]
    fn statuses_map_to_contract_errors() {
        let answer = |status, body: &str| Response {
            status,
            headers: vec![("Retry-After".into(), "7".into())],
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            answer(404, r#"{"errors":["no such secret"]}"#).to_error(),
            ProviderError::NotFound("HTTP 404: no such secret".into())
        );
        assert_eq!(
            answer(429, "").to_error(),
            ProviderError::Throttled { message: "HTTP 429".into(), retry_after_ms: Some(7000) }
        );
        assert!(answer(204, "").error_for_status().is_ok());
    }
}
