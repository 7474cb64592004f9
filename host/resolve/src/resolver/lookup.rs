//! Reading what one placeholder (or flow-node `get`) names: the key rule's candidate names, access checks
//! before any backend call, the cache, key extraction, and one audit record.

use super::Resolver;
use crate::access::Identity;
use crate::audit::AuditRecord;
use crate::error::SecretError;
use crate::fields::{KeyError, SharedSecret};
use crate::manager::KeyRule;
use crate::path::StepPath;
use crate::placeholder::{KeySpec, SecretRef};
use keyway_types::ProviderError;
use std::sync::Arc;

/// A secret read for a placeholder: the shared value, the name it was read under, and the key asked for.
pub(crate) struct Found {
    pub shared: Arc<SharedSecret>,
    pub name: String,
    pub key: Option<String>,
}

impl Resolver {
    /// Reads what `reference` names on `manager` for `identity`, and audits the outcome once.
    pub(crate) async fn lookup(
        &self,
        identity: &Arc<Identity>,
        manager: &str,
        reference: &SecretRef,
        operation: &'static str,
        path: Option<&StepPath>,
    ) -> Result<Found, SecretError> {
        let mut record = AuditRecord::new(Arc::clone(identity), operation, manager, &reference.path);
        record.selector = reference.selector.clone();
        record.path = path.map(ToString::to_string);
        let result = self.lookup_candidates(identity, manager, reference, &mut record).await;
        if let Err(error) = &result {
            record.outcome = error.kind_name();
        }
        self.inner.auditor.record(record);
        result
    }

    async fn lookup_candidates(
        &self,
        identity: &Identity,
        manager: &str,
        reference: &SecretRef,
        record: &mut AuditRecord,
    ) -> Result<Found, SecretError> {
        let rules = self.rules(manager)?;
        let cache = self
            .inner
            .cache
            .manager(manager)
            .ok_or_else(|| SecretError::UnknownManager { manager: manager.to_owned() })?;
        let denied =
            |name: &str, reason| SecretError::Denied { manager: manager.to_owned(), name: name.to_owned(), reason };
        rules.access.check_caller(identity).map_err(|reason| denied(&reference.path, reason))?;

        // Every name the placeholder can mean must be allowed, checked before any backend call.
        let candidates = candidates(reference, rules.keys);
        for (name, key) in &candidates {
            if let Err(reason) = rules.access.check_name(name) {
                record.secret = (*name).to_owned();
                record.key = key.map(str::to_owned);
                return Err(denied(name, reason));
            }
        }
        let mut tried = Vec::new();
        let alternatives = candidates.len();
        for (name, key) in candidates {
            record.secret = name.to_owned();
            record.key = key.map(str::to_owned);
            let fetched = cache.get(name, &reference.selector).await;
            record.cache = fetched.status;
            record.version = fetched.version_id;
            match fetched.result {
                Ok(shared) => {
                    if let Some(key) = key {
                        let (manager, name, key) = (manager.to_owned(), name.to_owned(), key.to_owned());
                        match shared.key(&key) {
                            Ok(_) => {}
                            Err(KeyError::MissingKey) => return Err(SecretError::MissingKey { manager, name, key }),
                            Err(KeyError::NotKeyValue) => return Err(SecretError::NotKeyValue { manager, name, key }),
                        }
                    }
                    return Ok(Found { shared, name: name.to_owned(), key: key.map(str::to_owned) });
                }
                Err(ProviderError::NotFound(_)) => tried.push(match key {
                    Some(key) => format!("key '{key}' of '{name}'"),
                    None => format!("'{name}'"),
                }),
                // Under `auto`, a backend that cannot even name the whole path (Key Vault allows no slashes)
                // has no such secret: go on to the NAME/KEY reading.
                Err(ProviderError::InvalidArgument(_)) if key.is_none() && alternatives > 1 => {
                    tried.push(format!("'{name}' (not a valid name there)"))
                }
                Err(error) => {
                    return Err(SecretError::Backend { manager: manager.to_owned(), name: name.to_owned(), error })
                }
            }
        }
        Err(SecretError::NotFound { manager: manager.to_owned(), names: tried })
    }
}

/// The (name, key) pairs a reference can mean, in the order they are tried; see [`KeyRule`].
fn candidates(reference: &SecretRef, rule: KeyRule) -> Vec<(&str, Option<&str>)> {
    let path = reference.path.as_str();
    match &reference.key {
        KeySpec::None => vec![(path, None)],
        KeySpec::Explicit(key) => vec![(path, Some(key.as_str()))],
        KeySpec::LastSegment => match (path.rsplit_once('/'), rule) {
            (None, _) | (Some(_), KeyRule::Never) => vec![(path, None)],
            (Some((name, key)), KeyRule::LastSegment) => vec![(name, Some(key))],
            (Some((name, key)), KeyRule::Auto) => vec![(path, None), (name, Some(key))],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyway_types::VersionSelector;

    fn reference(path: &str, key: KeySpec) -> SecretRef {
        SecretRef { manager: Some("m".into()), path: path.into(), key, selector: VersionSelector::Latest }
    }

    #[test]
    fn the_key_rule_decides_what_a_trailing_segment_is() {
        let path = reference("prod/db/password", KeySpec::LastSegment);
        assert_eq!(candidates(&path, KeyRule::Never), vec![("prod/db/password", None)]);
        assert_eq!(candidates(&path, KeyRule::LastSegment), vec![("prod/db", Some("password"))]);
        assert_eq!(candidates(&path, KeyRule::Auto), vec![("prod/db/password", None), ("prod/db", Some("password"))]);
        let plain = reference("db", KeySpec::LastSegment);
        assert_eq!(candidates(&plain, KeyRule::LastSegment), vec![("db", None)]);
        let explicit = reference("prod/db", KeySpec::Explicit("user".into()));
        assert_eq!(candidates(&explicit, KeyRule::Auto), vec![("prod/db", Some("user"))]);
    }
}
