//! `api-key`: one non-empty line of text, no control characters, no surrounding whitespace.

use super::{require_text, require_trimmed};
use crate::error::TypeError;
use crate::facts::TypeFacts;
use crate::types::SecretType;
use keyway_types::SecretValue;

const TYPE: SecretType = SecretType::ApiKey;

/// Checks an API key and reports its encoding.
pub(super) fn validate(value: &SecretValue) -> Result<TypeFacts, TypeError> {
    let text = require_text(TYPE, value)?;
    require_trimmed(TYPE, text)?;
    check_line(text)?;
    let mut facts = TypeFacts::new(TYPE);
    facts.encoding = Some("text");
    Ok(facts)
}

/// Refuses line breaks and other control characters, naming the first one's position.
pub(crate) fn check_line(text: &str) -> Result<(), TypeError> {
    if text.contains(['\n', '\r']) {
        return Err(TypeError::invalid(TYPE, "the value spans more than one line; keep one line"));
    }
    if let Some(position) = text.chars().position(char::is_control) {
        return Err(TypeError::invalid(
            TYPE,
            format!("character number {} is a control character; remove it", position + 1),
        ));
    }
    Ok(())
}
