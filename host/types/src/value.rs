//! Secret values: held in zeroizing buffers, redacted in `Debug`.

use base64::Engine as _;
use std::fmt;
use zeroize::Zeroizing;

/// A secret's content. The memory is wiped when the value is dropped, and
/// `Debug` prints only the kind and length.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// UTF-8 text: passwords, tokens, JSON key/value documents.
    Text(Zeroizing<String>),
    /// Raw bytes: keystores, binary keys.
    Binary(Zeroizing<Vec<u8>>),
}

impl SecretValue {
    /// A text value.
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(Zeroizing::new(value.into()))
    }

    /// A binary value.
    pub fn binary(value: impl Into<Vec<u8>>) -> Self {
        Self::Binary(Zeroizing::new(value.into()))
    }

    /// The text, when this is a text value.
    pub fn expose_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text.as_str()),
            Self::Binary(_) => None,
        }
    }

    /// The raw bytes of either kind (UTF-8 for text).
    pub fn expose_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes.as_slice(),
        }
    }

    /// Whether this is a binary value.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.expose_bytes().len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as text: text as is, binary as standard base64.
    pub fn to_text_or_base64(&self) -> Zeroizing<String> {
        match self {
            Self::Text(text) => text.clone(),
            Self::Binary(bytes) => Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes.as_slice())),
        }
    }

    /// Decodes standard base64 into a binary value.
    pub fn from_base64(encoded: &str) -> Result<Self, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map(Self::binary)
    }

    /// Consumes the value into owned bytes, still zeroized on drop.
    pub fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        match self {
            Self::Text(text) => Zeroizing::new(text.as_bytes().to_vec()),
            Self::Binary(bytes) => bytes,
        }
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "SecretValue::Text(<redacted {} bytes>)", text.len()),
            Self::Binary(bytes) => write!(f, "SecretValue::Binary(<redacted {} bytes>)", bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let text = SecretValue::text("hunter2-password");
        let binary = SecretValue::binary(b"\x01binary-secret".to_vec());
        assert_eq!(format!("{text:?}"), "SecretValue::Text(<redacted 16 bytes>)");
        assert!(!format!("{binary:?}").contains("binary-secret"));
    }

    #[test]
    fn base64_round_trip() {
        let value = SecretValue::binary(vec![0u8, 255, 7]);
        let encoded = value.to_text_or_base64();
        assert_eq!(SecretValue::from_base64(&encoded).ok(), Some(value));
    }
}
