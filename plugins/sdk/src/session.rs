//! [`Session`]: a backend's login kept between calls. The plugin says how to log in and how a token goes on
//! a request ([`Login`]); the session logs in on first use, keeps the token until shortly before it expires
//! (an eighth of its lifetime early, at least a second and at most a minute), renews it then, and when the
//! backend refuses a token it had accepted before, logs in again once and sends the request once more.
//!
//! ```no_run
//! use keyway_plugin_sdk::http::{HttpClient, RequestBuilder};
//! use keyway_plugin_sdk::session::{Call, Issued, Login, Session};
//! use keyway_plugin_sdk::ProviderError;
//!
//! struct ApiKey(String);
//!
//! impl Login for ApiKey {
//!     type Token = String;
//!     const BACKEND: &'static str = "Acme Vault";
//!
//!     fn log_in(&self, http: &HttpClient) -> Result<Issued<String>, ProviderError> {
//!         let response = http.post("v1/login").body("text/plain", self.0.as_bytes().to_vec()).send_ok()?;
//!         Ok(Issued::until_refused(response.text()))
//!     }
//!
//!     fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &String) -> RequestBuilder<'a> {
//!         request.bearer(token)
//!     }
//!
//!     fn secrets<'a>(&'a self, token: Option<&'a String>) -> Vec<&'a str> {
//!         [Some(self.0.as_str()), token.map(String::as_str)].into_iter().flatten().collect()
//!     }
//! }
//!
//! let session = Session::new(HttpClient::new("https://vault.acme.example"), ApiKey("k-3f9a2c".into()));
//! let response = session.send(&Call::get("v1/secrets/db"))?; // logs in first
//! let response = response.error_for_status()?; // a 401 even after a new login: access denied
//! # let _ = response;
//! # Ok::<(), ProviderError>(())
//! ```

mod call;
mod login;

pub use call::Call;
pub use login::{Issued, Login};

use crate::failures;
use crate::host::{self, Level};
use crate::http::{HttpClient, Response};
use crate::redact::redact_error;
use crate::time::now_ms;
use crate::token::{renewal_time, TokenCache};
use keyway_types::{ProviderError, Timestamp};
use std::rc::Rc;

/// A login to one backend, kept between calls: the [`Login`] that obtains tokens, the [`HttpClient`] the
/// requests go through, and the current token. Keep it in your provider; `Debug` shows the backend and the
/// base URL, never a token. When the session is dropped with a token, [`Login::log_out`] ends it.
pub struct Session<L: Login> {
    http: HttpClient,
    login: L,
    token: TokenCache<L::Token>,
}

impl<L: Login> std::fmt::Debug for Session<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &L::BACKEND)
            .field("base_url", &self.http.base_url())
            .field("logged_in", &self.token.held().is_some())
            .finish_non_exhaustive()
    }
}

impl<L: Login> Session<L> {
    /// A session that logs in with `login` on first use, sending every request through `http` (its base URL,
    /// timeout and default headers).
    ///
    /// ```
    /// # use keyway_plugin_sdk::http::{HttpClient, RequestBuilder};
    /// # use keyway_plugin_sdk::session::{Issued, Login};
    /// # use keyway_plugin_sdk::ProviderError;
    /// # struct ApiKey(String);
    /// # impl Login for ApiKey {
    /// #     type Token = String;
    /// #     const BACKEND: &'static str = "Acme Vault";
    /// #     fn log_in(&self, _: &HttpClient) -> Result<Issued<String>, ProviderError> { Ok(Issued::until_refused("t".into())) }
    /// #     fn authorize<'a>(&self, r: RequestBuilder<'a>, t: &String) -> RequestBuilder<'a> { r.bearer(t) }
    /// #     fn secrets<'a>(&'a self, _: Option<&'a String>) -> Vec<&'a str> { vec![&self.0] }
    /// # }
    /// use keyway_plugin_sdk::session::Session;
    /// use std::time::Duration;
    ///
    /// let http = HttpClient::new("https://vault.acme.example").with_timeout(Duration::from_secs(10));
    /// let session = Session::new(http, ApiKey("k-3f9a2c".into())); // asks nothing yet
    /// assert!(!format!("{session:?}").contains("k-3f9a2c"));
    /// ```
    pub fn new(http: HttpClient, login: L) -> Self {
        Self { http, login, token: TokenCache::new() }
    }

