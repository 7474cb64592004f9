//! `get`, `describe`, `get_many` and `versions`. A read shows the variable first, then fetches the
//! exact version it reports, so value and version id always match.

use crate::api::Batch;
use crate::model::Resource;
use crate::names::{check_name, version_number};
use crate::Conjur;
use keyway_plugin_sdk::{
    ProviderError, Secret, SecretMetadata, SecretValue, VersionInfo, VersionSelector, VersionState,
};
use zeroize::Zeroizing;

/// A value as Conjur stores it (bytes): text when it is UTF-8, binary otherwise.
pub fn to_value(bytes: Zeroizing<Vec<u8>>) -> SecretValue {
    match std::str::from_utf8(&bytes) {
        Ok(text) => SecretValue::text(text),
        Err(_) => SecretValue::binary(bytes.to_vec()),
    }
}

impl Conjur {
    /// The variable `name`, or `not-found`.
    pub(crate) fn existing(&self, name: &str) -> Result<Resource, ProviderError> {
        check_name(name)?;
        self.api.variable(name)?.ok_or_else(|| ProviderError::not_found(name))
    }

    /// The variable and the version `selector` picks, which must exist.
    fn selected(&self, name: &str, selector: &VersionSelector) -> Result<(Resource, u64), ProviderError> {
        let wanted = version_number(selector)?;
        let resource = self.existing(name)?;
        let version = match wanted {
            Some(version) => version,
            None => resource.latest_version().ok_or_else(|| {
                ProviderError::NotFound(format!("variable '{name}' is declared but has no value yet"))
            })?,
        };
        Ok((resource, version))
    }

    /// Reads a version of variable `name`.
    pub(crate) fn read_secret(&self, name: &str, selector: &VersionSelector) -> Result<Secret, ProviderError> {
        let (resource, version) = self.selected(name, selector)?;
        let value = to_value(self.api.value(name, version)?);
        Ok(Secret { value, metadata: resource.metadata(Some(version)) })
    }

    /// The metadata of variable `name`, without reading its value.
    pub(crate) fn describe_secret(
        &self,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<SecretMetadata, ProviderError> {
        let wanted = version_number(selector)?;
        let resource = self.existing(name)?;
        if let Some(version) = wanted {
            if !resource.has_version(version) {
                return Err(ProviderError::NotFound(format!(
                    "version {version} of '{name}' does not exist (Conjur keeps a variable's last 20 versions)"
                )));
            }
        }
        Ok(resource.metadata(wanted))
    }

    /// The versions Conjur keeps, newest first.
    pub(crate) fn list_versions(&self, name: &str) -> Result<Vec<VersionInfo>, ProviderError> {
        let resource = self.existing(name)?;
        let mut versions: Vec<u64> = resource.secrets.iter().map(|s| s.version).collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        Ok(versions
            .into_iter()
            .map(|v| VersionInfo {
                version_id: v.to_string(),
                labels: Vec::new(),
                created_at: None,
                state: VersionState::Active,
            })
            .collect())
    }

    /// Reads several variables with one batch request. Conjur fails a batch as a whole when one
    /// variable is missing, empty or forbidden; then each is read on its own, for its own answer.
    /// Batch results carry the name only (the batch endpoint reports no versions).
    pub(crate) fn read_many(&self, names: &[String]) -> Vec<Result<Secret, ProviderError>> {
        let batchable: Vec<&str> =
            names.iter().map(String::as_str).filter(|n| check_name(n).is_ok() && !n.contains(',')).collect();
        let values = match batchable.is_empty() {
            true => Default::default(),
            false => match self.api.batch(&batchable) {
                Ok(Batch::Values(values)) => values,
                Ok(Batch::Refused) => Default::default(),
                Err(err) => return names.iter().map(|_| Err(err.clone())).collect(),
            },
        };
        names
            .iter()
            .map(|name| match values.get(name.as_str()).cloned() {
                Some(bytes) => Ok(Secret { value: to_value(bytes), metadata: SecretMetadata::named(name.clone()) }),
                None => self.read_secret(name, &VersionSelector::Latest),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_text_and_anything_else_binary() {
        assert_eq!(to_value(Zeroizing::new(b"pw".to_vec())), SecretValue::text("pw"));
        assert_eq!(to_value(Zeroizing::new(vec![0, 255])), SecretValue::binary(vec![0u8, 255]));
    }
}
