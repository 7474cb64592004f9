//! [`SecretType`]: the kinds of secret keyway knows, their names and their rules.

use crate::error::TypeError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// What a secret holds. Each type has a rule its values must follow ([`SecretType::rule`]) and is
/// named in kebab-case (`basic-auth`), the name stored in `SecretMetadata::secret_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SecretType {
    /// Anything, text or binary.
    Generic,
    /// A JSON object whose values are all strings.
    KeyValue,
    /// A JSON object of strings with a non-empty `username` and `password`.
    BasicAuth,
    /// One line of text: no control characters, no surrounding whitespace.
    ApiKey,
    /// A compact JSON Web Token (JWS): `header.payload.signature` in base64url.
    Jwt,
    /// One private key: PKCS#1, PKCS#8, SEC1 or OpenSSH; RSA, EC P-256/P-384 or Ed25519.
    PrivateKey,
    /// 16 to 64 bytes of symmetric key: binary, or text in hex or base64.
    SecretKey,
    /// A PKCS#12 or Java (JKS/JCEKS) key store file.
    KeyStore,
}

impl SecretType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [SecretType; 8] = [
        Self::Generic,
        Self::KeyValue,
        Self::BasicAuth,
        Self::ApiKey,
        Self::Jwt,
        Self::PrivateKey,
        Self::SecretKey,
        Self::KeyStore,
    ];

    /// The type's kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::KeyValue => "key-value",
            Self::BasicAuth => "basic-auth",
            Self::ApiKey => "api-key",
            Self::Jwt => "jwt",
            Self::PrivateKey => "private-key",
            Self::SecretKey => "secret-key",
            Self::KeyStore => "key-store",
        }
    }

    /// What a value of this type must be, as error messages and the README say it.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Generic => "any value",
            Self::KeyValue => "a JSON object whose values are all strings",
            Self::BasicAuth => "a JSON object with string fields `username` and `password`",
            Self::ApiKey => "one non-empty line of text without control characters or surrounding whitespace",
            Self::Jwt => {
                "a compact JWT: three base64url segments without padding, a JSON header with an `alg` \
                 string and a JSON object payload"
            }
            Self::PrivateKey => {
                "one private key in PEM or DER (PKCS#1, PKCS#8, SEC1 or OpenSSH; RSA of 2048 bits or more, \
                 EC P-256 or P-384, or Ed25519)"
            }
            Self::SecretKey => "16 to 64 bytes: a binary value, or text in hex or base64",
            Self::KeyStore => "a PKCS#12 or JKS key store file: a binary value, or its base64 as text",
        }
    }

    /// The names of every type, comma-separated, for messages.
    pub fn known_names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl fmt::Display for SecretType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretType {
    type Err = TypeError;

    /// Reads a kebab-case type name; an unknown name is refused with the list of known ones.
    fn from_str(name: &str) -> Result<Self, TypeError> {
        Self::ALL
            .into_iter()
            .find(|secret_type| secret_type.as_str() == name)
            .ok_or_else(|| TypeError::unknown_type(name))
    }
}

impl Serialize for SecretType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SecretType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for secret_type in SecretType::ALL {
            assert_eq!(secret_type.as_str().parse::<SecretType>().ok(), Some(secret_type));
            assert_eq!(secret_type.to_string(), secret_type.as_str());
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        for name in ["password", "Generic", "key_value", ""] {
            let message = name.parse::<SecretType>().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("generic, key-value, basic-auth, api-key, jwt, private-key, secret-key, key-store"),
                "{message}"
            );
        }
    }

    #[test]
    fn serde_uses_the_names() {
        let json = serde_json::to_string(&SecretType::BasicAuth).unwrap_or_default();
        assert_eq!(json, "\"basic-auth\"");
        let back: Result<SecretType, _> = serde_json::from_str("\"private-key\"");
        assert_eq!(back.ok(), Some(SecretType::PrivateKey));
        assert!(serde_json::from_str::<SecretType>("\"certificate\"").is_err());
    }
}
