//! `list`: one search page of the folder's secrets (the prefix as search text, which Secret Server
//! matches anywhere in the name), kept when the name starts with the prefix; the page token is the
//! next page's offset.

use crate::server::State;
use crate::SecretServer;
use keyway_plugin_sdk::{ListPage, ListRequest, ProviderError};

const MAX_PAGE_SIZE: u32 = 1_000;
const TOKEN_PREFIX: &str = "1:";

impl SecretServer {
    /// One page of the secrets whose names start with the request's prefix.
    pub(crate) fn list_secrets(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        if !request.tags.is_empty() {
            return Err(ProviderError::InvalidArgument("Secret Server secrets have no tags to filter by".into()));
        }
        let skip = match request.page_token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => token
                .strip_prefix(TOKEN_PREFIX)
                .and_then(|skip| skip.parse::<u64>().ok())
                .ok_or_else(|| ProviderError::InvalidArgument("the page token is not one this plugin issued".into()))?,
            None => 0,
        };
        let take = request.page_size.unwrap_or(self.page_size).clamp(1, MAX_PAGE_SIZE);
        let state = if request.include_deleted { State::Any } else { State::Active };
        let page = self.api().page(request.prefix.as_deref(), state, skip, take)?;
        let secrets = page
            .records
            .iter()
            .map(|summary| summary.metadata(&summary.name))
            .filter(|metadata| request.matches(metadata))
            .collect();
        let next_page = page.has_next.then(|| format!("{TOKEN_PREFIX}{}", skip + u64::from(take)));
        Ok(ListPage { secrets, next_page })
    }
}
