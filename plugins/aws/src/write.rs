//! Writing: `CreateSecret`, `PutSecretValue`, `UpdateSecret`, `TagResource`,
//! `UntagResource`, `DeleteSecret` and `RestoreSecret`.

use crate::client::run;
use crate::convert::{self, AwsValue};
use crate::errors::{is_pending_deletion, map_error, pending_deletion};
use crate::AwsSecretsManager;
use keyway_plugin_sdk::{
    DeleteMode, ProviderError, Result, SecretMetadata, SecretValue, Tags, Timestamp, UpdateRequest, VersionSelector,
    WriteOptions,
};

/// The recovery window AWS accepts, in days.
const RECOVERY_WINDOW: std::ops::RangeInclusive<u32> = 7..=30;
/// AWS's default recovery window.
const DEFAULT_RECOVERY_DAYS: u32 = 30;

impl AwsSecretsManager {
    /// `CreateSecret`; with `overwrite` an existing name gets a new version
    /// (`PutSecretValue`), with `recover_deleted` a name scheduled for deletion
    /// is restored first (`RestoreSecret`).
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata> {
        if options.expires_at.is_some() {
            return Err(ProviderError::Unsupported(
                "AWS Secrets Manager has no expiry date on secrets; use rotation instead".into(),
            ));
        }
        if options.secret_type.is_some() {
            return Err(ProviderError::Unsupported("AWS Secrets Manager has no secret types".into()));
        }
        let value = AwsValue::from(value);
        let mut request = self
            .client
            .create_secret()
            .name(name)
            .set_description(options.description.clone())
            .set_kms_key_id(options.kms_key_id.clone());
        if !options.tags.is_empty() {
            request = request.set_tags(Some(convert::tags_to_aws(&options.tags)));
        }
        request = match &value {
            AwsValue::Text(text) => request.secret_string(text.clone()),
            AwsValue::Binary(bytes) => request.secret_binary(bytes.clone()),
        };
        match run(request.send()) {
            Ok(out) => return self.version_metadata(name, out.version_id()),
            Err(error) if is_pending_deletion(&error) => self.recover(name, options)?,
            Err(error) => match map_error(error, "create", name) {
                ProviderError::AlreadyExists(_) => self.prepare_existing(name, options)?,
                other => return Err(other),
            },
        }
        let version_id = self.put_value(name, value)?;
        let attributes = UpdateRequest {
            description: options.description.clone(),
            kms_key_id: options.kms_key_id.clone(),
            set_tags: options.tags.clone(),
            ..UpdateRequest::default()
        };
        self.update_attributes(name, &attributes)?;
        self.version_metadata(name, version_id.as_deref())
    }

    /// Restores a name scheduled for deletion when `recover_deleted` allows it.
    fn recover(&self, name: &str, options: &WriteOptions) -> Result<()> {
        if !options.recover_deleted {
            return Err(pending_deletion(name, "it was deleted and is still recoverable"));
        }
        self.restore_secret_only(name)
    }

    /// Decides what a create over an existing name does. AWS answers a name
    /// scheduled for deletion with `InvalidRequestException`, but emulators
    /// (moto) with `ResourceExistsException` and then accept writes to it: look.
    fn prepare_existing(&self, name: &str, options: &WriteOptions) -> Result<()> {
        let exists =
            || ProviderError::AlreadyExists(format!("secret '{name}' exists; write with overwrite to add a version"));
        if !options.overwrite && !options.recover_deleted {
            return Err(exists());
        }
        if self.describe_secret(name, &VersionSelector::Latest)?.deleted_at.is_some() {
            return self.recover(name, options);
        }
        if options.overwrite {
            Ok(())
        } else {
            Err(exists())
        }
    }

