//! Writes: `create` (a secret and its first version), `update` (a new version, labels and
//! annotations with the secret's etag, enabling or disabling the current version) and `delete`.

use crate::client::is_failed_precondition;
use crate::model::{payload_of, SecretResource, VersionResource, ANNOTATION_DESCRIPTION, ANNOTATION_TYPE};
use crate::names::check_labels;
use crate::Gcp;
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;
use keyway_plugin_sdk::time::format_rfc3339;

/// How often a label or annotation change is re-read and re-applied when another writer changed
/// the secret in between (the etag no longer matched).
const ETAG_ATTEMPTS: usize = 3;

impl Gcp {
    fn replication(&self, kms_key_id: &Option<String>) -> Result<serde_json::Value> {
        let config = &self.sm.config;
        let cmek = kms_key_id.as_ref().map(|key| serde_json::json!({ "kmsKeyName": key }));
        if config.regional {
            return Ok(serde_json::Value::Null);
        }
        if config.replication_locations.is_empty() {
            let mut automatic = serde_json::Map::new();
            if let Some(cmek) = cmek {
                automatic.insert("customerManagedEncryption".into(), cmek);
            }
            return Ok(serde_json::json!({ "automatic": automatic }));
        }
        if kms_key_id.is_some() {
            return Err(ProviderError::InvalidArgument(
                "with replication_locations each replica needs a key of its own region; one kms_key_id cannot be \
                 used: create the secret with gcloud, or use automatic replication"
                    .into(),
            ));
        }
        let replicas: Vec<serde_json::Value> =
            config.replication_locations.iter().map(|l| serde_json::json!({ "location": l })).collect();
        Ok(serde_json::json!({ "userManaged": { "replicas": replicas } }))
    }

    /// Adds a version holding `value`; its resource.
    fn add_version(&self, id: &str, name: &str, value: &SecretValue) -> Result<VersionResource> {
        let path = format!("{}:addVersion", self.sm.secret_path(id));
        self.sm.call(Method::POST, &path, &[], Some(&payload_of(value)), &format!("secret '{name}'"))
    }

    /// Creates a secret with its first version; with `overwrite`, an existing name gets a new
    /// version (and the options' attributes).
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata> {
        let id = self.id(name)?;
        let mut labels = self.sm.config.default_tags.clone();
        labels.extend(options.tags.clone());
        check_labels(&labels)?;
        let mut body = serde_json::json!({ "labels": labels });
        let mut annotations = serde_json::Map::new();
        if let Some(description) = &options.description {
            annotations.insert(ANNOTATION_DESCRIPTION.into(), description.as_str().into());
        }
        if let Some(kind) = &options.secret_type {
            annotations.insert(ANNOTATION_TYPE.into(), kind.as_str().into());
        }
        body["annotations"] = annotations.into();
        if let Some(expires) = options.expires_at {
            body["expireTime"] = format_rfc3339(expires).into();
        }
        let replication = self.replication(&options.kms_key_id)?;
        if replication.is_null() {
            if let Some(key) = &options.kms_key_id {
                body["customerManagedEncryption"] = serde_json::json!({ "kmsKeyName": key });
            }
        } else {
            body["replication"] = replication;
        }
        let parent = format!("{}/secrets", self.sm.config.parent);
        let response = self.sm.send(Method::POST, &parent, &[("secretId", id.as_str())], Some(&body))?;
        let what = format!("secret '{name}'");
        if response.status == 409 && options.overwrite {
            let request = UpdateRequest {
                value: Some(value.clone()),
                description: options.description.clone(),
                expires_at: options.expires_at,
                kms_key_id: options.kms_key_id.clone(),
                set_tags: options.tags.clone(),
                ..UpdateRequest::default()
            };
            return self.update_secret(name, request);
        }
        if !response.is_success() {
            return Err(self.sm.error(&response, &what));
        }
        let secret: SecretResource = response.json()?;
        match self.add_version(&id, name, value) {
            Ok(version) => Ok(secret.metadata_at(name, &version)),
            Err(err) => {
                // Do not leave an empty secret behind a failed first version.
                let _ = self.sm.send(Method::DELETE, &self.sm.secret_path(&id), &[], None);
                Err(err)
            }
        }
    }

