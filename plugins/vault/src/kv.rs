//! The KV version 2 HTTP API of one mount: paths, the one-time check that the
//! mount is a KV version 2 engine, and one method per endpoint.

use crate::errors::{self, kv_failure};
use crate::login::VaultSession;
use crate::model::{DataRecord, Envelope, SecretRecord, WrittenVersion};
use keyway_plugin_sdk::http::encode_path;
use keyway_plugin_sdk::session::Call;
use keyway_plugin_sdk::{ProviderError, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;

/// What a data read found.
pub enum DataRead {
    /// A readable version.
    Live(Map<String, Value>, WrittenVersion),
    /// No readable version: the secret or version does not exist (`None`), or
    /// is deleted or destroyed (its metadata).
    Gone(Option<WrittenVersion>),
}

/// A check-and-set write lost against a concurrent write.
pub struct CasMismatch;

/// One KV version 2 mount, reached through an authenticated session.
pub struct Kv {
    session: VaultSession,
    mount: String,
    mount_checked: Cell<bool>,
}

#[derive(Deserialize)]
struct MountInfo {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    options: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    keys: Vec<String>,
}

impl Kv {
    /// The mount `mount` (no slashes around it) on `session`'s server.
    pub fn new(session: VaultSession, mount: String) -> Self {
        Self { session, mount, mount_checked: Cell::new(false) }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    fn path(&self, endpoint: &str, name: &str) -> String {
        format!("v1/{}/{endpoint}/{}", encode_path(&self.mount), encode_path(name))
    }

    /// "reading 'app/db' in mount 'secret'", for messages.
    pub fn action(&self, verb: &str, name: &str) -> String {
        format!("{verb} '{name}' in mount '{}'", self.mount)
    }

    fn send(&self, call: &Call) -> Result<Response, ProviderError> {
        self.check_mount()?;
        self.session.send(call)
    }

    /// Checks once per connection that the mount exists and is KV version 2,
    /// so a wrong `mount` or a version 1 engine fails with a clear message
    /// instead of "not found" on every name.
    fn check_mount(&self) -> Result<(), ProviderError> {
        if self.mount_checked.get() {
            return Ok(());
        }
        let path = format!("v1/sys/internal/ui/mounts/{}", encode_path(&self.mount));
        let response = self.session.send(&Call::get(path))?;
        let message = errors::vault_message(&response);
        match response.status {
            200 => {
                let info = response.json::<Envelope<MountInfo>>()?.data;
                if let Some(info) = info {
                    self.check_mount_info(&info)?;
                }
            }
            403 if message.contains("preflight") => {
                return Err(ProviderError::Configuration(format!(
                    "mount '{}' cannot be used: no secrets engine is mounted there, or no policy of this token grants \
                     any path under it (Vault: {message})",
                    self.mount
                )))
            }
            401 | 403 => {
                return Err(ProviderError::AccessDenied(format!(
                    "Vault at {} refused the token ({message}): it is invalid, expired or revoked",
                    self.session.http().base_url()
                )))
            }
            // Servers or proxies without this endpoint: the KV calls report problems themselves.
            400 | 404 | 405 => {}
            _ => return Err(kv_failure(&response, &format!("checking mount '{}'", self.mount), &self.mount)),
        }
        self.mount_checked.set(true);
        Ok(())
    }

    fn check_mount_info(&self, info: &MountInfo) -> Result<(), ProviderError> {
        let mount_point = info.path.trim_matches('/');
        if !mount_point.is_empty() && mount_point != self.mount {
            return Err(ProviderError::Configuration(format!(
                "'{}' is inside the {} engine mounted at '{mount_point}/': set mount to '{mount_point}' and put the \
                 rest of the path into the manager's prefix",
                self.mount, info.kind
            )));
        }
        let version = info.options.as_ref().and_then(|o| o.get("version")).map(String::as_str).unwrap_or("1");
        match (info.kind.as_str(), version) {
            ("kv", "2") => Ok(()),
            ("kv" | "generic", _) => Err(ProviderError::Configuration(format!(
                "mount '{}' is a KV version 1 engine, which this plugin does not support: upgrade it with `bao kv \
                 enable-versioning {}` (or `vault kv enable-versioning`)",
                self.mount, self.mount
            ))),
            (other, _) => Err(ProviderError::Configuration(format!(
                "mount '{}' is a '{other}' engine, not a KV version 2 secrets engine",
                self.mount
            ))),
        }
    }

    /// Reads the latest version, or version `version`.
    pub fn read_data(&self, name: &str, version: Option<u64>) -> Result<DataRead, ProviderError> {
        let path = self.path("data", name);
        let mut call = Call::get(path);
        if let Some(version) = version {
            call = call.query("version", version.to_string());
        }
        let response = self.send(&call)?;
        match response.status {
            200 => {
                // A success that is not a KV read (no data and no version metadata), or that is another
                // version's, is a broken answer: never a missing secret, never served.
                let broken = || {
                    ProviderError::Unavailable(format!(
                        "Vault answered {} with a success that is not a KV version 2 read; not served",
                        self.action("reading", name)
                    ))
                };
                let record = response.json::<Envelope<DataRecord>>()?.data.ok_or_else(broken)?;
                match (record.data, record.metadata) {
                    (Some(data), Some(meta)) => {
                        if let Some(asked) = version.filter(|asked| *asked != meta.version) {
                            return Err(ProviderError::Other(format!(
                                "Vault answered version {} when {} version {asked} was asked for; not served",
                                meta.version,
                                self.action("reading", name)
                            )));
                        }
                        Ok(DataRead::Live(data, meta))
                    }
                    (None, Some(meta)) => Ok(DataRead::Gone(Some(meta))),
                    _ => Err(broken()),
                }
            }
            404 if !errors::is_missing_route(&response) => {
                let meta = response.json::<Envelope<DataRecord>>().ok().and_then(|e| e.data).and_then(|r| r.metadata);
                Ok(DataRead::Gone(meta))
            }
            _ => Err(kv_failure(&response, &self.action("reading", name), &self.mount)),
        }
    }

    /// Reads the secret's metadata and version list; `None` when it does not exist.
    pub fn read_metadata(&self, name: &str) -> Result<Option<SecretRecord>, ProviderError> {
        let path = self.path("metadata", name);
        let response = self.send(&Call::get(path))?;
        match response.status {
            200 => Ok(response.json::<Envelope<SecretRecord>>()?.data),
            404 if !errors::is_missing_route(&response) => Ok(None),
            _ => Err(kv_failure(&response, &self.action("reading the metadata of", name), &self.mount)),
        }
    }

    /// Writes a new version if the current version is `cas` (0: the secret must not exist).
    pub fn write_data(
        &self,
        name: &str,
        data: Map<String, Value>,
        cas: u64,
    ) -> Result<Result<WrittenVersion, CasMismatch>, ProviderError> {
        let path = self.path("data", name);
        let call = Call::post(path).json(&json!({ "data": data, "options": { "cas": cas } }))?;
        let response = self.send(&call)?;
        if errors::is_cas_mismatch(&response) {
            return Ok(Err(CasMismatch));
        }
        if !response.is_success() {
            return Err(kv_failure(&response, &self.action("writing", name), &self.mount));
        }
        Ok(Ok(response.json::<Envelope<WrittenVersion>>()?.data.unwrap_or_default()))
    }

    /// Replaces the secret's custom metadata.
    pub fn write_custom_metadata(&self, name: &str, custom: &BTreeMap<String, String>) -> Result<(), ProviderError> {
        let path = self.path("metadata", name);
        let call = Call::post(path).json(&json!({ "custom_metadata": custom }))?;
        self.expect_success(&call, "writing the tags of", name)
    }

    /// Soft-deletes versions; they stay restorable.
    pub fn delete_versions(&self, name: &str, versions: &[u64]) -> Result<(), ProviderError> {
        let path = self.path("delete", name);
        let call = Call::post(path).json(&json!({ "versions": versions }))?;
        self.expect_success(&call, "deleting", name)
    }

    /// Restores soft-deleted versions.
    pub fn undelete_versions(&self, name: &str, versions: &[u64]) -> Result<(), ProviderError> {
        let path = self.path("undelete", name);
        let call = Call::post(path).json(&json!({ "versions": versions }))?;
        self.expect_success(&call, "restoring", name)
    }

    /// Deletes the metadata and every version, permanently.
    pub fn delete_everything(&self, name: &str) -> Result<(), ProviderError> {
        let path = self.path("metadata", name);
        self.expect_success(&Call::delete(path), "destroying", name)
    }

    /// The keys directly inside `folder` (empty or ending with `/`); sub-folders end with `/`.
    pub fn list_folder(&self, folder: &str) -> Result<Vec<String>, ProviderError> {
        let path = format!("v1/{}/metadata/{}", encode_path(&self.mount), encode_path(folder));
        let response = self.send(&Call::get(path).query("list", "true"))?;
        match response.status {
            200 => Ok(response.json::<Envelope<Keys>>()?.data.map(|k| k.keys).unwrap_or_default()),
            404 if !errors::is_missing_route(&response) => Ok(Vec::new()),
            _ => {
                let what = if folder.is_empty() { "the top level".to_owned() } else { format!("folder '{folder}'") };
                Err(kv_failure(&response, &format!("listing {what} of mount '{}'", self.mount), &self.mount))
            }
        }
    }

    fn expect_success(&self, call: &Call, verb: &str, name: &str) -> Result<(), ProviderError> {
        let response = self.send(call)?;
        if response.is_success() {
            Ok(())
        } else {
            Err(kv_failure(&response, &self.action(verb, name), &self.mount))
        }
    }
}
