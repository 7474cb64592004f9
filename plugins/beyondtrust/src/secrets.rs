//! The Secrets Safe calls on secrets: find by folder path and title, read a value by its kind,
//! create text and file secrets, replace a secret's content, delete, and list everything.

use crate::errors;
use crate::login::{PasswordSafeSession, User};
use crate::model::{CredentialAnswer, Kind, ListAnswer, SecretRecord, TextAnswer};
use crate::multipart::file_form;
use crate::names::SecretPath;
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::session::Call;
use keyway_plugin_sdk::{Method, ProviderError, SecretValue};
use serde_json::{json, Map, Value};

/// Secrets per listing request (the service's maximum).
const PAGE: usize = 1000;

/// What a write sets besides the title.
pub struct Content<'a> {
    /// The description.
    pub description: &'a str,
    /// The value.
    pub value: &'a SecretValue,
}

/// The Secrets Safe API of one session, in one request version.
pub struct SecretsApi<'a> {
    /// The session.
    pub session: &'a PasswordSafeSession,
    /// `3.0`, `3.1` or `3.2`.
    pub version: &'a str,
}

impl SecretsApi<'_> {
    fn call(&self, method: Method, path: impl Into<String>) -> Call {
        Call::new(method, path).query("version", self.version)
    }

    /// The signed-in user (signing in when needed).
    fn user(&self) -> Result<User, ProviderError> {
        self.session.with_token(|signed_in| signed_in.user.clone())
    }

    fn send_ok(&self, call: &Call, action: &str) -> Result<keyway_plugin_sdk::Response, ProviderError> {
        let response = self.session.send(call)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(self.session.scrub(errors::api_failure(&response, action)))
        }
    }

    /// The secret titled `path.title` in the folder `path.folder`, if there is one.
    pub fn find(&self, path: &SecretPath, name: &str) -> Result<Option<SecretRecord>, ProviderError> {
        let call = self
            .call(Method::GET, "Secrets-Safe/Secrets")
            .query("Path", path.folder.clone())
            .query("Title", path.title.clone())
            .query("Separator", "/");
        let response = self.session.send(&call)?;
        if response.status == 404 {
            return Ok(None);
        }
        if !response.is_success() {
            return Err(self.session.scrub(errors::api_failure(&response, &format!("looking up '{name}'"))));
        }
        let records = response.json::<ListAnswer<SecretRecord>>()?.into_items();
        // A search by title answers secrets of that title or none; secrets of other titles answer another search.
        let mut found: Vec<SecretRecord> =
            answers::named("Password Safe", &path.title, records, |s| s.title.as_str(), Names::IgnoreCase)?
                .into_iter()
                .filter(|s| s.folder_path.as_deref().is_none_or(|f| f.eq_ignore_ascii_case(&path.folder)))
                .collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            n => Err(ProviderError::Conflict(format!(
                "{n} secrets are titled '{}' in the folder '{}': keyway addresses secrets by title",
                path.title, path.folder
            ))),
        }
    }

    /// The value of `record`: a credential's password, a text secret's text, a file's bytes.
    pub fn value(&self, record: &SecretRecord, name: &str) -> Result<SecretValue, ProviderError> {
        let id = percent_encode(&record.id);
        let action = format!("reading the value of '{name}'");
        match record.kind()? {
            Kind::Credential => {
                let password = match &record.password {
                    Some(password) => password.clone(),
                    None => {
                        let call = self.call(Method::GET, format!("Secrets-Safe/Secrets/{id}"));
                        self.send_ok(&call, &action)?.json::<CredentialAnswer>()?.password.unwrap_or_default()
                    }
                };
                Ok(SecretValue::text(password.as_str()))
            }
            Kind::Text => {
                let text = match &record.text {
                    Some(text) => text.clone(),
                    None => {
                        let call = self.call(Method::GET, format!("Secrets-Safe/Secrets/{id}/text"));
                        self.send_ok(&call, &action)?.json::<TextAnswer>()?.text.unwrap_or_default()
                    }
                };
                Ok(SecretValue::text(text.as_str()))
            }
            Kind::File => {
                let call = self.call(Method::GET, format!("Secrets-Safe/Secrets/{id}/file/download"));
                let mut response = self.send_ok(&call, &action)?;
                Ok(SecretValue::binary(std::mem::take(&mut response.body)))
            }
        }
    }

    /// Every secret the user sees, without values (`decrypt=false`).
    pub fn list_all(&self) -> Result<Vec<SecretRecord>, ProviderError> {
        let mut all = Vec::new();
        for page in 0.. {
            let call = self
                .call(Method::GET, "Secrets-Safe/Secrets")
                .query("Limit", PAGE.to_string())
                .query("Offset", (page * PAGE).to_string())
                .query("decrypt", "false");
            let items = self.send_ok(&call, "listing secrets")?.json::<ListAnswer<SecretRecord>>()?.into_items();
            let count = items.len();
            all.extend(items);
            if count < PAGE {
                break;
            }
        }
        Ok(all)
    }

    /// The owner fields of a new secret: the signed-in user.
    fn new_owner(&self, user: &User, body: &mut Map<String, Value>) {
        if self.version == "3.0" {
            body.insert("OwnerId".into(), json!(user.user_id));
            body.insert("OwnerType".into(), json!("User"));
            body.insert(
                "Owners".into(),
                json!([{ "OwnerId": user.user_id, "Owner": user.name, "Email": user.email_address }]),
            );
        } else {
            body.insert(
                "Owners".into(),
                json!([{ "UserId": user.user_id, "Name": user.name, "Email": user.email_address }]),
            );
        }
    }

    /// Creates a text secret (text values) or a file secret (binary values) in the folder `folder_id`.
    pub fn create(&self, folder_id: &str, title: &str, content: &Content<'_>, name: &str) -> Result<(), ProviderError> {
        let user = self.user()?;
        let mut body = Map::new();
        body.insert("Title".into(), json!(title));
        body.insert("Description".into(), json!(content.description));
        self.new_owner(&user, &mut body);
        let folder = percent_encode(folder_id);
        let action = format!("creating '{name}'");
        let call = match content.value {
            SecretValue::Text(text) => {
                body.insert("FolderId".into(), json!(folder_id));
                body.insert("Text".into(), json!(text.as_str()));
                self.call(Method::POST, format!("Secrets-Safe/Folders/{folder}/secrets/text"))
                    .json(&Value::Object(body))?
            }
            SecretValue::Binary(bytes) => {
                body.insert("FileName".into(), json!(title));
                let (content_type, form) = file_form(&Value::Object(body), title, bytes);
                self.call(Method::POST, format!("Secrets-Safe/Folders/{folder}/secrets/file")).body(&content_type, form)
            }
        };
        let response = self.session.send(&call)?;
        match response.status {
            200..=299 => Ok(()),
            409 => Err(ProviderError::AlreadyExists(format!("a secret named '{name}' exists already"))),
            _ => Err(self.session.scrub(errors::api_failure(&response, &action))),
        }
    }

    /// Replaces the content of `record` (of its own kind) with a new value and description.
    pub fn replace(&self, record: &SecretRecord, content: &Content<'_>, name: &str) -> Result<(), ProviderError> {
        let mut body = Map::new();
        body.insert("Title".into(), json!(record.title));
        body.insert("Description".into(), json!(content.description));
        if let Some(folder) = &record.folder_id {
            body.insert("FolderId".into(), json!(folder));
        }
        if let Some(notes) = &record.notes {
            body.insert("Notes".into(), json!(notes));
        }
        match record.owners.as_ref().filter(|o| o.as_array().is_some_and(|a| !a.is_empty())) {
            Some(owners) => {
                body.insert("Owners".into(), owners.clone());
                if self.version == "3.0" {
                    body.insert("OwnerId".into(), record.owner_id.clone().unwrap_or(Value::Null));
                    body.insert("OwnerType".into(), json!(record.owner_type.as_deref().unwrap_or("User")));
                }
            }
            None => self.new_owner(&self.user()?, &mut body),
        }
        let id = percent_encode(&record.id);
        let action = format!("changing '{name}'");
        let kind = record.kind()?;
        let call = match (kind, content.value) {
            (Kind::Credential, SecretValue::Text(password)) => {
                body.insert("Username".into(), json!(record.username.as_deref().unwrap_or_default()));
                body.insert("Password".into(), json!(password.as_str()));
                if let Some(urls) = &record.urls {
                    body.insert("Urls".into(), urls.clone());
                }
                if let Some(rule) = &record.password_rule_id {
                    body.insert("PasswordRuleID".into(), rule.clone());
                }
                self.call(Method::PUT, format!("Secrets-Safe/Secrets/{id}")).json(&Value::Object(body))?
            }
            (Kind::Text, SecretValue::Text(text)) => {
                body.insert("Text".into(), json!(text.as_str()));
                self.call(Method::PUT, format!("Secrets-Safe/Secrets/{id}/text")).json(&Value::Object(body))?
            }
            (Kind::File, value) => {
                let file_name = record.file_name.clone().unwrap_or_else(|| record.title.clone());
                body.insert("FileName".into(), json!(file_name));
                let (content_type, form) = file_form(&Value::Object(body), &file_name, value.expose_bytes());
                self.call(Method::PUT, format!("Secrets-Safe/Secrets/{id}/file")).body(&content_type, form)
            }
            (_, SecretValue::Binary(_)) => {
                return Err(ProviderError::InvalidArgument(format!(
                    "'{name}' is a {} secret, which holds text: a binary value fits only a file secret",
                    kind.name()
                )))
            }
        };
        self.send_ok(&call, &action).map(|_| ())
    }

    /// Deletes the secret `record` for good.
    pub fn delete(&self, record: &SecretRecord, name: &str) -> Result<(), ProviderError> {
        // DELETE takes no request version.
        let call = Call::delete(format!("Secrets-Safe/Secrets/{}", percent_encode(&record.id)));
        self.send_ok(&call, &format!("deleting '{name}'")).map(|_| ())
    }
}
