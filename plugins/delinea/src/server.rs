//! The REST calls on secrets: search by exact name in the folder, read a secret and a file field,
//! create from a template's stub, change a field, deactivate, restore, and list a page.

use crate::errors;
use crate::login::SecretServerSession;
use crate::model::{Page, SecretModel, Summary};
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::session::Call;
use keyway_plugin_sdk::{Method, ProviderError, Response};

const BACKEND: &str = "Secret Server";

/// Records fetched to find one name (duplicates are reported, not guessed between).
const FIND_TAKE: u32 = 50;

/// A REST call to `path` below `/api/v1/` (`secrets/12`).
fn api(method: Method, path: impl std::fmt::Display) -> Call {
    Call::new(method, format!("api/v1/{path}"))
}

/// The REST API of one session, scoped to the configured folder.
pub struct SecretsApi<'a> {
    /// The session.
    pub session: &'a SecretServerSession,
    /// The folder of the secrets, or every folder.
    pub folder_id: Option<i64>,
}

/// Which secrets a search includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Active secrets only.
    Active,
    /// Deactivated (deleted) secrets only.
    Inactive,
    /// Both.
    Any,
}

impl SecretsApi<'_> {
    fn send_ok(&self, call: &Call, action: &str) -> Result<Response, ProviderError> {
        let response = self.session.send(call)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(self.session.scrub(errors::api_failure(&response, action)))
        }
    }

    fn search(&self, text: Option<&str>, exact: bool, state: State, skip: u64, take: u32) -> Call {
        let mut call = api(Method::GET, "secrets")
            .query("filter.includeSubFolders", "false")
            .query("filter.includeInactive", (state != State::Active).to_string())
            .query("filter.includeActive", (state != State::Inactive).to_string())
            .query("skip", skip.to_string())
            .query("take", take.to_string());
        if let Some(folder) = self.folder_id {
            call = call.query("filter.folderId", folder.to_string());
        }
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            call = call.query("filter.searchText", text).query("filter.isExactMatch", exact.to_string());
        }
        call
    }

    /// The secrets named exactly `name` (Secret Server compares names without case) in the folder.
    pub fn find_all(&self, name: &str, state: State) -> Result<Vec<Summary>, ProviderError> {
        let call = self.search(Some(name), true, state, 0, FIND_TAKE);
        let page: Page<Summary> = self.send_ok(&call, &format!("searching for '{name}'"))?.json()?;
        // An exact search answers secrets of that name or none; secrets of other names answer another search.
        Ok(answers::named(BACKEND, name, page.records, |s| s.name.as_str(), Names::IgnoreCase)?
            .into_iter()
            .filter(|s| state == State::Any || s.active == (state == State::Active))
            .collect())
    }

    /// The one active secret named `name`, if there is one.
    pub fn find(&self, name: &str) -> Result<Option<Summary>, ProviderError> {
        let mut found = self.find_all(name, State::Active)?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            n => Err(ProviderError::Conflict(format!(
                "{n} active secrets are named '{name}'{}: keyway addresses secrets by name",
                self.folder_id.map(|f| format!(" in folder {f}")).unwrap_or_default()
            ))),
        }
    }

    /// The secret with its items; an answer for another secret is refused.
    pub fn secret(&self, id: i64, name: &str) -> Result<SecretModel, ProviderError> {
        let model: SecretModel =
            self.send_ok(&api(Method::GET, format!("secrets/{id}")), &format!("reading '{name}'"))?.json()?;
        if model.id != id {
            let asked = format!("secret {id} ('{name}')");
            return Err(answers::not_served(BACKEND, &format!("secret {}", model.id), &asked));
        }
        if let Some(answered) = &model.name {
            answers::expect_name(BACKEND, name, Some(answered), Names::IgnoreCase)?;
        }
        Ok(model)
    }

    /// The bytes of a file field's attachment.
    pub fn file(&self, id: i64, slug: &str, name: &str) -> Result<Vec<u8>, ProviderError> {
        let call = api(Method::GET, format!("secrets/{id}/fields/{slug}"));
        let mut response = self.send_ok(&call, &format!("reading the file '{slug}' of '{name}'"))?;
        Ok(std::mem::take(&mut response.body))
    }

    /// A new secret's stub: the template's items, empty.
    pub fn stub(&self, template_id: i64, folder_id: i64) -> Result<serde_json::Value, ProviderError> {
        let call = api(Method::GET, "secrets/stub")
            .query("filter.secretTemplateId", template_id.to_string())
            .query("filter.folderId", folder_id.to_string());
        self.send_ok(&call, &format!("reading the stub of template {template_id}"))?.json()
    }

    /// Creates a secret from a filled stub.
    pub fn create(&self, secret: &serde_json::Value, name: &str) -> Result<SecretModel, ProviderError> {
        let call = api(Method::POST, "secrets").json(secret)?;
        self.send_ok(&call, &format!("creating '{name}'"))?.json()
    }

    /// Sets one field's text.
    pub fn set_field(&self, id: i64, slug: &str, text: &str, name: &str) -> Result<(), ProviderError> {
        let call =
            api(Method::PUT, format!("secrets/{id}/fields/{slug}")).json(&serde_json::json!({ "value": text }))?;
        self.send_ok(&call, &format!("changing the field '{slug}' of '{name}'")).map(|_| ())
    }

    /// Deactivates the secret (Secret Server's delete).
    pub fn deactivate(&self, id: i64, name: &str) -> Result<(), ProviderError> {
        self.send_ok(&api(Method::DELETE, format!("secrets/{id}")), &format!("deleting '{name}'")).map(|_| ())
    }

    /// Makes a deactivated secret active again.
    pub fn restore(&self, id: i64, name: &str) -> Result<SecretModel, ProviderError> {
        self.send_ok(&api(Method::PUT, format!("secrets/{id}/restore")), &format!("restoring '{name}'"))?.json()
    }

    /// One page of the folder's secrets whose names contain `text`.
    pub fn page(&self, text: Option<&str>, state: State, skip: u64, take: u32) -> Result<Page<Summary>, ProviderError> {
        self.send_ok(&self.search(text, false, state, skip, take), "listing secrets")?.json()
    }
}
