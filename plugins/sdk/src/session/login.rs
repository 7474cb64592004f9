//! [`Login`]: what a plugin tells a [`Session`](super::Session) about its backend's login, and [`Issued`], the
//! token a login gives with its lifetime.

use crate::http::{HttpClient, RequestBuilder, Response};
use keyway_types::ProviderError;
use std::time::Duration;

/// A token a login (or a renewal) gave, with how long the backend says it lives.
///
/// ```
/// use keyway_plugin_sdk::session::Issued;
/// use std::time::Duration;
///
/// let issued = Issued::expiring("t0ken".to_owned(), Duration::from_secs(1200)); // OAuth's `expires_in`
/// assert_eq!(issued.lifetime, Some(Duration::from_secs(1200)));
/// let cookie = Issued::until_refused("ASP.NET_SessionId=abc".to_owned()); // ends when the backend says so
/// assert_eq!(cookie.lifetime, None);
/// ```
pub struct Issued<T> {
    /// The token (or whatever the backend's requests carry: a header value, a cookie, …).
    pub token: T,
    /// How long it lives from now; `None` when it is used until the backend refuses it.
    pub lifetime: Option<Duration>,
}

impl<T> Issued<T> {
    /// A token that lives `lifetime` from now.
    ///
    /// ```
    /// # use keyway_plugin_sdk::session::Issued;
    /// # use std::time::Duration;
    /// let issued = Issued::expiring(vec![1u8, 2, 3], Duration::from_secs(480));
    /// assert_eq!(issued.lifetime, Some(Duration::from_secs(480)));
    /// ```
    pub fn expiring(token: T, lifetime: Duration) -> Self {
        Self { token, lifetime: Some(lifetime) }
    }

    /// A token used until the backend refuses it (a session cookie, a token without a TTL).
    ///
    /// ```
    /// # use keyway_plugin_sdk::session::Issued;
    /// assert!(Issued::until_refused("root-token").lifetime.is_none());
    /// ```
    pub fn until_refused(token: T) -> Self {
        Self { token, lifetime: None }
    }
}

/// How a plugin logs in to its backend, for a [`Session`](super::Session): the login itself, how a token goes
/// on a request, and which strings must never appear in an error. The session keeps the token, renews it
/// shortly before it expires, and logs in again once when the backend refuses it.
///
/// ```no_run
/// use keyway_plugin_sdk::failures::{login_failure, LoginAttempt};
/// use keyway_plugin_sdk::http::{HttpClient, RequestBuilder};
/// use keyway_plugin_sdk::session::{Issued, Login};
/// use keyway_plugin_sdk::ProviderError;
/// use std::time::Duration;
///
/// /// Acme Vault's login: a password for a bearer token that lives `expires_in` seconds.
/// struct AcmeLogin {
///     username: String,
///     password: String,
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Granted {
///     access_token: String,
///     expires_in: u64,
/// }
///
/// impl Login for AcmeLogin {
///     type Token = String;
///     const BACKEND: &'static str = "Acme Vault";
///
///     fn log_in(&self, http: &HttpClient) -> Result<Issued<String>, ProviderError> {
///         let body = serde_json::json!({ "username": self.username, "password": self.password });
///         let response = http.post("v1/login").json(&body)?.send()?;
///         if !response.is_success() {
///             let action = format!("the login of '{}'", self.username);
///             let attempt = LoginAttempt {
///                 backend: Self::BACKEND,
///                 action: &action,
///                 check: "check username and password",
///                 check_address: "no Acme Vault login answers at this url; check url",
///             };
///             let message = response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status));
///             return Err(login_failure(&response, &attempt, &message));
///         }
///         let granted: Granted = response.json()?;
///         Ok(Issued::expiring(granted.access_token, Duration::from_secs(granted.expires_in)))
///     }
///
///     fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &String) -> RequestBuilder<'a> {
///         request.bearer(token)
///     }
///
///     fn secrets<'a>(&'a self, token: Option<&'a String>) -> Vec<&'a str> {
///         [Some(self.password.as_str()), token.map(String::as_str)].into_iter().flatten().collect()
///     }
/// }
/// ```
pub trait Login {
    /// What a login gives and every request carries: a token, a header value, a session cookie, … The session
    /// keeps one at a time.
    type Token;

    /// The backend's name as messages say it: `Vault`, `Secret Server`.
    const BACKEND: &'static str;

    /// Logs in: asks the backend for a new token. A refused login is best reported with
    /// [`failures::login_failure`](crate::failures::login_failure).
    fn log_in(&self, http: &HttpClient) -> Result<Issued<Self::Token>, ProviderError>;

    /// Adds `token` to a request (a header, a cookie, …).
    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &Self::Token) -> RequestBuilder<'a>;

    /// Every string an error must never show: the credentials the login sends and, when given, the parts of
    /// `token` a backend could echo. The session takes them out of the errors it returns.
    fn secrets<'a>(&'a self, token: Option<&'a Self::Token>) -> Vec<&'a str>;

    /// Renews `token` shortly before it expires without a whole login (a refresh token, a renewal endpoint);
    /// `None` (the default) when the backend has no such thing. When a renewal fails, the session logs in
    /// again.
    fn renew(&self, http: &HttpClient, token: &Self::Token) -> Option<Result<Issued<Self::Token>, ProviderError>> {
        let _ = (http, token);
        None
    }

    /// Whether `response` means the backend refused the token: a 401 (the default). Some backends answer 403
    /// for a token they no longer know.
    fn refused(&self, response: &Response) -> bool {
        response.status == 401
    }

    /// Whether logging in again can replace a token that is refused or expires (the default). `false` for a
    /// token given in the settings, which the first [`log_in`](Self::log_in) only looks up: such a token is
    /// renewed while it can be and used until the backend refuses it.
    fn can_log_in_again(&self) -> bool {
        true
    }

    /// Ends the backend's session of `token` when the plugin's session ends (a sign-out); nothing by default.
    /// It cannot fail the caller: log what went wrong.
    fn log_out(&self, http: &HttpClient, token: &Self::Token) {
        let _ = (http, token);
    }
}
