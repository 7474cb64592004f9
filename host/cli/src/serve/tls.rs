//! HTTPS for the service: rustls with the certificate chain and key from PEM files.

use anyhow::{Context, Result};
use keyway::config::TlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// The acceptor for `tls`: HTTP/1.1 over TLS 1.2 or 1.3, no client certificates.
pub fn acceptor(tls: &TlsConfig) -> Result<TlsAcceptor> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert_file)
        .and_then(|certificates| certificates.collect())
        .map_err(|err| pem_error("serve.tls.cert_file", &tls.cert_file, &err))?;
    if certificates.is_empty() {
        anyhow::bail!(keyway::KeywayError::Config {
            message: format!("serve.tls.cert_file {}: no certificate in the file", tls.cert_file.display())
        });
    }
    // The key's parse error never quotes key material.
    let key = PrivateKeyDer::from_pem_file(&tls.key_file)
        .map_err(|err| pem_error("serve.tls.key_file", &tls.key_file, &err))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(|err| keyway::KeywayError::Config {
            message: format!(
                "serve.tls: the key {} does not fit the certificate {}: {err}",
                tls.key_file.display(),
                tls.cert_file.display()
            ),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn pem_error(field: &str, path: &std::path::Path, err: &rustls::pki_types::pem::Error) -> anyhow::Error {
    let why = match err {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM item of that kind in the file".to_owned(),
        _ => "it is not a valid PEM file".to_owned(),
    };
    keyway::KeywayError::Config { message: format!("{field} {}: {why}", path.display()) }.into()
}
