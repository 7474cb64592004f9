//! Which profile a secret belongs to, and in which role: the *source* (where it is written) or a
//! *synchronised copy* (written only by keyway's synchronisation). A secret belongs to the profile it was
//! bound to (`keyway bind`, or a change of source), else to the first profile, by name, whose patterns
//! match it. Also the checks of the `profiles:` configuration.

use super::records::actor;
use super::Keyway;
use crate::config::{ManagerConfig, ProfileConfig};
use crate::error::KeywayError;
use keyway_resolve::{AuditRecord, Identity, NamePattern};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A secret's place in its profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bound {
    /// The profile.
    pub profile: String,
    /// The manager holding the source.
    pub source: String,
    /// Whether the manager asked about holds the source or a copy.
    pub is_copy: bool,
}

/// Where a write comes from: what the profile machinery does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A caller: refused on a copy, gated by the approval policy, synchronised after.
    Caller,
    /// A scheduled renewal (approved by its rule): refused on a copy, synchronised after.
    Renewal,
    /// An approved request being applied: synchronised after.
    Approved,
    /// keyway's synchronisation writing a copy: nothing more.
    Sync,
}

impl Keyway {
    /// The profile configuration named `profile`, or an error listing the profiles.
    pub(crate) fn profile(&self, profile: &str) -> Result<&ProfileConfig, KeywayError> {
        self.profiles.get(profile).ok_or_else(|| {
            KeywayError::InvalidInput(format!(
                "no profile '{profile}'; configured profiles: {} (profiles: in the configuration)",
                if self.profiles.is_empty() {
                    "none".to_owned()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
        })
    }

    /// The names of the configured profiles.
    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
    }

    /// The profile `manager/name` belongs to and its role there; `None` when it belongs to none.
    pub(crate) async fn bound(&self, manager: &str, name: &str) -> Result<Option<Bound>, KeywayError> {
        if self.profiles.is_empty() {
            return Ok(None);
        }
        let explicit = match self.shared.records.catalog().await? {
            Some(catalog) => catalog.bindings_of(name).await.map_err(|err| KeywayError::Catalog(err.to_string()))?,
            None => Vec::new(),
        };
        for binding in &explicit {
            let Some(profile) = self.profiles.get(&binding.profile) else { continue };
            if binding.source == manager {
                return Ok(Some(Bound { profile: binding.profile.clone(), source: manager.into(), is_copy: false }));
            }
            if profile.managers().contains(&manager) {
                return Ok(Some(Bound {
                    profile: binding.profile.clone(),
                    source: binding.source.clone(),
                    is_copy: true,
                }));
            }
        }
        for (profile_name, profile) in &self.profiles {
            if explicit.iter().any(|binding| &binding.profile == profile_name) {
                continue;
            }
            let source = profile.source.as_deref().unwrap_or(manager);
            if !matches(profile, source, name) {
                continue;
            }
            if source == manager {
                return Ok(Some(Bound { profile: profile_name.clone(), source: manager.into(), is_copy: false }));
            }
            if profile.managers().contains(&manager) {
                return Ok(Some(Bound { profile: profile_name.clone(), source: source.into(), is_copy: true }));
            }
        }
        Ok(None)
    }

    /// The managers holding copies of a secret whose source is `bound.source`: the profile's managers but
    /// the source.
    pub(crate) fn copy_managers(&self, bound: &Bound) -> Vec<String> {
        let Some(profile) = self.profiles.get(&bound.profile) else { return Vec::new() };
        if profile.sync.is_none() {
            return Vec::new();
        }
        profile.managers().into_iter().filter(|manager| *manager != bound.source).map(str::to_owned).collect()
    }

    /// Binds `manager/name` to `profile` with `manager` as its source, audited; the secret is synchronised
    /// at once when the profile has sync managers. The caller must be allowed to use the secret.
    pub async fn bind(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        profile_name: &str,
    ) -> Result<(), KeywayError> {
        self.shared.slot(manager)?;
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "bind", manager, name);
        record.detail = Some(format!("profile={profile_name}"));
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let profile = self.profile(profile_name)?;
            if profile.source.is_some() && !profile.managers().contains(&manager) {
                return Err(KeywayError::InvalidInput(format!(
                    "profile '{profile_name}' keeps its secrets in {}; bind a secret of one of those managers",
                    profile.managers().join(", ")
                )));
            }
            let catalog = self.catalog_for_profiles().await?;
            catalog
                .bind(profile_name, name, manager, Some(&actor(identity)))
                .await
                .map_err(|err| KeywayError::Catalog(err.to_string()))
        }
        .await;
        self.audit(record, &result).await?;
        result?;
        let bound = Bound { profile: profile_name.into(), source: manager.into(), is_copy: false };
        self.propagate(&bound, name).await;
        Ok(())
    }

