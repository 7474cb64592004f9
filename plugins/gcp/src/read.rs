//! Reads: `get` (`:access` plus the secret's metadata), `describe` (the secret and the version,
//! never the payload) and `versions`.

use crate::model::{AccessResponse, SecretResource, VersionPage, VersionResource};
use crate::names::version_segment;
use crate::Gcp;
use keyway_plugin_sdk::answers::{self, Names};
use keyway_plugin_sdk::http::Method;
use keyway_plugin_sdk::prelude::*;

/// The most version pages followed (100 versions each).
const MAX_VERSION_PAGES: usize = 100;

/// `secret 'name'` or `version 3 of secret 'name'`, for messages.
pub fn target(name: &str, selector: &VersionSelector) -> String {
    match selector {
        VersionSelector::Latest => format!("secret '{name}'"),
        VersionSelector::Id(id) => format!("version {id} of secret '{name}'"),
        VersionSelector::Label(label) => format!("version '{label}' of secret '{name}'"),
    }
}

const BACKEND: &str = "Secret Manager";

/// Checks that an `:access` answer, named `…/secrets/ID/versions/N`, is for secret `id` and, when a version
/// number was asked (`segment`), for that version: another secret's or version's answer is refused.
fn check_access(answered: &str, id: &str, segment: &str) -> Result<()> {
    let mut parts = answered.rsplit('/');
    let (number, _, secret) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
    answers::expect_name(BACKEND, id, secret, Names::Exact)?;
    if segment.bytes().all(|b| b.is_ascii_digit()) && number != segment {
        return Err(answers::not_served(
            BACKEND,
            &format!("version {number}"),
            &format!("version {segment} of secret '{id}'"),
        ));
    }
    Ok(())
}

impl Gcp {
    /// The `Secret` resource of a secret id.
    pub(crate) fn secret(&self, id: &str, name: &str) -> Result<SecretResource> {
        let path = self.sm.secret_path(id);
        self.sm.call(Method::GET, &path, &[], None, &format!("secret '{name}'"))
    }

    /// The `SecretVersion` resource addressed by `segment` (a number, an alias or `latest`).
    pub(crate) fn version(&self, id: &str, segment: &str, what: &str) -> Result<VersionResource> {
        let path = format!("{}/versions/{segment}", self.sm.secret_path(id));
        self.sm.call(Method::GET, &path, &[], None, what)
    }

    /// Reads a version's value, checked against its CRC32C, with the secret's metadata.
    pub(crate) fn read(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        let id = self.id(name)?;
        let segment = version_segment(selector)?;
        let what = target(name, selector);
        let path = format!("{}/versions/{segment}:access", self.sm.secret_path(&id));
        let access: AccessResponse = self.sm.call(Method::GET, &path, &[], None, &what)?;
        check_access(&access.name, &id, &segment)?;
        let number = crate::model::last_segment(&access.name).to_owned();
        let value = access.payload.into_value()?;
        let secret = self.secret(&id, name)?;
        answers::expect_name(BACKEND, &id, Some(secret.id()), Names::Exact)?;
        let metadata = SecretMetadata {
            version_labels: secret.aliases_of(&number),
            version_id: Some(number),
            ..secret.metadata(name)
        };
        Ok(Secret { value, metadata })
    }

    /// Metadata of the secret at the addressed version, without reading the payload.
    pub(crate) fn metadata(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        let id = self.id(name)?;
        let segment = version_segment(selector)?;
        let secret = self.secret(&id, name)?;
        let version = self.version(&id, &segment, &target(name, selector))?;
        Ok(secret.metadata_at(name, &version))
    }

    /// Every version of a secret id, in the service's order.
    pub(crate) fn all_versions(&self, id: &str, name: &str) -> Result<Vec<VersionResource>> {
        let path = format!("{}/versions", self.sm.secret_path(id));
        let what = format!("secret '{name}'");
        let mut token = String::new();
        let mut all = Vec::new();
        for _ in 0..MAX_VERSION_PAGES {
            let mut query = vec![("pageSize", "100")];
            if !token.is_empty() {
                query.push(("pageToken", token.as_str()));
            }
            let page: VersionPage = self.sm.call(Method::GET, &path, &query, None, &what)?;
            all.extend(page.versions);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => token = next,
                None => break,
            }
        }
        Ok(all)
    }

    /// A secret's versions, newest first, with the aliases pointing at each.
    pub(crate) fn list_versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let id = self.id(name)?;
        let secret = self.secret(&id, name)?;
        let mut versions: Vec<VersionInfo> = self
            .all_versions(&id, name)?
            .iter()
            .map(|version| VersionInfo {
                version_id: version.number().to_owned(),
                labels: secret.aliases_of(version.number()),
                created_at: version.create_time.as_deref().and_then(keyway_plugin_sdk::time::parse_rfc3339),
                state: version.state(),
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.version_id.parse::<u64>().unwrap_or(0)));
        Ok(versions)
    }
}

#[cfg(test)]
mod tests {
    use super::check_access;

    #[test]
    fn access_answers_must_be_for_the_secret_and_version_asked() {
        let answered = "projects/123/locations/eu/secrets/db/versions/3";
        assert!(check_access(answered, "db", "latest").is_ok());
        assert!(check_access(answered, "db", "3").is_ok());
        assert!(check_access(answered, "other", "latest").is_err());
        assert!(check_access(answered, "db", "2").is_err());
        assert!(check_access("", "db", "latest").is_err());
    }
}
