//! Typed secrets through the facade: every create and update of a typed value is checked against its type
//! before any backend sees it (one clear error naming the rule, the value never in it), its facts (a key's
//! type and size, a JWT's algorithm) become `keyway-…` tags where the backend keeps tags, and a JWT's `exp`
//! is offered as the secret's expiry. What a backend cannot keep (an expiry, a type) keyway keeps in its
//! catalog and applies when it reads the secret.

use super::Keyway;
use crate::error::KeywayError;
use keyway_secret_types::{validate, SecretType, TypeFacts};
use keyway_types::{Secret, SecretValue, UpdateRequest, WriteOptions};

/// Parses a type name, refusing unknown ones with the list of types.
pub(crate) fn parse_type(name: &str) -> Result<SecretType, KeywayError> {
    name.parse::<SecretType>().map_err(|err| KeywayError::InvalidInput(err.to_string()))
}

/// Checks `value` against `secret_type`.
fn check(secret_type: &SecretType, value: &SecretValue) -> Result<TypeFacts, KeywayError> {
    validate(secret_type, value).map_err(|err| KeywayError::InvalidInput(err.to_string()))
}

/// The facts a write adds as tags: all but the type, expiry and not-before, which travel as the secret's own
/// type and expiry (plugins that keep those in tags reserve these names).
fn fact_tags(facts: &TypeFacts) -> keyway_types::Tags {
    const CARRIED: [&str; 3] = ["keyway-type", "keyway-expires-at", "keyway-not-before"];
    facts.tags().into_iter().filter(|(key, _)| !CARRIED.contains(&key.as_str())).collect()
}

impl Keyway {
    /// The options a create is written with: the value checked against its type (refused before any backend
    /// call when it does not follow the type's rule), a JWT's `exp` as the expiry when none is given, the
    /// value's facts as tags when the manager keeps tags.
    pub(crate) async fn typed_options(
        &self,
        manager: &str,
        value: &SecretValue,
        options: &WriteOptions,
    ) -> Result<WriteOptions, KeywayError> {
        let Some(name) = options.secret_type.as_deref() else { return Ok(options.clone()) };
        let secret_type = parse_type(name)?;
        let facts = check(&secret_type, value)?;
        let mut options = options.clone();
        options.secret_type = Some(secret_type.as_str().to_owned());
        if options.expires_at.is_none() {
            options.expires_at = facts.expires_at;
        }
        if self.keeps_tags(manager).await {
            for (key, value) in fact_tags(&facts) {
                options.tags.entry(key).or_insert(value);
            }
        }
        Ok(options)
    }

    /// The request an update is written with: a new value checked against the type the secret has (as
    /// keyway recorded it, or as the backend describes it).
    pub(crate) async fn typed_request(
        &self,
        manager: &str,
        name: &str,
        request: &UpdateRequest,
    ) -> Result<UpdateRequest, KeywayError> {
        let Some(value) = &request.value else { return Ok(request.clone()) };
        let Some(type_name) = self.known_type(manager, name).await else { return Ok(request.clone()) };
        let secret_type = parse_type(&type_name)?;
        let facts = check(&secret_type, value)?;
        let mut request = request.clone();
        if request.expires_at.is_none() {
            request.expires_at = facts.expires_at;
        }
        if self.keeps_tags(manager).await {
            for (key, value) in fact_tags(&facts) {
                request.set_tags.entry(key).or_insert(value);
            }
        }
        Ok(request)
    }

    /// The type of a secret: keyway's record, else the backend's metadata.
    pub(crate) async fn known_type(&self, manager: &str, name: &str) -> Option<String> {
        if let Ok(Some(catalog)) = self.shared.records.catalog().await {
            if let Ok(Some(entry)) = catalog.secret(manager, name).await {
                if entry.secret_type.is_some() {
                    return entry.secret_type;
                }
            }
        }
        let target = self.shared.connected(manager).await.ok()?;
        target.describe(name, &keyway_types::VersionSelector::Latest).await.ok()?.secret_type
    }

    pub(crate) async fn keeps_tags(&self, manager: &str) -> bool {
        self.shared.connected(manager).await.is_ok_and(|target| target.capabilities().tags)
    }
}

impl super::Shared {
    /// Fills what the backend does not keep (expiry, not-before, type) from keyway's record of the secret,
    /// so that a secret whose expiry lives in keyway's catalog is refused like one whose backend expires it.
    /// Runs on reads from the backend only, never on a cached read.
    pub(crate) async fn with_lifecycle(&self, manager: &str, mut secret: Secret) -> Secret {
        let metadata = &mut secret.metadata;
        if metadata.expires_at.is_some() && metadata.secret_type.is_some() {
            return secret;
        }
        let Some(catalog) = self.records.catalog_for_reads().await else { return secret };
        let wait = super::records::READ_PATH_WAIT;
        let Ok(Ok(Some(entry))) = tokio::time::timeout(wait, catalog.secret(manager, &metadata.name)).await else {
            return secret;
        };
        // Only a record of this very version speaks for it: a newer value written elsewhere is not bound by
        // an older version's expiry.
        let latest = tokio::time::timeout(wait, catalog.latest(manager, &metadata.name)).await.unwrap_or(Ok(None));
        let recorded = match (&metadata.version_id, latest) {
            (Some(version), Ok(latest)) => {
                latest.is_some_and(|latest| latest.backend_version.as_deref() == Some(version.as_str()))
            }
            _ => true,
        };
        if !recorded {
            return secret;
        }
        let millis = |at: Option<i64>| at.and_then(|at| u64::try_from(at).ok());
        metadata.expires_at = metadata.expires_at.or(millis(entry.expires_at));
        metadata.not_before = metadata.not_before.or(millis(entry.not_before));
        metadata.secret_type = metadata.secret_type.take().or(entry.secret_type);
        secret
    }
}
