//! `list`: Key Vault pages (`nextLink`, at most 25 items each) filtered by the manager's prefix,
//! the caller's prefix and tags, regrouped into pages of the caller's size.
//!
//! The page token is `v1|PHASE|SKIP|URL`: the Key Vault page to fetch (`secrets`, then
//! `deletedsecrets` with `include-deleted`) and how many of its matching items were already
//! returned. A token is only followed into this vault's collections, so a forged one cannot
//! send the bearer token elsewhere.

use crate::model::Bundle;
use crate::names::has_prefix;
use crate::Azure;
use keyway_plugin_sdk::prelude::*;

/// Key Vault's largest page.
const VAULT_PAGE: u32 = 25;
/// Key Vault pages read by one call at most; a page may come back short, with a token.
const MAX_PAGES_PER_CALL: usize = 40;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Active,
    Deleted,
}

impl Phase {
    fn collection(self) -> &'static str {
        match self {
            Phase::Active => "secrets",
            Phase::Deleted => "deletedsecrets",
        }
    }
}

struct Cursor {
    phase: Phase,
    skip: usize,
    url: String,
}

impl Cursor {
    fn token(&self) -> String {
        let phase = if self.phase == Phase::Active { "a" } else { "d" };
        format!("v1|{phase}|{}|{}", self.skip, self.url)
    }
}

impl Azure {
    fn parse_token(&self, token: &str) -> Result<Cursor> {
        let invalid = || ProviderError::InvalidArgument("the page token is not one this provider issued".into());
        let mut parts = token.splitn(4, '|');
        let (Some("v1"), Some(phase), Some(skip), Some(url)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let phase = match phase {
            "a" => Phase::Active,
            "d" => Phase::Deleted,
            _ => return Err(invalid()),
        };
        let skip = skip.parse().map_err(|_| invalid())?;
        if !self.kv.owns_link(url, phase.collection()) {
            return Err(invalid());
        }
        Ok(Cursor { phase, skip, url: url.to_owned() })
    }

    fn first_page(&self, phase: Phase) -> Cursor {
        let url = format!("{}{}", self.kv.config.vault_url, self.kv.list_path(phase.collection(), VAULT_PAGE));
        Cursor { phase, skip: 0, url }
    }

    /// The caller's metadata of an item, when it passes the filters.
    fn matching(&self, item: &Bundle, request: &ListRequest) -> Option<SecretMetadata> {
        let name = item.caller_name(&self.kv.config.prefix)?;
        if request.prefix.as_deref().is_some_and(|prefix| !has_prefix(&name, prefix)) {
            return None;
        }
        let tags = item.user_tags();
        if !request.tags.iter().all(|(key, value)| tags.get(key) == Some(value)) {
            return None;
        }
        Some(item.metadata(&name))
    }

    /// One page of the caller's size.
    pub(crate) fn list_page(&self, request: &ListRequest) -> Result<ListPage> {
        let want = request.page_size.unwrap_or(self.kv.config.page_size).clamp(1, 1000) as usize;
        let mut cursor = match &request.page_token {
            Some(token) => self.parse_token(token)?,
            None => self.first_page(Phase::Active),
        };
        let mut secrets = Vec::new();
        for _ in 0..MAX_PAGES_PER_CALL {
            let page = self.kv.page(&cursor.url, "the vault's secrets")?;
            let matching: Vec<SecretMetadata> =
                page.value.iter().filter_map(|item| self.matching(item, request)).skip(cursor.skip).collect();
            for (taken, meta) in matching.into_iter().enumerate() {
                if secrets.len() == want {
                    cursor.skip += taken;
                    return Ok(ListPage { secrets, next_page: Some(cursor.token()) });
                }
                secrets.push(meta);
            }
            cursor = match page.next_link {
                Some(next) if self.kv.owns_link(&next, cursor.phase.collection()) => {
                    Cursor { phase: cursor.phase, skip: 0, url: next }
                }
                Some(_) => return Err(ProviderError::Other("Key Vault sent a nextLink outside the vault".into())),
                None if cursor.phase == Phase::Active && request.include_deleted => self.first_page(Phase::Deleted),
                None => return Ok(ListPage { secrets, next_page: None }),
            };
            if secrets.len() == want {
                break;
            }
        }
        Ok(ListPage { secrets, next_page: Some(cursor.token()) })
    }
}
