//! Tags: 1Password's are plain strings, keyway's are key/value pairs. A pair is written as
//! `key=value` (a bare `key` when the value is empty) and read back by splitting at the first `=`,
//! so tags set in 1Password (`prod`, `team=data`) read naturally too.

use keyway_plugin_sdk::{ProviderError, Tags};

/// 1Password tags for keyway tags.
pub fn to_onepassword(tags: &Tags) -> Result<Vec<String>, ProviderError> {
    tags.iter()
        .map(|(key, value)| {
            if key.is_empty() || key.contains('=') || key.chars().any(char::is_control) {
                return Err(ProviderError::InvalidArgument(format!(
                    "tag key '{}' cannot be stored in 1Password: keys are written as `key=value`, so they must be \
                     non-empty and without '=' or control characters",
                    key.escape_debug()
                )));
            }
            if value.chars().any(char::is_control) {
                return Err(ProviderError::InvalidArgument(format!(
                    "the value of tag '{}' has control characters",
                    key.escape_debug()
                )));
            }
            Ok(if value.is_empty() { key.clone() } else { format!("{key}={value}") })
        })
        .collect()
}

/// keyway tags for 1Password tags.
pub fn from_onepassword(tags: &[String]) -> Tags {
    tags.iter()
        .map(|tag| match tag.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (tag.clone(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_bare_tags_read_as_keys() -> Result<(), ProviderError> {
        let tags: Tags = [("team".to_owned(), "data=lake".to_owned()), ("prod".to_owned(), String::new())].into();
        let written = to_onepassword(&tags)?;
        assert_eq!(written, vec!["prod".to_owned(), "team=data=lake".to_owned()]);
        assert_eq!(from_onepassword(&written), tags);
        let bad: Tags = [("a=b".to_owned(), "c".to_owned())].into();
        assert!(matches!(to_onepassword(&bad), Err(ProviderError::InvalidArgument(_))));
        Ok(())
    }
}
