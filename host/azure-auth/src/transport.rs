//! The HTTP transport of `azure_identity`: a `reqwest` 0.12 client (rustls with `ring`, the
//! one keyway's runtime already builds) instead of `azure_core`'s default reqwest 0.13 with
//! `aws-lc-rs`, and one that can trust an extra root certificate.

use crate::error::AzureAuthError;
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, Body, HttpClient, Request};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Sends `azure_identity`'s token requests.
#[derive(Debug, Clone)]
pub(crate) struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A client with default roots, plus those in `ca_certificate` (PEM) when given.
    pub(crate) fn new(ca_certificate: Option<&Path>) -> Result<Arc<Self>, AzureAuthError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = ca_certificate {
            builder = keyway_token_cache::add_root_certificates(builder, path)
                .map_err(|err| AzureAuthError::Certificate { path: err.path, reason: err.reason })?;
        }
        let client = builder.build().map_err(|err| AzureAuthError::Credential(format!("HTTP client: {err}")))?;
        Ok(Arc::new(Self { client }))
    }
}

#[async_trait::async_trait]
impl HttpClient for ReqwestTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::{Error, ErrorKind};
        let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|err| Error::with_error(ErrorKind::Other, err, "unknown HTTP method"))?;
        let mut builder = self.client.request(method, request.url().clone());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder = match request.body() {
            Body::Bytes(bytes) => builder.body(bytes.clone()),
            // Credential requests are small forms; streamed bodies are never sent.
            Body::SeekableStream(_) => {
                return Err(Error::with_message(ErrorKind::Other, "streamed request bodies are not supported"))
            }
        };
        let response = builder.send().await.map_err(|err| {
            let kind = if err.is_connect() { ErrorKind::Connection } else { ErrorKind::Io };
            Error::with_error(kind, err, "the identity endpoint could not be reached")
        })?;
        let status = response.status().as_u16();
        let headers: HashMap<HeaderName, HeaderValue> = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                let value = value.to_str().ok()?;
                Some((HeaderName::from(name.as_str().to_owned()), HeaderValue::from(value.to_owned())))
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|err| Error::with_error(ErrorKind::Io, err, "reading the identity endpoint's answer failed"))?;
        Ok(AsyncRawResponse::from_bytes(status.into(), Headers::from(headers), body))
    }
}
