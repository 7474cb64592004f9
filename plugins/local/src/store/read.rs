//! Reading: get, describe, list and versions.

use super::LocalStore;
use crate::error::{StoreError, StoreResult};
use crate::fsio::{list_dir, read_file};
use crate::names::{name_from_page_token, page_token_after, parse_slot, slot_of, SlotName};
use crate::record::{SecretRecord, VersionRecord};
use crate::time::rfc3339;
use keyway_plugin_sdk::{ListPage, ListRequest, Secret, SecretMetadata, VersionInfo, VersionSelector};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Page size of `list` when the request names none.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page `list` returns.
const MAX_PAGE_SIZE: u32 = 1000;

impl LocalStore {
    /// Reads a version's value and metadata. Deleted secrets read as not found.
    pub fn get(&self, name: &str, selector: &VersionSelector) -> StoreResult<Secret> {
        let record = self.existing(name)?;
        let version = readable(&record, selector)?;
        let value = self.read_value(&record, version)?;
        Ok(Secret { value, metadata: record.metadata(Some(version)) })
    }

    /// Reads metadata only (the `meta` file, no value): the cheap probe of the
    /// current version. Deleted secrets are described with their purge time.
    pub fn describe(&self, name: &str, selector: &VersionSelector) -> StoreResult<SecretMetadata> {
        describe_version(&self.existing(name)?, selector)
    }

    /// A secret's versions, newest first.
    pub fn versions(&self, name: &str) -> StoreResult<Vec<VersionInfo>> {
        Ok(self.existing(name)?.version_infos())
    }

    /// One page of secrets' metadata (their current versions), sorted by name.
    /// The page token is the last name of the previous page, so paging stays
    /// consistent while secrets are added or removed.
    pub fn list(&self, request: &ListRequest) -> StoreResult<ListPage> {
        let slots: BTreeMap<String, PathBuf> = self.slots()?.into_iter().collect();
        let now = self.now();
        page_of(slots.keys().cloned().collect(), request, |name| match self.load_slot(&slots[name], name) {
            Ok(Some(record)) if !record.is_purged(now) => {
                Some(Ok(record.metadata(record.find(&VersionSelector::Latest))))
            }
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        })
    }

    /// Every secret directory with the name it holds.
    pub(super) fn slots(&self) -> StoreResult<Vec<(String, PathBuf)>> {
        let mut slots = Vec::new();
        for dir_name in list_dir(&self.secrets)? {
            let slot = self.secrets.join(&dir_name);
            match parse_slot(&dir_name) {
                Some(SlotName::Known(name)) => slots.push((name, slot)),
                Some(SlotName::Hashed) => {
                    // The name of a long-named secret is in its (still sealed) meta file.
                    let path = slot.join(super::META_FILE);
                    let Some(bytes) = read_file(&path)? else {
                        continue;
                    };
                    let envelope = crate::crypto::Envelope::parse(&bytes, &path)?;
                    match envelope.name {
                        Some(name) if slot_of(&name) == dir_name => slots.push((name, slot)),
                        _ => return Err(StoreError::corrupted(path, "it belongs to another secret")),
                    }
                }
                None => {}
            }
        }
        Ok(slots)
    }
}

/// One page of a listing of `names`: those matching the request's prefix, after its page token, in order,
/// each described by `describe` (`None`: not listed; an error: listed as damaged).
pub(crate) fn page_of(
    mut names: Vec<String>,
    request: &ListRequest,
    mut describe: impl FnMut(&str) -> Option<StoreResult<SecretMetadata>>,
) -> StoreResult<ListPage> {
    let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
    let after = request.page_token.as_deref().map(name_from_page_token).transpose()?;
    let prefix = request.prefix.as_deref().unwrap_or("");
    names.retain(|name| name.starts_with(prefix) && after.as_deref().is_none_or(|after| name.as_str() > after));
    names.sort();
    let mut secrets = Vec::new();
    let mut more = false;
    for name in names {
        let metadata = match describe(&name) {
            Some(Ok(metadata)) => metadata,
            None => continue,
            // One damaged secret does not hide the others: it is listed, disabled, saying what is wrong.
            Some(Err(err)) => corrupt_entry(&name, &err),
        };
        if !request.matches(&metadata) {
            continue;
        }
        if secrets.len() == page_size {
            more = true;
            break;
        }
        secrets.push(metadata);
    }
    let next_page = if more { secrets.last().map(|last| page_token_after(&last.name)) } else { None };
    Ok(ListPage { secrets, next_page })
}

fn no_version(name: &str, selector: &VersionSelector) -> StoreError {
    StoreError::NoVersion { name: name.to_owned(), selector: selector.to_string() }
}

/// The version of `record` that `selector` names, for reading its value: a deleted secret is not readable.
pub(crate) fn readable<'r>(record: &'r SecretRecord, selector: &VersionSelector) -> StoreResult<&'r VersionRecord> {
    if record.deleted_at.is_some() {
        return Err(StoreError::DeletedNotReadable {
            name: record.name.clone(),
            purge_at: record.purge_at.map(rfc3339).unwrap_or_default(),
        });
    }
    record.find(selector).ok_or_else(|| no_version(&record.name, selector))
}

/// The metadata of the version of `record` that `selector` names (deleted secrets included).
pub(crate) fn describe_version(record: &SecretRecord, selector: &VersionSelector) -> StoreResult<SecretMetadata> {
    let version = record.find(selector).ok_or_else(|| no_version(&record.name, selector))?;
    Ok(record.metadata(Some(version)))
}

/// The listing entry of a secret whose files cannot be read: disabled, tagged `keyway-state=corrupt`, the
/// reason in its description.
fn corrupt_entry(name: &str, err: &StoreError) -> SecretMetadata {
    SecretMetadata {
        name: name.to_owned(),
        enabled: false,
        description: Some(format!("{err}; restore its folder from a backup, or delete the secret with force")),
        tags: [("keyway-state".to_owned(), "corrupt".to_owned())].into(),
        ..SecretMetadata::default()
    }
}
