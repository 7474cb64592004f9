//! Calls on a [`Connection`] as the plugin tests make them, and what they check about the answers.

use keyway_runtime::{CallError, Connection};
use keyway_types::{
    AccessToken, BoxFuture, CredentialProvider, ErrorKind, ListRequest, ProviderError, Tags, VersionSelector,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The contract error of a call that must fail; panics when it succeeds or fails otherwise.
pub fn provider_error<T: std::fmt::Debug>(result: Result<T, CallError>) -> ProviderError {
    let err = result.expect_err("the call must fail");
    err.provider_error().cloned().unwrap_or_else(|| panic!("not a provider error: {err}"))
}

/// Asserts that `err` is of `kind`, printing the error when it is not.
pub fn assert_kind(err: &ProviderError, kind: ErrorKind) {
    assert_eq!(err.kind(), kind, "{err}");
}

/// The text of the latest version of `name`.
pub async fn text(conn: &Connection, name: &str) -> String {
    text_at(conn, name, &VersionSelector::Latest).await
}

/// The text of the version of `name` that `selector` picks.
pub async fn text_at(conn: &Connection, name: &str, selector: &VersionSelector) -> String {
    let secret = conn.get(name, selector).await.expect("get");
    secret.value.expose_text().map(str::to_owned).expect("text value")
}

/// The names `request` lists, following its pages to the end (100 pages at most).
pub async fn list_all(conn: &Connection, mut request: ListRequest) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..100 {
        let page = conn.list(&request).await.expect("list");
        names.extend(page.secrets.into_iter().map(|m| m.name));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => return names,
        }
    }
    panic!("list did not end within 100 pages");
}

/// Tags from pairs.
pub fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Runs `f`, returning its result and the time it took.
pub async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let result = f.await;
    (result, started.elapsed())
}

/// The host's credentials `inner`, counting the access tokens plugins ask for.
pub struct CountingCredentials<C> {
    /// The credentials that answer.
    pub inner: C,
    calls: AtomicU64,
}

impl<C> CountingCredentials<C> {
    /// Counts the token requests `inner` answers.
    pub fn new(inner: C) -> Self {
        Self { inner, calls: AtomicU64::new(0) }
    }

    /// How many access tokens plugins asked for.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

impl<C: CredentialProvider> CredentialProvider for CountingCredentials<C> {
    fn access_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.access_token(scopes)
    }
}
