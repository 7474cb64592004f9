//! Item categories and the contract's `secret_type`.
//!
//! | secret_type | category |
//! | --- | --- |
//! | `generic` (text) / `key-value` (several fields) | `PASSWORD` (the default) |
//! | `basic-auth` | `LOGIN` |
//! | `api-key` | `API_CREDENTIAL` |
//! | `private-key` (read only) | `SSH_KEY` |
//! | any other category, in kebab case (`secure-note`, `database`, `server`, …) | that category |

use keyway_plugin_sdk::ProviderError;

/// The category of a new item when no secret type is given.
pub const DEFAULT_CATEGORY: &str = "PASSWORD";

/// Categories an item can be created in (Connect's list, without `CUSTOM` and `SSH_KEY`, whose
/// items 1Password builds itself).
const CREATABLE: [&str; 20] = [
    "LOGIN",
    "PASSWORD",
    "API_CREDENTIAL",
    "SERVER",
    "DATABASE",
    "CREDIT_CARD",
    "MEMBERSHIP",
    "PASSPORT",
    "SOFTWARE_LICENSE",
    "OUTDOOR_LICENSE",
    "SECURE_NOTE",
    "WIRELESS_ROUTER",
    "BANK_ACCOUNT",
    "DRIVER_LICENSE",
    "IDENTITY",
    "REWARD_PROGRAM",
    "DOCUMENT",
    "EMAIL_ACCOUNT",
    "SOCIAL_SECURITY_NUMBER",
    "MEDICAL_RECORD",
];

/// The `secret_type` of an item of `category`; `several_fields` tells a password item holding a JSON
/// object of fields (`key-value`) from a plain one (`generic`).
pub fn secret_type(category: &str, several_fields: bool) -> String {
    match category {
        "PASSWORD" if several_fields => "key-value".into(),
        "PASSWORD" => "generic".into(),
        "LOGIN" => "basic-auth".into(),
        "API_CREDENTIAL" => "api-key".into(),
        "SSH_KEY" => "private-key".into(),
        other => other.to_ascii_lowercase().replace('_', "-"),
    }
}

/// The category a new item gets for `secret_type`.
pub fn category(secret_type: Option<&str>) -> Result<&'static str, ProviderError> {
    let Some(requested) = secret_type.map(str::trim) else { return Ok(DEFAULT_CATEGORY) };
    let found = match requested {
        "generic" | "key-value" => Some("PASSWORD"),
        "basic-auth" => Some("LOGIN"),
        "api-key" => Some("API_CREDENTIAL"),
        other => {
            let upper = other.to_ascii_uppercase().replace('-', "_");
            CREATABLE.iter().copied().find(|c| *c == upper)
        }
    };
    found.ok_or_else(|| {
        ProviderError::InvalidArgument(format!(
            "secret type '{}' has no 1Password category: use generic, key-value, basic-auth, api-key or a \
             category such as secure-note, database or server",
            requested.escape_debug()
        ))
    })
}

/// The id of the field that holds an item's value when the value is plain text.
pub fn primary_field_id(category: &str) -> &'static str {
    match category {
        "API_CREDENTIAL" => "credential",
        "SECURE_NOTE" => "notesPlain",
        _ => "password",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways() -> Result<(), ProviderError> {
        assert_eq!(category(None)?, "PASSWORD");
        assert_eq!(category(Some("basic-auth"))?, "LOGIN");
        assert_eq!(category(Some("secure-note"))?, "SECURE_NOTE");
        assert_eq!(category(Some("DATABASE"))?, "DATABASE");
        assert!(category(Some("private-key")).is_err());
        assert!(category(Some("jwt")).is_err());
        assert_eq!(secret_type("API_CREDENTIAL", false), "api-key");
        assert_eq!(secret_type("PASSWORD", true), "key-value");
        assert_eq!(secret_type("SOCIAL_SECURITY_NUMBER", false), "social-security-number");
        for created in CREATABLE {
            let kind = secret_type(created, created == "PASSWORD");
            assert_eq!(category(Some(&kind))?, created, "{created} round-trips");
        }
        Ok(())
    }
}
