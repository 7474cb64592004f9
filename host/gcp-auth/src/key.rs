//! Credential files (a service account's JSON key, gcloud's authorized-user file) and the signed
//! JWT a service account trades for an access token (RFC 7523, RS256).

use crate::error::GcpAuthError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use keyway_types::error::serde_message_without_values;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// Google's token endpoint, the default `token_uri`.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// How long a requested token lives (Google's maximum for the JWT-bearer grant).
const ASSERTION_LIFETIME_S: u64 = 3600;

/// A service account: its email, its signing key and where it trades assertions for tokens.
pub struct ServiceAccountKey {
    /// `client_email`.
    pub client_email: String,
    /// `private_key_id`, sent as the JWT's `kid`.
    pub key_id: Option<String>,
    /// The token endpoint.
    pub token_uri: String,
    key: Box<RsaKeyPair>,
}

/// gcloud's `authorized_user` credentials (`gcloud auth application-default login`).
pub struct AuthorizedUser {
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Zeroizing<String>,
    /// The user's refresh token.
    pub refresh_token: Zeroizing<String>,
    /// The token endpoint.
    pub token_uri: String,
}

/// One parsed credential file.
pub enum KeyFile {
    /// `"type": "service_account"`.
    ServiceAccount(ServiceAccountKey),
    /// `"type": "authorized_user"`.
    AuthorizedUser(AuthorizedUser),
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAccount(key) => write!(f, "service account {}", key.client_email),
            Self::AuthorizedUser(user) => write!(f, "authorized user (client {})", user.client_id),
        }
    }
}

#[derive(Deserialize)]
struct RawKeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key_id: Option<String>,
    private_key: Option<Zeroizing<String>>,
    token_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<Zeroizing<String>>,
    refresh_token: Option<Zeroizing<String>>,
}

fn missing(kind: &str, field: &str) -> GcpAuthError {
    GcpAuthError::Key(format!("the {kind} credential file has no `{field}`"))
}

impl KeyFile {
    /// Parses a credential file's JSON; `token_uri` overrides the file's.
    pub fn parse(json: &str, token_uri: Option<&str>) -> Result<Self, GcpAuthError> {
        // serde_json quotes a value of the wrong type: keep only what was expected, and where.
        let raw: RawKeyFile = serde_json::from_str(json).map_err(|err| {
            GcpAuthError::Key(format!("not a JSON key file: {}", serde_message_without_values(&err.to_string())))
        })?;
        let uri = |file: Option<String>| token_uri.map(str::to_owned).or(file).unwrap_or(GOOGLE_TOKEN_URI.into());
        match raw.kind.as_deref() {
            Some("service_account") => {
                let pem = raw.private_key.ok_or_else(|| missing("service-account", "private_key"))?;
                let der = pem_to_der(&pem)?;
                let key = RsaKeyPair::from_pkcs8(&der).map_err(|err| {
                    GcpAuthError::Key(format!("the service account's private_key is not a PKCS#8 RSA key: {err}"))
                })?;
                Ok(Self::ServiceAccount(ServiceAccountKey {
                    client_email: raw.client_email.ok_or_else(|| missing("service-account", "client_email"))?,
                    key_id: raw.private_key_id,
                    token_uri: uri(raw.token_uri),
                    key: Box::new(key),
                }))
            }
            Some("authorized_user") => Ok(Self::AuthorizedUser(AuthorizedUser {
                client_id: raw.client_id.ok_or_else(|| missing("authorized-user", "client_id"))?,
                client_secret: raw.client_secret.ok_or_else(|| missing("authorized-user", "client_secret"))?,
                refresh_token: raw.refresh_token.ok_or_else(|| missing("authorized-user", "refresh_token"))?,
                token_uri: uri(raw.token_uri),
            })),
            Some(other) => Err(GcpAuthError::Key(format!(
                "credential files of type `{other}` are not supported (service_account or authorized_user)"
            ))),
            None => Err(GcpAuthError::Key("the credential file has no `type`".into())),
        }
    }
}

/// The DER bytes of a `-----BEGIN PRIVATE KEY-----` PEM block.
fn pem_to_der(pem: &str) -> Result<Zeroizing<Vec<u8>>, GcpAuthError> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("-----BEGIN PRIVATE KEY-----"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    if body.is_empty() {
        return Err(GcpAuthError::Key("the private_key is not a PEM `BEGIN PRIVATE KEY` block".into()));
    }
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| GcpAuthError::Key("the private_key's PEM block is not base64".into()))
}

impl ServiceAccountKey {
    /// The signed assertion asking `token_uri` for a token with `scopes`, issued at `now` (Unix seconds).
    pub fn assertion(&self, scopes: &[String], now: u64) -> Result<Zeroizing<String>, GcpAuthError> {
        let mut header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.as_str().into();
        }
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": scopes.join(" "),
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string().as_bytes()),
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        );
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .map_err(|_| GcpAuthError::Key("signing the token request failed".into()))?;
        Ok(Zeroizing::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }

    /// The public key, for checking signatures in tests.
    #[cfg(test)]
    pub(crate) fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        self.key.public_key().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit test key generated for these tests only (never used anywhere else).
    const TEST_KEY: &str = include_str!("../tests/data/test-key.pem");

    fn key_json(token_uri: Option<&str>) -> String {
        let mut json = serde_json::json!({
            "type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com",
            "private_key_id": "kid-1", "private_key": TEST_KEY,
        });
        if let Some(uri) = token_uri {
            json["token_uri"] = uri.into();
        }
        json.to_string()
    }

    #[test]
    fn assertions_are_rs256_jwts_the_public_key_verifies() {
        let KeyFile::ServiceAccount(key) = KeyFile::parse(&key_json(None), None).expect("key") else {
            panic!("a service account")
        };
        assert_eq!(key.token_uri, GOOGLE_TOKEN_URI);
        let jwt = key.assertion(&["s1".into(), "s2".into()], 1_700_000_000).expect("assertion");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["scope"], "s1 s2");
        assert_eq!(claims["exp"], 1_700_003_600u64);
        assert_eq!(claims["aud"], GOOGLE_TOKEN_URI);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("RS256"), Some("kid-1")));
        let public =
            ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key.public_key_der());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        assert!(public.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).is_ok());
    }

    #[test]
    fn token_uri_override_and_bad_files() {
        let KeyFile::ServiceAccount(key) =
            KeyFile::parse(&key_json(Some("https://a/token")), Some("http://127.0.0.1/t")).expect("key")
        else {
            panic!("a service account")
        };
        assert_eq!(key.token_uri, "http://127.0.0.1/t");
        for bad in ["{", r#"{"type":"external_account"}"#, r#"{"type":"service_account","client_email":"x"}"#] {
            let err = KeyFile::parse(bad, None).expect_err(bad).to_string();
            assert!(!err.contains("PRIVATE KEY"), "{err}");
        }
        let broken = key_json(None).replace("MII", "XXX");
        assert!(KeyFile::parse(&broken, None).is_err());
    }
}
