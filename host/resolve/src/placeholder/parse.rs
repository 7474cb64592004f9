//! The scanner that splits a string leaf into text and placeholders.

use super::{canonical, kestra, Part, Template};
use std::fmt;

const ESCAPE: &[u8] = b"$${secret:";
pub(super) const CANONICAL_OPEN: &[u8] = b"${secret:";

/// Why a placeholder could not be parsed, with the byte offset in the string leaf where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {reason}")]
pub struct ParseError {
    /// Byte offset in the string leaf.
    pub offset: usize,
    /// What is wrong.
    pub reason: ParseErrorReason,
}

/// What is wrong with a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorReason {
    /// No closing `}` (canonical form) or `}}` (Kestra form).
    Unterminated,
    /// `${secret:NAME}` without a manager: the canonical form is `${secret:MANAGER/NAME}`.
    MissingName,
    /// An empty manager name.
    MissingManager,
    /// Two slashes in a row, or a slash at the start or end of the name.
    EmptySegment,
    /// A character that is not allowed where it appears.
    InvalidCharacter {
        /// The character.
        character: char,
        /// Where it appeared: `manager`, `name`, `parameter`.
        field: &'static str,
    },
    /// A `?NAME=` parameter other than `version`, `label` and `key` (or, in Kestra's form, an argument other
    /// than `subkey`, `manager`, `version` and `label`).
    UnknownParameter(String),
    /// The same parameter twice.
    DuplicateParameter(String),
    /// A parameter with an empty value.
    EmptyParameter(String),
    /// Both a version and a label.
    ConflictingSelectors,
    /// Kestra's form: something else was expected here.
    Expected(&'static str),
}

impl fmt::Display for ParseErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unterminated => f.write_str("the placeholder is not closed"),
            Self::MissingName => f.write_str("expected MANAGER/NAME after `${secret:`"),
            Self::MissingManager => f.write_str("the manager name is empty"),
            Self::EmptySegment => f.write_str("the secret name has an empty part (`//`, or a leading or trailing `/`)"),
            Self::InvalidCharacter { character, field } => {
                write!(f, "character '{}' is not allowed in the {field}", character.escape_debug())
            }
            Self::UnknownParameter(name) => {
                write!(
                    f,
                    "unknown parameter `{name}` (expected version, label or key; subkey or manager in `secret()`)"
                )
            }
            Self::DuplicateParameter(name) => write!(f, "parameter `{name}` is given twice"),
            Self::EmptyParameter(name) => write!(f, "parameter `{name}` is empty"),
            Self::ConflictingSelectors => f.write_str("give either a version or a label, not both"),
            Self::Expected(what) => write!(f, "expected {what}"),
        }
    }
}

impl ParseError {
    pub(super) fn new(offset: usize, reason: ParseErrorReason) -> Self {
        Self { offset, reason }
    }
}

/// Splits a string leaf into literal text and placeholders.
///
/// - `${secret:` starts a canonical placeholder that ends at the next `}`.
/// - `$${secret:` is the escape: it stands for a literal `${secret:` and starts no placeholder.
/// - `{{`, optional spaces, `secret`, optional spaces and `(` start a Kestra placeholder ending at `}}`;
///   any other `{{ … }}` is left alone as text.
///
/// Never panics, whatever the input (fuzzed and property-tested).
pub fn parse(source: &str) -> Result<Template, ParseError> {
    let bytes = source.as_bytes();
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == b'$' || *b == b'{')) {
        at += offset;
        let rest = &bytes[at..];
        if rest.starts_with(ESCAPE) {
            push_text(&mut parts, text_start, at);
            // The literal continues from the second `$`: the escape drops exactly one `$`.
            text_start = at + 1;
            at += ESCAPE.len();
        } else if rest.starts_with(CANONICAL_OPEN) {
            push_text(&mut parts, text_start, at);
            let (end, reference) = canonical::parse_at(source, at)?;
            parts.push(Part::Placeholder { span: at..end, reference });
            text_start = end;
            at = end;
        } else if let Some(arguments) = kestra::opening(bytes, at) {
            push_text(&mut parts, text_start, at);
            let (end, reference) = kestra::parse_at(source, at, arguments)?;
            parts.push(Part::Placeholder { span: at..end, reference });
            text_start = end;
            at = end;
        } else {
            at += 1;
        }
    }
    push_text(&mut parts, text_start, bytes.len());
    Ok(Template { parts })
}

/// Whether [`parse`] would find anything in `source`: a placeholder (valid or not) or an escape. When this is
/// false the string is left as it is; it allocates nothing, so a step's plain strings cost one scan.
pub fn has_placeholders_or_escapes(source: &str) -> bool {
    let bytes = source.as_bytes();
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == b'$' || *b == b'{')) {
        at += offset;
        let rest = &bytes[at..];
        if rest.starts_with(ESCAPE) || rest.starts_with(CANONICAL_OPEN) || kestra::opening(bytes, at).is_some() {
            return true;
        }
        at += 1;
    }
    false
}

fn push_text(parts: &mut Vec<Part>, start: usize, end: usize) {
    if start < end {
        parts.push(Part::Text(start..end));
    }
}

/// Whether `c` may appear in a secret name, key or parameter value: anything printable except whitespace
/// and the characters that delimit placeholders.
pub(super) fn is_name_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '{' | '}' | '?' | '&' | '\'' | '"')
}

/// Whether `c` may appear in a manager name.
pub(super) fn is_manager_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Checks a `/`-separated secret name (or path) starting at byte `offset` of the leaf.
pub(super) fn check_name(name: &str, offset: usize) -> Result<(), ParseError> {
    if name.is_empty() {
        return Err(ParseError::new(offset, ParseErrorReason::MissingName));
    }
    let mut segment_start = true;
    for (index, c) in name.char_indices() {
        if c == '/' {
            if segment_start {
                return Err(ParseError::new(offset + index, ParseErrorReason::EmptySegment));
            }
            segment_start = true;
        } else if !is_name_char(c) {
            return Err(ParseError::new(
                offset + index,
                ParseErrorReason::InvalidCharacter { character: c, field: "name" },
            ));
        } else {
            segment_start = false;
        }
    }
    if segment_start {
        return Err(ParseError::new(offset + name.len(), ParseErrorReason::EmptySegment));
    }
    Ok(())
}

/// Checks a manager name starting at byte `offset` of the leaf.
pub(super) fn check_manager(manager: &str, offset: usize) -> Result<(), ParseError> {
    if manager.is_empty() {
        return Err(ParseError::new(offset, ParseErrorReason::MissingManager));
    }
    match manager.char_indices().find(|(_, c)| !is_manager_char(*c)) {
        Some((index, c)) => {
            Err(ParseError::new(offset + index, ParseErrorReason::InvalidCharacter { character: c, field: "manager" }))
        }
        None => Ok(()),
    }
}

/// Checks a parameter value (version id, label, key) starting at byte `offset` of the leaf.
pub(super) fn check_value(parameter: &str, value: &str, offset: usize) -> Result<(), ParseError> {
    if value.is_empty() {
        return Err(ParseError::new(offset, ParseErrorReason::EmptyParameter(parameter.to_owned())));
    }
    match value.char_indices().find(|(_, c)| !is_name_char(*c)) {
        Some((index, c)) => Err(ParseError::new(
            offset + index,
            ParseErrorReason::InvalidCharacter { character: c, field: "parameter" },
        )),
        None => Ok(()),
    }
}
