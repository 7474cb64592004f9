//! Extra root certificates for the HTTPS clients that fetch tokens (a private PKI, or the test
//! CA of a fake identity provider).

use std::path::Path;

/// Why a manager's `ca_certificate` file cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
#[non_exhaustive]
pub struct CertificateError {
    /// The file, as given.
    pub path: String,
    /// What went wrong: unreadable, not PEM, or no certificate in it.
    pub reason: String,
}

/// Adds every PEM certificate of the file at `path` to `builder`'s trusted roots (next to the
/// default ones). A file that cannot be read, is not PEM or holds no certificate is an error.
pub fn add_root_certificates(
    mut builder: reqwest::ClientBuilder,
    path: &Path,
) -> Result<reqwest::ClientBuilder, CertificateError> {
    let error = |reason: String| CertificateError { path: path.display().to_string(), reason };
    let pem = std::fs::read(path).map_err(|err| error(err.to_string()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| error(err.to_string()))?;
    if certificates.is_empty() {
        return Err(error("no PEM certificate in the file".into()));
    }
    for certificate in certificates {
        builder = builder.add_root_certificate(certificate);
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, content: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("keyway-token-cache-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
        path
    }

    #[test]
    fn missing_and_empty_files_are_named() {
        let missing = Path::new("/nonexistent/keyway/ca.pem");
        let err = add_root_certificates(reqwest::Client::builder(), missing).err();
        assert!(err.as_ref().is_some_and(|e| e.path == "/nonexistent/keyway/ca.pem"), "{err:?}");
        let empty = scratch("empty.pem", "not a certificate\n");
        let err = add_root_certificates(reqwest::Client::builder(), &empty).err();
        let _ = std::fs::remove_file(&empty);
        assert_eq!(err.map(|e| e.reason), Some("no PEM certificate in the file".to_owned()));
    }

    #[test]
    fn a_pem_root_is_trusted() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/root.pem");
        let builder = add_root_certificates(reqwest::Client::builder(), &root);
        assert!(builder.is_ok_and(|b| b.build().is_ok()));
    }
}
