//! `create` (from the template's stub, in the configured folder) and `update` (one `PUT` per
//! changed field).

use crate::model::{SecretModel, Summary};
use crate::names::check_name;
use crate::server::State;
use crate::value::assignments;
use crate::SecretServer;
use keyway_plugin_sdk::write_options::{Refusal, UnkeptOptions, WriteOption};
use keyway_plugin_sdk::{ProviderError, SecretMetadata, SecretValue, UpdateRequest, WriteOptions};
use serde_json::{json, Value};
use zeroize::Zeroizing;

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidArgument(message.into())
}

/// What Secret Server cannot store, refused rather than dropped (as `invalid-argument`, as this plugin
/// always has).
const UNKEPT: UnkeptOptions = UnkeptOptions::new(
    "Secret Server",
    &[
        (WriteOption::Tags, "its secrets have no tags"),
        (WriteOption::Expiry, "the expiry of a secret follows its template and policy"),
        (WriteOption::KmsKey, "it encrypts with its own keys"),
        (WriteOption::Disabling, "it disables a secret by deactivating it; delete the secret instead"),
    ],
)
.refused_as(Refusal::InvalidArgument);

impl SecretServer {
    /// Creates a secret, or with `overwrite` gives an existing one the new value; with
    /// `recover_deleted` a deactivated secret of that name is restored and written instead.
    pub(crate) fn create_secret(
        &self,
        name: &str,
        value: SecretValue,
        options: &WriteOptions,
    ) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        UNKEPT.check_create(options)?;
        let (Some(folder_id), Some(template_id)) = (self.folder_id, self.template_id) else {
            return Err(ProviderError::Configuration(
                "creating secrets needs folder_id (where) and template_id (which secret template) in the settings"
                    .into(),
            ));
        };
        let api = self.api();
        if let Some(existing) = api.find(name)? {
            if !options.overwrite {
                return Err(ProviderError::AlreadyExists(format!("a secret named '{name}' exists already")));
            }
            let model = api.secret(existing.id, name)?;
            return self.write(&existing, &model, Some(&value), options.description.as_deref(), name);
        }
        if options.recover_deleted {
            let mut deleted = api.find_all(name, State::Inactive)?;
            if deleted.len() == 1 {
                if let Some(summary) = deleted.pop() {
                    let model = api.restore(summary.id, name)?;
                    return self.write(&summary, &model, Some(&value), options.description.as_deref(), name);
                }
            }
        }
        let mut stub = api.stub(template_id, folder_id)?;
        let model: SecretModel = serde_json::from_value(stub.clone())
            .map_err(|err| ProviderError::Other(format!("Secret Server answered an unexpected stub: {err}")))?;
        if let Some(kind) = options.secret_type.as_deref() {
            let template = model.secret_template_name.as_deref().unwrap_or_default();
            if !["generic", "key-value"].contains(&kind) && !kind.eq_ignore_ascii_case(template) {
                return Err(invalid(format!(
                    "secret type '{kind}' does not match the configured template '{template}' (template_id {template_id})"
                )));
            }
        }
        let mut fields = assignments(&model, &self.field, &value, name)?;
        if let Some(description) = options.description.as_deref().filter(|d| !d.is_empty()) {
            let notes =
                model.notes().ok_or_else(|| invalid("the template has no notes field to hold a description"))?;
            fields.push((notes.slug.clone(), Zeroizing::new(description.to_owned())));
        }
        stub["name"] = json!(name);
        stub["folderId"] = json!(folder_id);
        if let Some(site) = self.site_id {
            stub["siteId"] = json!(site);
        }
        if let Some(Value::Array(items)) = stub.get_mut("items") {
            for item in items.iter_mut() {
                let slug = item.get("slug").and_then(Value::as_str).unwrap_or_default().to_owned();
                if let Some((_, text)) = fields.iter().find(|(s, _)| s.eq_ignore_ascii_case(&slug)) {
                    item["itemValue"] = json!(text.as_str());
                }
            }
        }
        let created = api.create(&stub, name)?;
        Ok(self.metadata(None, &created, name))
    }

    /// Changes the value and/or the description (the notes field).
    pub(crate) fn update_secret(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata, ProviderError> {
        check_name(name)?;
        UNKEPT.check_update(&request)?;
        let api = self.api();
        let summary = api.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let model = api.secret(summary.id, name)?;
        self.write(&summary, &model, request.value.as_ref(), request.description.as_deref(), name)
    }

    /// Sets the fields that change, one `PUT` each, and reads the secret back.
    fn write(
        &self,
        summary: &Summary,
        model: &SecretModel,
        value: Option<&SecretValue>,
        description: Option<&str>,
        name: &str,
    ) -> Result<SecretMetadata, ProviderError> {
        let mut fields = match value {
            Some(value) => assignments(model, &self.field, value, name)?,
            None => Vec::new(),
        };
        if let Some(description) = description {
            let notes =
                model.notes().ok_or_else(|| invalid("this secret's template has no notes field for a description"))?;
            if notes.text() != description {
                fields.push((notes.slug.clone(), Zeroizing::new(description.to_owned())));
            }
        }
        let api = self.api();
        for (slug, text) in &fields {
            api.set_field(model.id, slug, text, name)?;
        }
        if fields.is_empty() {
            return Ok(self.metadata(Some(summary), model, name));
        }
        let updated = api.secret(model.id, name)?;
        Ok(self.metadata(Some(summary), &updated, name))
    }
}
