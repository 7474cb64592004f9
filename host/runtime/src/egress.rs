//! Which hosts a plugin may reach, and the HTTP client that enforces it.
//!
//! Every outgoing `wasi:http` request of a plugin goes through [`EgressHooks::send_request`]: a host outside
//! the manager's allowlist is refused (`HTTP-request-denied` to the guest, which plugins report as
//! access-denied naming the host), others are sent with the manager's pooled `reqwest` client (rustls, system
//! roots). That client resolves names through [`GuardedResolver`], which drops every address in a special
//! range (loopback, private, link-local such as the cloud metadata service at 169.254.169.254, shared,
//! multicast, unspecified; IPv4, IPv6 and IPv4-mapped IPv6) unless the grant names that address or range: the
//! check applies to the very addresses the client then connects to, so DNS rebinding between a check and the
//! connection cannot pass. A URL with an IP literal is checked the same way before sending.
//!
//! # Patterns
//!
//! | pattern | allows |
//! | --- | --- |
//! | `vault.example.com` | that host, HTTPS, any port |
//! | `vault.example.com:8200` | that host and port, HTTPS |
//! | `https://vault.example.com:8200/v1` | the URL's host and port, HTTPS |
//! | `http://127.0.0.1:8200` | plain HTTP, only for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) |
//! | `*.vault.azure.net` | any host one or more labels under `vault.azure.net` (not `vault.azure.net` itself) |
//! | `10.1.2.3`, `[fd00::1]:8443` | that address (also the grant to connect to it when it is private) |
//! | `10.0.0.0/8`, `fd00::/8` | addresses in the range, whatever name resolves to them (an address grant only) |
//!
//! Refused when loaded: `*` alone or any pattern without a dot after its wildcard, a wildcard not as the whole
//! first label (`a*.example.com`, `*.*.example.com`), a wildcard over an IP address (`*.1`), a plain `http://`
//! pattern for a host that is not loopback, an empty host, a port that is not a number. Hosts compare without
//! case and without a trailing dot (`example.com.` is `example.com`).

use futures::StreamExt;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One allowed host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRule {
    /// Lower-case host without a trailing dot, or a `*.suffix` wildcard, or an IP address.
    host: String,
    /// A required port; any port when absent.
    port: Option<u16>,
    /// Whether plain `http` is allowed (only for loopback hosts).
    plain_http: bool,
}

/// Why an egress pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("egress pattern '{pattern}' is refused: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The hosts a manager's plugin may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    rules: Vec<HostRule>,
    /// Ranges whose addresses may be connected to even when special (private, loopback, …).
    ranges: Vec<IpNet>,
}

