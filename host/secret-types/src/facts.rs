//! [`TypeFacts`]: what validation learned about a value that is worth keeping as metadata.

use crate::types::SecretType;
use keyway_types::{Tags, Timestamp};
use serde::Serialize;

/// The prefix of every tag [`TypeFacts::tags`] gives.
pub const TAG_PREFIX: &str = "keyway-";

/// Facts about a valid value, none of them secret: its format, the kind and size of a key, a
/// token's algorithm and validity window, a key store's entries. A fact that does not apply, or
/// cannot be known without a password, is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TypeFacts {
    /// The type the value was checked against.
    pub secret_type: SecretType,
    /// The container: `pkcs8`, `pkcs1`, `sec1`, `openssh`, `pkcs12`, `jks`, `jceks`, `jwt`, `json`.
    pub format: Option<&'static str>,
    /// How the bytes are written: `pem`, `der`, `hex`, `base64`, `binary`, `text`.
    pub encoding: Option<&'static str>,
    /// The key's algorithm: `rsa`, `ec`, `ed25519`.
    pub key_type: Option<&'static str>,
    /// An EC key's curve: `p-256`, `p-384`.
    pub curve: Option<&'static str>,
    /// The key's size in bits (an RSA modulus, a curve's order, a secret key's length).
    pub bits: Option<u32>,
    /// Whether the value is encrypted under a passphrase keyway does not have (a private key),
    /// or hides its entries behind one (a key store).
    pub encrypted: bool,
    /// A JWT's `alg` header.
    pub alg: Option<String>,
    /// A JWT's `exp`: when the secret stops being valid.
    pub expires_at: Option<Timestamp>,
    /// A JWT's `nbf`: before this time the secret must not be used.
    pub not_before: Option<Timestamp>,
    /// How many entries a key store holds, when known without its password.
    pub entries: Option<u32>,
    /// How many of those entries are private keys.
    pub private_keys: Option<u32>,
    /// How many certificates the key store holds.
    pub certificates: Option<u32>,
    /// How many fields a JSON object value has.
    pub fields: Option<u32>,
}

impl TypeFacts {
    /// Facts that say only which type the value was checked against.
    pub fn new(secret_type: SecretType) -> Self {
        Self {
            secret_type,
            format: None,
            encoding: None,
            key_type: None,
            curve: None,
            bits: None,
            encrypted: false,
            alg: None,
            expires_at: None,
            not_before: None,
            entries: None,
            private_keys: None,
            certificates: None,
            fields: None,
        }
    }

    /// The facts as tags named `keyway-…` (`keyway-key-type=rsa`, `keyway-bits=2048`,
    /// `keyway-expires-at=<ms since the epoch>`); facts that are `None` give no tag, and
    /// `keyway-encrypted` appears only when true.
    pub fn tags(&self) -> Tags {
        let mut tags = Tags::new();
        let mut put = |name: &str, value: String| {
            tags.insert(format!("{TAG_PREFIX}{name}"), value);
        };
        put("type", self.secret_type.to_string());
        let texts = [
            ("format", self.format),
            ("value-encoding", self.encoding),
            ("key-type", self.key_type),
            ("curve", self.curve),
            ("alg", self.alg.as_deref()),
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                put(name, value.to_owned());
            }
        }
        let numbers = [
            ("bits", self.bits.map(u64::from)),
            ("expires-at", self.expires_at),
            ("not-before", self.not_before),
            ("entries", self.entries.map(u64::from)),
            ("private-keys", self.private_keys.map(u64::from)),
            ("certificates", self.certificates.map(u64::from)),
            ("fields", self.fields.map(u64::from)),
        ];
        for (name, value) in numbers {
            if let Some(value) = value {
                put(name, value.to_string());
            }
        }
        if self.encrypted {
            put("encrypted", "true".to_owned());
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_each_known_fact() {
        let mut facts = TypeFacts::new(SecretType::PrivateKey);
        facts.format = Some("pkcs8");
        facts.key_type = Some("rsa");
        facts.bits = Some(2048);
        let tags = facts.tags();
        assert_eq!(tags.get("keyway-type").map(String::as_str), Some("private-key"));
        assert_eq!(tags.get("keyway-key-type").map(String::as_str), Some("rsa"));
        assert_eq!(tags.get("keyway-bits").map(String::as_str), Some("2048"));
        assert_eq!(tags.get("keyway-format").map(String::as_str), Some("pkcs8"));
        assert!(!tags.contains_key("keyway-encrypted"));
        assert_eq!(tags.len(), 4);
    }

    #[test]
    fn times_and_flags_become_tags() {
        let mut facts = TypeFacts::new(SecretType::Jwt);
        facts.expires_at = Some(1_700_000_000_000);
        facts.encrypted = true;
        let tags = facts.tags();
        assert_eq!(tags.get("keyway-expires-at").map(String::as_str), Some("1700000000000"));
        assert_eq!(tags.get("keyway-encrypted").map(String::as_str), Some("true"));
    }
}
