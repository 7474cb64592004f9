//! Secret names (item titles) and version selectors as the caller gives them.

use keyway_plugin_sdk::{versions, ProviderError, VersionSelector};

/// Longest title accepted.
const MAX_TITLE_CHARS: usize = 512;

/// Checks that `name` can address an item by title. Connect finds items with the filter
/// `title eq "NAME"`, which has no defined escaping, so quotes and backslashes are refused.
pub fn check_name(name: &str) -> Result<(), ProviderError> {
    let reason = if name.trim().is_empty() {
        Some("it is empty")
    } else if name.chars().count() > MAX_TITLE_CHARS {
        Some("it is longer than 512 characters")
    } else if name.contains(['"', '\\']) {
        Some("it contains a quote or a backslash, which the Connect title filter cannot express")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if name.trim() != name {
        Some("it starts or ends with white space")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a usable 1Password item title: {reason}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// The Connect filter that finds items titled `name` (checked by [`check_name`]).
pub fn title_filter(name: &str) -> String {
    format!("title eq \"{name}\"")
}

/// The item version a selector pins, `None` for the current one. Connect serves only the current
/// version, so a pinned version is checked against it by the caller.
pub fn pinned_version(selector: &VersionSelector) -> Result<Option<u64>, ProviderError> {
    versions::version_number(selector, "1Password item version", |_| {
        "1Password items have no version labels; read by version number".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        for good in ["db", "Prod DB / password", "kwct-1-text", "é ü"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", " ", "a\"b", "a\\b", "a\nb", " lead", &"x".repeat(513)] {
            assert!(matches!(check_name(bad), Err(ProviderError::InvalidArgument(_))), "{bad}");
        }
        assert_eq!(title_filter("db"), "title eq \"db\"");
    }

    #[test]
    fn versions() {
        assert_eq!(pinned_version(&VersionSelector::Latest), Ok(None));
        assert_eq!(pinned_version(&VersionSelector::Id("3".into())), Ok(Some(3)));
        assert!(matches!(pinned_version(&VersionSelector::Id("0".into())), Err(ProviderError::InvalidArgument(_))));
        assert!(matches!(pinned_version(&VersionSelector::Label("x".into())), Err(ProviderError::Unsupported(_))));
    }
}
