//! The backend a manager reads from: implemented by the runtime's plugin connection, and by fakes in tests.

use keyway_types::{BoxFuture, Capabilities, ProviderError, Secret, SecretMetadata, VersionSelector};

/// Reads secrets from one configured manager's backend.
///
/// The cache calls `get` on a miss, `describe` to probe for a new version before an entry expires (only when
/// [`Capabilities::probe`] is declared), and never anything else: writes go through the caller, which reports
/// them with [`Resolver::write`](crate::Resolver::write). There is no batch read: the cache's single-flight
/// works per secret, and one step's distinct secrets are already read concurrently.
pub trait SecretSource: Send + Sync {
    /// Reads one secret's value and metadata.
    fn get<'a>(&'a self, name: &'a str, selector: &'a VersionSelector) -> BoxFuture<'a, Result<Secret, ProviderError>>;

    /// Reads one secret's metadata; with `probe` this is cheap and reports the current version id.
    fn describe<'a>(
        &'a self,
        name: &'a str,
        selector: &'a VersionSelector,
    ) -> BoxFuture<'a, Result<SecretMetadata, ProviderError>>;

    /// What the backend supports.
    fn capabilities(&self) -> Capabilities;
}
