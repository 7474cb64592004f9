//! [`BearerToken`]: the host's OAuth access token for fixed scopes, kept by the plugin until
//! shortly before it expires, and one renewal when the backend answers 401.
//!
//! ```no_run
//! use keyway_plugin_sdk::{token::BearerToken, HttpClient};
//!
//! let http = HttpClient::new("https://my-vault.vault.azure.net");
//! let token = BearerToken::new(&["https://vault.azure.net/.default"]);
//! let response = token.send(|bearer| http.get("secrets/db").bearer(bearer).send())?;
//! let response = response.error_for_status()?;
//! # let _ = response;
//! # Ok::<(), keyway_plugin_sdk::ProviderError>(())
//! ```
//!
//! The scopes must be declared in the plugin's manifest (`[credentials] scopes = [...]`).

use crate::host;
use crate::http::Response;
use keyway_types::{ProviderError, Timestamp};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// A token is used until this long before the expiry the host reported.
pub const TOKEN_MARGIN_MS: u64 = 60_000;

/// How long a token the host gave without an expiry is used.
pub const UNDATED_TOKEN_MS: u64 = 60_000;

/// A bearer token for one set of scopes, asked of the host ([`host::access_token`]) on first use
/// and again [`TOKEN_MARGIN_MS`] before it expires. The host keeps its own cache too; this one
/// saves the call across the sandbox. `Debug` shows the scopes, never the token.
pub struct BearerToken {
    scopes: Vec<String>,
    cached: TokenCache<String>,
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let until = self.cached.renew_at();
        f.debug_struct("BearerToken").field("scopes", &self.scopes).field("until", &until).finish_non_exhaustive()
    }
}

impl BearerToken {
    /// A token for `scopes` (for example `https://vault.azure.net/.default`), fetched on first use.
    /// Keep it in your provider: it caches the token between calls.
    ///
    /// ```
    /// use keyway_plugin_sdk::token::BearerToken;
    ///
    /// let token = BearerToken::new(&["https://vault.azure.net/.default"]); // asks nothing yet
    /// assert!(format!("{token:?}").contains("vault.azure.net"));
    /// ```
    pub fn new(scopes: &[&str]) -> Self {
        Self { scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(), cached: TokenCache::new() }
    }

    /// The current token: the kept one while it is good, otherwise a new one from the host.
    ///
    /// ```no_run
    /// # use keyway_plugin_sdk::{token::BearerToken, HttpClient};
    /// # let http = HttpClient::new("https://my-vault.vault.azure.net");
    /// let token = BearerToken::new(&["https://vault.azure.net/.default"]);
    /// http.get("secrets/db").bearer(&token.get()?).send_ok()?;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn get(&self) -> Result<String, ProviderError> {
        self.get_with(false, crate::time::now_ms(), host_token)
    }

    /// A new token from the host, replacing the kept one (after the backend refused it).
    ///
    /// ```no_run
    /// # use keyway_plugin_sdk::{token::BearerToken, HttpClient};
    /// # let http = HttpClient::new("https://my-vault.vault.azure.net");
    /// let token = BearerToken::new(&["https://vault.azure.net/.default"]);
    /// let mut response = http.get("secrets/db").bearer(&token.get()?).send()?;
    /// if response.status == 401 {
    ///     response = http.get("secrets/db").bearer(&token.renew()?).send()?;
    /// }
    /// # let _ = response;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn renew(&self) -> Result<String, ProviderError> {
        self.get_with(true, crate::time::now_ms(), host_token)
    }

    /// Sends with the current token; when the backend answers 401, renews the token once and sends
    /// again. `send` builds and sends the request with the bearer token it is given. The last
    /// response comes back whatever its status; errors of the token or the transport are returned.
    ///
    /// ```no_run
    /// # use keyway_plugin_sdk::{token::BearerToken, HttpClient};
    /// let http = HttpClient::new("https://my-vault.vault.azure.net");
    /// let token = BearerToken::new(&["https://vault.azure.net/.default"]);
    /// let response = token.send(|bearer| http.get("secrets/db").query("api-version", "7.4").bearer(bearer).send())?;
    /// let response = response.error_for_status()?; // still 401 after a renewal: access denied
    /// # let _ = response;
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn send(&self, send: impl FnMut(&str) -> Result<Response, ProviderError>) -> Result<Response, ProviderError> {
        self.send_with(send, |renew| if renew { self.renew() } else { self.get() })
    }

    fn send_with(
        &self,
        mut send: impl FnMut(&str) -> Result<Response, ProviderError>,
        mut token: impl FnMut(bool) -> Result<String, ProviderError>,
    ) -> Result<Response, ProviderError> {
        let response = send(&token(false)?)?;
        if response.status != 401 {
            return Ok(response);
        }
        send(&token(true)?)
    }

    fn get_with(
        &self,
        renew: bool,
        now: Timestamp,
        fetch: impl FnOnce(&[&str]) -> Result<host::AccessToken, ProviderError>,
    ) -> Result<String, ProviderError> {
        if !renew {
            if let Some(token) = self.cached.fresh(now) {
                return Ok(token.as_ref().clone());
            }
        }
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let token = fetch(&scopes)?;
        let until = match token.expires_at {
            Some(expires_at) => expires_at.saturating_sub(TOKEN_MARGIN_MS),
            None => now + UNDATED_TOKEN_MS,
        };
        self.cached.keep(token.token.clone(), Some(until));
        Ok(token.token)
    }
}

