//! Secret names and version selectors as the caller gives them.

use keyway_plugin_sdk::{ProviderError, VersionSelector};

/// Longest secret name accepted.
const MAX_NAME_CHARS: usize = 256;

/// Checks that `name` can be a Secret Server secret name.
pub fn check_name(name: &str) -> Result<(), ProviderError> {
    let reason = if name.trim().is_empty() {
        Some("it is empty")
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some("it is longer than 256 characters")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if name.trim() != name {
        Some("it starts or ends with white space, which Secret Server's search does not keep apart")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a usable Secret Server secret name: {reason}",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// Secret Server serves only the current field values: only `latest` can be read.
pub fn check_selector(selector: &VersionSelector) -> Result<(), ProviderError> {
    match selector {
        VersionSelector::Latest => Ok(()),
        _ => Err(ProviderError::Unsupported(
            "Secret Server's REST API serves only a secret's current values: read the latest".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["db", "Prod DB / password", "kwct-1-text", "é ü"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", " ", " lead", "trail ", "a\nb", &"x".repeat(257)] {
            assert!(matches!(check_name(bad), Err(ProviderError::InvalidArgument(_))), "{bad:?}");
        }
        assert!(check_selector(&VersionSelector::Latest).is_ok());
        assert!(matches!(check_selector(&VersionSelector::Label("x".into())), Err(ProviderError::Unsupported(_))));
    }
}
