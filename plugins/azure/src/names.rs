//! Key Vault's secret-name rule and the manager's prefix.
//!
//! Key Vault accepts only ASCII letters, digits and dashes, 1 to 127 characters, compared
//! case-insensitively. Other names are rejected, not mapped: a mapping (say `_` to `-`) would
//! make two keyway names one Key Vault secret, and names written by other tools would read back
//! differently. Since `/` is never part of a name, `${secret:manager/name/KEY}` placeholders
//! are never ambiguous.

use keyway_plugin_sdk::prelude::*;

/// The longest Key Vault secret name.
pub const MAX_NAME: usize = 127;

/// The full Key Vault name of `name` under `prefix`, or a clear `invalid-argument`.
pub fn vault_name(prefix: &str, name: &str) -> Result<String> {
    let full = format!("{prefix}{name}");
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if name.is_empty() || !name.chars().all(allowed) || full.len() > MAX_NAME {
        let room = MAX_NAME - prefix.len();
        return Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a valid Azure Key Vault secret name: use 1 to {room} ASCII letters, digits and dashes (-)",
            name.escape_debug()
        )));
    }
    Ok(full)
}

/// The keyway name of a Key Vault name, when it carries `prefix` (compared case-insensitively).
pub fn strip_prefix<'a>(prefix: &str, vault_name: &'a str) -> Option<&'a str> {
    if vault_name.len() <= prefix.len() || !vault_name.is_char_boundary(prefix.len()) {
        return None;
    }
    let (head, tail) = vault_name.split_at(prefix.len());
    head.eq_ignore_ascii_case(prefix).then_some(tail)
}

/// Whether `name` starts with `prefix`, ignoring ASCII case like Key Vault.
pub fn has_prefix(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.is_char_boundary(prefix.len())
        && name[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// A secret version id as Key Vault writes them: 32 hexadecimal characters.
pub fn check_version(version: &str) -> Result<()> {
    if version.len() == 32 && version.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a Key Vault version id (32 hexadecimal characters)",
            version.escape_debug()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_letters_digits_and_dashes() {
        assert_eq!(vault_name("app-", "db-Password1").ok().as_deref(), Some("app-db-Password1"));
        for bad in ["", "a_b", "a/b", "a.b", "ä", "a b"] {
            let err = vault_name("", bad).expect_err(bad);
            assert!(err.to_string().contains("letters, digits and dashes"), "{err}");
        }
        assert!(vault_name("", &"a".repeat(127)).is_ok());
        assert!(vault_name("p-", &"a".repeat(126)).is_err());
    }

    #[test]
    fn prefixes_compare_without_case() {
        assert_eq!(strip_prefix("app-", "APP-x"), Some("x"));
        assert_eq!(strip_prefix("app-", "other"), None);
        assert_eq!(strip_prefix("app-", "app-"), None);
        assert!(has_prefix("App-Db", "app-d"));
    }

    #[test]
    fn version_ids_are_32_hex() {
        assert!(check_version("0123456789abcdef0123456789ABCDEF").is_ok());
        assert!(check_version("no-such-version-0000").is_err());
    }
}