/// How early before its expiry a token of `lifetime` is replaced: an eighth of its lifetime, at least a second
/// and at most [`TOKEN_MARGIN_MS`] (so a backend's eight-minute token is replaced seven minutes in, an hour's a
/// minute before it ends).
pub(crate) fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 8).clamp(Duration::from_secs(1), Duration::from_millis(TOKEN_MARGIN_MS))
}

/// When a token that lives `lifetime` from `now` is due for renewal ([`renewal_margin`] before it expires).
pub(crate) fn renewal_time(now: Timestamp, lifetime: Duration) -> Timestamp {
    let due_in = lifetime.saturating_sub(renewal_margin(lifetime));
    now.saturating_add(due_in.as_millis() as Timestamp)
}

/// One token kept between calls with the moment it is due for renewal (`None`: kept until the backend refuses
/// it), for [`BearerToken`] and [`Session`](crate::session::Session). The token is shared as an `Rc`, so a call
/// holds the token it sent even when another call replaces the kept one meanwhile.
pub(crate) struct TokenCache<T> {
    kept: RefCell<Option<(Rc<T>, Option<Timestamp>)>>,
}

impl<T> TokenCache<T> {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self { kept: RefCell::new(None) }
    }

    /// The kept token while it is not due for renewal at `now`.
    pub(crate) fn fresh(&self, now: Timestamp) -> Option<Rc<T>> {
        match self.kept.borrow().as_ref() {
            Some((token, renew_at)) if renew_at.is_none_or(|at| now < at) => Some(Rc::clone(token)),
            _ => None,
        }
    }

    /// The kept token, due for renewal or not.
    pub(crate) fn held(&self) -> Option<Rc<T>> {
        self.kept.borrow().as_ref().map(|(token, _)| Rc::clone(token))
    }

    /// When the kept token is due for renewal (`None` when there is none, or it is kept until refused).
    pub(crate) fn renew_at(&self) -> Option<Timestamp> {
        self.kept.borrow().as_ref().and_then(|(_, renew_at)| *renew_at)
    }

    /// Keeps `token` until `renew_at`, replacing the kept one, and returns it.
    pub(crate) fn keep(&self, token: T, renew_at: Option<Timestamp>) -> Rc<T> {
        self.keep_shared(Rc::new(token), renew_at)
    }

    /// Keeps an already shared token until `renew_at` (a token that can be neither renewed nor replaced is kept
    /// until refused this way).
    pub(crate) fn keep_shared(&self, token: Rc<T>, renew_at: Option<Timestamp>) -> Rc<T> {
        *self.kept.borrow_mut() = Some((Rc::clone(&token), renew_at));
        token
    }

    /// Takes the kept token out, leaving none.
    pub(crate) fn take(&self) -> Option<Rc<T>> {
        self.kept.borrow_mut().take().map(|(token, _)| token)
    }
}

fn host_token(scopes: &[&str]) -> Result<host::AccessToken, ProviderError> {
    host::access_token(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn issued(token: &str, expires_at: Option<Timestamp>) -> host::AccessToken {
        host::AccessToken { token: token.to_owned(), expires_at }
    }

    #[test]
    fn a_token_is_kept_until_a_minute_before_it_expires() -> Result<(), ProviderError> {
        let token = BearerToken::new(&["scope"]);
        let asked = Cell::new(0);
        let fetch = |scopes: &[&str]| {
            assert_eq!(scopes, ["scope"]);
            asked.set(asked.get() + 1);
            Ok(issued(&format!("t{}", asked.get()), Some(1_000_000)))
        };
        assert_eq!(token.get_with(false, 0, fetch)?, "t1");
        assert_eq!(token.get_with(false, 1_000_000 - TOKEN_MARGIN_MS - 1, fetch)?, "t1");
        assert_eq!(token.get_with(false, 1_000_000 - TOKEN_MARGIN_MS, fetch)?, "t2");
        assert_eq!(token.get_with(true, 0, fetch)?, "t3", "a renewal always asks the host");
        assert_eq!(asked.get(), 3);
        Ok(())
    }

    #[test]
    fn an_undated_token_is_kept_for_a_minute_and_failures_keep_nothing() -> Result<(), ProviderError> {
        let token = BearerToken::new(&["scope"]);
        assert_eq!(token.get_with(false, 5, |_| Ok(issued("undated", None)))?, "undated");
        assert_eq!(token.get_with(false, 5 + UNDATED_TOKEN_MS - 1, |_| Ok(issued("new", None)))?, "undated");
        let refused = token.get_with(true, 0, |_| Err(ProviderError::AccessDenied("no identity".into())));
        assert_eq!(refused, Err(ProviderError::AccessDenied("no identity".into())));
        assert!(!format!("{token:?}").contains("undated"), "Debug shows no token");
        Ok(())
    }

    #[test]
    fn a_401_renews_the_token_once() -> Result<(), ProviderError> {
        let token = BearerToken::new(&["scope"]);
        let answer = |status| Ok(Response { status, headers: Vec::new(), body: Vec::new() });
        let mut sent = Vec::new();
        let issue = |renew: bool| Ok(if renew { "fresh".to_owned() } else { "stale".to_owned() });
        let response = token.send_with(
            |bearer| {
                sent.push(bearer.to_owned());
                answer(401)
            },
            issue,
        )?;
        assert_eq!((response.status, sent.as_slice()), (401, ["stale".to_owned(), "fresh".to_owned()].as_slice()));
        let mut sent = 0;
        let response = token.send_with(
            |_| {
                sent += 1;
                answer(403)
            },
            issue,
        )?;
        assert_eq!((response.status, sent), (403, 1), "other statuses are not retried");
        Ok(())
    }
}
