//! Conjur's REST endpoints for variables of one account: resources shown and listed, values read
//! (one, or several in a batch) and set, and policies loaded.

use crate::errors::failure;
use crate::login::ConjurSession;
use crate::model::Resource;
use base64::Engine as _;
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::http::percent_encode;
use keyway_plugin_sdk::session::Call;
use keyway_plugin_sdk::{Method, ProviderError, Response};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// How a batch read went.
pub enum Batch {
    /// Every value, by variable id.
    Values(BTreeMap<String, Zeroizing<Vec<u8>>>),
    /// Conjur refused the batch as a whole (a missing, empty or forbidden variable): read one by one.
    Refused,
}

/// How a policy is loaded.
#[derive(Debug, Clone, Copy)]
pub enum LoadMode {
    /// `POST`: add records, leave existing ones as they are.
    Add,
    /// `PATCH`: add and update records, apply deletions.
    Update,
}

/// The variables of one Conjur account.
pub struct Conjur {
    session: ConjurSession,
}

impl Conjur {
    /// A client over an authenticated session.
    pub fn new(session: ConjurSession) -> Self {
        Self { session }
    }

    fn account(&self) -> String {
        percent_encode(self.session.login().account())
    }

    /// The variable `name`, `None` when it does not exist or the login may not see it.
    pub fn variable(&self, name: &str) -> Result<Option<Resource>, ProviderError> {
        let path = format!("resources/{}/variable/{}", self.account(), percent_encode(name));
        let response = self.session.send(&Call::get(path))?;
        match response.status {
            200..=299 => {
                // The value endpoint answers bare bytes, naming nothing: this answer is the read's check that
                // the variable is the one asked for.
                let resource: Resource = response.json()?;
                let asked = format!("{}:variable:{name}", self.session.login().account());
                answers::expect_name("Conjur", &asked, Some(&resource.id), Names::Exact)?;
                Ok(Some(resource))
            }
            404 => Ok(None),
            _ => Err(failure(&response, &format!("reading variable '{name}'"))),
        }
    }

    /// The value of `version` of variable `name`.
    pub fn value(&self, name: &str, version: u64) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
        let path = format!("secrets/{}/variable/{}", self.account(), percent_encode(name));
        let call = Call::get(path).query("version", version.to_string());
        let response = self.session.send(&call)?;
        match response.status {
            200..=299 => Ok(Zeroizing::new(response.body)),
            404 => Err(ProviderError::NotFound(format!(
                "version {version} of '{name}' does not exist (Conjur keeps a variable's last 20 versions)"
            ))),
            _ => Err(failure(&response, &format!("reading the value of '{name}'"))),
        }
    }

    /// The latest values of `names` in one request (`Accept: base64`, so binary values survive).
    pub fn batch(&self, names: &[&str]) -> Result<Batch, ProviderError> {
        let account = self.session.login().account();
        let ids: Vec<String> = names.iter().map(|n| format!("{account}:variable:{n}")).collect();
        let call = Call::get("secrets").query("variable_ids", ids.join(",")).header("accept", "base64");
        let response = self.session.send(&call)?;
        match response.status {
            200..=299 => {}
            403 | 404 | 406 | 422 => return Ok(Batch::Refused),
            _ => return Err(failure(&response, "reading variables in a batch")),
        }
        let encoded = response.header("content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        let map: BTreeMap<String, String> = response.json()?;
        let prefix = format!("{account}:variable:");
        let mut values = BTreeMap::new();
        for (id, value) in map {
            let value = Zeroizing::new(value);
            let bytes = if encoded {
                base64::engine::general_purpose::STANDARD
                    .decode(value.as_bytes())
                    .map_err(|_| ProviderError::Other("Conjur sent a batch value that is not base64".into()))?
            } else {
                value.as_bytes().to_vec()
            };
            values.insert(id.strip_prefix(&prefix).unwrap_or(&id).to_owned(), Zeroizing::new(bytes));
        }
        Ok(Batch::Values(values))
    }

    /// One page of the variables the login may see, sorted by id.
    pub fn list(&self, limit: usize, offset: usize) -> Result<Vec<Resource>, ProviderError> {
        let call = Call::get(format!("resources/{}", self.account()))
            .query("kind", "variable")
            .query("limit", limit.to_string())
            .query("offset", offset.to_string());
        let response = self.session.send(&call)?;
        if !response.is_success() {
            return Err(failure(&response, "listing variables"));
        }
        response.json()
    }

    /// Adds a version holding `value` to variable `name`.
    pub fn set_value(&self, name: &str, value: &[u8]) -> Result<(), ProviderError> {
        let path = format!("secrets/{}/variable/{}", self.account(), percent_encode(name));
        let response = self.session.send(&Call::post(path).body("application/octet-stream", value.to_vec()))?;
        match response.status {
            200..=299 => Ok(()),
            404 => Err(ProviderError::Conflict(format!("variable '{name}' was deleted while its value was being set"))),
            _ => Err(failure(&response, &format!("setting the value of '{name}'"))),
        }
    }

    /// Loads `policy` into the policy branch `branch`.
    pub fn load_policy(&self, branch: &str, mode: LoadMode, policy: &str) -> Result<Response, ProviderError> {
        let method = match mode {
            LoadMode::Add => Method::POST,
            LoadMode::Update => Method::PATCH,
        };
        let path = format!("policies/{}/policy/{}", self.account(), percent_encode(branch));
        let response =
            self.session.send(&Call::new(method, path).body("application/x-yaml", policy.as_bytes().to_vec()))?;
        match response.status {
            200..=299 => Ok(response),
            404 => Err(ProviderError::Configuration(format!(
                "policy '{branch}' does not exist in account '{}': check policy_branch",
                self.session.login().account()
            ))),
            403 => Err(ProviderError::AccessDenied(format!(
                "the login may not load policy into '{branch}': it needs create and update on that policy (own it, \
                 or be permitted)"
            ))),
            _ => Err(failure(&response, &format!("loading policy into '{branch}'"))),
        }
    }
}
