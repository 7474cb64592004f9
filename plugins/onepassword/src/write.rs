//! `create`, `update` and `delete`. A new value rewrites the item's fields with `PUT` (Connect
//! increments its version); tags and description alone are changed with a JSON Patch, so the
//! item's field values are not sent again.

use crate::categories::{category, DEFAULT_CATEGORY};
use crate::model::{Item, VaultRef};
use crate::names::check_name;
use crate::read::to_metadata;
use crate::tags;
use crate::value::{encode, notes_field, set_description};
use crate::OnePassword;
use keyway_plugin_sdk::{
    DeleteMode, ProviderError, SecretMetadata, SecretValue, Tags, Timestamp, UpdateRequest, WriteOptions,
};
use serde_json::{json, Map, Value};

/// Refuses attributes 1Password items do not have.
fn refuse_unsupported(expires_at: Option<Timestamp>, kms_key_id: Option<&str>) -> Result<(), ProviderError> {
    if expires_at.is_some() {
        return Err(ProviderError::InvalidArgument("1Password items have no expiry date".into()));
    }
    if kms_key_id.is_some() {
        return Err(ProviderError::InvalidArgument(
            "1Password encrypts every vault with its own keys: a KMS key cannot be chosen".into(),
        ));
    }
    Ok(())
}

/// `item`'s tags with `set` added or replaced and `remove` removed.
fn merged_tags(item: &Item, set: &Tags, remove: &[String]) -> Result<Vec<String>, ProviderError> {
    let mut current = tags::from_onepassword(&item.tags);
    for key in remove {
        current.remove(key);
    }
    current.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags::to_onepassword(&current)
}

/// A JSON Pointer segment (RFC 6901).
fn pointer_segment(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

impl OnePassword {
    /// Creates an item titled `name`, or gives the existing one a new value with `overwrite`.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        refuse_unsupported(options.expires_at, options.kms_key_id.as_deref())?;
        let new_tags = tags::to_onepassword(&options.tags)?;
        let wanted = options.secret_type.as_deref().map(|kind| category(Some(kind))).transpose()?;
        let Some(existing) = self.connect.find(name)? else {
            let category = wanted.unwrap_or(DEFAULT_CATEGORY);
            let mut fields = encode(&value, category, &[])?;
            if let Some(description) = &options.description {
                set_description(category, &mut fields, description)?;
            }
            let item = Item {
                id: String::new(),
                title: name.to_owned(),
                vault: VaultRef { id: self.connect.vault_id()? },
                category: category.to_owned(),
                tags: new_tags,
                version: 0,
                state: None,
                created_at: None,
                updated_at: None,
                fields,
                rest: Map::new(),
            };
            return Ok(to_metadata(&self.connect.create(&item)?));
        };
        if !options.overwrite {
            return Err(ProviderError::AlreadyExists(format!(
                "an item titled '{name}' exists in the vault; create with overwrite to give it a new value"
            )));
        }
        let mut item = self.connect.item(&existing.id, name)?;
        if let Some(wanted) = wanted {
            if wanted != item.category {
                return Err(ProviderError::InvalidArgument(format!(
                    "item '{name}' is a {} item; its category cannot become {wanted}: delete it and create it again",
                    item.category
                )));
            }
        }
        item.fields = encode(&value, &item.category, &item.fields)?;
        if let Some(description) = &options.description {
            set_description(&item.category, &mut item.fields, description)?;
        }
        item.tags = merged_tags(&item, &options.tags, &[])?;
        Ok(to_metadata(&self.connect.replace(&item)?))
    }

    /// Changes the value (a new item version), the description (the notes) and the tags.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        refuse_unsupported(request.expires_at, request.kms_key_id.as_deref())?;
        if request.enabled == Some(false) {
            return Err(ProviderError::InvalidArgument(
                "1Password items cannot be disabled: delete the item, or move it out of the vault".into(),
            ));
        }
        let summary = self.connect.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let tags_change = !request.set_tags.is_empty() || !request.remove_tags.is_empty();
        if let Some(value) = &request.value {
            let mut item = self.connect.item(&summary.id, name)?;
            item.fields = encode(value, &item.category, &item.fields)?;
            if let Some(description) = &request.description {
                set_description(&item.category, &mut item.fields, description)?;
            }
            item.tags = merged_tags(&item, &request.set_tags, &request.remove_tags)?;
            return Ok(to_metadata(&self.connect.replace(&item)?));
        }
        if request.description.is_none() && !tags_change {
            return Ok(to_metadata(&self.connect.item(&summary.id, name)?));
        }
        let mut operations = Vec::new();
        if tags_change {
            let tags = merged_tags(&summary, &request.set_tags, &request.remove_tags)?;
            operations.push(json!({ "op": "replace", "path": "/tags", "value": tags }));
        }
        if let Some(description) = &request.description {
            let item = self.connect.item(&summary.id, name)?;
            if item.category == "SECURE_NOTE" {
                return Err(ProviderError::InvalidArgument(
                    "a secure note's notes are its value: it has no separate description".into(),
                ));
            }
            match item.fields.iter().find(|f| f.is_notes()).and_then(|f| f.id.as_deref()) {
                Some(id) => operations.push(json!({
                    "op": "replace", "path": format!("/fields/{}/value", pointer_segment(id)), "value": description
                })),
                None => {
                    let field = serde_json::to_value(notes_field(description))
                        .map_err(|err| ProviderError::Other(format!("notes field not encodable: {err}")))?;
                    operations.push(json!({ "op": "add", "path": "/fields", "value": field }));
                }
            }
        }
        Ok(to_metadata(&self.connect.patch(&summary.id, name, &Value::Array(operations))?))
    }

    /// Deletes the item titled `name`. Connect moves it to 1Password's Recently Deleted, from where
    /// only the 1Password apps can restore it: for keyway the deletion is final.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        check_name(name)?;
        if let DeleteMode::Recoverable(_) = mode {
            return Err(ProviderError::Unsupported(
                "1Password Connect cannot restore deleted items: delete with force".into(),
            ));
        }
        let summary = self.connect.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        self.connect.delete(&summary.id, name)?;
        Ok(None)
    }
}