    /// The client the session sends through (its base URL for messages, say).
    ///
    /// ```
    /// use keyway_plugin_sdk::session::{Login, Session};
    ///
    /// fn address<L: Login>(session: &Session<L>) -> &str {
    ///     session.http().base_url()
    /// }
    /// ```
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The login the session was made with (its settings, for messages).
    ///
    /// ```
    /// use keyway_plugin_sdk::session::{Login, Session};
    ///
    /// /// What every login of Acme Vault has.
    /// trait Account: Login {
    ///     fn account(&self) -> &str;
    /// }
    ///
    /// fn account<L: Account>(session: &Session<L>) -> &str {
    ///     session.login().account()
    /// }
    /// ```
    pub fn login(&self) -> &L {
        &self.login
    }

    /// Sends `call` with the current token, logging in first when there is none or it is due for renewal.
    /// When the backend refuses a token it had accepted before ([`Login::refused`]), the session logs in
    /// again once and sends `call` once more; what that second attempt answers comes back whatever it is,
    /// so a second refusal is the plugin's `access-denied`, never another login. A token obtained for this
    /// very call is not replaced when refused: a new login would be refused alike.
    ///
    /// Any status comes back as a [`Response`] for the plugin to map. Errors are those of the login and of
    /// requests that got no answer, with what to check when an HTTPS backend is unreachable (an untrusted
    /// certificate looks like a failed connection), and without any of [`Login::secrets`].
    ///
    /// ```no_run
    /// use keyway_plugin_sdk::session::{Call, Login, Session};
    /// use keyway_plugin_sdk::{failures, ProviderError};
    ///
    /// fn read(session: &Session<impl Login>, name: &str) -> Result<Vec<u8>, ProviderError> {
    ///     let call = Call::get(format!("v1/secrets/{}", keyway_plugin_sdk::http::encode_path(name)));
    ///     let response = session.send(&call)?;
    ///     if !response.is_success() {
    ///         let detail = response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status));
    ///         let action = format!("reading '{name}'");
    ///         return Err(session.scrub(failures::failure(&response, "Acme Vault", &action, &detail)));
    ///     }
    ///     Ok(response.body)
    /// }
    /// ```
    pub fn send(&self, call: &Call) -> Result<Response, ProviderError> {
        self.exchange(|token| self.login.authorize(call.request(&self.http), token).send())
    }

    /// Lends the current token (logging in first when needed) to `read`: for what a login tells besides the
    /// credential, such as the signed-in user.
    ///
    /// ```no_run
    /// use keyway_plugin_sdk::session::{Login, Session};
    /// use keyway_plugin_sdk::ProviderError;
    ///
    /// /// What Acme Vault's sign-in answers: a cookie for the requests, and who signed in.
    /// struct SignedIn {
    ///     cookie: String,
    ///     user_id: i64,
    /// }
    ///
    /// fn owner(session: &Session<impl Login<Token = SignedIn>>) -> Result<i64, ProviderError> {
    ///     session.with_token(|signed_in| signed_in.user_id)
    /// }
    /// ```
    pub fn with_token<R>(&self, read: impl FnOnce(&L::Token) -> R) -> Result<R, ProviderError> {
        let (token, _) = self.current(now_ms())?;
        Ok(read(&token))
    }

