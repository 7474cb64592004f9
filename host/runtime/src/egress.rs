//! Which hosts a plugin may reach, and the HTTP client that enforces it.
//!
//! Every outgoing `wasi:http` request of a plugin goes through
//! [`EgressHooks::send_request`]: a host outside the manager's allowlist is
//! refused (`HTTP-request-denied` to the guest), others are sent with the
//! runtime's shared, pooled `reqwest` client (rustls, system roots).

use futures::StreamExt;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One allowed host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRule {
    /// Lower-case host, or a `*.suffix` wildcard.
    host: String,
    /// A required port; any port when absent.
    port: Option<u16>,
    /// Whether plain `http` is allowed (only for `http://` URLs and loopback hosts).
    plain_http: bool,
}

/// The hosts a manager's plugin may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    rules: Vec<HostRule>,
}

impl EgressPolicy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Adds a rule: `host`, `host:port`, `*.domain`, or a URL whose host (and port) is allowed.
    pub fn allow(&mut self, pattern: &str) -> &mut Self {
        let pattern = pattern.trim();
        let (plain_http, rest) = if let Some(rest) = pattern.strip_prefix("http://") {
            (true, rest)
        } else if let Some(rest) = pattern.strip_prefix("https://") {
            (false, rest)
        } else {
            (false, pattern)
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(authority);
        if !host.is_empty() {
            let plain_http = plain_http || is_loopback(&host);
            self.rules.push(HostRule { host, port, plain_http });
        }
        self
    }

    /// Whether a request to `host:port` over `scheme` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.rules.iter().any(|rule| {
            let host_ok = match rule.host.strip_prefix("*.") {
                Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
                None => rule.host == host,
            };
            let port_ok = rule.port.is_none_or(|p| p == port);
            let scheme_ok = scheme == "https" || rule.plain_http;
            host_ok && port_ok && scheme_ok
        })
    }

    /// The allowed patterns, for display.
    pub fn patterns(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|rule| match rule.port {
                Some(port) => format!("{}:{port}", rule.host),
                None => rule.host.clone(),
            })
            .collect()
    }
}

fn split_host_port(authority: &str) -> (String, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        // [v6]:port
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host.to_ascii_lowercase(), port);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
            (host.to_ascii_lowercase(), port.parse().ok())
        }
        _ => (authority.to_ascii_lowercase(), None),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The `wasi:http` hooks of one instance: the allowlist check, then the shared client.
pub struct EgressHooks {
    policy: Arc<EgressPolicy>,
    client: reqwest::Client,
    manager: Arc<str>,
}

impl EgressHooks {
    /// Hooks enforcing `policy` with `client`.
    pub fn new(policy: Arc<EgressPolicy>, client: reqwest::Client, manager: Arc<str>) -> Self {
        Self { policy, client, manager }
    }
}

type IoFuture = Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn std::future::Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send> {
        let policy = self.policy.clone();
        let client = self.client.clone();
        let manager = self.manager.clone();
        Box::new(async move {
            let uri = request.uri();
            let scheme = uri.scheme_str().unwrap_or("https").to_owned();
            let host = uri.host().unwrap_or_default().to_owned();
            let port = uri.port_u16().unwrap_or(if scheme == "http" { 80 } else { 443 });
            if !policy.allows(&scheme, &host, port) {
                tracing::warn!(manager = %manager, %scheme, %host, port, "plugin request refused: host not in the manager's egress allowlist");
                return Err(HttpError::HttpRequestDenied);
            }
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let mut outgoing = client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body);
            if let Some(timeout) = options.and_then(|o| o.first_byte_timeout) {
                outgoing = outgoing.timeout(timeout.max(Duration::from_millis(1)));
            }
            let response = outgoing.send().await.map_err(|err| {
                tracing::debug!(manager = %manager, %host, error = %err, "plugin request failed");
                classify_send_error(&err)
            })?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let stream = response
                .bytes_stream()
                .map(|chunk| chunk.map(Frame::data).map_err(|_| HttpError::ConnectionTerminated));
            let body = StreamBody::new(stream).boxed_unsync();
            let response = builder.body(body).map_err(|_| HttpError::HttpProtocolError)?;
            let io: IoFuture = Box::new(async { Ok(()) });
            Ok((response, io))
        })
    }
}

/// The `wasi:http` error code for a failed send, so plugins can tell an untrusted certificate from a
/// refused connection.
fn classify_send_error(err: &reqwest::Error) -> HttpError {
    if err.is_timeout() {
        return HttpError::ConnectionTimeout;
    }
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(current) = source {
        chain.push_str(&current.to_string().to_ascii_lowercase());
        chain.push(' ');
        source = current.source();
    }
    if chain.contains("certificate") || chain.contains("unknownissuer") || chain.contains("not valid for name") {
        HttpError::TlsCertificateError
    } else if chain.contains("tls") || chain.contains("handshake") {
        HttpError::TlsProtocolError
    } else if err.is_connect() {
        HttpError::ConnectionRefused
    } else {
        HttpError::HttpProtocolError
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_ports_and_schemes() {
        let mut policy = EgressPolicy::deny_all();
        policy
            .allow("*.vault.azure.net")
            .allow("http://127.0.0.1:8200")
            .allow("https://secretsmanager.eu-west-1.amazonaws.com/");
        assert!(policy.allows("https", "myvault.vault.azure.net", 443));
        assert!(!policy.allows("https", "vault.azure.net", 443));
        assert!(!policy.allows("https", "evil.net", 443));
        assert!(!policy.allows("http", "myvault.vault.azure.net", 80));
        assert!(policy.allows("http", "127.0.0.1", 8200));
        assert!(!policy.allows("http", "127.0.0.1", 8201));
        assert!(policy.allows("https", "secretsmanager.eu-west-1.amazonaws.com", 443));
        assert!(!policy.allows("https", "secretsmanager.eu-west-1.amazonaws.com.evil.net", 443));
    }

    #[test]
    fn empty_policy_denies_everything() {
        assert!(!EgressPolicy::deny_all().allows("https", "example.com", 443));
    }
}
