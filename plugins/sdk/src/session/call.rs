//! [`Call`]: one request to a backend, described so that it can be sent again after a new login.

use crate::http::{HttpClient, Method, RequestBuilder};
use keyway_types::ProviderError;
use serde::Serialize;
use zeroize::Zeroizing;

/// One request, without its credential: method, path, query, headers and body. A
/// [`Session`](super::Session) sends it with the token of the moment, and sends it once more when the backend
/// refused that token and a new login replaced it. The body can hold a secret value: it is wiped when the call
/// is dropped, and `Debug` shows only its length.
///
/// ```
/// use keyway_plugin_sdk::session::Call;
///
/// let call = Call::get("v1/secrets").query("prefix", "db/").header("accept", "application/json");
/// assert_eq!((call.method().as_str(), call.path()), ("GET", "v1/secrets"));
/// let write = Call::post("v1/secrets").json(&serde_json::json!({"name": "db", "value": "s3cr3t"}))?;
/// assert!(!format!("{write:?}").contains("s3cr3t"));
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
#[derive(Clone)]
pub struct Call {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<(String, Zeroizing<Vec<u8>>)>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let query: Vec<&str> = self.query.iter().map(|(name, _)| name.as_str()).collect();
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        let body_len = self.body.as_ref().map(|(_, bytes)| bytes.len());
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &query)
            .field("headers", &headers)
            .field("body_len", &body_len)
            .finish()
    }
}

impl Call {
    /// A request of `method` to `path` (below the session's base URL, as [`HttpClient::request`] takes it;
    /// encode names with [`encode_path`](crate::http::encode_path)).
    ///
    /// ```
    /// use keyway_plugin_sdk::{session::Call, Method};
    ///
    /// let call = Call::new(Method::HEAD, "v1/secrets/db");
    /// assert_eq!(call.method(), &Method::HEAD);
    /// ```
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self { method, path: path.into(), query: Vec::new(), headers: Vec::new(), body: None }
    }

    /// A GET request.
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::get("v1/secrets/db");
    /// assert_eq!(call.path(), "v1/secrets/db");
    /// ```
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A POST request.
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::post("v1/secrets");
    /// assert_eq!(call.method().as_str(), "POST");
    /// ```
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// A PUT request.
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::put("v1/secrets/db");
    /// assert_eq!(call.method().as_str(), "PUT");
    /// ```
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A PATCH request.
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::patch("v1/secrets/db");
    /// assert_eq!(call.method().as_str(), "PATCH");
    /// ```
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// A DELETE request.
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::delete("v1/secrets/db");
    /// assert_eq!(call.method().as_str(), "DELETE");
    /// ```
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query parameter (name and value are percent-encoded when the call is sent: pass them as they are).
    ///
    /// ```
    /// use keyway_plugin_sdk::session::Call;
    ///
    /// let version = 3;
    /// let call = Call::get("v1/secrets/db").query("version", version.to_string()).query("prefix", "db/");
    /// # let _ = call;
    /// ```
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a header to this request (the session adds the credential itself).
    ///
    /// ```
    /// let call = keyway_plugin_sdk::session::Call::get("secrets").header("accept", "base64");
    /// # let _ = call;
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a JSON body (`content-type: application/json`); fails only when `body` cannot be serialized.
    ///
    /// ```
    /// use keyway_plugin_sdk::session::Call;
    ///
    /// let call = Call::put("secrets/12/fields/password").json(&serde_json::json!({ "value": "s3cr3t" }))?;
    /// # let _ = call;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ProviderError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| ProviderError::InvalidArgument(format!("request body is not serializable: {err}")))?;
        self.body = Some(("application/json".to_owned(), Zeroizing::new(bytes)));
        Ok(self)
    }

    /// Sets a body of `content_type` (a plain `Vec<u8>`, or one already wrapped in `Zeroizing`).
    ///
    /// ```
    /// use keyway_plugin_sdk::session::Call;
    ///
    /// let call = Call::post("secrets/myorg/variable/db").body("application/octet-stream", b"s3cr3t".to_vec());
    /// # let _ = call;
    /// ```
    pub fn body(mut self, content_type: &str, bytes: impl Into<Zeroizing<Vec<u8>>>) -> Self {
        self.body = Some((content_type.to_owned(), bytes.into()));
        self
    }

    /// The HTTP method.
    ///
    /// ```
    /// # use keyway_plugin_sdk::{session::Call, Method};
    /// assert_eq!(Call::delete("v1/secrets/db").method(), &Method::DELETE);
    /// ```
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path below the base URL.
    ///
    /// ```
    /// # use keyway_plugin_sdk::session::Call;
    /// assert_eq!(Call::get("v1/secrets/db").query("version", "2").path(), "v1/secrets/db");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request to send on `http`, without a credential (a [`Login`](super::Login) adds it). A session does
    /// this for every attempt; a plugin needs it only to send a call outside a session.
    ///
    /// ```no_run
    /// use keyway_plugin_sdk::{session::Call, HttpClient};
    ///
    /// let http = HttpClient::new("https://vault.acme.example");
    /// let response = Call::get("v1/sys/health").request(&http).send()?;
    /// # let _ = response;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn request<'a>(&self, http: &'a HttpClient) -> RequestBuilder<'a> {
        let mut request = http.request(self.method.clone(), &self.path);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for (name, value) in &self.query {
            request = request.query(name, value);
        }
        match &self.body {
            Some((content_type, bytes)) => request.body(content_type, bytes.to_vec()),
            None => request,
        }
    }
}
