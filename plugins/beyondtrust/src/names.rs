//! keyway names and Secrets Safe paths: `NAME` under the root folder is `ROOT/NAME`, whose last
//! segment is the secret's title and the rest its folder path.

use keyway_plugin_sdk::{ProviderError, VersionSelector};

/// Longest title and folder name Password Safe accepts.
const MAX_SEGMENT_CHARS: usize = 256;
/// Deepest folder nesting Password Safe allows.
const MAX_FOLDER_DEPTH: usize = 7;

/// Where one secret lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPath {
    /// The folder path, segments separated by `/`.
    pub folder: String,
    /// The title.
    pub title: String,
}

fn invalid(name: &str, reason: &str) -> ProviderError {
    ProviderError::InvalidArgument(format!("'{}' is not a usable Secrets Safe name: {reason}", name.escape_debug()))
}

/// Where the secret named `name` lives, under the root folder `root` (a checked folder path) when
/// there is one.
pub fn secret_path(root: Option<&str>, name: &str) -> Result<SecretPath, ProviderError> {
    if name.is_empty() {
        return Err(invalid(name, "it is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "it contains control characters"));
    }
    for segment in name.split('/') {
        if segment.is_empty() {
            return Err(invalid(name, "it has an empty segment (a leading, trailing or double '/')"));
        }
        if segment.trim() != segment {
            return Err(invalid(name, "a segment starts or ends with white space"));
        }
        if segment.chars().count() > MAX_SEGMENT_CHARS {
            return Err(invalid(name, "a title or folder name is longer than 256 characters"));
        }
    }
    let full = match root {
        Some(root) => format!("{root}/{name}"),
        None => name.to_owned(),
    };
    let Some((folder, title)) = full.rsplit_once('/') else {
        return Err(invalid(name, "without a folder or folder_id setting, names are FOLDER/…/TITLE"));
    };
    if folder.split('/').count() > MAX_FOLDER_DEPTH {
        return Err(invalid(name, "its folder is deeper than the 7 levels Password Safe allows"));
    }
    Ok(SecretPath { folder: folder.to_owned(), title: title.to_owned() })
}

/// The keyway name of the secret `title` in `folder`, or `None` when it is outside the root.
/// Folder paths compare without case, as Password Safe compares them.
pub fn name_of(root: Option<&str>, folder: &str, title: &str) -> Option<String> {
    let Some(root) = root else {
        return Some(format!("{folder}/{title}"));
    };
    if folder.eq_ignore_ascii_case(root) {
        return Some(title.to_owned());
    }
    let head = folder.get(..root.len())?;
    let rest = folder.get(root.len()..)?.strip_prefix('/')?;
    head.eq_ignore_ascii_case(root).then(|| format!("{rest}/{title}"))
}

/// Secrets Safe keeps only the current value: only `latest` can be read.
pub fn check_selector(selector: &VersionSelector) -> Result<(), ProviderError> {
    match selector {
        VersionSelector::Latest => Ok(()),
        _ => {
            Err(ProviderError::Unsupported("Secrets Safe keeps no versions of a secret: read the latest value".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(folder: &str, title: &str) -> SecretPath {
        SecretPath { folder: folder.into(), title: title.into() }
    }

    #[test]
    fn names_map_to_folder_and_title() -> Result<(), ProviderError> {
        assert_eq!(secret_path(Some("Kestra/prod"), "db")?, path("Kestra/prod", "db"));
        assert_eq!(secret_path(Some("Kestra"), "app/db password")?, path("Kestra/app", "db password"));
        assert_eq!(secret_path(None, "Kestra/app/db")?, path("Kestra/app", "db"));
        Ok(())
    }

    #[test]
    fn refuses_unusable_names() {
        for bad in ["", "/db", "db/", "a//b", " db", "a/ b", "a\nb", &"x".repeat(257)] {
            assert!(matches!(secret_path(Some("root"), bad), Err(ProviderError::InvalidArgument(_))), "{bad:?}");
        }
        assert!(matches!(secret_path(None, "db"), Err(ProviderError::InvalidArgument(m)) if m.contains("FOLDER/")));
        let deep = "a/b/c/d/e/f/g/title";
        assert!(secret_path(None, deep).is_ok());
        assert!(secret_path(Some("root"), deep).is_err());
    }

    #[test]
    fn names_back_from_folders() {
        assert_eq!(name_of(Some("Kestra"), "kestra", "db").as_deref(), Some("db"));
        assert_eq!(name_of(Some("Kestra"), "Kestra/app", "db").as_deref(), Some("app/db"));
        assert_eq!(name_of(Some("Kestra"), "KestraOther", "db"), None);
        assert_eq!(name_of(Some("Kestra"), "Other", "db"), None);
        assert_eq!(name_of(None, "Other/x", "db").as_deref(), Some("Other/x/db"));
        assert_eq!(name_of(Some("Kestra"), "Kés", "db"), None);
    }

    #[test]
    fn only_latest_reads() {
        assert!(check_selector(&VersionSelector::Latest).is_ok());
        assert!(matches!(check_selector(&VersionSelector::Id("1".into())), Err(ProviderError::Unsupported(_))));
    }
}