impl EgressPolicy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Adds a rule (see the module's table of patterns); a refused pattern changes nothing.
    pub fn allow(&mut self, pattern: &str) -> Result<&mut Self, PatternError> {
        let refuse = |reason| PatternError { pattern: pattern.to_owned(), reason };
        let trimmed = pattern.trim();
        if let Ok(range) = trimmed.parse::<IpNet>() {
            self.ranges.push(range.trunc());
            return Ok(self);
        }
        let (plain_http, rest) = if let Some(rest) = trimmed.strip_prefix("http://") {
            (true, rest)
        } else if let Some(rest) = trimmed.strip_prefix("https://") {
            (false, rest)
        } else if trimmed.contains("://") {
            return Err(refuse("only http:// and https:// URLs are patterns"));
        } else {
            (false, trimmed)
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(authority).ok_or_else(|| refuse("the port is not a number"))?;
        let host = normalize(&host);
        if host.is_empty() {
            return Err(refuse("it names no host"));
        }
        if host.contains('*') {
            let Some(suffix) = host.strip_prefix("*.") else {
                return Err(refuse("a wildcard must be the whole first label, as in *.example.com"));
            };
            if suffix.contains('*') {
                return Err(refuse("a wildcard spans one label only"));
            }
            if !suffix.contains('.') {
                return Err(refuse("a wildcard needs a domain of at least two labels under it"));
            }
            if suffix.split('.').all(|label| label.chars().all(|c| c.is_ascii_digit())) || suffix.contains(':') {
                return Err(refuse("a wildcard cannot stand over an IP address"));
            }
        }
        if plain_http && !is_loopback_host(&host) {
            return Err(refuse("plain http:// is allowed for loopback hosts only; use https://"));
        }
        if let Ok(address) = host.parse::<IpAddr>() {
            self.ranges.push(IpNet::from(canonical(address)));
        } else if host == "localhost" {
            self.ranges.extend(["127.0.0.0/8", "::1/128"].iter().filter_map(|range| range.parse::<IpNet>().ok()));
        }
        let plain_http = plain_http || is_loopback_host(&host);
        self.rules.push(HostRule { host, port, plain_http });
        Ok(self)
    }

    /// Whether a request to `host:port` over `scheme` is allowed by a host rule.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = normalize(host.trim_start_matches('[').trim_end_matches(']'));
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

    /// Whether the plugin may connect to `address`: any public address, and special ones (loopback, private,
    /// link-local, …) only when a rule names the address or a range holding it.
    pub fn allows_address(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        !is_special(address) || self.ranges.iter().any(|range| range.contains(&address))
    }

    /// The allowed patterns, for display.
    pub fn patterns(&self) -> Vec<String> {
        let hosts = self.rules.iter().map(|rule| match rule.port {
            Some(port) => format!("{}:{port}", rule.host),
            None => rule.host.clone(),
        });
        let ranges =
            self.ranges.iter().filter(|range| range.prefix_len() < range.max_prefix_len()).map(IpNet::to_string);
        hosts.chain(ranges).collect()
    }
}

/// Lower case, without a trailing dot.
fn normalize(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `host` and the port of an authority; `None` when the port is not a number.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        // [v6]:port
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().ok()?),
            None => None,
        };
        return Some((host.to_owned(), port));
    }
    if authority.matches(':').count() > 1 {
        // A bare IPv6 address.
        return Some((authority.to_owned(), None));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), Some(port.parse().ok()?))),
        None => Some((authority.to_owned(), None)),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|address| canonical(address).is_loopback())
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether an address is in a range a plugin may not reach unless granted: loopback, private, link-local,
/// shared (CGNAT), multicast, broadcast, unspecified, documentation and other reserved ranges.
pub fn is_special(address: IpAddr) -> bool {
    match canonical(address) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240
                || (a == 192 && b == 0)
                || (a == 198 && (18..20).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b
        }
    }
}

/// Resolves names for one manager's HTTP client and keeps only the addresses its policy allows. Names in
/// `overrides` resolve to the given addresses instead of through DNS (for tests, and split-horizon setups).
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<EgressPolicy>,
    overrides: Arc<BTreeMap<String, Vec<IpAddr>>>,
}