    /// Changes a secret: a new version, then labels and annotations, then the current version's state.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        let id = self.id(name)?;
        if request.kms_key_id.is_some() {
            return Err(ProviderError::InvalidArgument(
                "Secret Manager's encryption key is set when a secret is created (replication is immutable)".into(),
            ));
        }
        check_labels(&request.set_tags)?;
        let attributes = request.description.is_some()
            || request.expires_at.is_some()
            || !request.set_tags.is_empty()
            || !request.remove_tags.is_empty();
        let mut current = match &request.value {
            Some(value) => Some(self.add_version(&id, name, value)?),
            None => None,
        };
        if attributes {
            self.patch_attributes(&id, name, &request)?;
        }
        if let Some(enabled) = request.enabled {
            let version = match current.take() {
                Some(version) => version,
                None => self.version(&id, "latest", &format!("secret '{name}'"))?,
            };
            let action = if enabled { "enable" } else { "disable" };
            let path = format!("{}/versions/{}:{action}", self.sm.secret_path(&id), version.number());
            let what = format!("version {} of secret '{name}'", version.number());
            current = Some(self.sm.call(Method::POST, &path, &[], Some(&serde_json::json!({})), &what)?);
        }
        let secret = self.secret(&id, name)?;
        let version = match current {
            Some(version) => version,
            None => self.version(&id, "latest", &format!("secret '{name}'"))?,
        };
        Ok(secret.metadata_at(name, &version))
    }

    /// Read-modify-write of labels, annotations and expiry, guarded by the secret's etag.
    fn patch_attributes(&self, id: &str, name: &str, request: &UpdateRequest) -> Result<()> {
        let what = format!("secret '{name}'");
        for _ in 0..ETAG_ATTEMPTS {
            let secret = self.secret(id, name)?;
            let mut labels = secret.labels.clone();
            labels.extend(request.set_tags.clone());
            for key in &request.remove_tags {
                labels.remove(key);
            }
            check_labels(&labels)?;
            let mut annotations = secret.annotations.clone();
            if let Some(description) = &request.description {
                annotations.insert(ANNOTATION_DESCRIPTION.into(), description.clone());
            }
            let mut mask = vec!["labels", "annotations"];
            let mut body = serde_json::json!({ "labels": labels, "annotations": annotations });
            if let Some(etag) = &secret.etag {
                body["etag"] = etag.as_str().into();
            }
            if let Some(expires) = request.expires_at {
                body["expireTime"] = format_rfc3339(expires).into();
                mask.push("expire_time");
            }
            let mask = mask.join(",");
            let path = self.sm.secret_path(id);
            let response = self.sm.send(Method::PATCH, &path, &[("updateMask", mask.as_str())], Some(&body))?;
            if response.is_success() {
                return Ok(());
            }
            if !is_failed_precondition(&response) {
                return Err(self.sm.error(&response, &what));
            }
        }
        Err(ProviderError::Conflict(format!(
            "{what} kept changing while its labels were updated ({ETAG_ATTEMPTS} attempts); retry"
        )))
    }

    /// Deletes a secret and all its versions at once: Secret Manager keeps nothing to restore.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let id = self.id(name)?;
        if let DeleteMode::Recoverable(_) = mode {
            return Err(ProviderError::Unsupported(
                "Secret Manager deletes a secret and all its versions immediately and cannot restore it: delete with \
                 force, or disable its versions instead (update with enabled = false)"
                    .into(),
            ));
        }
        self.sm.call::<serde_json::Value>(
            Method::DELETE,
            &self.sm.secret_path(&id),
            &[],
            None,
            &format!("secret '{name}'"),
        )?;
        Ok(None)
    }
}
