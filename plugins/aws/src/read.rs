//! Reading: `GetSecretValue`, `BatchGetSecretValue`, `DescribeSecret`,
//! `ListSecrets` and `ListSecretVersionIds`.

use crate::client::run;
use crate::convert::{self, Summary};
use crate::errors::{from_code, map_error};
use crate::AwsSecretsManager;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretValueEntry};
use keyway_plugin_sdk::answers::not_served;
use keyway_plugin_sdk::{
    ListPage, ListRequest, ProviderError, Result, Secret, SecretMetadata, VersionInfo, VersionSelector,
};
use std::collections::BTreeMap;

/// The most names one `BatchGetSecretValue` call takes.
const BATCH_LIMIT: usize = 20;
/// The largest `MaxResults` of `ListSecrets`.
const LIST_LIMIT: u32 = 100;

impl AwsSecretsManager {
    /// `GetSecretValue` for the selected version.
    pub(crate) fn read(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        let mut request = self.client.get_secret_value().secret_id(name);
        request = match selector {
            VersionSelector::Latest => request,
            VersionSelector::Id(id) => request.version_id(id),
            VersionSelector::Label(label) => request.version_stage(label),
        };
        let out = run(request.send()).map_err(|err| map_error(err, "get", name))?;
        check_answer(name, selector, out.name(), out.arn(), out.version_id(), out.version_stages())?;
        let mut labels = out.version_stages().to_vec();
        labels.sort();
        let metadata = SecretMetadata {
            version_id: out.version_id().map(str::to_owned),
            version_labels: labels,
            // The date of this version; the secret's own dates come with `describe`.
            updated_at: convert::millis(out.created_date()),
            ..SecretMetadata::named(name)
        };
        // A success without a value is a broken answer, not a missing secret: a cached value must survive it.
        let value = convert::value_from_aws(out.secret_string, out.secret_binary).ok_or_else(|| {
            ProviderError::Unavailable(format!(
                "the answer for secret '{name}' ({selector}) carried no value; not served"
            ))
        })?;
        Ok(Secret { value, metadata })
    }

    /// `BatchGetSecretValue` by chunks of 20 distinct names; one result per name, in order.
    pub(crate) fn read_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        let mut results: BTreeMap<&str, Result<Secret>> = BTreeMap::new();
        let mut distinct: Vec<&str> = names.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut valid = Vec::with_capacity(distinct.len());
        for name in distinct {
            match crate::names::check_id(name) {
                Ok(()) => valid.push(name),
                Err(error) => {
                    results.insert(name, Err(error));
                }
            }
        }
        for chunk in valid.chunks(BATCH_LIMIT) {
            match self.read_batch(chunk) {
                Ok(found) => results.extend(found),
                Err(error) => results.extend(chunk.iter().map(|name| (*name, Err(error.clone())))),
            }
        }
        names
            .iter()
            .map(|name| results.get(name.as_str()).cloned().unwrap_or_else(|| Err(ProviderError::not_found(name))))
            .collect()
    }

    fn read_batch<'n>(&self, names: &[&'n str]) -> Result<Vec<(&'n str, Result<Secret>)>> {
        let mut request = self.client.batch_get_secret_value();
        for name in names {
            request = request.secret_id_list(*name);
        }
        let out = run(request.send()).map_err(|err| map_error(err, "get-many", ""))?;
        let mut values: Vec<SecretValueEntry> = out.secret_values.unwrap_or_default();
        let errors = out.errors.unwrap_or_default();
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            let position = values.iter().position(|v| v.name() == Some(*name) || v.arn() == Some(*name));
            let result = match position {
                Some(position) => {
                    let entry = values.swap_remove(position);
                    secret_of_entry(name, entry)
                }
                None => match errors.iter().find(|e| e.secret_id() == Some(*name)) {
                    Some(error) => Err(from_code(
                        error.error_code(),
                        error.message(),
                        None,
                        &format!("get of secret '{name}'"),
                        name,
                    )),
                    None => Err(ProviderError::not_found(name)),
                },
            };
            found.push((*name, result));
        }
        Ok(found)
    }

    /// `DescribeSecret`, narrowed to the selected version.
    pub(crate) fn describe_secret(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        let out = run(self.client.describe_secret().secret_id(name).send())
            .map_err(|err| map_error(err, "describe", name))?;
        let summary = Summary::of_description(name, &out);
        let version = match (convert::pick_version(summary.stages, selector), selector) {
            (Some(version), _) => Some(version),
            (None, VersionSelector::Latest) => None,
            // Versions without stages are not in `DescribeSecret`'s map, yet still readable by id.
            (None, VersionSelector::Id(id)) if self.has_unstaged_version(name, id)? => Some((id.clone(), Vec::new())),
            (None, _) => {
                return Err(ProviderError::NotFound(format!("secret '{name}' has no version {selector}")));
            }
        };
        Ok(summary.metadata(version))
    }

    fn has_unstaged_version(&self, name: &str, id: &str) -> Result<bool> {
        Ok(self.version_list(name)?.iter().any(|v| v.version_id == id))
    }

    /// `ListSecrets` with the name prefix and tag filters, one page.
    pub(crate) fn list_secrets(&self, request: &ListRequest) -> Result<ListPage> {
        let mut call = self
            .client
            .list_secrets()
            .include_planned_deletion(request.include_deleted)
            .set_next_token(request.page_token.clone());
        if let Some(size) = request.page_size {
            // `page_size` is at most u32::MAX and LIST_LIMIT fits an i32.
            call = call.max_results(size.clamp(1, LIST_LIMIT) as i32);
        }
        if let Some(prefix) = request.prefix.as_deref().filter(|p| !p.is_empty()) {
            call = call.filters(filter(FilterNameStringType::Name, prefix));
        }
        for (key, value) in &request.tags {
            call = call.filters(filter(FilterNameStringType::TagKey, key));
            if !value.is_empty() {
                call = call.filters(filter(FilterNameStringType::TagValue, value));
            }
        }
        let out = run(call.send()).map_err(|err| map_error(err, "list", ""))?;
        // AWS's name filter ignores case and its tag filters match keys and values separately: keep exact matches.
        let secrets = out
            .secret_list()
            .iter()
            .map(|entry| {
                let summary = Summary::of_list_entry(entry);
                let current = convert::pick_version(summary.stages, &VersionSelector::Latest);
                summary.metadata(current)
            })
            .filter(|metadata| request.matches(metadata))
            .collect();
        Ok(ListPage { secrets, next_page: out.next_token.filter(|token| !token.is_empty()) })
    }

    /// `ListSecretVersionIds`, every page, deprecated versions included, newest first.
    pub(crate) fn version_list(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let call =
                self.client.list_secret_version_ids().secret_id(name).include_deprecated(true).set_next_token(token);
            let out = run(call.send()).map_err(|err| map_error(err, "versions", name))?;
            versions.extend(out.versions().iter().filter_map(convert::version_info));
            token = out.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        // Newest first; equal dates (AWS has second precision, emulators may report one date for all)
        // fall back to the stages' order: pending, current, previous, other stages, none.
        versions.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| convert::stage_rank(&a.labels).cmp(&convert::stage_rank(&b.labels)))
        });
        Ok(versions)
    }
}