    /// `PutSecretValue` for a new value, `UpdateSecret` for the description and
    /// KMS key, `TagResource` and `UntagResource` for tags.
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        if request.expires_at.is_some() {
            return Err(ProviderError::Unsupported(
                "AWS Secrets Manager has no expiry date on secrets; use rotation instead".into(),
            ));
        }
        if request.enabled == Some(false) {
            return Err(ProviderError::Unsupported(
                "AWS Secrets Manager cannot disable a secret; deny access with a resource policy instead".into(),
            ));
        }
        let mut version_id = None;
        let mut request = request;
        if let Some(value) = request.value.take() {
            version_id = self.put_value(name, AwsValue::from(value))?;
        }
        self.update_attributes(name, &request)?;
        self.version_metadata(name, version_id.as_deref())
    }

    /// `DeleteSecret` with a recovery window of 7 to 30 days, or without recovery.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let request = self.client.delete_secret().secret_id(name);
        let request = match mode {
            DeleteMode::Force => request.force_delete_without_recovery(true),
            DeleteMode::Recoverable(days) => {
                let days = days.unwrap_or(DEFAULT_RECOVERY_DAYS);
                if !RECOVERY_WINDOW.contains(&days) {
                    return Err(ProviderError::InvalidArgument(format!(
                        "AWS Secrets Manager keeps a deleted secret 7 to 30 days before purging it; \
                         a recovery window of {days} days is outside that range (use force to delete at once)"
                    )));
                }
                request.recovery_window_in_days(i64::from(days))
            }
        };
        let out = run(request.send()).map_err(|err| map_error(err, "delete", name))?;
        Ok(match mode {
            DeleteMode::Force => None,
            DeleteMode::Recoverable(_) => convert::millis(out.deletion_date()),
        })
    }

    /// `RestoreSecret`, then the restored secret's metadata.
    pub(crate) fn restore_secret(&self, name: &str) -> Result<SecretMetadata> {
        self.restore_secret_only(name)?;
        self.describe_secret(name, &VersionSelector::Latest)
    }

    fn restore_secret_only(&self, name: &str) -> Result<()> {
        run(self.client.restore_secret().secret_id(name).send()).map_err(|err| map_error(err, "restore", name))?;
        Ok(())
    }

    /// `PutSecretValue`; the new version's id.
    fn put_value(&self, name: &str, value: AwsValue) -> Result<Option<String>> {
        let request = self.client.put_secret_value().secret_id(name);
        let request = match value {
            AwsValue::Text(text) => request.secret_string(text),
            AwsValue::Binary(bytes) => request.secret_binary(bytes),
        };
        let out = run(request.send()).map_err(|err| map_error(err, "update", name))?;
        Ok(out.version_id)
    }

    /// The description, KMS key and tag changes of `request` (its value is ignored).
    fn update_attributes(&self, name: &str, request: &UpdateRequest) -> Result<()> {
        if request.description.is_some() || request.kms_key_id.is_some() {
            let call = self
                .client
                .update_secret()
                .secret_id(name)
                .set_description(request.description.clone())
                .set_kms_key_id(request.kms_key_id.clone());
            run(call.send()).map_err(|err| map_error(err, "update", name))?;
        }
        self.tag(name, &request.set_tags)?;
        if !request.remove_tags.is_empty() {
            let call = self.client.untag_resource().secret_id(name).set_tag_keys(Some(request.remove_tags.clone()));
            run(call.send()).map_err(|err| map_error(err, "untag", name))?;
        }
        Ok(())
    }

    fn tag(&self, name: &str, tags: &Tags) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let call = self.client.tag_resource().secret_id(name).set_tags(Some(convert::tags_to_aws(tags)));
        run(call.send()).map_err(|err| map_error(err, "tag", name))?;
        Ok(())
    }

    /// The metadata after a write: of the version written, or the current one.
    fn version_metadata(&self, name: &str, version_id: Option<&str>) -> Result<SecretMetadata> {
        // Reading by id avoids a stage that has not moved yet (moto is known to lag there).
        let selector = version_id.map_or(VersionSelector::Latest, |id| VersionSelector::Id(id.to_owned()));
        self.describe_secret(name, &selector)
    }
}
