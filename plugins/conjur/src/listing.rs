//! `list`: Conjur lists resources sorted by id with `limit` and `offset`, and its `search` is a
//! full-text search over ids and annotations, not a prefix match. So the plugin walks the sorted
//! listing itself, filters by prefix and annotations, and gives the offset to continue from as
//! the page token.

use crate::Conjur;
use keyway_plugin_sdk::{ListPage, ListRequest, ProviderError};

/// Variables fetched per request while walking the listing.
const FETCH: usize = 100;
const MAX_PAGE_SIZE: u32 = 1_000;

fn parse_token(token: &str) -> Result<usize, ProviderError> {
    token
        .strip_prefix("o:")
        .and_then(|offset| offset.parse().ok())
        .ok_or_else(|| ProviderError::InvalidArgument("the page token is not one this plugin issued".into()))
}

impl Conjur {
    /// One page of the variables whose ids start with the request's prefix.
    pub(crate) fn list_variables(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        let mut offset =
            request.page_token.as_deref().filter(|t| !t.is_empty()).map(parse_token).transpose()?.unwrap_or(0);
        let page_size = request.page_size.unwrap_or(self.page_size).clamp(1, MAX_PAGE_SIZE) as usize;
        let mut page = ListPage::default();
        loop {
            let batch = self.api.list(FETCH, offset)?;
            let full = batch.len() == FETCH;
            for resource in batch {
                let metadata = resource.metadata(None);
                if request.matches(&metadata) {
                    if page.secrets.len() == page_size {
                        page.next_page = Some(format!("o:{offset}"));
                        return Ok(page);
                    }
                    page.secrets.push(metadata);
                }
                offset += 1;
            }
            if !full {
                return Ok(page);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_token;

    #[test]
    fn tokens_are_offsets() {
        assert_eq!(parse_token("o:40").ok(), Some(40));
        assert!(parse_token("40").is_err() && parse_token("o:-1").is_err());
    }
}
