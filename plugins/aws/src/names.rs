//! Secret names and ids as AWS accepts them, checked before any request so a
//! bad name is an `invalid-argument` instead of a confusing `not-found`.

use keyway_plugin_sdk::{ProviderError, Result};

/// The longest secret name.
const MAX_NAME: usize = 512;
/// The longest secret id (an ARN).
const MAX_ARN: usize = 2048;

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)
}

/// A name for `CreateSecret`: 1 to 512 of ASCII letters, digits and `/_+=.@-`.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(name_char) {
        return Err(ProviderError::InvalidArgument(format!(
            "'{}' is not a valid AWS secret name: use 1 to 512 ASCII letters, digits and /_+=.@-",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// A secret id for the other operations: a name as above, or the secret's ARN.
pub(crate) fn check_id(id: &str) -> Result<()> {
    if id.starts_with("arn:") {
        if id.len() <= MAX_ARN && id.chars().all(|c| name_char(c) || c == ':') {
            return Ok(());
        }
        return Err(ProviderError::InvalidArgument(format!("'{}' is not a valid secret ARN", id.escape_debug())));
    }
    check_name(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aws_rules() {
        assert!(check_name("prod/db/password_1+=.@-").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("with space").is_err());
        assert!(check_name("ümlaut").is_err());
        assert!(check_name(&"a".repeat(513)).is_err());
        assert!(check_name("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf").is_err());
    }

    #[test]
    fn ids_also_take_arns() {
        assert!(check_id("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf").is_ok());
        assert!(check_id("arn:aws:secretsmanager:eu-west-1:1:secret:bad name").is_err());
        assert!(check_id("db/password").is_ok());
    }
}
