//! `list`: KV version 2 lists one folder at a time, so the plugin walks the
//! folders under the prefix, sorts the full names, and pages through them
//! with the last name of a page as the next page's token. Each listed secret
//! costs one metadata read (for tags, versions and deletion state).

use crate::names::check_name;
use crate::Vault;
use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::time::now_ms;
use keyway_plugin_sdk::{ListPage, ListRequest, ProviderError, SecretMetadata};

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1_000;
const MAX_DEPTH: usize = 64;

impl Vault {
    /// One page of the secrets whose names start with the request's prefix.
    pub(crate) fn list_secrets(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        let prefix = request.prefix.as_deref().unwrap_or("");
        if prefix.chars().any(char::is_control) || prefix.starts_with('/') {
            return Err(ProviderError::InvalidArgument(format!(
                "'{}' is not a valid name prefix: it starts with '/' or has control characters",
                prefix.escape_debug()
            )));
        }
        let after = request.page_token.as_deref().filter(|token| !token.is_empty());
        if let Some(token) = after {
            check_name(token).map_err(|_| ProviderError::InvalidArgument("the page token is not valid".into()))?;
        }
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
        let folder = prefix.rfind('/').map_or("", |slash| &prefix[..=slash]);
        let mut names = Vec::new();
        self.collect(folder, prefix, after, &mut names, 0)?;
        names.sort();
        names.dedup();

        let now = now_ms();
        let mut secrets: Vec<SecretMetadata> = Vec::new();
        let mut next_page = None;
        for name in names {
            let record = match self.kv.read_metadata(&name) {
                Ok(Some(record)) => record,
                // Removed since the folder was listed.
                Ok(None) => continue,
                Err(ProviderError::AccessDenied(_)) => {
                    host::log(Level::Debug, "skipping a secret whose metadata the token may not read", &[]);
                    continue;
                }
                Err(err) => return Err(err),
            };
            let Some(metadata) = record.metadata(&name, record.current_version, now) else { continue };
            let destroyed = record.current().is_some_and(|v| v.destroyed);
            if !request.matches(&metadata) || (destroyed && !request.include_deleted) {
                continue;
            }
            if secrets.len() == page_size {
                // One more match exists: the page is full and another follows.
                next_page = secrets.last().map(|m| m.name.clone());
                break;
            }
            secrets.push(metadata);
        }
        Ok(ListPage { secrets, next_page })
    }

    /// Adds the names under `folder` that start with `prefix` and sort after
    /// `after`, descending only into folders that can hold such names.
    fn collect(
        &self,
        folder: &str,
        prefix: &str,
        after: Option<&str>,
        names: &mut Vec<String>,
        depth: usize,
    ) -> Result<(), ProviderError> {
        if depth > MAX_DEPTH {
            return Err(ProviderError::Other(format!("folders below '{folder}' are nested more than 64 deep")));
        }
        let keys = match self.kv.list_folder(folder) {
            Ok(keys) => keys,
            Err(ProviderError::AccessDenied(_)) if depth > 0 => {
                host::log(Level::Debug, "skipping a folder the token may not list", &[("folder", folder)]);
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        for key in keys {
            let full = format!("{folder}{key}");
            if key.ends_with('/') {
                let may_match = full.starts_with(prefix) || prefix.starts_with(&full);
                // Every name in `full` sorts before a token that is greater and not inside it.
                let all_before_token = after.is_some_and(|a| a > full.as_str() && !a.starts_with(&full));
                if may_match && !all_before_token {
                    self.collect(&full, prefix, after, names, depth + 1)?;
                }
            } else if full.starts_with(prefix) && after.is_none_or(|a| full.as_str() > a) {
                names.push(full);
            }
        }
        Ok(())
    }
}
