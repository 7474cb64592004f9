//! Changing a bound secret's source manager: the new source is brought to the current value first, then
//! the binding names it, and the former source becomes a copy like the profile's other sync managers. Gated
//! like a write when the profile's approval policy names `change-source`.

use super::approvals::ProposedChange;
use super::profiles::{Bound, Via};
use super::records::actor;
use super::Keyway;
use crate::config::GatedOperation;
use crate::error::KeywayError;
use keyway_resolve::{AuditRecord, Identity};
use std::sync::Arc;

impl Keyway {
    /// Makes `new_source` the source of the secret `name` whose source is `manager` now. Returns
    /// [`KeywayError::PendingApproval`] when the profile gates it.
    pub async fn change_source(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        new_source: &str,
    ) -> Result<(), KeywayError> {
        self.change_source_via(identity, manager, name, new_source, Via::Caller).await
    }

    pub(crate) async fn change_source_via(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        new_source: &str,
        via: Via,
    ) -> Result<(), KeywayError> {
        self.shared.slot(manager)?;
        self.shared.slot(new_source)?;
        self.authorize_name(identity, manager, Some(name))?;
        self.authorize_name(identity, new_source, Some(name))?;
        let bound = self.bound(manager, name).await?.ok_or_else(|| {
            KeywayError::InvalidInput(format!(
                "'{manager}/{name}' belongs to no profile; bind it first (`keyway bind {manager}/{name} PROFILE`)"
            ))
        })?;
        if bound.is_copy {
            return Err(KeywayError::InvalidInput(format!(
                "'{manager}/{name}' is a copy; its source is {}/{name}: `keyway change-source {}/{name} {new_source}`",
                bound.source, bound.source
            )));
        }
        if new_source == manager {
            return Err(KeywayError::InvalidInput(format!("{manager} is already the source of '{name}'")));
        }
        if self.profile(&bound.profile)?.source.is_none() {
            return Err(KeywayError::InvalidInput(format!(
                "profile '{}' has no source manager (profiles.{}.source); its secrets stay where they are",
                bound.profile, bound.profile
            )));
        }
        if let Some(policy) = self.gate(Some(&bound), GatedOperation::ChangeSource, via) {
            let change = ProposedChange {
                identity: identity.clone(),
                options: None,
                update: None,
                mode: None,
                new_source: Some(new_source.to_owned()),
            };
            return Err(self
                .request_approval(identity, &bound, policy, GatedOperation::ChangeSource, manager, name, None, change)
                .await);
        }
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "change-source", manager, name);
        record.detail = Some(format!("profile={}, from={manager}, to={new_source}", bound.profile));
        let result = async {
            // The new source gets the current value (and metadata) before it becomes the source.
            let moved = Bound { profile: bound.profile.clone(), source: manager.into(), is_copy: false };
            let states = self.sync_one(&moved, name, new_source).await;
            if let Some(failed) = states.iter().find(|row| row.target == new_source && row.state != "synced") {
                return Err(KeywayError::Backend {
                    manager: new_source.into(),
                    source: keyway_types::ProviderError::Other(format!(
                        "the value could not be copied to the new source; nothing changed ({})",
                        failed.last_error.as_deref().unwrap_or(&failed.state)
                    )),
                });
            }
            let catalog = self.catalog_for_profiles().await?;
            catalog
                .bind(&bound.profile, name, new_source, Some(&actor(identity)))
                .await
                .map_err(|err| KeywayError::Catalog(err.to_string()))?;
            let _ = catalog.forget_sync_target(&bound.profile, name, new_source).await;
            Ok(())
        }
        .await;
        self.audit(record, &result).await?;
        result?;
        let now = Bound { profile: bound.profile, source: new_source.into(), is_copy: false };
        self.propagate(&now, name).await;
        Ok(())
    }
}
