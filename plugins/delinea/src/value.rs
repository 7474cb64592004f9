//! A secret's fields as one value, and back: the configured field's text, or with `field: *` a
//! JSON object of every field that has a value (the notes field is the description, file fields
//! are left out).

use crate::model::{Item, SecretModel};
use crate::settings::FieldChoice;
use keyway_plugin_sdk::kv;
use keyway_plugin_sdk::{ProviderError, SecretValue};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// What reading a secret gives.
#[derive(Debug)]
pub enum Reading {
    /// The value.
    Value(SecretValue),
    /// The value is the attachment of this file field, fetched separately.
    File(String),
}

fn missing_field(secret: &SecretModel, slug: &str, name: &str) -> ProviderError {
    ProviderError::InvalidArgument(format!(
        "'{name}' (template {}) has no field '{slug}'; its fields are: {}",
        secret.secret_template_name.as_deref().unwrap_or("?"),
        secret.slugs()
    ))
}

fn in_object(item: &Item) -> bool {
    !item.is_file && !item.is_notes
}

/// The value of `secret` as `choice` defines it.
pub fn read(secret: &SecretModel, choice: &FieldChoice, name: &str) -> Result<Reading, ProviderError> {
    match choice {
        FieldChoice::Slug(slug) => {
            let item = secret.item(slug).ok_or_else(|| missing_field(secret, slug, name))?;
            if item.is_file {
                return Ok(Reading::File(item.slug.clone()));
            }
            Ok(Reading::Value(SecretValue::text(item.text())))
        }
        FieldChoice::All => {
            let fields: BTreeMap<String, String> = secret
                .items
                .iter()
                .filter(|item| in_object(item) && !item.text().is_empty())
                .map(|item| (item.slug.clone(), item.text().to_owned()))
                .collect();
            let value = kv::to_value(&fields);
            drop(Zeroizing::new(fields.into_values().collect::<Vec<_>>()));
            Ok(Reading::Value(value))
        }
    }
}

/// The description: the notes field, unless it is the value.
pub fn description(secret: &SecretModel, choice: &FieldChoice) -> Option<String> {
    let notes = secret.notes()?;
    if matches!(choice, FieldChoice::Slug(slug) if slug.eq_ignore_ascii_case(&notes.slug)) {
        return None;
    }
    Some(notes.text().to_owned()).filter(|text| !text.is_empty())
}

/// The field changes that make `secret` (or a new secret's stub) hold `value`: `(slug, text)` for
/// each field whose text differs.
pub fn assignments(
    secret: &SecretModel,
    choice: &FieldChoice,
    value: &SecretValue,
    name: &str,
) -> Result<Vec<(String, Zeroizing<String>)>, ProviderError> {
    let text = value.expose_text().ok_or_else(|| {
        ProviderError::InvalidArgument("Secret Server fields hold text: binary values are not supported".into())
    })?;
    let wanted: Vec<(String, Zeroizing<String>)> = match choice {
        FieldChoice::Slug(slug) => {
            let item = secret.item(slug).ok_or_else(|| missing_field(secret, slug, name))?;
            if item.is_file {
                return Err(ProviderError::InvalidArgument(format!(
                    "'{slug}' is a file field: keyway writes text fields only"
                )));
            }
            vec![(item.slug.clone(), Zeroizing::new(text.to_owned()))]
        }
        FieldChoice::All => {
            let fields = kv::parse_object(value)?;
            let mut wanted = Vec::new();
            for (key, text) in fields {
                let item = secret.item(&key).ok_or_else(|| missing_field(secret, &key, name))?;
                if !in_object(item) {
                    return Err(ProviderError::InvalidArgument(format!(
                        "'{key}' is a {} field: it is not part of the value",
                        if item.is_file { "file" } else { "notes (the description)" }
                    )));
                }
                wanted.push((item.slug.clone(), Zeroizing::new(text)));
            }
            // Fields the new value leaves out are emptied: the value replaces the secret's content.
            for item in secret.items.iter().filter(|item| in_object(item)) {
                if !wanted.iter().any(|(slug, _)| slug == &item.slug) {
                    wanted.push((item.slug.clone(), Zeroizing::new(String::new())));
                }
            }
            wanted
        }
    };
    Ok(wanted
        .into_iter()
        .filter(|(slug, text)| secret.item(slug).is_none_or(|item| item.text() != text.as_str()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretModel {
        serde_json::from_value(serde_json::json!({"id": 7, "secretTemplateName": "Password", "items": [
            {"slug": "resource", "itemValue": ""},
            {"slug": "username", "itemValue": "app"},
            {"slug": "password", "itemValue": "old-pass"},
            {"slug": "notes", "itemValue": "about", "isNotes": true},
            {"slug": "key", "itemValue": "*** Not Valid For Display ***", "isFile": true, "fileAttachmentId": 3},
        ]}))
        .unwrap_or_else(|err| panic!("{err}"))
    }

    fn text(reading: Reading) -> String {
        match reading {
            Reading::Value(value) => value.expose_text().unwrap_or_default().to_owned(),
            Reading::File(slug) => format!("file:{slug}"),
        }
    }

    fn changes(list: Vec<(String, Zeroizing<String>)>) -> Vec<(String, String)> {
        list.into_iter().map(|(slug, text)| (slug, text.to_string())).collect()
    }

    #[test]
    fn reads_one_field_or_all() -> Result<(), ProviderError> {
        let secret = secret();
        assert_eq!(text(read(&secret, &FieldChoice::Slug("password".into()), "db")?), "old-pass");
        assert_eq!(text(read(&secret, &FieldChoice::Slug("key".into()), "db")?), "file:key");
        assert_eq!(text(read(&secret, &FieldChoice::All, "db")?), r#"{"password":"old-pass","username":"app"}"#);
        let missing = read(&secret, &FieldChoice::Slug("pin".into()), "db");
        assert!(matches!(missing, Err(ProviderError::InvalidArgument(m)) if m.contains("password, notes")));
        assert_eq!(description(&secret, &FieldChoice::All).as_deref(), Some("about"));
        assert_eq!(description(&secret, &FieldChoice::Slug("notes".into())), None);
        Ok(())
    }

    #[test]
    fn writes_only_what_changes() -> Result<(), ProviderError> {
        let secret = secret();
        let one = assignments(&secret, &FieldChoice::Slug("password".into()), &SecretValue::text("new"), "db")?;
        assert_eq!(changes(one), [("password".to_owned(), "new".to_owned())]);
        let same = assignments(&secret, &FieldChoice::Slug("password".into()), &SecretValue::text("old-pass"), "db")?;
        assert!(same.is_empty());
        let all =
            assignments(&secret, &FieldChoice::All, &SecretValue::text(r#"{"resource":"r","password":"p"}"#), "db")?;
        let expected =
            [("password", "p"), ("resource", "r"), ("username", "")].map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(changes(all), expected);
        for bad in [r#"{"notes":"x"}"#, r#"{"key":"x"}"#, r#"{"pin":"1"}"#, "not json"] {
            assert!(assignments(&secret, &FieldChoice::All, &SecretValue::text(bad), "db").is_err(), "{bad}");
        }
        let binary = assignments(&secret, &FieldChoice::All, &SecretValue::binary(vec![1]), "db");
        assert!(matches!(binary, Err(ProviderError::InvalidArgument(_))));
        Ok(())
    }
}
