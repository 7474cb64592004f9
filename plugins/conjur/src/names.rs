//! Variable ids and version selectors as the caller gives them.

use keyway_plugin_sdk::{versions, ProviderError, VersionSelector};

/// Longest id accepted.
const MAX_ID_BYTES: usize = 1024;

/// Checks that `name` is a usable variable id: slash-separated segments, none empty, no control
/// characters, spaces at the ends, or `:` (which separates account, kind and id in Conjur's full ids).
pub fn check_name(name: &str) -> Result<(), ProviderError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_ID_BYTES {
        Some("it is longer than 1024 bytes")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if name.contains(':') {
        Some("it contains ':', which Conjur uses between account, kind and id")
    } else if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        Some("it starts or ends with '/' or has an empty path segment")
    } else if name.trim() != name {
        Some("it starts or ends with white space")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a usable Conjur variable id: {reason}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// The version number a selector asks for; `None` for the latest.
pub fn version_number(selector: &VersionSelector) -> Result<Option<u64>, ProviderError> {
    versions::version_number(selector, "Conjur variable version", |_| {
        "Conjur has no version labels: read by version number".into()
    })
}

/// `name` relative to `policy` (the id to declare or delete it with in that policy), or `None`
/// when the variable is not inside the policy.
pub fn relative_to<'a>(policy: &str, name: &'a str) -> Option<&'a str> {
    if policy == "root" {
        return Some(name);
    }
    name.strip_prefix(policy)?.strip_prefix('/').filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for good in ["db", "apps/kestra/db-password", "prod/aws/access key id", "é"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "/db", "db/", "a//b", "a:b", "a\tb", " db", &"x".repeat(1025)] {
            assert!(matches!(check_name(bad), Err(ProviderError::InvalidArgument(_))), "{bad}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(version_number(&VersionSelector::Latest), Ok(None));
        assert_eq!(version_number(&VersionSelector::Id("12".into())), Ok(Some(12)));
        assert!(matches!(version_number(&VersionSelector::Id("v1".into())), Err(ProviderError::InvalidArgument(_))));
        assert!(matches!(version_number(&VersionSelector::Label("x".into())), Err(ProviderError::Unsupported(_))));
    }

    #[test]
    fn relative_ids() {
        assert_eq!(relative_to("root", "apps/db"), Some("apps/db"));
        assert_eq!(relative_to("apps", "apps/db"), Some("db"));
        assert_eq!(relative_to("apps", "apps2/db"), None);
        assert_eq!(relative_to("apps", "apps"), None);
        assert_eq!(relative_to("apps/kestra", "apps/kestra/team/db"), Some("team/db"));
    }
}
