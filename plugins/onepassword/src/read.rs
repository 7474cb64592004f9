//! `get`, `get_many` and `describe`: an item found by title, then read in full.

use crate::categories::secret_type;
use crate::connect::one_titled;
use crate::model::Item;
use crate::names::{check_name, pinned_version};
use crate::value::decode;
use crate::OnePassword;
use keyway_plugin_sdk::{ProviderError, Secret, SecretMetadata, VersionSelector};
use std::collections::BTreeMap;

/// The secret an item holds: its value and its metadata.
pub fn to_secret(item: &Item) -> Secret {
    let decoded = decode(item);
    let mut metadata = item.base_metadata();
    metadata.description = decoded.description;
    metadata.secret_type = Some(secret_type(&item.category, decoded.several_fields));
    Secret { value: decoded.value, metadata }
}

/// The metadata of an item.
pub fn to_metadata(item: &Item) -> SecretMetadata {
    to_secret(item).metadata
}

/// Connect serves only an item's current version: a pinned version must be that one.
fn check_pinned(item: &Item, pinned: Option<u64>, name: &str) -> Result<(), ProviderError> {
    match pinned {
        Some(version) if version != item.version => Err(ProviderError::NotFound(format!(
            "version {version} of '{name}' is not available: 1Password Connect serves only an item's current \
             version ({})",
            item.version
        ))),
        _ => Ok(()),
    }
}

impl OnePassword {
    /// Reads the item titled `name`.
    pub(crate) fn read_secret(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        check_name(name)?;
        let pinned = pinned_version(selector)?;
        let summary = self.connect.find(name)?.ok_or_else(|| ProviderError::not_found(name))?;
        let item = self.connect.item(&summary.id, name)?;
        check_pinned(&item, pinned, name)?;
        Ok(to_secret(&item))
    }

    /// Reads several items with one listing of the vault (instead of one title lookup per name) and
    /// one read per item.
    pub(crate) fn read_many(&self, names: &[String]) -> Vec<Result<Secret, ProviderError>> {
        let listing = match self.connect.list() {
            Ok(items) => items,
            Err(err) => return names.iter().map(|_| Err(err.clone())).collect(),
        };
        let mut by_title: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
        for item in &listing {
            by_title.entry(item.title.as_str()).or_default().push(item);
        }
        names
            .iter()
            .map(|name| {
                check_name(name)?;
                let found = by_title.get(name.as_str()).map(|items| items.iter().map(|i| (*i).clone()).collect());
                let summary =
                    one_titled(found.unwrap_or_default(), name)?.ok_or_else(|| ProviderError::not_found(name))?;
                Ok(to_secret(&self.connect.item(&summary.id, name)?))
            })
            .collect()
    }
}
