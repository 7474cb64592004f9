//! Keeps a manager's credentials out of what its plugin says.
//!
//! A plugin sees its secret settings (tokens, passwords, keys) and may echo
//! them, by mistake or on purpose, into an error message or a log line; a
//! backend may echo them into an error body the plugin passes on. The host
//! knows which settings are secret (the manifest says so), so it replaces
//! their values with `[redacted]` in every error and log line a plugin
//! produces before anything else sees them.

use crate::bindings::types::ProviderError;
use crate::manifest::PluginManifest;
use keyway_types::SecretValue;
use std::borrow::Cow;
use std::sync::Arc;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";
/// Values shorter than this are not redacted: replacing every occurrence of a
/// one- or two-letter string would garble messages without protecting anything.
pub const MIN_REDACTED_LEN: usize = 4;

/// The secret setting values of one manager.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<[SecretValue]>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("secrets", &self.secrets.len()).finish()
    }
}

impl Redactor {
    /// Collects the values of `settings` that `manifest` marks secret (strings,
    /// and the strings inside lists and maps), longest first.
    pub fn from_settings(manifest: &PluginManifest, settings: &serde_json::Value) -> Self {
        let mut secrets = Vec::new();
        for field in manifest.secret_fields() {
            if let Some(value) = settings.get(field) {
                collect_strings(value, &mut secrets);
            }
        }
        secrets.retain(|secret: &String| secret.len() >= MIN_REDACTED_LEN);
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        Self { secrets: secrets.into_iter().map(SecretValue::text).collect() }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret value replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for secret in self.secrets.iter().filter_map(SecretValue::expose_text) {
            if text.contains(secret) {
                text = Cow::Owned(text.replace(secret, REDACTED));
            }
        }
        text
    }

    /// A plugin's error with secret values removed from its message.
    pub(crate) fn error(&self, error: ProviderError) -> ProviderError {
        if self.is_empty() {
            return error;
        }
        let clean = |message: String| self.redact(&message).into_owned();
        match error {
            ProviderError::NotFound(m) => ProviderError::NotFound(clean(m)),
            ProviderError::AlreadyExists(m) => ProviderError::AlreadyExists(clean(m)),
            ProviderError::AccessDenied(m) => ProviderError::AccessDenied(clean(m)),
            ProviderError::InvalidArgument(m) => ProviderError::InvalidArgument(clean(m)),
            ProviderError::Conflict(m) => ProviderError::Conflict(clean(m)),
            ProviderError::Throttled(mut t) => {
                t.message = clean(t.message);
                ProviderError::Throttled(t)
            }
            ProviderError::Unavailable(m) => ProviderError::Unavailable(clean(m)),
            ProviderError::Unsupported(m) => ProviderError::Unsupported(clean(m)),
            ProviderError::Configuration(m) => ProviderError::Configuration(clean(m)),
            ProviderError::Other(m) => ProviderError::Other(clean(m)),
        }
    }
}

fn collect_strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => into.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_strings(item, into)),
        serde_json::Value::Object(map) => map.values().for_each(|item| collect_strings(item, into)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MANIFEST: &str = r#"
name = "demo"
version = "1.0.0"
contract = "keyway:provider@0.1.0"
[settings.address]
type = "string"
[settings.token]
type = "string"
secret = true
[settings.keys]
type = "string-map"
secret = true
[settings.pin]
type = "string"
secret = true
"#;

    fn redactor() -> Redactor {
        let manifest = PluginManifest::parse(MANIFEST, "demo.toml").expect("valid manifest");
        let settings = json!({
            "address": "https://vault.example:8200",
            "token": "s.abcdef123456",
            "keys": {"primary": "key-one-secret", "backup": "s.abcdef123456-backup"},
            "pin": "123",
        });
        Redactor::from_settings(&manifest, &settings)
    }

    #[test]
    fn replaces_secret_settings_and_keeps_the_rest() {
        let r = redactor();
        assert_eq!(
            r.redact("token s.abcdef123456 rejected by https://vault.example:8200"),
            "token [redacted] rejected by https://vault.example:8200"
        );
        assert_eq!(r.redact("keys key-one-secret, s.abcdef123456-backup"), "keys [redacted], [redacted]");
        assert!(matches!(r.redact("nothing to hide"), Cow::Borrowed("nothing to hide")));
    }

    #[test]
    fn short_values_are_left_alone() {
        assert_eq!(redactor().redact("pin 123 is wrong"), "pin 123 is wrong");
    }

    #[test]
    fn errors_keep_their_kind() {
        let err = redactor().error(ProviderError::AccessDenied("bad token s.abcdef123456".into()));
        assert!(matches!(err, ProviderError::AccessDenied(m) if m == "bad token [redacted]"));
    }

    #[test]
    fn debug_shows_no_values() {
        assert_eq!(format!("{:?}", redactor()), "Redactor { secrets: 3 }");
    }
}
