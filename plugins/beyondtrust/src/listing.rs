//! `list`: every secret the user sees (one listing, paged by the service at 1000), those below the
//! root folder named relative to it, filtered by prefix, sorted by name, and paged with the last
//! name as the next page's token.

use crate::names::name_of;
use crate::PasswordSafe;
use keyway_plugin_sdk::{ListPage, ListRequest, ProviderError, SecretMetadata};

const MAX_PAGE_SIZE: u32 = 1_000;
const TOKEN_PREFIX: &str = "1:";

impl PasswordSafe {
    /// One page of the secrets whose names start with the request's prefix.
    pub(crate) fn list_secrets(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        if !request.tags.is_empty() {
            return Err(ProviderError::InvalidArgument("Secrets Safe secrets have no tags to filter by".into()));
        }
        let after = match request.page_token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(token.strip_prefix(TOKEN_PREFIX).ok_or_else(|| {
                ProviderError::InvalidArgument("the page token is not one this plugin issued".into())
            })?),
            None => None,
        };
        let page_size = request.page_size.unwrap_or(self.page_size).clamp(1, MAX_PAGE_SIZE) as usize;
        let root = self.root()?;
        let mut entries: Vec<SecretMetadata> = self
            .api()
            .list_all()?
            .iter()
            .filter_map(|record| {
                let name = name_of(root.as_deref(), record.folder_path.as_deref()?, &record.title)?;
                Some(record.metadata(&name))
            })
            .filter(|metadata| request.matches(metadata))
            .filter(|metadata| after.is_none_or(|after| metadata.name.as_str() > after))
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries.dedup_by(|a, b| a.name == b.name);
        let next_page = (entries.len() > page_size).then(|| format!("{TOKEN_PREFIX}{}", entries[page_size - 1].name));
        entries.truncate(page_size);
        Ok(ListPage { secrets: entries, next_page })
    }
}
