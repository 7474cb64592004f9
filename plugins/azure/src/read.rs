//! Reads: `get`, `describe` (the cheap probe) and `versions`.

use crate::client::{error, is_disabled};
use crate::model::Bundle;
use crate::names::check_version;
use crate::Azure;
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::prelude::*;

/// The most version pages followed (25 versions each).
const MAX_VERSION_PAGES: usize = 200;

impl Azure {
    /// The version segment of a selector.
    fn version_of<'a>(&self, selector: &'a VersionSelector) -> Result<&'a str> {
        match selector {
            VersionSelector::Latest => Ok(""),
            VersionSelector::Id(id) => check_version(id).map(|()| id.as_str()),
            VersionSelector::Label(label) => Err(ProviderError::Unsupported(format!(
                "Key Vault has no version labels ('{label}'); read the latest version or a version id"
            ))),
        }
    }

    /// Reads a secret's value and metadata.
    pub(crate) fn read(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        let full = self.full_name(name)?;
        let version = self.version_of(selector)?;
        let what = describe_target(name, version);
        let mut bundle = self.kv.bundle(Method::GET, &self.kv.path("secrets", &full, version), None, &what)?;
        check_answer(&bundle, &full, version)?;
        let value = bundle.take_value()?;
        Ok(Secret { value, metadata: bundle.metadata(name) })
    }

    /// The bundle of the addressed version without keeping its value; a disabled version
    /// (which Key Vault will not read) is found in the version list instead. `None` if absent.
    pub(crate) fn current(&self, full: &str, name: &str, version: &str) -> Result<Option<Bundle>> {
        let what = describe_target(name, version);
        let response = self.kv.send(Method::GET, &self.kv.path("secrets", full, version), None)?;
        if response.is_success() {
            let mut bundle: Bundle = response.json()?;
            bundle.value = None;
            return Ok(Some(bundle));
        }
        if response.status == 404 {
            return Ok(None);
        }
        if !is_disabled(&response) {
            return Err(error(&response, &what));
        }
        let versions = self.version_bundles(full, name)?;
        let found = if version.is_empty() {
            // Newest by creation time; among equal times the service's later entry.
            versions.into_iter().enumerate().max_by_key(|(i, b)| (b.attributes.created, *i)).map(|(_, b)| b)
        } else {
            versions.into_iter().find(|b| b.name_and_version().1.is_some_and(|v| v.eq_ignore_ascii_case(version)))
        };
        Ok(found)
    }

    /// Metadata only; reports the version id (the cheap probe: one request).
    pub(crate) fn metadata(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        let full = self.full_name(name)?;
        let version = self.version_of(selector)?;
        self.current(&full, name, version)?
            .map(|bundle| bundle.metadata(name))
            .ok_or_else(|| ProviderError::NotFound(format!("{} does not exist", describe_target(name, version))))
    }

    /// Every version's item, in the service's order.
    pub(crate) fn version_bundles(&self, full: &str, name: &str) -> Result<Vec<Bundle>> {
        let what = format!("secret '{name}'");
        let mut url = format!("{}&maxresults=25", self.kv.path("secrets", full, "versions"));
        let mut all = Vec::new();
        for _ in 0..MAX_VERSION_PAGES {
            let page = self.kv.page(&url, &what)?;
            all.extend(page.value);
            match page.next_link {
                Some(next) if self.kv.owns_link(&next, "secrets") => url = next,
                Some(_) => return Err(ProviderError::Other("Key Vault sent a nextLink outside the vault".into())),
                None => return Ok(all),
            }
        }
        Ok(all)
    }

    /// A secret's versions, newest first.
    pub(crate) fn list_versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let full = self.full_name(name)?;
        let mut versions: Vec<VersionInfo> = self
            .version_bundles(&full, name)?
            .iter()
            .rev()
            .map(|bundle| {
                let meta = bundle.metadata(name);
                VersionInfo {
                    version_id: meta.version_id.unwrap_or_default(),
                    labels: Vec::new(),
                    created_at: meta.created_at,
                    state: VersionState::Active,
                }
            })
            .collect();
        // Stable: versions created in the same second keep the reversed service order.
        versions.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        Ok(versions)
    }
}

/// Checks that a bundle is the secret `full` (its name in the vault) and, when one was asked, the version
/// `version`: an answer for another secret or version is refused, never served.
fn check_answer(bundle: &Bundle, full: &str, version: &str) -> Result<()> {
    let (name, answered_version) = bundle.name_and_version();
    answers::expect_name("Key Vault", full, Some(&name), Names::IgnoreCase)?;
    match answered_version {
        Some(answered) if !version.is_empty() && !answered.eq_ignore_ascii_case(version) => {
            Err(answers::not_served("Key Vault", &format!("version {answered}"), &describe_target(full, version)))
        }
        _ => Ok(()),
    }
}

/// `secret 'NAME'` or `version V of secret 'NAME'`, for messages.
pub(crate) fn describe_target(name: &str, version: &str) -> String {
    if version.is_empty() {
        format!("secret '{name}'")
    } else {
        format!("version {version} of secret '{name}'")
    }
}
