//! An HTTP client for plugins, over `wasi:http`: JSON in and out, HTTP status
//! mapped to the contract's errors, and the retries of [`crate::retry`]: throttling
//! and server errors (honouring `Retry-After`) and, for idempotent methods,
//! connections reset or refused and answers cut short. The host decides which
//! hosts are reachable.
//!
//! Every call blocks the plugin until the answer is in (the contract's operations are
//! synchronous); the host's call deadline still applies.
//!
//! ```no_run
//! use keyway_plugin_sdk::http::{encode_path, HttpClient};
//! use keyway_plugin_sdk::ProviderError;
//!
//! #[derive(serde::Deserialize)]
//! struct Record {
//!     value: String,
//! }
//!
//! let http = HttpClient::new("https://vault.acme.example").with_header("authorization", "Bearer t0ken");
//! let response = http.get(&format!("v1/secrets/{}", encode_path("db/password"))).send()?;
//! if response.status == 404 {
//!     return Err(ProviderError::not_found("db/password"));
//! }
//! let record: Record = response.error_for_status()?.json()?;
//! # let _ = record.value;
//! # Ok::<(), ProviderError>(())
//! ```

use crate::retry;
use keyway_types::error::serde_message_without_values;
use keyway_types::ProviderError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use wstd::http::{Body, Client, Request};

pub use ::http::Method;

/// A client bound to a base URL, with default headers, a retry budget (3 retries) and a timeout
/// for each response's first byte (30 s). Cheap to clone; build it once in [`Provider::open`](crate::Provider::open).
#[derive(Debug, Clone)]
pub struct HttpClient {
    base_url: String,
    headers: Vec<(String, String)>,
    max_retries: u32,
    timeout: Duration,
}

impl HttpClient {
    /// A client for `base_url` (for example `https://vault.example.com:8200`); trailing slashes are dropped.
    ///
    /// ```
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.example.com:8200/");
    /// assert_eq!(http.base_url(), "https://vault.example.com:8200");
    /// ```
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { base_url, headers: Vec::new(), max_retries: 3, timeout: Duration::from_secs(30) }
    }

    /// Adds a header sent with every request.
    ///
    /// ```
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example")
    ///     .with_header("authorization", "Bearer t0ken")
    ///     .with_header("accept", "application/json");
    /// # let _ = http;
    /// ```
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets how often throttled (429) or failed (5xx) requests are retried (and, for idempotent
    /// methods, requests whose connection failed); `0` sends each request once.
    ///
    /// ```
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example").with_retries(1);
    /// # let _ = http;
    /// ```
    pub fn with_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the timeout for the first byte of each response.
    ///
    /// ```
    /// use keyway_plugin_sdk::{settings, HttpClient};
    /// use std::time::Duration;
    ///
    /// let seconds = settings::timeout_seconds(Some(10))?; // the manager's `timeout_seconds`, checked
    /// let http = HttpClient::new("https://vault.acme.example").with_timeout(Duration::from_secs(seconds));
    /// # let _ = http;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL.
    ///
    /// ```
    /// let http = keyway_plugin_sdk::HttpClient::new("https://host:8443/conjur/");
    /// assert_eq!(http.base_url(), "https://host:8443/conjur");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Starts a request to `path` (joined to the base URL; an absolute `http(s)://` URL is used as is).
    /// Encode names that go into a path with [`encode_path`] or [`percent_encode`].
    ///
    /// ```no_run
    /// use keyway_plugin_sdk::http::{HttpClient, Method};
    ///
    /// let http = HttpClient::new("https://vault.acme.example");
    /// let response = http.request(Method::HEAD, "v1/secrets/db").send()?;
    /// let exists = response.is_success();
    /// # let _ = exists;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{}", self.base_url, path.trim_start_matches('/'))
        };
        RequestBuilder { client: self, method, url, query: Vec::new(), headers: Vec::new(), body: Vec::new() }
    }

    /// A GET request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let names: Vec<String> = http.get("v1/names").query("prefix", "db/").send_json()?;
    /// # let _ = names;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A POST request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let body = serde_json::json!({"name": "db", "value": "s3cr3t"});
    /// http.post("v1/secrets").json(&body)?.send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A PUT request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// http.put("v1/secrets/db").json(&serde_json::json!({"value": "s3cr3t"}))?.send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A PATCH request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// http.patch("v1/secrets/db").json(&serde_json::json!({"enabled": false}))?.send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }

    /// A DELETE request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// http.delete("v1/secrets/db").send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }
}