    /// Removes the explicit binding of `manager/name` (its copies stay where they are); the profile it was
    /// bound to. A secret bound by a pattern stays bound by it.
    pub async fn unbind(&self, identity: &Identity, manager: &str, name: &str) -> Result<String, KeywayError> {
        self.shared.slot(manager)?;
        let record = AuditRecord::new(Arc::new(identity.clone()), "unbind", manager, name);
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let catalog = self.catalog_for_profiles().await?;
            let bindings = catalog.bindings_of(name).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
            let Some(binding) = bindings.into_iter().find(|binding| binding.source == manager) else {
                return Err(KeywayError::InvalidInput(format!(
                    "'{manager}/{name}' is not bound by `keyway bind`; a profile's patterns bind it, if any \
                     (profiles.NAME.secrets)"
                )));
            };
            catalog.unbind(&binding.profile, name).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
            Ok(binding.profile)
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// The catalog, required: profiles keep their bindings, copies and requests there.
    pub(crate) async fn catalog_for_profiles(&self) -> Result<&keyway_catalog::Catalog, KeywayError> {
        self.shared.records.catalog().await?.ok_or_else(|| KeywayError::Config {
            message: "profiles keep bindings, synchronised copies and approval requests in keyway's records; \
                      set catalog.enabled: true"
                .into(),
        })
    }
}

/// Whether one of `profile`'s patterns matches `manager/name`.
pub(crate) fn matches(profile: &ProfileConfig, manager: &str, name: &str) -> bool {
    let reference = format!("{manager}/{name}");
    profile.secrets.iter().any(|pattern| NamePattern::new(pattern).matches(&reference))
}

/// Checks the `profiles:` configuration against the managers: sources and sync managers exist, a source is
/// not its own copy, approval policies can be met.
pub(crate) fn check_profiles(
    profiles: &BTreeMap<String, ProfileConfig>,
    managers: &BTreeMap<String, ManagerConfig>,
    catalog_enabled: bool,
) -> Result<(), KeywayError> {
    let known = || managers.keys().cloned().collect::<Vec<_>>().join(", ");
    for (name, profile) in profiles {
        let wrong = |message: String| Err(KeywayError::Config { message: format!("profiles.{name}: {message}") });
        if !catalog_enabled && (profile.sync.is_some() || profile.approval.is_some()) {
            return wrong(
                "synchronisation and approvals keep their state in keyway's records, which are disabled; set \
                 catalog.enabled: true"
                    .into(),
            );
        }
        if let Some(source) = &profile.source {
            if !managers.contains_key(source) {
                return wrong(format!("source '{source}' is not a configured manager ({})", known()));
            }
            for pattern in &profile.secrets {
                let manager = pattern.split_once('/').map_or(pattern.as_str(), |(manager, _)| manager);
                if !NamePattern::new(manager).matches(source) {
                    return wrong(format!(
                        "pattern '{pattern}' does not name the source '{source}'; write patterns as \
                         {source}/NAME-PATTERN"
                    ));
                }
            }
        }
        if let Some(sync) = &profile.sync {
            let Some(source) = &profile.source else {
                return wrong("sync needs a source (profiles.NAME.source: MANAGER)".into());
            };
            if sync.to.is_empty() {
                return wrong("sync.to names no manager".into());
            }
            for target in &sync.to {
                if !managers.contains_key(target) {
                    return wrong(format!("sync.to: '{target}' is not a configured manager ({})", known()));
                }
                if target == source {
                    return wrong(format!("sync.to: '{target}' is the source; a source is not its own copy"));
                }
            }
        }
        if let Some(approval) = &profile.approval {
            if approval.groups.is_empty() {
                return wrong("approval.groups names no group of approvers".into());
            }
            if approval.quorum == 0 {
                return wrong("approval.quorum must be at least 1".into());
            }
        }
    }
    Ok(())
}
