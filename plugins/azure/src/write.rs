//! Writes: `create` (a new secret, or a new version with `overwrite`, after recovering a
//! deleted one with `recover-deleted`) and `update` (attributes and tags in place, or a value
//! as a new version).

use crate::client::{error, is_in_transition};
use crate::model::{seconds, Bundle, Draft};
use crate::{wait, Azure};
use keyway_plugin_sdk::prelude::*;

fn refuse_kms(kms_key_id: &Option<String>) -> Result<()> {
    match kms_key_id {
        Some(_) => Err(ProviderError::InvalidArgument(
            "Key Vault encrypts secrets with the vault's own keys: kms_key_id is not supported".into(),
        )),
        None => Ok(()),
    }
}

impl Azure {
    /// `PUT /secrets/NAME`: a new version. Waits out a deletion or recovery in progress.
    fn put_version(&self, full: &str, name: &str, value: &SecretValue, draft: &Draft) -> Result<SecretMetadata> {
        draft.check()?;
        let body = draft.set_body(value);
        let path = self.kv.path("secrets", full, "");
        let what = format!("secret '{name}'");
        let written = wait::until(|| {
            let response = self.kv.send(Method::PUT, &path, Some(&body))?;
            if is_in_transition(&response) {
                return Ok(None);
            }
            if response.status == 409 {
                return Err(ProviderError::Conflict(format!(
                    "secret '{name}' is deleted but recoverable: restore it, write with recover-deleted, or \
                     delete it with force to purge it"
                )));
            }
            if !response.is_success() {
                return Err(error(&response, &what));
            }
            let mut bundle: Bundle = response.json()?;
            bundle.value = None;
            Ok(Some(bundle.metadata(name)))
        })?;
        written.ok_or_else(|| ProviderError::Unavailable(format!("{what} is still being deleted or recovered")))
    }

    /// Creates a secret, or a new version of an existing one with `overwrite`.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata> {
        let full = self.full_name(name)?;
        refuse_kms(&options.kms_key_id)?;
        let mut existing = self.current(&full, name, "")?;
        if existing.is_some() && !options.overwrite {
            return Err(ProviderError::AlreadyExists(format!(
                "secret '{name}' exists; write with overwrite to add a version"
            )));
        }
        if existing.is_none() && options.recover_deleted && self.recover(&full, name, false)? {
            existing = self.current(&full, name, "")?;
        }
        let draft = match &existing {
            // A new version inherits the secret's attributes; the options change them.
            Some(bundle) => {
                let inherited = Draft::from_bundle(bundle);
                let mut tags = inherited.tags;
                tags.extend(options.tags.clone());
                Draft {
                    content_type: options.secret_type.clone().or(inherited.content_type),
                    tags,
                    description: options.description.clone().or(inherited.description),
                    enabled: None,
                    nbf: inherited.nbf,
                    exp: options.expires_at.map(seconds).or(inherited.exp),
                }
            }
            None => {
                let mut tags = self.kv.config.default_tags.clone();
                tags.extend(options.tags.clone());
                Draft {
                    content_type: options.secret_type.clone(),
                    tags,
                    description: options.description.clone(),
                    enabled: None,
                    nbf: None,
                    exp: options.expires_at.map(seconds),
                }
            }
        };
        self.put_version(&full, name, value, &draft)
    }

    /// Changes a secret's attributes and tags, or writes its new value as a new version.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        let full = self.full_name(name)?;
        refuse_kms(&request.kms_key_id)?;
        let existing = self
            .current(&full, name, "")?
            .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' does not exist")))?;
        let inherited = Draft::from_bundle(&existing);
        let mut tags = inherited.tags.clone();
        tags.extend(request.set_tags.clone());
        for key in &request.remove_tags {
            tags.remove(key);
        }
        let draft = Draft {
            content_type: inherited.content_type.clone(),
            tags,
            description: request.description.clone().or(inherited.description.clone()),
            enabled: request.enabled.or(inherited.enabled),
            nbf: inherited.nbf,
            exp: request.expires_at.map(seconds).or(inherited.exp),
        };
        if let Some(value) = &request.value {
            // A new value is a new version, enabled unless the request says otherwise.
            let draft = Draft { enabled: request.enabled, ..draft };
            return self.put_version(&full, name, value, &draft);
        }
        draft.check()?;
        let version = existing.name_and_version().1.unwrap_or_default();
        let path = self.kv.path("secrets", &full, &version);
        let body = draft.update_body(existing.is_binary());
        let updated = self.kv.bundle(Method::PATCH, &path, Some(&body), &format!("secret '{name}'"))?;
        Ok(updated.metadata(name))
    }
}
