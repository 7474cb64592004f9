//! Where the service listens: `HOST:PORT` (TCP, plain or TLS) or `unix:PATH` (a Unix domain socket, whose
//! peers the kernel identifies by uid), and who is on the other end of each connection.

use anyhow::{Context, Result};
use keyway::KeywayError;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `--listen` names.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// TCP addresses (a name may resolve to several).
    Tcp(Vec<SocketAddr>),
    /// A Unix domain socket.
    Unix(PathBuf),
}

/// The other end of a connection, put in every request's extensions (cloned for each request, so shared).
#[derive(Debug, Clone)]
pub struct Peer {
    /// How it is written in audit records and logs: `127.0.0.1:50412`, or `uid=1000` on a Unix socket.
    pub address: Arc<str>,
    /// The peer's uid, on a Unix socket (from the kernel: `SO_PEERCRED`).
    pub uid: Option<u32>,
}

impl Endpoint {
    /// Parses `--listen`.
    pub async fn parse(listen: &str) -> Result<Self> {
        if let Some(path) = listen.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(invalid(listen).into());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host(listen).await.map_err(|_| invalid(listen))?.collect();
        if addresses.is_empty() {
            return Err(invalid(listen).into());
        }
        Ok(Self::Tcp(addresses))
    }

    /// The first address that is not loopback, when listening on TCP.
    pub fn remote_address(&self) -> Option<SocketAddr> {
        match self {
            Self::Tcp(addresses) => addresses.iter().find(|address| !address.ip().is_loopback()).copied(),
            Self::Unix(_) => None,
        }
    }
}

fn invalid(listen: &str) -> KeywayError {
    KeywayError::InvalidInput(format!(
        "--listen '{listen}' is not HOST:PORT or unix:PATH, e.g. 127.0.0.1:8750 or unix:/run/keyway/keyway.sock"
    ))
}

/// Binds a Unix socket at `path`: a socket left by a stopped service is replaced, a live one is not, and any
/// other file is never touched. The socket is open to every local user (mode 0666): the kernel tells the
/// service each peer's uid, and a peer that is no configured client's must present a token like any other.
pub fn bind_unix(path: &Path) -> Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        if !metadata.file_type().is_socket() {
            return Err(KeywayError::InvalidInput(format!(
                "--listen unix:{}: a file that is not a socket is there; choose another path",
                path.display()
            ))
            .into());
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(KeywayError::InvalidInput(format!(
                "--listen unix:{}: another service is listening there already",
                path.display()
            ))
            .into());
        }
        std::fs::remove_file(path).with_context(|| format!("cannot remove the stale socket {}", path.display()))?;
    }
    let listener =
        tokio::net::UnixListener::bind(path).with_context(|| format!("cannot listen on unix:{}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    Ok(listener)
}

/// The `Host` header values a TCP listener answers: its address, `localhost` and the loopback addresses
/// with its port when it listens on loopback (or on every address), and the configured names.
pub fn allowed_hosts(local: &[SocketAddr], configured: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for address in local {
        let port = address.port();
        hosts.push(address.to_string());
        // Listening on every address includes loopback; other names of the machine go in serve.hosts.
        if address.ip().is_loopback() || address.ip().is_unspecified() {
            hosts.extend([format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")]);
        }
    }
    hosts.extend(configured.iter().map(|host| host.to_ascii_lowercase()));
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Whether `host` (a `Host` header) is one of `allowed` (lowercase), ignoring case: exact, or a configured bare
/// name with any port.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim();
    allowed.iter().any(|entry| {
        host.eq_ignore_ascii_case(entry)
            || (!entry.contains(':')
                && host.get(..entry.len()).is_some_and(|name| name.eq_ignore_ascii_case(entry))
                && host.get(entry.len()..).is_some_and(is_port_suffix))
    })
}

fn is_port_suffix(rest: &str) -> bool {
    rest.strip_prefix(':').is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_the_listen_address_loopback_names_and_configured_ones() {
        let local: Vec<SocketAddr> = vec!["127.0.0.1:8750".parse().expect("address")];
        let allowed = allowed_hosts(&local, &["Keyway.Internal".into(), "vault-proxy:9000".into()]);
        for good in [
            "127.0.0.1:8750",
            "localhost:8750",
            "LOCALHOST:8750",
            "keyway.internal",
            "keyway.internal:443",
            "vault-proxy:9000",
        ] {
            assert!(host_allowed(good, &allowed), "{good}");
        }
        for bad in [
            "evil.example",
            "evil.example:8750",
            "127.0.0.1:8751",
            "localhost",
            "keyway.internal.evil.example",
            "vault-proxy:9001",
            "keyway.internal:",
            "127.0.0.1.nip.io:8750",
        ] {
            assert!(!host_allowed(bad, &allowed), "{bad}");
        }
    }
}
