//! The Connect server's REST API v1 for one vault: the vault resolved from its name or id (once per
//! connection), items found by title, read, created, replaced, patched and deleted. The token goes
//! into each request's `Authorization` header and nowhere else.

use crate::errors::failure;
use crate::model::{Item, Vault};
use crate::names::title_filter;
use crate::settings::ConnectSettings;
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::{HttpClient, ProviderError, Response};
use std::cell::RefCell;
use std::time::Duration;
use zeroize::Zeroizing;

const BACKEND: &str = "1Password Connect";

/// A connection to one vault of a Connect server.
pub struct Connect {
    http: HttpClient,
    token: Zeroizing<String>,
    vault_setting: String,
    vault_id: RefCell<Option<String>>,
}

/// Whether `text` has the form of a 1Password id (26 lowercase letters and digits).
fn looks_like_id(text: &str) -> bool {
    text.len() == 26 && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Connect {
    /// A client for the settings' server and vault; nothing is sent yet.
    pub fn new(settings: ConnectSettings) -> Self {
        let http = HttpClient::new(settings.connect_host).with_timeout(Duration::from_secs(settings.timeout_seconds));
        Self { http, token: settings.token, vault_setting: settings.vault, vault_id: RefCell::new(None) }
    }

    fn send(
        &self,
        method: keyway_plugin_sdk::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ProviderError> {
        let mut request = self.http.request(method, path).bearer(&self.token);
        for (name, value) in query {
            request = request.query(name, value);
        }
        if let Some(body) = body {
            request = request.json(body)?;
        }
        request.send()
    }

    /// The vault's id: the setting when it is an id the server knows, else the one vault with that name.
    pub fn vault_id(&self) -> Result<String, ProviderError> {
        if let Some(id) = self.vault_id.borrow().as_ref() {
            return Ok(id.clone());
        }
        let id = self.resolve_vault()?;
        host::log(Level::Debug, "resolved the 1Password vault", &[("vault", &self.vault_setting), ("id", &id)]);
        *self.vault_id.borrow_mut() = Some(id.clone());
        Ok(id)
    }

    fn resolve_vault(&self) -> Result<String, ProviderError> {
        let wanted = self.vault_setting.as_str();
        let action = format!("looking up vault '{wanted}'");
        if looks_like_id(wanted) {
            let response = self.send(keyway_plugin_sdk::Method::GET, &format!("v1/vaults/{wanted}"), &[], None)?;
            match response.status {
                200..=299 => return Ok(response.json::<Vault>()?.id),
                // Not an id after all: perhaps a vault named like one.
                404 => {}
                _ => return Err(failure(&response, &action)),
            }
        }
        let filter = format!("name eq \"{wanted}\"");
        let response = self.send(keyway_plugin_sdk::Method::GET, "v1/vaults", &[("filter", filter)], None)?;
        if !response.is_success() {
            return Err(failure(&response, &action));
        }
        let vaults: Vec<Vault> = response.json()?;
        let named: Vec<&Vault> = vaults.iter().filter(|v| v.name == wanted).collect();
        match named.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(ProviderError::Configuration(format!(
                "no vault named or with id '{wanted}' is visible to this Connect token: check the vault setting \
                 and the token's vault access"
            ))),
            several => Err(ProviderError::Configuration(format!(
                "{} vaults are named '{wanted}': set vault to the id of the one to use",
                several.len()
            ))),
        }
    }

    fn items_path(&self) -> Result<String, ProviderError> {
        Ok(format!("v1/vaults/{}/items", self.vault_id()?))
    }

    /// Every live item of the vault, as summaries (no fields).
    pub fn list(&self) -> Result<Vec<Item>, ProviderError> {
        let response = self.send(keyway_plugin_sdk::Method::GET, &self.items_path()?, &[], None)?;
        if !response.is_success() {
            return Err(failure(&response, "listing the vault's items"));
        }
        Ok(response.json::<Vec<Item>>()?.into_iter().filter(Item::is_live).collect())
    }

    /// The live items titled exactly `name` (summaries).
    pub fn find_all(&self, name: &str) -> Result<Vec<Item>, ProviderError> {
        let query = [("filter", title_filter(name))];
        let response = self.send(keyway_plugin_sdk::Method::GET, &self.items_path()?, &query, None)?;
        if !response.is_success() {
            return Err(failure(&response, &format!("looking up item '{name}'")));
        }
        // Connect's filter may match titles without regard to case; an answer with no such title at all answers
        // another search.
        let found =
            answers::named(BACKEND, name, response.json::<Vec<Item>>()?, |i| i.title.as_str(), Names::IgnoreCase)?;
        Ok(found.into_iter().filter(|i| i.is_live() && i.title == name).collect())
    }

    /// The one live item titled `name` (summary), `None` when there is none.
    pub fn find(&self, name: &str) -> Result<Option<Item>, ProviderError> {
        one_titled(self.find_all(name)?, name)
    }

    /// The full item with this id.
    pub fn item(&self, id: &str, name: &str) -> Result<Item, ProviderError> {
        let path = format!("{}/{}", self.items_path()?, percent_encode(id));
        let response = self.send(keyway_plugin_sdk::Method::GET, &path, &[], None)?;
        match response.status {
            200..=299 => {
                let item: Item = response.json()?;
                if item.id != id {
                    let asked = format!("item {id} ('{name}')");
                    return Err(answers::not_served(BACKEND, &format!("item {}", item.id), &asked));
                }
                answers::expect_name(BACKEND, name, Some(&item.title), Names::Exact)?;
                Ok(item)
            }
            404 if !crate::errors::connect_message(&response).starts_with("vault ") => {
                Err(ProviderError::not_found(name))
            }
            _ => Err(failure(&response, &format!("reading item '{name}'"))),
        }
    }

    /// Creates `item` in the vault.
    pub fn create(&self, item: &Item) -> Result<Item, ProviderError> {
        let body =
            serde_json::to_value(item).map_err(|err| ProviderError::Other(format!("item not encodable: {err}")))?;
        let response = self.send(keyway_plugin_sdk::Method::POST, &self.items_path()?, &[], Some(&body))?;
        if !response.is_success() {
            return Err(failure(&response, &format!("creating item '{}'", item.title)));
        }
        response.json()
    }

    /// Replaces the item with `item.id` by `item` (`PUT`).
    pub fn replace(&self, item: &Item) -> Result<Item, ProviderError> {
        let body =
            serde_json::to_value(item).map_err(|err| ProviderError::Other(format!("item not encodable: {err}")))?;
        let path = format!("{}/{}", self.items_path()?, percent_encode(&item.id));
        let response = self.send(keyway_plugin_sdk::Method::PUT, &path, &[], Some(&body))?;
        match response.status {
            200..=299 => response.json(),
            404 => {
                Err(ProviderError::Conflict(format!("item '{}' was deleted while it was being changed", item.title)))
            }
            _ => Err(failure(&response, &format!("replacing item '{}'", item.title))),
        }
    }

    /// Applies JSON Patch `operations` to the item with this id.
    pub fn patch(&self, id: &str, name: &str, operations: &serde_json::Value) -> Result<Item, ProviderError> {
        let path = format!("{}/{}", self.items_path()?, percent_encode(id));
        let response = self.send(keyway_plugin_sdk::Method::PATCH, &path, &[], Some(operations))?;
        match response.status {
            200..=299 => response.json(),
            404 => Err(ProviderError::Conflict(format!("item '{name}' was deleted while it was being changed"))),
            _ => Err(failure(&response, &format!("changing item '{name}'"))),
        }
    }

    /// Deletes the item with this id.
    pub fn delete(&self, id: &str, name: &str) -> Result<(), ProviderError> {
        let path = format!("{}/{}", self.items_path()?, percent_encode(id));
        let response = self.send(keyway_plugin_sdk::Method::DELETE, &path, &[], None)?;
        match response.status {
            200..=299 => Ok(()),
            404 => Err(ProviderError::not_found(name)),
            _ => Err(failure(&response, &format!("deleting item '{name}'"))),
        }
    }
}

/// The one item of `items`, `None` for none; several items with one title are a conflict, since
/// keyway addresses items by title.
pub fn one_titled(mut items: Vec<Item>, name: &str) -> Result<Option<Item>, ProviderError> {
    match items.len() {
        0 => Ok(None),
        1 => Ok(items.pop()),
        n => Err(ProviderError::Conflict(format!(
            "{n} items in the vault are titled '{name}': keyway addresses 1Password items by title, so rename or \
             remove all but one"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_id;

    #[test]
    fn ids_have_26_lowercase_characters() {
        assert!(looks_like_id("ionaiwtdvgclrixbt6ztpqcxnq"));
        assert!(!looks_like_id("Private"));
        assert!(!looks_like_id("IONAIWTDVGCLRIXBT6ZTPQCXNQ"));
    }
}
