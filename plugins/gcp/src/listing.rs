//! `list`: Secret Manager pages narrowed by a server-side `filter` (the name and the labels), then
//! filtered exactly (the manager's prefix, the caller's prefix, the tags) and regrouped into pages
//! of the caller's size.
//!
//! The server-side filter only narrows: `name:` is a substring match, so every secret the exact
//! filter keeps is in its answer. The page token is `g1|SKIP|TOKEN`: Secret Manager's page token
//! (empty for the first page) and how many matching secrets of that page were already returned.

use crate::model::{SecretPage, SecretResource};
use crate::names::strip_prefix;
use crate::Gcp;
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;

/// Secret Manager pages read by one call at most; the page may come back short, with a token.
const MAX_PAGES_PER_CALL: usize = 20;

struct Cursor {
    skip: usize,
    token: String,
}

impl Cursor {
    fn encode(&self) -> String {
        format!("g1|{}|{}", self.skip, self.token)
    }

    fn decode(token: &str) -> Result<Self> {
        let invalid = || ProviderError::InvalidArgument("the page token is not one this provider issued".into());
        let mut parts = token.splitn(3, '|');
        let (Some("g1"), Some(skip), Some(token)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        Ok(Self { skip: skip.parse().map_err(|_| invalid())?, token: token.to_owned() })
    }
}

impl Gcp {
    /// The server-side filter: secrets whose name contains the full prefix and carrying the tags.
    fn filter(&self, request: &ListRequest) -> String {
        let prefix = format!("{}{}", self.sm.config.prefix, request.prefix.as_deref().unwrap_or_default());
        let mut terms = Vec::new();
        if !prefix.is_empty() && prefix.chars().all(crate::names::id_char) {
            terms.push(format!("name:{prefix}"));
        }
        for (key, value) in &request.tags {
            terms.push(format!("labels.{key}={value}"));
        }
        terms.join(" AND ")
    }

    /// The caller's metadata of a secret, when it passes the exact filters.
    fn matching(&self, secret: &SecretResource, request: &ListRequest) -> Option<SecretMetadata> {
        let name = strip_prefix(&self.sm.config.prefix, secret.id())?;
        if request.prefix.as_deref().is_some_and(|prefix| !name.starts_with(prefix)) {
            return None;
        }
        if !request.tags.iter().all(|(key, value)| secret.labels.get(key) == Some(value)) {
            return None;
        }
        Some(secret.metadata(name))
    }

    /// One page of the caller's size.
    pub(crate) fn list_page(&self, request: &ListRequest) -> Result<ListPage> {
        crate::names::check_labels(&request.tags)?;
        let want = request.page_size.unwrap_or(self.sm.config.page_size).clamp(1, 1000) as usize;
        let mut cursor = match &request.page_token {
            Some(token) => Cursor::decode(token)?,
            None => Cursor { skip: 0, token: String::new() },
        };
        let filter = self.filter(request);
        let path = format!("{}/secrets", self.sm.config.parent);
        let page_size = want.clamp(25, 250).to_string();
        let mut secrets = Vec::new();
        for _ in 0..MAX_PAGES_PER_CALL {
            let mut query = vec![("pageSize", page_size.as_str())];
            if !filter.is_empty() {
                query.push(("filter", filter.as_str()));
            }
            if !cursor.token.is_empty() {
                query.push(("pageToken", cursor.token.as_str()));
            }
            let page: SecretPage = self.sm.call(Method::GET, &path, &query, None, "the project's secrets")?;
            let matching: Vec<SecretMetadata> =
                page.secrets.iter().filter_map(|s| self.matching(s, request)).skip(cursor.skip).collect();
            for (taken, meta) in matching.into_iter().enumerate() {
                if secrets.len() == want {
                    cursor.skip += taken;
                    return Ok(ListPage { secrets, next_page: Some(cursor.encode()) });
                }
                secrets.push(meta);
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => cursor = Cursor { skip: 0, token: next },
                None => return Ok(ListPage { secrets, next_page: None }),
            }
            if secrets.len() == want {
                break;
            }
        }
        Ok(ListPage { secrets, next_page: Some(cursor.encode()) })
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let cursor = Cursor::decode(&Cursor { skip: 3, token: "abc|def".into() }.encode()).expect("token");
        assert_eq!((cursor.skip, cursor.token.as_str()), (3, "abc|def"));
        assert!(Cursor::decode("v1|a|0|x").is_err());
        assert!(Cursor::decode("g1|x|y").is_err());
    }
}
