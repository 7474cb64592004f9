//! An in-memory provider that implements every operation of the contract,
//! with versions, labels, tags, recoverable deletion and paging. It is the
//! reference the host's contract tests and benchmarks run against.

use keyway_plugin_sdk::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MemorySettings {
    page_size: Option<u32>,
    #[serde(default)]
    read_only: bool,
}

struct Version {
    id: String,
    value: SecretValue,
    labels: Vec<String>,
    created_at: Timestamp,
}

struct Entry {
    meta: SecretMetadata,
    versions: Vec<Version>,
}

/// The store: every secret with its versions, in this instance's memory. Public so the
/// runtime's benchmark can call the same code natively that the host calls in the sandbox.
pub struct Memory {
    settings: MemorySettings,
    secrets: RefCell<BTreeMap<String, Entry>>,
    clock: RefCell<u64>,
}

impl Memory {
    fn tick(&self) -> Timestamp {
        let mut clock = self.clock.borrow_mut();
        *clock += 1;
        1_700_000_000_000 + *clock
    }

    fn check_name(name: &str) -> Result<()> {
        if name.is_empty() || name.len() > 512 || name.chars().any(|c| c.is_control()) {
            return Err(ProviderError::InvalidArgument(format!(
                "'{}' is not a valid secret name: use 1 to 512 printable characters",
                name.escape_debug()
            )));
        }
        Ok(())
    }

    fn describe_version(entry: &Entry, version: &Version) -> SecretMetadata {
        SecretMetadata {
            version_id: Some(version.id.clone()),
            version_labels: version.labels.clone(),
            ..entry.meta.clone()
        }
    }

    fn find<'a>(entry: &'a Entry, selector: &VersionSelector) -> Option<&'a Version> {
        match selector {
            VersionSelector::Latest => entry.versions.iter().find(|v| v.labels.iter().any(|l| l == "current")),
            VersionSelector::Id(id) => entry.versions.iter().find(|v| &v.id == id),
            VersionSelector::Label(label) => entry.versions.iter().find(|v| v.labels.contains(label)),
        }
    }

    fn push_version(&self, entry: &mut Entry, value: SecretValue) -> Timestamp {
        let now = self.tick();
        for version in &mut entry.versions {
            if version.labels.iter().any(|l| l == "current") {
                version.labels = vec!["previous".into()];
            } else {
                version.labels.retain(|l| l != "previous");
            }
        }
        let id = format!("v{}", entry.versions.len() + 1);
        entry.versions.push(Version { id, value, labels: vec!["current".into()], created_at: now });
        entry.meta.updated_at = Some(now);
        now
    }

    fn writable(&self) -> Result<()> {
        if self.settings.read_only {
            return Err(ProviderError::unsupported("write"));
        }
        Ok(())
    }
}

impl Provider for Memory {
    fn open(settings: Settings) -> Result<Self> {
        Ok(Self { settings: settings.parse()?, secrets: RefCell::default(), clock: RefCell::new(0) })
    }

