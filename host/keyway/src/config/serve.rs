//! The `serve:` section: who may call `keyway serve` (clients, their credentials and the identities each may
//! assert), which `Host` and `Origin` values it answers, TLS, and its resource bounds.
//!
//! ```yaml
//! serve:
//!   clients:
//!     kestra-workers:
//!       token_file: /etc/keyway/kestra.token      # or token: ${env:KESTRA_TOKEN}, or token_sha256: <hex>
//!       namespaces: ["company.team.*"]           # identities this client may assert
//!       groups: [etl]
//!     airflow:
//!       unix_uids: [1001]                         # peers on the Unix socket with this uid need no token
//!       namespaces: [analytics]
//!       reveal: false                             # may not ask /v1/resolve to reveal values
//!   hosts: [keyway.internal]                      # extra names accepted in `Host`
//!   origins: []                                   # browser origins accepted (none by default)
//!   tls: { cert_file: /etc/keyway/tls.crt, key_file: /etc/keyway/tls.key }
//!   limits: { max_connections: 256, header_timeout_ms: 10000 }
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How `keyway serve` admits callers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The clients, by name. With none, `keyway serve` creates one client `local` whose token is kept in
    /// [`token_file`](Self::token_file), and admits the service's own Unix user on a Unix socket.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientConfig>,
    /// Where the token of the built-in `local` client is kept (default `<home>/serve.token`, mode 0600).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Names accepted in the `Host` header besides the listen address (and `localhost` on loopback):
    /// `name` (any port) or `name:port`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Browser origins (`https://kestra.example.com`) whose requests are accepted; any other `Origin` is
    /// refused. Empty by default: no web page can call the service.
    #[serde(default)]
    pub origins: Vec<String>,
    /// The certificate and key to serve HTTPS with (required to listen beyond loopback).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Resource bounds.
    #[serde(default)]
    pub limits: ServeLimits,
    /// Serve the admin page at `/admin`: managers, the cache (clear one or all), approvals, errors and the
    /// compliance report, never a value; it calls the API with a client's token like any caller.
    #[serde(default)]
    pub admin: bool,
}

impl ServeConfig {
    /// Where the built-in client's token is kept: `token_file`, else `<home>/serve.token`.
    pub fn token_path(&self, home: &std::path::Path) -> PathBuf {
        self.token_file.clone().unwrap_or_else(|| home.join("serve.token"))
    }
}

/// One client of the service: a credential and the identities it may assert.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The bearer token, usually `${env:NAME}` or `${file:PATH}` (at least 16 characters).
    #[serde(default)]
    pub token: Option<String>,
    /// A file holding the bearer token (only its first line counts).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The SHA-256 of the bearer token, in hex, so the configuration holds no token at all.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// Unix users whose connections on the Unix socket (`--listen unix:PATH`) are this client without a
    /// token (the kernel vouches for the peer's uid).
    #[serde(default)]
    pub unix_uids: Vec<u32>,
    /// The namespaces this client may assert in `X-Keyway-Namespace`: `company.team` (it and its children),
    /// `company.team.*` (its children only) or `*` (any). A request asserting another is refused (403).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// The groups this client may assert in `X-Keyway-Groups` (`*`: any).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Whether the client may ask `/v1/resolve` to reveal values (default true). `GET /v1/secrets` always
    /// returns the value: deny it with managers' `access` rules.
    #[serde(default = "yes")]
    pub reveal: bool,
}

fn yes() -> bool {
    true
}

/// The TLS certificate and key, PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// Resource bounds of the service.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeLimits {
    /// Open connections at most; at the cap, the oldest connection with no request in flight is closed to
    /// make room, and when every connection is busy the new one is refused.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers, and how long it may stay idle between
    /// requests, in milliseconds.
    pub header_timeout_ms: u64,
    /// How long one request may take in all (reading its body included), in milliseconds.
    pub request_timeout_ms: u64,
    /// The largest request body of `/v1/resolve`, in KiB (secret writes take the manager's value limit).
    pub max_body_kib: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self { max_connections: 256, header_timeout_ms: 10_000, request_timeout_ms: 60_000, max_body_kib: 1024 }
    }
}
