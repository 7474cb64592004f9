//! Plugin manifests: what a plugin is, what settings it takes, where it may connect.
//!
//! A manifest is TOML travelling with each `.wasm`: embedded in it by `keyway plugin pack` (see
//! [`embedded`]), or `NAME.toml` beside `NAME.wasm`. Managers' settings are validated against it before
//! any instance is created, so a typo is reported with the field's name.

pub mod embedded;

use crate::error::RuntimeError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The kinds of values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingKind {
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A map of strings to strings.
    StringMap,
    /// A list of strings.
    StringList,
}

impl SettingKind {
    fn describe(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Integer => "a whole number",
            Self::Boolean => "true or false",
            Self::StringMap => "a map of strings",
            Self::StringList => "a list of strings",
        }
    }

    fn accepts(self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match self {
            Self::String => value.is_string(),
            Self::Integer => value.is_i64() || value.is_u64(),
            Self::Boolean => value.is_boolean(),
            Self::StringMap => value.as_object().is_some_and(|m| m.values().all(Value::is_string)),
            Self::StringList => value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        }
    }
}

/// One setting a plugin accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    /// The value's kind.
    #[serde(rename = "type")]
    pub kind: SettingKind,
    /// Whether the setting must be present.
    #[serde(default)]
    pub required: bool,
    /// Whether the value is a credential, never to be printed.
    #[serde(default)]
    pub secret: bool,
    /// Whether the value is a URL the plugin connects to; its host is added to the egress allowlist.
    #[serde(default)]
    pub egress: bool,
    /// What the setting means.
    #[serde(default)]
    pub description: String,
}

/// A plugin's manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginManifest {
    /// The plugin's name, e.g. `aws`.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The contract it implements, e.g. `keyway:provider@0.1.0`.
    pub contract: String,
    /// What the plugin connects to.
    #[serde(default)]
    pub description: String,
    /// Hosts the plugin may reach by default (`host`, `host:port`, `*.domain`).
    #[serde(default)]
    pub egress: Vec<String>,
    /// The most instances the host may run at once for one manager (state kept in an instance needs 1).
    #[serde(default)]
    pub max_instances: Option<u32>,
    /// Whether the host must run write operations of one manager one at a time.
    #[serde(default)]
    pub serialize_writes: bool,
    /// Whether the plugin needs a data directory (preopened as `/data`).
    #[serde(default)]
    pub data_dir: bool,
    /// Whether the plugin imports the host's store (`keyway:store/kv@0.1.0`); only then is it linked.
    #[serde(default)]
    pub storage: bool,
    /// The settings the plugin accepts.
    #[serde(default)]
    pub settings: BTreeMap<String, SettingSpec>,
    /// The credentials the plugin asks the host for; it gets nothing else.
    #[serde(default)]
    pub credentials: CredentialNeeds,
}

/// What a plugin may ask the host for through the contract's `host` interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialNeeds {
    /// Whether it calls `get-aws-credentials`.
    #[serde(default)]
    pub aws: bool,
    /// The OAuth scopes it asks `get-access-token` for (a manager's `auth.scopes` can narrow them).
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl PluginManifest {
    /// Parses a manifest; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RuntimeError> {
        let manifest: Self = toml::from_str(text)
            .map_err(|err| RuntimeError::Manifest { origin: origin.into(), reason: err.to_string() })?;
        if manifest.contract != crate::CONTRACT {
            return Err(RuntimeError::Manifest {
                origin: origin.into(),
                reason: format!(
                    "it targets contract `{}`, but this keyway serves `{}`",
                    manifest.contract,
                    crate::CONTRACT
                ),
            });
        }
        if manifest.name.is_empty() || !manifest.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(RuntimeError::Manifest {
                origin: origin.into(),
                reason: format!("plugin name '{}' must be letters, digits, '-' or '_'", manifest.name),
            });
        }
        Ok(manifest)
    }

    /// Checks a manager's settings: every field known, every required one present, each of the right kind.
    pub fn validate(&self, manager: &str, settings: &serde_json::Value) -> Result<(), RuntimeError> {
        let error = |field: &str, problem: String| RuntimeError::Settings {
            manager: manager.into(),
            field: field.into(),
            problem,
        };
        let empty = serde_json::Map::new();
        let object = match settings {
            serde_json::Value::Object(map) => map,
            serde_json::Value::Null => &empty,
            _ => return Err(error("settings", "must be a map of setting names to values".into())),
        };
        for (field, value) in object {
            let Some(spec) = self.settings.get(field) else {
                let known: Vec<&str> = self.settings.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    format!("plugin '{}' takes no settings", self.name)
                } else {
                    format!("plugin '{}' accepts: {}", self.name, known.join(", "))
                };
                return Err(error(field, format!("is unknown; {hint}")));
            };
            if !spec.kind.accepts(value) {
                return Err(error(field, format!("must be {}, but is {}", spec.kind.describe(), kind_of(value))));
            }
        }
        for (field, spec) in &self.settings {
            if spec.required && !object.contains_key(field) {
                let what = if spec.description.is_empty() { String::new() } else { format!(" ({})", spec.description) };
                return Err(error(field, format!("is required{what}")));
            }
        }
        Ok(())
    }

    /// The URLs among `settings` whose hosts the plugin connects to.
    pub fn egress_urls<'a>(&self, settings: &'a serde_json::Value) -> Vec<&'a str> {
        self.settings
            .iter()
            .filter(|(_, spec)| spec.egress)
            .filter_map(|(field, _)| settings.get(field).and_then(serde_json::Value::as_str))
            .collect()
    }

    /// The names of settings that hold credentials.
    pub fn secret_fields(&self) -> Vec<&str> {
        self.settings.iter().filter(|(_, spec)| spec.secret).map(|(name, _)| name.as_str()).collect()
    }
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "empty",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a map",
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
required = true
egress = true
description = "the server URL"
[settings.retries]
type = "integer"
"#;

    fn manifest() -> PluginManifest {
        PluginManifest::parse(MANIFEST, "demo.toml").expect("valid manifest")
    }

    #[test]
    fn accepts_valid_settings() {
        assert!(manifest().validate("m", &json!({"address": "https://x", "retries": 3})).is_ok());
    }

    #[test]
    fn each_mistake_has_its_own_message() {
        let m = manifest();
        let unknown = m.validate("m", &json!({"address": "a", "adress": "b"})).expect_err("unknown field");
        assert_eq!(
            unknown.to_string(),
            "manager 'm': setting `adress` is unknown; plugin 'demo' accepts: address, retries"
        );
        let missing = m.validate("m", &json!({})).expect_err("missing field");
        assert_eq!(missing.to_string(), "manager 'm': setting `address` is required (the server URL)");
        let wrong = m.validate("m", &json!({"address": "a", "retries": "three"})).expect_err("wrong type");
        assert_eq!(wrong.to_string(), "manager 'm': setting `retries` must be a whole number, but is a string");
    }

    #[test]
    fn rejects_other_contracts() {
        let text = MANIFEST.replace("0.1.0\"\n[", "9.0.0\"\n[");
        let err = PluginManifest::parse(&text, "demo.toml").expect_err("wrong contract");
        assert!(err.to_string().contains("keyway:provider@9.0.0"));
    }

    #[test]
    fn egress_urls_come_from_flagged_settings() {
        let settings = json!({"address": "http://127.0.0.1:8200", "retries": 1});
        assert_eq!(manifest().egress_urls(&settings), vec!["http://127.0.0.1:8200"]);
    }
}
