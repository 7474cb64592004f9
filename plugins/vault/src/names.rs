//! Secret names and version selectors as the caller gives them.

use keyway_plugin_sdk::{versions, ProviderError, VersionSelector};

/// Longest name accepted; Vault itself has no fixed limit, but URLs do.
const MAX_NAME_BYTES: usize = 1024;

/// Checks that `name` is a usable KV path: slash-separated segments, none
/// empty, `.` or `..`, no control characters.
pub fn check_name(name: &str) -> Result<(), ProviderError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_NAME_BYTES {
        Some("it is longer than 1024 bytes")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        Some("it starts or ends with '/' or has an empty path segment")
    } else if name.split('/').any(|segment| segment == "." || segment == "..") {
        Some("it has a '.' or '..' path segment")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a valid Vault secret name: {reason}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// The version number a selector asks for; `None` for the latest version.
pub fn version_number(selector: &VersionSelector) -> Result<Option<u64>, ProviderError> {
    versions::version_number(selector, "Vault version", |label| {
        format!(
            "Vault KV version 2 has no version labels (asked for '{}'): select a version by its number",
            label.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["db", "app/db/password", "with space", "ünïcode/ключ", "a.b/c-d_e"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "/db", "db/", "a//b", "a/../b", "./a", "tab\there", &"x".repeat(1025)] {
            assert!(matches!(check_name(bad), Err(ProviderError::InvalidArgument(_))), "{bad}");
        }
    }

    #[test]
    fn selectors() {
        assert_eq!(version_number(&VersionSelector::Latest).ok(), Some(None));
        assert_eq!(version_number(&VersionSelector::Id("3".into())).ok(), Some(Some(3)));
        assert!(matches!(version_number(&VersionSelector::Id("0".into())), Err(ProviderError::InvalidArgument(_))));
        assert!(matches!(version_number(&VersionSelector::Id("v2".into())), Err(ProviderError::InvalidArgument(_))));
        assert!(matches!(version_number(&VersionSelector::Label("prev".into())), Err(ProviderError::Unsupported(_))));
    }
}