    fn capabilities(&self) -> Capabilities {
        let all = Capabilities::ALL;
        if self.settings.read_only {
            all.read_only()
        } else {
            all
        }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        Self::check_name(name)?;
        let secrets = self.secrets.borrow();
        let entry =
            secrets.get(name).filter(|e| e.meta.deleted_at.is_none()).ok_or_else(|| ProviderError::not_found(name))?;
        let version = Self::find(entry, selector)
            .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' has no version {selector}")))?;
        Ok(Secret { value: version.value.clone(), metadata: Self::describe_version(entry, version) })
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        Self::check_name(name)?;
        let secrets = self.secrets.borrow();
        let entry = secrets.get(name).ok_or_else(|| ProviderError::not_found(name))?;
        let version = Self::find(entry, selector)
            .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' has no version {selector}")))?;
        Ok(Self::describe_version(entry, version))
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        self.writable()?;
        Self::check_name(name)?;
        let mut secrets = self.secrets.borrow_mut();
        if let Some(entry) = secrets.get_mut(name) {
            if entry.meta.deleted_at.is_some() {
                if !options.recover_deleted {
                    return Err(ProviderError::Conflict(format!(
                        "secret '{name}' is scheduled for deletion: restore it, or write with recover-deleted"
                    )));
                }
                entry.meta.deleted_at = None;
                entry.meta.purge_at = None;
            } else if !options.overwrite {
                return Err(ProviderError::AlreadyExists(format!(
                    "secret '{name}' exists; write with overwrite to add a version"
                )));
            }
            entry.meta.tags.extend(options.tags.clone());
            if options.description.is_some() {
                entry.meta.description = options.description.clone();
            }
            self.push_version(entry, value);
            let current = entry.versions.last().map(|v| Self::describe_version(entry, v));
            return current.ok_or_else(|| ProviderError::Other("no version written".into()));
        }
        let now = self.tick();
        let mut entry = Entry {
            meta: SecretMetadata {
                name: name.to_owned(),
                created_at: Some(now),
                enabled: true,
                tags: options.tags.clone(),
                description: options.description.clone(),
                expires_at: options.expires_at,
                secret_type: options.secret_type.clone(),
                kms_key_id: options.kms_key_id.clone(),
                ..SecretMetadata::default()
            },
            versions: Vec::new(),
        };
        self.push_version(&mut entry, value);
        let meta = entry.versions.last().map(|v| Self::describe_version(&entry, v));
        secrets.insert(name.to_owned(), entry);
        meta.ok_or_else(|| ProviderError::Other("no version written".into()))
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        self.writable()?;
        Self::check_name(name)?;
        let mut secrets = self.secrets.borrow_mut();
        let entry = secrets
            .get_mut(name)
            .filter(|e| e.meta.deleted_at.is_none())
            .ok_or_else(|| ProviderError::not_found(name))?;
        if let Some(value) = request.value {
            self.push_version(entry, value);
        } else {
            entry.meta.updated_at = Some(self.tick());
        }
        if request.description.is_some() {
            entry.meta.description = request.description;
        }
        if request.expires_at.is_some() {
            entry.meta.expires_at = request.expires_at;
        }
        if let Some(enabled) = request.enabled {
            entry.meta.enabled = enabled;
        }
        if request.kms_key_id.is_some() {
            entry.meta.kms_key_id = request.kms_key_id;
        }
        entry.meta.tags.extend(request.set_tags);
        for key in &request.remove_tags {
            entry.meta.tags.remove(key);
        }
        let version = Self::find(entry, &VersionSelector::Latest).ok_or_else(|| ProviderError::not_found(name))?;
        Ok(Self::describe_version(entry, version))
    }

    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        self.writable()?;
        Self::check_name(name)?;
        let mut secrets = self.secrets.borrow_mut();
        match mode {
            DeleteMode::Force => {
                secrets.remove(name).ok_or_else(|| ProviderError::not_found(name))?;
                Ok(None)
            }
            DeleteMode::Recoverable(days) => {
                let days = days.unwrap_or(30);
                if !(1..=365).contains(&days) {
                    return Err(ProviderError::InvalidArgument(format!(
                        "a recovery window of {days} days is outside 1 to 365"
                    )));
                }
                let now = self.tick();
                let entry = secrets
                    .get_mut(name)
                    .filter(|e| e.meta.deleted_at.is_none())
                    .ok_or_else(|| ProviderError::not_found(name))?;
                let purge_at = now + u64::from(days) * 86_400_000;
                entry.meta.deleted_at = Some(now);
                entry.meta.purge_at = Some(purge_at);
                Ok(Some(purge_at))
            }
        }
    }

    fn restore(&self, name: &str) -> Result<SecretMetadata> {
        self.writable()?;
        let mut secrets = self.secrets.borrow_mut();
        let entry = secrets.get_mut(name).ok_or_else(|| ProviderError::not_found(name))?;
        entry.meta.deleted_at = None;
        entry.meta.purge_at = None;
        let version = Self::find(entry, &VersionSelector::Latest).ok_or_else(|| ProviderError::not_found(name))?;
        Ok(Self::describe_version(entry, version))
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        let secrets = self.secrets.borrow();
        let page_size = request.page_size.or(self.settings.page_size).unwrap_or(100).max(1) as usize;
        let start = request.page_token.as_deref().unwrap_or("");
        let mut matching = secrets
            .iter()
            .filter(|(name, _)| name.as_str() > start || start.is_empty())
            .filter(|(_, entry)| request.matches(&entry.meta))
            .map(|(_, entry)| {
                let current = Self::find(entry, &VersionSelector::Latest);
                current.map(|v| Self::describe_version(entry, v)).unwrap_or_else(|| entry.meta.clone())
            });
        let secrets: Vec<SecretMetadata> = matching.by_ref().take(page_size).collect();
        let next_page = if matching.next().is_some() { secrets.last().map(|m| m.name.clone()) } else { None };
        Ok(ListPage { secrets, next_page })
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let secrets = self.secrets.borrow();
        let entry = secrets.get(name).ok_or_else(|| ProviderError::not_found(name))?;
        Ok(entry
            .versions
            .iter()
            .rev()
            .map(|v| VersionInfo {
                version_id: v.id.clone(),
                labels: v.labels.clone(),
                created_at: Some(v.created_at),
                state: VersionState::Active,
            })
            .collect())
    }
}

// Exported only in the component: a native build (the runtime's benchmark) links the store as a library,
// and the contract's export names are not valid native symbol names.
#[cfg(target_arch = "wasm32")]
export_provider!(Memory);