fn filter(key: FilterNameStringType, value: &str) -> Filter {
    Filter::builder().key(key).values(value).build()
}

fn secret_of_entry(name: &str, entry: SecretValueEntry) -> Result<Secret> {
    let mut labels = entry.version_stages().to_vec();
    labels.sort();
    let metadata = SecretMetadata {
        version_id: entry.version_id().map(str::to_owned),
        version_labels: labels,
        updated_at: convert::millis(entry.created_date()),
        ..SecretMetadata::named(name)
    };
    let value = convert::value_from_aws(entry.secret_string, entry.secret_binary)
        .ok_or_else(|| ProviderError::NotFound(format!("secret '{name}' has no current value")))?;
    Ok(Secret { value, metadata })
}

/// Checks that an answer is the secret and version that was asked for: a proxy, a cache or a bug answering
/// with another secret's valid response must not be served as this one.
pub(crate) fn check_answer(
    asked: &str,
    selector: &VersionSelector,
    name: Option<&str>,
    arn: Option<&str>,
    version_id: Option<&str>,
    stages: &[String],
) -> Result<()> {
    let wrong = |what: String| Err(not_served("AWS", &what, &format!("secret '{asked}' ({selector})")));
    let same_secret = if asked.starts_with("arn:") {
        // A full ARN, or a partial one without the six-character suffix.
        arn.is_some_and(|arn| arn == asked || arn.strip_prefix(asked).is_some_and(|rest| rest.starts_with('-')))
    } else {
        name == Some(asked)
    };
    if !same_secret {
        return wrong(format!("secret '{}'", name.unwrap_or("(no name)")));
    }
    match selector {
        VersionSelector::Id(id) if version_id != Some(id.as_str()) => {
            wrong(format!("version '{}'", version_id.unwrap_or("(none)")))
        }
        VersionSelector::Label(label) if !stages.iter().any(|stage| stage == label) => {
            wrong(format!("a version labelled {}", stages.join(",")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod answer_tests {
    use super::*;

    #[test]
    fn an_answer_for_another_secret_or_version_is_refused() {
        let stages = ["AWSCURRENT".to_owned()];
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
        assert!(
            check_answer("prod/db", &VersionSelector::Latest, Some("prod/db"), Some(arn), Some("v1"), &stages).is_ok()
        );
        assert!(check_answer("prod/other", &VersionSelector::Latest, Some("prod/db"), Some(arn), Some("v1"), &stages)
            .is_err());
        assert!(check_answer(arn, &VersionSelector::Latest, Some("prod/db"), Some(arn), Some("v1"), &stages).is_ok());
        let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db";
        assert!(
            check_answer(partial, &VersionSelector::Latest, Some("prod/db"), Some(arn), Some("v1"), &stages).is_ok()
        );
        let id = VersionSelector::Id("v2".into());
        assert!(check_answer("prod/db", &id, Some("prod/db"), Some(arn), Some("v1"), &stages).is_err());
        let previous = VersionSelector::Label("AWSPREVIOUS".into());
        assert!(check_answer("prod/db", &previous, Some("prod/db"), Some(arn), Some("v1"), &stages).is_err());
    }
}
