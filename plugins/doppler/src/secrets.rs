//! The operations: read one secret (or several in one request), write, delete, list names.
//!
//! Doppler keeps one value per name in a config (no versions, no tags, no soft delete). The
//! value read is the *computed* one, with `${OTHER}` references resolved, as applications see it.
//! The contract's description is Doppler's secret note, which Doppler keeps per project: the same
//! note shows in every config of the project.

use crate::names::{doppler_name, writable_name};
use crate::Doppler;
use keyway_plugin_sdk::answers;
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;

const SECRET: &str = "/v3/configs/config/secret";
const SECRETS: &str = "/v3/configs/config/secrets";
const NAMES: &str = "/v3/configs/config/secrets/names";
const NOTE: &str = "/v3/configs/config/secrets/note";

/// A secret's value as Doppler returns it. No `Debug`: it holds the value.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Value {
    raw: Option<String>,
    computed: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OneSecret {
    /// The secret's name, as Doppler answers it.
    name: Option<String>,
    value: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ManySecrets {
    secrets: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Names {
    names: Vec<String>,
}

fn what(name: &str) -> String {
    format!("secret '{name}'")
}

impl Value {
    fn into_secret(self, name: &str) -> Result<Secret> {
        let metadata =
            SecretMetadata { description: self.note.filter(|n| !n.is_empty()), ..SecretMetadata::named(name) };
        let value = self.computed.or(self.raw).ok_or_else(|| {
            ProviderError::AccessDenied(format!(
                "Doppler returned no value for {}: its visibility is restricted for this token",
                what(name)
            ))
        })?;
        Ok(Secret { value: SecretValue::text(value), metadata })
    }
}

fn refuse(what_is_missing: &str) -> ProviderError {
    ProviderError::InvalidArgument(format!("Doppler secrets have no {what_is_missing}"))
}

impl Doppler {
    fn latest_only(selector: &VersionSelector) -> Result<()> {
        match selector {
            VersionSelector::Latest => Ok(()),
            other => Err(ProviderError::Unsupported(format!(
                "Doppler keeps one value per secret, without versions or labels ({other}); read the latest"
            ))),
        }
    }

    /// Reads one secret's computed value and note.
    pub(crate) fn read(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        Self::latest_only(selector)?;
        let full = doppler_name(&self.api.config.prefix, name)?;
        let answer: OneSecret = self.api.call(Method::GET, SECRET, &[("name", full.as_str())], None, &what(name))?;
        if let Some(answered) = &answer.name {
            answers::expect_name("Doppler", &full, Some(answered), answers::Names::Exact)?;
        }
        answer.value.into_secret(name)
    }

    /// Reads several secrets with one request (`secrets=A,B,…`); one result per name, in order.
    pub(crate) fn read_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        let prefix = self.api.config.prefix.clone();
        let full: Vec<Result<String>> = names.iter().map(|n| doppler_name(&prefix, n)).collect();
        let wanted: Vec<&str> = full.iter().filter_map(|r| r.as_ref().ok().map(String::as_str)).collect();
        let mut found = BTreeMap::new();
        if !wanted.is_empty() {
            let list = wanted.join(",");
            let query = [("secrets", list.as_str()), ("include_dynamic_secrets", "false")];
            match self.api.call::<ManySecrets>(Method::GET, SECRETS, &query, None, "the config's secrets") {
                Ok(answer) => found = answer.secrets,
                Err(err) => return names.iter().map(|_| Err(err.clone())).collect(),
            }
        }
        names
            .iter()
            .zip(full)
            .map(|(name, full)| {
                let full = full?;
                found.remove(&full).ok_or_else(|| ProviderError::not_found(name))?.into_secret(name)
            })
            .collect()
    }

    /// Whether the secret exists (a read of it, value dropped).
    fn exists(&self, full: &str, name: &str) -> Result<bool> {
        let response = self.api.send(Method::GET, SECRET, &[("name", full)], None)?;
        match response.status {
            200..=299 => Ok(true),
            404 => match self.api.error(&response, &what(name)) {
                ProviderError::NotFound(_) => Ok(false),
                other => Err(other),
            },
            _ => Err(self.api.error(&response, &what(name))),
        }
    }

    fn write_value(&self, full: &str, name: &str, value: &SecretValue) -> Result<()> {
        let text = value.expose_text().ok_or_else(|| {
            ProviderError::InvalidArgument("Doppler stores text only; encode a binary value (e.g. base64) first".into())
        })?;
        let body = serde_json::json!({ "secrets": { full: text } });
        self.api.call::<serde_json::Value>(Method::POST, SECRETS, &[], Some(body), &what(name)).map(|_| ())
    }

    fn write_note(&self, full: &str, name: &str, note: &str) -> Result<()> {
        let body = serde_json::json!({ "secret": full, "note": note });
        self.api.call::<serde_json::Value>(Method::POST, NOTE, &[], Some(body), &what(name)).map(|_| ())
    }

    /// Creates a secret (or, with `overwrite`, sets a new value); the description becomes its note.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata> {
        let full = writable_name(&self.api.config.prefix, name)?;
        if !options.tags.is_empty() {
            return Err(refuse("tags"));
        }
        if options.expires_at.is_some() {
            return Err(refuse("expiry"));
        }
        if options.kms_key_id.is_some() {
            return Err(refuse("per-secret encryption key (Doppler encrypts every secret itself)"));
        }
        if options.secret_type.is_some() {
            return Err(refuse("secret type"));
        }
        // Doppler's write is an upsert: check first. Another writer can still win in between.
        if !options.overwrite && self.exists(&full, name)? {
            return Err(ProviderError::AlreadyExists(format!("{} exists already", what(name))));
        }
        self.write_value(&full, name, value)?;
        if let Some(description) = &options.description {
            self.write_note(&full, name, description)?;
        }
        Ok(SecretMetadata { description: options.description.clone(), ..SecretMetadata::named(name) })
    }

    /// Sets a new value and/or the note of an existing secret.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        let full = writable_name(&self.api.config.prefix, name)?;
        if !request.set_tags.is_empty() || !request.remove_tags.is_empty() {
            return Err(refuse("tags"));
        }
        if request.expires_at.is_some() {
            return Err(refuse("expiry"));
        }
        if request.enabled.is_some() {
            return Err(refuse("enabled flag (delete the secret instead)"));
        }
        if request.kms_key_id.is_some() {
            return Err(refuse("per-secret encryption key"));
        }
        if !self.exists(&full, name)? {
            return Err(ProviderError::not_found(name));
        }
        if let Some(value) = &request.value {
            self.write_value(&full, name, value)?;
        }
        if let Some(description) = &request.description {
            self.write_note(&full, name, description)?;
        }
        self.read(name, &VersionSelector::Latest).map(|secret| secret.metadata)
    }

    /// Deletes a secret at once (Doppler keeps no deleted secrets to restore).
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let full = writable_name(&self.api.config.prefix, name)?;
        if let DeleteMode::Recoverable(_) = mode {
            return Err(ProviderError::Unsupported(
                "Doppler deletes a secret at once and cannot restore it (only a whole config can be rolled back in \
                 its activity log): delete with force"
                    .into(),
            ));
        }
        self.api.call::<serde_json::Value>(Method::DELETE, SECRET, &[("name", full.as_str())], None, &what(name))?;
        Ok(None)
    }

    /// One page of the config's names (Doppler's managed `DOPPLER_*` secrets left out), sorted,
    /// filtered by the manager's and the caller's prefix. The page token is `d1|OFFSET`.
    pub(crate) fn list_page(&self, request: &ListRequest) -> Result<ListPage> {
        if !request.tags.is_empty() {
            return Err(ProviderError::Unsupported("Doppler secrets have no tags to filter by".into()));
        }
        let offset = match &request.page_token {
            None => 0,
            Some(token) => token.strip_prefix("d1|").and_then(|n| n.parse::<usize>().ok()).ok_or_else(|| {
                ProviderError::InvalidArgument("the page token is not one this provider issued".into())
            })?,
        };
        let want = request.page_size.unwrap_or(self.api.config.page_size).clamp(1, 1000) as usize;
        let query = [("include_dynamic_secrets", "false"), ("include_managed_secrets", "false")];
        let answer: Names = self.api.call(Method::GET, NAMES, &query, None, "the config's secret names")?;
        let prefix = &self.api.config.prefix;
        let mut names: Vec<String> = answer
            .names
            .into_iter()
            .filter_map(|full| full.strip_prefix(prefix.as_str()).filter(|n| !n.is_empty()).map(str::to_owned))
            .filter(|name| request.prefix.as_deref().is_none_or(|p| name.starts_with(p)))
            .collect();
        names.sort();
        let end = (offset + want).min(names.len());
        let secrets = names.get(offset..end).unwrap_or_default().iter().map(SecretMetadata::named).collect();
        let next_page = (end < names.len()).then(|| format!("d1|{end}"));
        Ok(ListPage { secrets, next_page })
    }
}
