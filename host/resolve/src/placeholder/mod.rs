//! Secret placeholders in step configuration: their syntax tree and parser.
//!
//! Two syntaxes reach one [`SecretRef`]:
//! - the canonical `${secret:MANAGER/NAME}`, `${secret:MANAGER/NAME/KEY}` with optional
//!   `?version=ID`, `?label=LABEL` or `?key=KEY` (parameters joined with `&`), and
//! - Kestra's `{{ secret('NAME') }}` with optional `subkey='KEY'`, `manager='M'`, `version='ID'`, `label='L'`.
//!
//! `$${secret:` is a literal `${secret:`. See [`parse`] for the exact rules.

mod canonical;
mod kestra;
mod parse;

pub use parse::{has_placeholders_or_escapes, parse, ParseError, ParseErrorReason};

use keyway_types::VersionSelector;
use std::fmt;
use std::ops::Range;

/// How a placeholder names the key inside a JSON key/value secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// No key: the whole value.
    None,
    /// An explicit key (`?key=K` or Kestra's `subkey='K'`).
    Explicit(String),
    /// The canonical `MANAGER/NAME/KEY` form: whether the part after the last slash of the path is a key
    /// is decided by the manager's [`KeyRule`](crate::KeyRule).
    LastSegment,
}

/// What one placeholder asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretRef {
    /// The manager, or `None` for the configured default (Kestra's form without `manager=`).
    pub manager: Option<String>,
    /// The secret's path as written: a name, or, with [`KeySpec::LastSegment`], maybe `NAME/KEY`.
    pub path: String,
    /// How a key inside a key/value secret is addressed.
    pub key: KeySpec,
    /// Which version.
    pub selector: VersionSelector,
    /// Kestra's `namespace='…'`: whose secret it is, on a manager that keeps secrets by namespace.
    pub namespace: Option<String>,
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{secret:{}/{}", self.manager.as_deref().unwrap_or("<default>"), self.path)?;
        let mut separator = '?';
        match &self.selector {
            VersionSelector::Latest => {}
            VersionSelector::Id(id) => {
                write!(f, "?version={id}")?;
                separator = '&';
            }
            VersionSelector::Label(label) => {
                write!(f, "?label={label}")?;
                separator = '&';
            }
        }
        if let KeySpec::Explicit(key) = &self.key {
            write!(f, "{separator}key={key}")?;
            separator = '&';
        }
        if let Some(namespace) = &self.namespace {
            write!(f, "{separator}namespace={namespace}")?;
        }
        f.write_str("}")
    }
}

/// One piece of a parsed string leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text: this byte range of the source string.
    Text(Range<usize>),
    /// A placeholder spanning this byte range of the source string.
    Placeholder {
        /// Where it is in the source string.
        span: Range<usize>,
        /// What it asks for.
        reference: SecretRef,
    },
}

/// A string leaf split into literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    /// The pieces, in order.
    pub parts: Vec<Part>,
}

impl Template {
    /// Whether the string contains at least one placeholder.
    pub fn has_placeholders(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Placeholder { .. }))
    }

    /// Whether the whole string is exactly one placeholder (binary values are allowed only then).
    pub fn is_single_placeholder(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Placeholder { .. }])
    }

    /// The placeholders with their spans.
    pub fn placeholders(&self) -> impl Iterator<Item = (&Range<usize>, &SecretRef)> {
        self.parts.iter().filter_map(|part| match part {
            Part::Placeholder { span, reference } => Some((span, reference)),
            Part::Text(_) => None,
        })
    }

    /// The string with every placeholder left out and escapes applied; equal to the source when there are
    /// no placeholders or escapes.
    pub fn literal_text(&self, source: &str) -> String {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Text(range) => source.get(range.clone()),
                Part::Placeholder { .. } => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
