//! `list`: one listing of the vault's item summaries, filtered by title prefix and tags, sorted by
//! title, and paged with the last item's title and id as the next page's token.

use crate::model::Item;
use crate::OnePassword;
use keyway_plugin_sdk::{ListPage, ListRequest, ProviderError, SecretMetadata};

const MAX_PAGE_SIZE: u32 = 1_000;

/// The token of the page after `item`: `1:ID:TITLE`.
fn token_after(item: &Item) -> String {
    format!("1:{}:{}", item.id, item.title)
}

/// The (title, id) a token continues after.
fn parse_token(token: &str) -> Result<(String, String), ProviderError> {
    let invalid = || ProviderError::InvalidArgument("the page token is not one this plugin issued".into());
    let rest = token.strip_prefix("1:").ok_or_else(invalid)?;
    let (id, title) = rest.split_once(':').ok_or_else(invalid)?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    Ok((title.to_owned(), id.to_owned()))
}

/// What a summary tells: no description, and no value type for password items, whose fields decide
/// between `generic` and `key-value`.
fn summary_metadata(item: &Item) -> SecretMetadata {
    let mut metadata = item.base_metadata();
    if item.category != "PASSWORD" {
        metadata.secret_type = Some(crate::categories::secret_type(&item.category, false));
    }
    metadata
}

impl OnePassword {
    /// One page of the items whose titles start with the request's prefix.
    pub(crate) fn list_secrets(&self, request: &ListRequest) -> Result<ListPage, ProviderError> {
        let after = request.page_token.as_deref().filter(|t| !t.is_empty()).map(parse_token).transpose()?;
        let page_size = request.page_size.unwrap_or(self.page_size).clamp(1, MAX_PAGE_SIZE) as usize;
        let mut items: Vec<Item> = self.connect.list()?;
        items.sort_by(|a, b| (a.title.as_str(), a.id.as_str()).cmp(&(b.title.as_str(), b.id.as_str())));
        let mut page = ListPage::default();
        let mut last: Option<&Item> = None;
        for item in &items {
            if let Some((title, id)) = &after {
                if (item.title.as_str(), item.id.as_str()) <= (title.as_str(), id.as_str()) {
                    continue;
                }
            }
            let metadata = summary_metadata(item);
            if !request.matches(&metadata) {
                continue;
            }
            if page.secrets.len() == page_size {
                page.next_page = last.map(token_after);
                break;
            }
            page.secrets.push(metadata);
            last = Some(item);
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_titles_with_colons() -> Result<(), ProviderError> {
        let item: Item = serde_json::from_str(r#"{"id":"abc123","title":"db: main","vault":{"id":"v"}}"#)
            .map_err(|e| ProviderError::Other(e.to_string()))?;
        assert_eq!(parse_token(&token_after(&item))?, ("db: main".to_owned(), "abc123".to_owned()));
        assert!(parse_token("2:x:y").is_err());
        assert!(parse_token("1:a/b:y").is_err());
        Ok(())
    }
}
