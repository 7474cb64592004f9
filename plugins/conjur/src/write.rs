//! `create`, `update` and `delete`, declared only with a `policy_branch`. Conjur creates variables
//! only through policy: a new variable is declared in the branch (`POST`, which adds and never
//! changes), then given its value; attributes of an existing variable are changed (`PATCH`) and the
//! variable deleted (`PATCH` with `!delete`) in the policy that declared it.

use crate::api::LoadMode;
use crate::model::{Resource, DESCRIPTION, RESERVED_PREFIX};
use crate::names::{check_name, relative_to};
use crate::policy::{deletion, Declaration};
use crate::Conjur;
use keyway_plugin_sdk::write_options::{Refusal, UnkeptOptions, WriteOption};
use keyway_plugin_sdk::{
    DeleteMode, ProviderError, SecretMetadata, SecretValue, Tags, Timestamp, UpdateRequest, WriteOptions,
};
use std::collections::BTreeMap;

/// The MIME type declared for binary values, for other Conjur clients' sake.
const BINARY_MIME_TYPE: &str = "application/octet-stream";

/// What Conjur variables do not have. Refused as `invalid-argument`, as this plugin always has.
const UNKEPT: UnkeptOptions = UnkeptOptions::new(
    "Conjur",
    &[
        (WriteOption::Expiry, "Conjur sets expirations through its rotators, not on a written value"),
        (WriteOption::KmsKey, "Conjur encrypts every value with its own data key"),
        (WriteOption::Disabling, "Conjur variables cannot be disabled"),
    ],
)
.refused_as(Refusal::InvalidArgument);

/// Conjur refuses empty values.
fn refuse_empty(value: &SecretValue) -> Result<(), ProviderError> {
    if value.is_empty() {
        return Err(ProviderError::InvalidArgument("Conjur does not store empty values".into()));
    }
    Ok(())
}

/// The annotations for a description and tags; tags may not use the description's name or
/// Conjur's own `conjur/` names.
fn annotations(description: Option<&str>, tags: &Tags) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut annotations = BTreeMap::new();
    for (key, value) in tags {
        if key.is_empty() || key == DESCRIPTION || key.starts_with(RESERVED_PREFIX) || key.chars().any(char::is_control)
        {
            return Err(ProviderError::InvalidArgument(format!(
                "tag '{}' cannot be a Conjur annotation: names must be non-empty, without control characters, and \
                 not 'description' or 'conjur/…'",
                key.escape_debug()
            )));
        }
        annotations.insert(key.clone(), value.clone());
    }
    if let Some(description) = description {
        annotations.insert(DESCRIPTION.to_owned(), description.to_owned());
    }
    Ok(annotations)
}

impl Conjur {
    fn branch(&self) -> Result<&str, ProviderError> {
        self.policy_branch.as_deref().ok_or_else(|| ProviderError::unsupported("create"))
    }

    /// Re-declares an existing variable in the policy that declared it (`PATCH`), to change its
    /// annotations or kind.
    fn redeclare(&self, resource: &Resource, declaration: Declaration<'_>) -> Result<(), ProviderError> {
        let name = resource.identifier();
        let policy = resource.policy_id().unwrap_or("root");
        let id = relative_to(policy, name).ok_or_else(|| {
            ProviderError::Other(format!("variable '{name}' is not inside the policy '{policy}' that declares it"))
        })?;
        self.api.load_policy(policy, LoadMode::Update, &Declaration { id, ..declaration }.to_policy())?;
        Ok(())
    }

    fn metadata_after_write(&self, name: &str) -> Result<SecretMetadata, ProviderError> {
        let resource = self.api.variable(name)?.ok_or_else(|| {
            ProviderError::Conflict(format!("variable '{name}' was deleted right after it was written"))
        })?;
        Ok(resource.metadata(None))
    }

    /// Declares `name` in the policy branch if needed and gives it `value`. A variable declared
    /// without a value (by an administrator's policy) is created by its first value.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        let branch = self.branch()?;
        UNKEPT.check_create(options)?;
        refuse_empty(&value)?;
        let annotations = annotations(options.description.as_deref(), &options.tags)?;
        let declaration = Declaration {
            id: name,
            kind: options.secret_type.as_deref(),
            mime_type: value.is_binary().then_some(BINARY_MIME_TYPE),
            annotations,
        };
        match self.api.variable(name)? {
            Some(resource) if resource.latest_version().is_some() && !options.overwrite => {
                return Err(ProviderError::AlreadyExists(format!(
                    "variable '{name}' has a value; create with overwrite to add a new version"
                )));
            }
            Some(resource) => {
                if declaration.kind.is_some() || !declaration.annotations.is_empty() {
                    self.redeclare(&resource, declaration)?;
                }
            }
            None => {
                let id = relative_to(branch, name).ok_or_else(|| {
                    ProviderError::InvalidArgument(format!(
                        "'{name}' is outside policy_branch '{branch}': new variables are declared there, so their ids \
                         start with '{branch}/'"
                    ))
                })?;
                self.api.load_policy(branch, LoadMode::Add, &Declaration { id, ..declaration }.to_policy())?;
            }
        }
        self.api.set_value(name, value.expose_bytes())?;
        self.metadata_after_write(name)
    }

    /// Adds a version with a new value and changes the description and tags (annotations).
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        UNKEPT.check_update(&request)?;
        if !request.remove_tags.is_empty() {
            return Err(ProviderError::InvalidArgument(
                "Conjur policy can add and change annotations but not remove them: tags cannot be removed".into(),
            ));
        }
        if let Some(value) = &request.value {
            refuse_empty(value)?;
        }
        let resource = self.existing(name)?;
        let annotations = annotations(request.description.as_deref(), &request.set_tags)?;
        if !annotations.is_empty() {
            self.redeclare(&resource, Declaration { annotations, ..Declaration::default() })?;
        }
        if let Some(value) = &request.value {
            self.api.set_value(name, value.expose_bytes())?;
        }
        self.metadata_after_write(name)
    }

    /// Deletes variable `name` (every version) from the policy that declared it.
    pub(crate) fn delete_secret(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>, ProviderError> {
        if let DeleteMode::Recoverable(_) = mode {
            return Err(ProviderError::Unsupported("Conjur deletes variables for good: delete with force".into()));
        }
        let resource = self.existing(name)?;
        let policy = resource.policy_id().unwrap_or("root");
        let id = relative_to(policy, name).ok_or_else(|| {
            ProviderError::Other(format!("variable '{name}' is not inside the policy '{policy}' that declares it"))
        })?;
        self.api.load_policy(policy, LoadMode::Update, &deletion(id))?;
        Ok(None)
    }
}