    /// `error` without any of [`Login::secrets`] (the credentials and the current token): for the plugin's
    /// own errors built from a backend's answer, which may echo what it was sent.
    ///
    /// ```
    /// # use keyway_plugin_sdk::http::{HttpClient, RequestBuilder};
    /// # use keyway_plugin_sdk::session::{Issued, Login};
    /// # struct ApiKey(String);
    /// # impl Login for ApiKey {
    /// #     type Token = String;
    /// #     const BACKEND: &'static str = "Acme Vault";
    /// #     fn log_in(&self, _: &HttpClient) -> Result<Issued<String>, ProviderError> { Ok(Issued::until_refused("t".into())) }
    /// #     fn authorize<'a>(&self, r: RequestBuilder<'a>, t: &String) -> RequestBuilder<'a> { r.bearer(t) }
    /// #     fn secrets<'a>(&'a self, _: Option<&'a String>) -> Vec<&'a str> { vec![&self.0] }
    /// # }
    /// use keyway_plugin_sdk::session::Session;
    /// use keyway_plugin_sdk::ProviderError;
    ///
    /// let session = Session::new(HttpClient::new("https://vault.acme.example"), ApiKey("k-3f9a2c".into()));
    /// let echoed = ProviderError::InvalidArgument("bad request: key k-3f9a2c".into());
    /// assert_eq!(session.scrub(echoed).message(), "bad request: key <redacted>");
    /// ```
    pub fn scrub(&self, error: ProviderError) -> ProviderError {
        let held = self.token.held();
        redact_error(error, &self.login.secrets(held.as_deref()))
    }

    /// Sends what `send` builds with a token, replacing a refused token once (see [`send`](Self::send)).
    fn exchange(
        &self,
        mut send: impl FnMut(&L::Token) -> Result<Response, ProviderError>,
    ) -> Result<Response, ProviderError> {
        let (token, fresh) = self.current(now_ms())?;
        let response = send(&token).map_err(|err| self.explain(err))?;
        if fresh || !self.login.can_log_in_again() || !self.login.refused(&response) {
            return Ok(response);
        }
        let status = response.status.to_string();
        note("the backend refused the token; logging in again", &[("backend", L::BACKEND), ("status", &status)]);
        let token = self.replace(&token)?;
        send(&token).map_err(|err| self.explain(err))
    }

    /// A usable token, and whether it was obtained by a login just now.
    fn current(&self, now: Timestamp) -> Result<(Rc<L::Token>, bool), ProviderError> {
        if let Some(token) = self.token.fresh(now) {
            return Ok((token, false));
        }
        if let Some(due) = self.token.held() {
            match self.login.renew(&self.http, &due) {
                Some(Ok(issued)) => return Ok((self.keep(issued, now), false)),
                Some(Err(err)) => {
                    let err = self.explain(err);
                    note("renewing the token failed", &[("backend", L::BACKEND), ("error", err.message())]);
                }
                None => {}
            }
            if !self.login.can_log_in_again() {
                return Ok((self.token.keep_shared(due, None), false));
            }
        }
        Ok((self.log_in(now)?, true))
    }

    /// The token to send again after `refused` was refused: one a concurrent call obtained meanwhile, or a new
    /// login's.
    fn replace(&self, refused: &Rc<L::Token>) -> Result<Rc<L::Token>, ProviderError> {
        match self.token.held() {
            Some(current) if !Rc::ptr_eq(&current, refused) => Ok(current),
            _ => {
                self.token.take();
                self.log_in(now_ms())
            }
        }
    }

    fn log_in(&self, now: Timestamp) -> Result<Rc<L::Token>, ProviderError> {
        let issued = self.login.log_in(&self.http).map_err(|err| self.explain(err))?;
        note("logged in", &[("backend", L::BACKEND)]);
        Ok(self.keep(issued, now))
    }

    fn keep(&self, issued: Issued<L::Token>, now: Timestamp) -> Rc<L::Token> {
        let renew_at = issued.lifetime.map(|lifetime| renewal_time(now, lifetime));
        self.token.keep(issued.token, renew_at)
    }

    /// An error of the login or the transport, with the certificate hint and without secrets.
    fn explain(&self, error: ProviderError) -> ProviderError {
        self.scrub(failures::with_certificate_hint(L::BACKEND, self.http.base_url(), error))
    }
}

impl<L: Login> Drop for Session<L> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.login.log_out(&self.http, &token);
        }
    }
}

/// A debug line in the host's log. Native builds (unit tests, doctests) have no host to write to.
fn note(message: &str, fields: &[(&str, &str)]) {
    if cfg!(target_arch = "wasm32") {
        host::log(Level::Debug, message, fields);
    }
}

#[cfg(test)]
mod tests;