/// One request being built, from [`HttpClient::request`] or its shorthands; nothing is sent until
/// [`send`](Self::send), [`send_ok`](Self::send_ok) or [`send_json`](Self::send_json).
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
    /// Adds a header to this request.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// http.get("v1/secrets/db").header("x-acme-namespace", "payments").send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `Authorization: Bearer TOKEN`.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let token = "t0ken"; // from a login, or `token::BearerToken`
    /// http.get("v1/secrets/db").bearer(token).send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds a query parameter (name and value percent-encoded here: pass them as they are).
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// // GET https://vault.acme.example/v1/secrets?prefix=db%2F&limit=100
    /// http.get("v1/secrets").query("prefix", "db/").query("limit", "100").send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends `body` as JSON (with `content-type: application/json`); fails only when `body` cannot
    /// be serialized.
    ///
    /// ```no_run
    /// #[derive(serde::Serialize)]
    /// struct NewSecret<'a> {
    ///     name: &'a str,
    ///     value: &'a str,
    /// }
    ///
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// http.post("v1/secrets").json(&NewSecret { name: "db", value: "s3cr3t" })?.send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ProviderError> {
        self.body = serde_json::to_vec(body)
            .map_err(|err| ProviderError::InvalidArgument(format!("request body is not serializable: {err}")))?;
        self.headers.push(("content-type".into(), "application/json".into()));
        Ok(self)
    }

    /// Sends raw bytes with a content type.
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://conjur.example");
    /// http.post("secrets/acme/variable/db").body("application/octet-stream", b"s3cr3t".to_vec()).send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = body;
        self.headers.push(("content-type".into(), content_type.to_owned()));
        self
    }

    /// Sends the request, retrying 429 and 5xx, and returns any response (also errors). The error
    /// is for a request that got no answer: `access-denied` when the host refused it (its host is
    /// not in the manager's egress allowlist), otherwise `unavailable`. Use it when a status needs
    /// your own mapping (see [`failures::failure`](crate::failures::failure)).
    ///
    /// ```no_run
    /// use keyway_plugin_sdk::ProviderError;
    ///
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let response = http.get("v1/secrets/db").send()?;
    /// match response.status {
    ///     200 => {}
    ///     404 => return Err(ProviderError::not_found("db")),
    ///     _ => return Err(response.to_error()),
    /// }
    /// # Ok::<(), ProviderError>(())
    /// ```
    pub fn send(self) -> Result<Response, ProviderError> {
        wstd::runtime::block_on(self.send_async())
    }

    /// Sends the request and maps a non-success status to a [`ProviderError`] ([`Response::to_error`]).
    ///
    /// ```no_run
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let response = http.delete("v1/secrets/db").send_ok()?; // a 404 is a not-found error
    /// # let _ = response;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn send_ok(self) -> Result<Response, ProviderError> {
        self.send()?.error_for_status()
    }

    /// Sends the request and decodes a successful JSON response ([`Response::json`]).
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Record {
    ///     value: String,
    ///     version: u64,
    /// }
    ///
    /// let http = keyway_plugin_sdk::HttpClient::new("https://vault.acme.example");
    /// let record: Record = http.get("v1/secrets/db").send_json()?;
    /// # let _ = (record.value, record.version);
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
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

/// A complete HTTP response. Its fields are public, so a plugin's unit tests can build answers
/// to test its error mapping and parsing natively:
///
/// ```
/// use keyway_plugin_sdk::{ErrorKind, Response};
///
/// let missing = Response { status: 404, headers: Vec::new(), body: br#"{"error":"no such secret"}"#.to_vec() };
/// assert_eq!(missing.to_error().kind(), ErrorKind::NotFound);
/// ```
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
    ///
    /// ```
    /// # use keyway_plugin_sdk::Response;
    /// let answer = |status| Response { status, headers: Vec::new(), body: Vec::new() };
    /// assert!(answer(204).is_success() && !answer(404).is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value (names compare without case).
    ///
    /// ```
    /// # use keyway_plugin_sdk::Response;
    /// let response = Response { status: 200, headers: vec![("etag".into(), "\"7\"".into())], body: Vec::new() };
    /// assert_eq!(response.header("ETag"), Some("\"7\""));
    /// assert_eq!(response.header("x-missing"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The wait the `Retry-After` header asks for (see [`retry::retry_after`]), if present.
    ///
    /// ```
    /// # use keyway_plugin_sdk::Response;
    /// use std::time::Duration;
    ///
    /// let throttled = Response { status: 429, headers: vec![("retry-after".into(), "5".into())], body: Vec::new() };
    /// assert_eq!(throttled.retry_after(), Some(Duration::from_secs(5)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after").and_then(retry::retry_after)
    }

    /// Decodes the body as JSON. The error never quotes a value of the body (it may be a secret).
    /// A body that ends too early (a connection cut mid-answer) is `unavailable`, so callers retry and a
    /// cached value is served meanwhile; a complete body of the wrong shape is `other`, never `not-found`.
    ///
    /// ```
    /// use keyway_plugin_sdk::{ErrorKind, Response};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Record {
    ///     version: u64,
    /// }
    ///
    /// let answer = |body: &str| Response { status: 200, headers: Vec::new(), body: body.as_bytes().to_vec() };
    /// assert_eq!(answer(r#"{"version": 3}"#).json::<Record>()?.version, 3);
    /// assert_eq!(answer(r#"{"version": "three"}"#).json::<Record>().err().map(|e| e.kind()), Some(ErrorKind::Other));
    /// assert_eq!(answer(r#"{"vers"#).json::<Record>().err().map(|e| e.kind()), Some(ErrorKind::Unavailable));
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
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

    /// The body as text (lossy). Mind that a body can hold a secret value: never put it in an error.
    ///
    /// ```
    /// # use keyway_plugin_sdk::Response;
    /// let response = Response { status: 200, headers: Vec::new(), body: b"s3cr3t".to_vec() };
    /// assert_eq!(response.text(), "s3cr3t");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Returns the response when it is 2xx, otherwise the matching error ([`Response::to_error`]).
    ///
    /// ```
    /// use keyway_plugin_sdk::{ErrorKind, Response};
    ///
    /// let answer = |status| Response { status, headers: Vec::new(), body: Vec::new() };
    /// assert!(answer(200).error_for_status().is_ok());
    /// assert_eq!(answer(403).error_for_status().err().map(|e| e.kind()), Some(ErrorKind::AccessDenied));
    /// ```
    pub fn error_for_status(self) -> Result<Self, ProviderError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }

    /// The contract error for this (non-success) status, with the backend's
    /// own error message when it sends one in a known JSON shape: 404 and 410 are `not-found`, 401
    /// and 403 `access-denied`, 409 and 412 `conflict`, 429 `throttled` (with `Retry-After`), 400
    /// and 422 `invalid-argument`, 405 and 501 `unsupported`, other 5xx `unavailable`, the rest
    /// `other`. To word the error after what was attempted, use
    /// [`failures::failure`](crate::failures::failure).
    ///
    /// ```
    /// use keyway_plugin_sdk::{ProviderError, Response};
    ///
    /// let answer = Response { status: 404, headers: Vec::new(), body: br#"{"errors":["no such secret"]}"#.to_vec() };
    /// assert_eq!(answer.to_error(), ProviderError::NotFound("HTTP 404: no such secret".into()));
    /// ```
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
    /// (`{"errors":[..]}`, `{"error":"..."}`, `{"error":{"message":..}}`, `{"message":..}`,
    /// `{"Message":..}`, `{"error_description":..}`), at most 300 characters.
    ///
    /// ```
    /// # use keyway_plugin_sdk::Response;
    /// let answer = |body: &str| Response { status: 400, headers: Vec::new(), body: body.as_bytes().to_vec() };
    /// assert_eq!(answer(r#"{"error": {"message": "name too long"}}"#).error_message().as_deref(), Some("name too long"));
    /// assert_eq!(answer("<html>Bad Request</html>").error_message(), None);
    /// ```
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
///
/// ```
/// use keyway_plugin_sdk::http::percent_encode;
/// assert_eq!(percent_encode("db/pass word"), "db%2Fpass%20word");
/// ```
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
///
/// ```
/// use keyway_plugin_sdk::http::encode_path;
/// assert_eq!(encode_path("team a/db?x"), "team%20a/db%3Fx");
/// ```
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