/// The error of a name whose every address the policy refuses; recognized in the send error's chain.
#[derive(Debug, thiserror::Error)]
#[error("every address of this host is in a range the manager has not granted")]
pub struct AddressDenied;

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    pub fn new(policy: Arc<EgressPolicy>, overrides: Arc<BTreeMap<String, Vec<IpAddr>>>) -> Self {
        Self { policy, overrides }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = normalize(name.as_str());
        let overridden = self.overrides.get(&host).cloned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = match overridden {
                Some(addresses) => addresses.into_iter().map(|address| SocketAddr::new(address, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|address| policy.allows_address(address.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(AddressDenied) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The `wasi:http` hooks of one instance: the allowlist check, then the manager's client.
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
                tracing::warn!(manager = %manager, %scheme, host = %printable(&host), port, "plugin request refused: host not in the manager's egress allowlist");
                return Err(refuse(request).await);
            }
            let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>();
            if literal.is_ok_and(|address| !policy.allows_address(address)) {
                tracing::warn!(manager = %manager, host = %printable(&host), "plugin request refused: the address is in a range the manager has not granted");
                return Err(refuse(request).await);
            }
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let mut outgoing = client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body);
            if let Some(timeout) = options.and_then(|o| o.first_byte_timeout) {
                outgoing = outgoing.timeout(timeout.max(Duration::from_millis(1)));
            }
            let response = outgoing.send().await.map_err(|err| {
                // The body has been read: a refusal reaches the plugin as the refusal it is.
                if denied_address(&err) {
                    tracing::warn!(manager = %manager, host = %printable(&host), "plugin request refused: the host resolves only to addresses the manager has not granted");
                    return HttpError::HttpRequestDenied;
                }
                tracing::debug!(manager = %manager, host = %printable(&host), error = %err, "plugin request failed");
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

/// The most of a refused request's body read (and discarded), and for how long.
const REFUSED_BODY_MAX: usize = 1 << 20;
const REFUSED_BODY_WAIT: Duration = Duration::from_secs(1);

/// Refuses `request`: its body is read and dropped first (at most [`REFUSED_BODY_MAX`] bytes for at most
/// [`REFUSED_BODY_WAIT`]), so the plugin finishes writing it and then gets the refusal itself, always, rather
/// than a broken body stream it would report as a retryable connection reset.
async fn refuse(request: http::Request<WasiBody>) -> HttpError {
    let mut body = request.into_body();
    let drain = async {
        let mut read = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |data| data.len());
            if read > REFUSED_BODY_MAX {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(REFUSED_BODY_WAIT, drain).await;
    HttpError::HttpRequestDenied
}

/// A host name as it may appear in a log line: printable ASCII, at most 255 characters.
fn printable(host: &str) -> String {
    host.chars().filter(char::is_ascii_graphic).take(255).collect()
}

/// Whether a send failed because the resolver refused every address.
fn denied_address(err: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(current) = source {
        if current.is::<AddressDenied>() {
            return true;
        }
        source = current.source();
    }
    false
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

    fn policy(patterns: &[&str]) -> EgressPolicy {
        let mut policy = EgressPolicy::deny_all();
        for pattern in patterns {
            policy.allow(pattern).unwrap_or_else(|err| panic!("{err}"));
        }
        policy
    }

    #[test]
    fn wildcards_ports_and_schemes() {
        let policy =
            policy(&["*.vault.azure.net", "http://127.0.0.1:8200", "https://secretsmanager.eu-west-1.amazonaws.com/"]);
        assert!(policy.allows("https", "myvault.vault.azure.net", 443));
        assert!(policy.allows("https", "myvault.vault.azure.net.", 443), "a trailing dot is the same host");
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

    #[test]
    fn dangerous_patterns_are_refused() {
        for pattern in [
            "*",
            "*.",
            "*.com",
            "**",
            "*.*.example.com",
            "a*.example.com",
            "ex*ample.com",
            "*.1",
            "*.0.0.1",
            "http://*.1",
            "http://vault.example.com",
            "http://10.0.0.1:8200",
            "ftp://example.com",
            "example.com:http",
            "",
            "https://",
        ] {
            let err = EgressPolicy::deny_all().allow(pattern).map(|_| ()).expect_err(pattern);
            assert!(err.to_string().contains(&format!("'{pattern}'")), "{err}");
        }
    }

    #[test]
    fn special_addresses_need_an_explicit_grant() {
        let open = policy(&["vault.example.com"]);
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::",
        ] {
            let address: IpAddr = address.parse().expect("an address");
            assert!(!open.allows_address(address), "{address}");
        }
        assert!(open.allows_address("93.184.216.34".parse().expect("public")));
        assert!(open.allows_address("2606:2800:220:1:248:1893:25c8:1946".parse().expect("public v6")));
        let granted = policy(&["http://127.0.0.1:8200", "10.0.0.0/8", "[fd00::1]:8443"]);
        assert!(granted.allows_address("127.0.0.1".parse().expect("loopback")));
        assert!(granted.allows_address("::ffff:127.0.0.1".parse().expect("mapped")));
        assert!(!granted.allows_address("127.0.0.2".parse().expect("another loopback")));
        assert!(granted.allows_address("10.200.0.9".parse().expect("in range")));
        assert!(granted.allows_address("fd00::1".parse().expect("v6")));
        assert!(!granted.allows_address("169.254.169.254".parse().expect("metadata")));
        assert_eq!(granted.patterns(), ["127.0.0.1:8200", "fd00::1:8443", "10.0.0.0/8"]);
    }
}
