//! Doppler's secret-name rule and the manager's prefix.
//!
//! Doppler names are environment-variable names in UPPER_SNAKE_CASE: uppercase letters, digits and
//! underscores, not starting with a digit. Other names are rejected with `invalid-argument` naming
//! the rule, before any request; they are never upper-cased or otherwise mapped, so every keyway
//! name is exactly the Doppler name applications see. Names starting with `DOPPLER_` are Doppler's
//! own (`DOPPLER_PROJECT`, `DOPPLER_CONFIG`, `DOPPLER_ENVIRONMENT`): they can be read, not written.

use keyway_plugin_sdk::prelude::*;

/// The prefix Doppler reserves for the secrets it manages.
pub const RESERVED: &str = "DOPPLER_";

/// Whether `name` is UPPER_SNAKE_CASE.
pub fn is_upper_snake(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The Doppler name of `name` under `prefix`, or `invalid-argument` naming the rule.
pub fn doppler_name(prefix: &str, name: &str) -> Result<String> {
    let full = format!("{prefix}{name}");
    if name.is_empty() || !is_upper_snake(&full) {
        return Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a valid Doppler secret name: use UPPER_SNAKE_CASE (uppercase letters A-Z, digits and \
             underscores, not starting with a digit), e.g. DB_PASSWORD",
            name.escape_debug()
        )));
    }
    Ok(full)
}

/// The Doppler name of `name` for a write, refusing Doppler's reserved names.
pub fn writable_name(prefix: &str, name: &str) -> Result<String> {
    let full = doppler_name(prefix, name)?;
    if full.starts_with(RESERVED) {
        return Err(ProviderError::InvalidArgument(format!(
            "'{full}' starts with {RESERVED}, which Doppler reserves for the secrets it manages; choose another name"
        )));
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upper_snake_names() {
        assert_eq!(doppler_name("APP_", "DB_PASSWORD_2").ok().as_deref(), Some("APP_DB_PASSWORD_2"));
        for bad in ["", "db_password", "DB-PASSWORD", "DB.PASSWORD", "1PASSWORD", "DB PASSWORD", "ÄPFEL"] {
            let err = doppler_name("", bad).expect_err(bad);
            assert!(err.to_string().contains("UPPER_SNAKE_CASE"), "{err}");
        }
        assert!(doppler_name("APP_", "1ST").is_ok(), "the prefix starts the full name");
        assert!(doppler_name("", "_PRIVATE").is_ok());
    }

    #[test]
    fn doppler_names_are_read_only() {
        assert!(doppler_name("", "DOPPLER_CONFIG").is_ok());
        assert!(writable_name("", "DOPPLER_CONFIG").expect_err("reserved").to_string().contains("reserves"));
    }
}
