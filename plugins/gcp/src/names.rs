//! Secret Manager's naming rules: secret ids (with the manager's prefix), version numbers and
//! aliases, and labels (the contract's tags).
//!
//! Names and labels outside the rules are rejected with `invalid-argument` naming the rule, before
//! any request; they are never mapped, so two keyway names never become one secret.

use keyway_plugin_sdk::prelude::*;

/// The longest secret id.
pub const MAX_ID: usize = 255;
/// The most labels on a secret.
pub const MAX_LABELS: usize = 64;

/// Whether `c` may appear in a secret id.
pub fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The secret id of `name` under `prefix`, or `invalid-argument` naming the rule.
pub fn secret_id(prefix: &str, name: &str) -> Result<String> {
    let full = format!("{prefix}{name}");
    if name.is_empty() || !name.chars().all(id_char) || full.len() > MAX_ID {
        return Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a valid Secret Manager secret id: use 1 to {} ASCII letters, digits, dashes (-) and \
             underscores (_)",
            name.escape_debug(),
            MAX_ID - prefix.len()
        )));
    }
    Ok(full)
}

/// The caller's name of a secret id, when it carries `prefix`.
pub fn strip_prefix<'a>(prefix: &str, id: &'a str) -> Option<&'a str> {
    id.strip_prefix(prefix).filter(|rest| !rest.is_empty())
}

/// What a version selector addresses in a `versions/{v}` path segment.
pub fn version_segment(selector: &VersionSelector) -> Result<String> {
    match selector {
        VersionSelector::Latest => Ok("latest".into()),
        VersionSelector::Id(id) => {
            if !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit()) && id != "0" {
                Ok(id.clone())
            } else {
                Err(ProviderError::InvalidArgument(format!(
                    "'{}' is not a Secret Manager version id (a positive number such as 3); read an alias with a \
                     label selector",
                    id.escape_debug()
                )))
            }
        }
        VersionSelector::Label(label) if label == "latest" => Ok("latest".into()),
        VersionSelector::Label(label) => {
            let mut chars = label.chars();
            let valid = label.len() <= 63
                && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(id_char)
                && label != "NEW";
            if valid {
                Ok(label.clone())
            } else {
                Err(ProviderError::InvalidArgument(format!(
                    "'{}' is not a Secret Manager version alias: up to 63 letters, digits, dashes and underscores, \
                     starting with a letter",
                    label.escape_debug()
                )))
            }
        }
    }
}

fn label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Checks tags against Secret Manager's label rule: keys 1 to 63 lowercase letters, digits,
/// dashes and underscores starting with a letter; values up to 63 of the same; 64 labels at most.
pub fn check_labels(tags: &Tags) -> Result<()> {
    if tags.len() > MAX_LABELS {
        return Err(ProviderError::InvalidArgument(format!(
            "{} tags given; Secret Manager keeps at most {MAX_LABELS} labels per secret",
            tags.len()
        )));
    }
    for (key, value) in tags {
        let key_ok =
            key.len() <= 63 && key.starts_with(|c: char| c.is_ascii_lowercase()) && key.chars().all(label_char);
        let value_ok = value.len() <= 63 && value.chars().all(label_char);
        if !key_ok || !value_ok {
            return Err(ProviderError::InvalidArgument(format!(
                "tag '{}' = '{}' is not a Secret Manager label: keys and values use lowercase letters, digits, dashes \
                 and underscores (at most 63; keys start with a letter)",
                key.escape_debug(),
                value.escape_debug()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_allow_letters_digits_dashes_underscores() {
        assert_eq!(secret_id("app_", "DB-password_1").ok().as_deref(), Some("app_DB-password_1"));
        for bad in ["", "a/b", "a.b", "ä", "a b"] {
            let err = secret_id("", bad).expect_err(bad);
            assert!(err.to_string().contains("dashes (-) and underscores"), "{err}");
        }
        assert!(secret_id("", &"a".repeat(255)).is_ok());
        assert!(secret_id("p-", &"a".repeat(254)).expect_err("long").to_string().contains("1 to 253"));
        assert_eq!(strip_prefix("app_", "app_db"), Some("db"));
        assert_eq!(strip_prefix("app_", "other"), None);
    }

    #[test]
    fn versions_are_numbers_and_labels_are_aliases() {
        assert_eq!(version_segment(&VersionSelector::Latest).ok().as_deref(), Some("latest"));
        assert_eq!(version_segment(&VersionSelector::Id("12".into())).ok().as_deref(), Some("12"));
        assert!(version_segment(&VersionSelector::Id("no-such-version-0000".into())).is_err());
        assert!(version_segment(&VersionSelector::Id("0".into())).is_err());
        assert_eq!(version_segment(&VersionSelector::Label("prod".into())).ok().as_deref(), Some("prod"));
        assert!(version_segment(&VersionSelector::Label("1st".into())).is_err());
    }

    #[test]
    fn labels_are_lowercase() {
        let ok = Tags::from([("team".into(), "payments".into()), ("kwct-run".into(), "0a1b".into())]);
        assert!(check_labels(&ok).is_ok());
        for (k, v) in [("Team", "x"), ("team", "Payments"), ("1team", "x"), ("team", "a b")] {
            assert!(check_labels(&Tags::from([(k.into(), v.into())])).is_err(), "{k}={v}");
        }
    }
}
