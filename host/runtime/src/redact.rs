//! Keeps a manager's credentials out of what its plugin says.
//!
//! A plugin sees its secret settings (tokens, passwords, keys) and may echo
//! them, by mistake or on purpose, into an error message or a log line; a
//! backend may echo them into an error body the plugin passes on. The host
//! knows which settings are secret (the manifest says so), so it replaces
//! their values with `[redacted]` in every error and log line a plugin
//! produces before anything else sees them; so it does with every value the
//! host hands the plugin in a call (`create`, `update`) or gets back from it.
//!
//! Plugin text is data, never layout: [`sanitize`] escapes newlines and every
//! other control character (so a plugin cannot forge a log line or drive a
//! terminal) and bounds the length of what a plugin says.

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

    /// This redactor with `values` too (the values of one call), longest first.
    pub fn with_values<'v>(&self, values: impl IntoIterator<Item = &'v SecretValue>) -> Self {
        let mut secrets: Vec<SecretValue> = self.secrets.to_vec();
        for value in values {
            match value.expose_text() {
                Some(text) if text.len() >= MIN_REDACTED_LEN => secrets.push(SecretValue::text(text)),
                Some(_) => {}
                // A binary value shows in text only where its bytes happen to be UTF-8.
                None => {
                    if let Ok(text) = std::str::from_utf8(value.expose_bytes()) {
                        if text.len() >= MIN_REDACTED_LEN {
                            secrets.push(SecretValue::text(text));
                        }
                    }
                }
            }
        }
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        Self { secrets: secrets.into() }
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

    /// A plugin's error with secret values removed from its message, which is then [`sanitize`]d to at
    /// most [`ERROR_MESSAGE_MAX`] bytes.
    pub(crate) fn error(&self, error: ProviderError) -> ProviderError {
        let clean = |message: String| sanitize(&self.redact(&message), ERROR_MESSAGE_MAX);
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

/// The longest error message kept from a plugin, in bytes.
pub const ERROR_MESSAGE_MAX: usize = 2048;

/// `text` as data: newlines, tabs and every other control character (C0, DEL, C1) escaped (`\n`,
/// `\u{1b}`), and at most `max` bytes (cut at a character boundary, marked with `…`). Unicode direction
/// overrides are escaped too, so a name cannot reorder what a terminal shows.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 8);
    for c in text.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
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
    fn plugin_text_is_escaped_and_bounded() {
        assert_eq!(
            sanitize("a\nkeyway::audit forged\r\x1b[31mred\u{202e}", 100),
            "a\\nkeyway::audit forged\\r\\u{1b}[31mred\\u{202e}"
        );
        assert_eq!(sanitize(&"x".repeat(10), 4), "xxxx…");
        let err = redactor().error(ProviderError::Other("line one\nline two".into()));
        assert!(matches!(err, ProviderError::Other(m) if m == "line one\\nline two"));
    }

    #[test]
    fn values_of_a_call_are_redacted_too() {
        let call = redactor().with_values([&SecretValue::text("value-handed-in"), &SecretValue::text("ab")]);
        assert_eq!(call.redact("echo value-handed-in and ab"), "echo [redacted] and ab");
    }

    #[test]
    fn debug_shows_no_values() {
        assert_eq!(format!("{:?}", redactor()), "Redactor { secrets: 3 }");
    }
}
