//! Kestra's form: `{{ secret('NAME') }}`, `{{ secret('NAME', subkey='KEY', manager='M') }}`, also with
//! `version='ID'`, `label='L'` or `namespace='company.team'`; single or double quotes.

use super::parse::{check_manager, check_name, check_value, ParseError, ParseErrorReason};
use super::{KeySpec, SecretRef};
use keyway_types::VersionSelector;

/// When `{{`, spaces, `secret`, spaces and `(` start at `at`, the offset just after the `(`.
pub(super) fn opening(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?.strip_prefix(b"{{")?;
    let mut cursor = at + 2 + spaces(rest);
    let rest = bytes.get(cursor..)?.strip_prefix(b"secret")?;
    cursor += 6 + spaces(rest);
    (bytes.get(cursor) == Some(&b'(')).then_some(cursor + 1)
}

fn spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// A cursor over the placeholder's bytes.
struct Cursor<'a> {
    source: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn skip_spaces(&mut self) {
        self.at += self.source.as_bytes().get(self.at..).map_or(0, spaces);
    }

    fn peek(&self) -> Option<u8> {
        self.source.as_bytes().get(self.at).copied()
    }

    fn expect(&mut self, token: &'static str, what: &'static str) -> Result<(), ParseError> {
        self.skip_spaces();
        if self.source.as_bytes().get(self.at..).is_some_and(|rest| rest.starts_with(token.as_bytes())) {
            self.at += token.len();
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn error(&self, what: &'static str) -> ParseError {
        if self.at >= self.source.len() {
            ParseError::new(self.at, ParseErrorReason::Unterminated)
        } else {
            ParseError::new(self.at, ParseErrorReason::Expected(what))
        }
    }

    /// A quoted string; returns its text and the offset of its first character.
    fn string(&mut self) -> Result<(&'a str, usize), ParseError> {
        self.skip_spaces();
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.error("a quoted string")),
        };
        let start = self.at + 1;
        let len = self
            .source
            .as_bytes()
            .get(start..)
            .and_then(|rest| rest.iter().position(|b| *b == quote))
            .ok_or(ParseError::new(self.at, ParseErrorReason::Unterminated))?;
        self.at = start + len + 1;
        let text = self.source.get(start..start + len).ok_or(ParseError::new(start, ParseErrorReason::Unterminated))?;
        Ok((text, start))
    }

    /// An argument name: ASCII letters and underscores.
    fn identifier(&mut self) -> Result<&'a str, ParseError> {
        self.skip_spaces();
        let start = self.at;
        let len = self
            .source
            .as_bytes()
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_alphabetic() || **b == b'_').count());
        if len == 0 {
            return Err(self.error("an argument name (subkey, manager, namespace, version or label)"));
        }
        self.at += len;
        Ok(&self.source[start..start + len])
    }
}

/// Parses the placeholder starting at `start` (`{{`), whose arguments begin at `arguments`; returns the end
/// offset (after `}}`) and the reference.
pub(super) fn parse_at(source: &str, start: usize, arguments: usize) -> Result<(usize, SecretRef), ParseError> {
    let mut cursor = Cursor { source, at: arguments };
    let (name, name_at) = cursor.string()?;
    check_name(name, name_at)?;
    let mut reference = SecretRef {
        manager: None,
        path: name.to_owned(),
        key: KeySpec::None,
        selector: VersionSelector::Latest,
        namespace: None,
    };
    loop {
        cursor.skip_spaces();
        match cursor.peek() {
            Some(b')') => {
                cursor.at += 1;
                break;
            }
            Some(b',') => cursor.at += 1,
            _ => return Err(cursor.error("`,` or `)`")),
        }
        let argument_at = cursor.at;
        let argument = cursor.identifier()?;
        cursor.expect("=", "`=`")?;
        let (value, value_at) = cursor.string()?;
        apply_argument(&mut reference, argument, value, value_at, argument_at)?;
    }
    cursor.expect("}}", "`}}`")?;
    if start >= cursor.at {
        return Err(ParseError::new(start, ParseErrorReason::Unterminated));
    }
    Ok((cursor.at, reference))
}

fn apply_argument(
    reference: &mut SecretRef,
    argument: &str,
    value: &str,
    value_at: usize,
    argument_at: usize,
) -> Result<(), ParseError> {
    let duplicate = || ParseError::new(argument_at, ParseErrorReason::DuplicateParameter(argument.to_owned()));
    match argument {
        "manager" => {
            check_manager(value, value_at)?;
            if reference.manager.replace(value.to_owned()).is_some() {
                return Err(duplicate());
            }
        }
        "namespace" => {
            check_namespace(value, value_at)?;
            if reference.namespace.replace(value.to_owned()).is_some() {
                return Err(duplicate());
            }
        }
        "subkey" => {
            check_value(argument, value, value_at)?;
            if !matches!(reference.key, KeySpec::None) {
                return Err(duplicate());
            }
            reference.key = KeySpec::Explicit(value.to_owned());
        }
        "version" | "label" => {
            check_value(argument, value, value_at)?;
            match (&reference.selector, argument) {
                (VersionSelector::Latest, "version") => reference.selector = VersionSelector::Id(value.to_owned()),
                (VersionSelector::Latest, _) => reference.selector = VersionSelector::Label(value.to_owned()),
                (VersionSelector::Id(_), "version") | (VersionSelector::Label(_), "label") => return Err(duplicate()),
                _ => return Err(ParseError::new(argument_at, ParseErrorReason::ConflictingSelectors)),
            }
        }
        other => return Err(ParseError::new(argument_at, ParseErrorReason::UnknownParameter(other.to_owned()))),
    }
    Ok(())
}

/// A Kestra namespace: dot-separated segments of letters, digits, `_` and `-`.
fn check_namespace(value: &str, at: usize) -> Result<(), ParseError> {
    let valid = !value.is_empty()
        && value.len() <= 256
        && value.split('.').all(|segment| {
            !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if valid {
        Ok(())
    } else {
        Err(ParseError::new(at, ParseErrorReason::Expected("a namespace such as company.team")))
    }
}
