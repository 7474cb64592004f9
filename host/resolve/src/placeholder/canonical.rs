//! The canonical form: `${secret:MANAGER/NAME[/KEY][?version=ID|label=L][&key=K]}`.

use super::parse::{check_manager, check_name, check_value, ParseError, ParseErrorReason, CANONICAL_OPEN};
use super::{KeySpec, SecretRef};
use keyway_types::VersionSelector;

/// Parses the placeholder starting at byte `start` (which holds `${secret:`); returns the end offset (after
/// the closing `}`) and the reference.
pub(super) fn parse_at(source: &str, start: usize) -> Result<(usize, SecretRef), ParseError> {
    let body_start = start + CANONICAL_OPEN.len();
    let body_len = source
        .as_bytes()
        .get(body_start..)
        .and_then(|rest| rest.iter().position(|b| *b == b'}'))
        .ok_or(ParseError::new(start, ParseErrorReason::Unterminated))?;
    let body_end = body_start + body_len;
    // Both ends are next to ASCII bytes, so they are character boundaries.
    let body = source.get(body_start..body_end).ok_or(ParseError::new(start, ParseErrorReason::Unterminated))?;

    let (path_part, query) = match body.find('?') {
        Some(at) => (&body[..at], Some((&body[at + 1..], body_start + at + 1))),
        None => (body, None),
    };
    let Some(slash) = path_part.find('/') else {
        check_manager(path_part, body_start)?;
        return Err(ParseError::new(body_start + path_part.len(), ParseErrorReason::MissingName));
    };
    let manager = &path_part[..slash];
    check_manager(manager, body_start)?;
    let path = &path_part[slash + 1..];
    check_name(path, body_start + slash + 1)?;

    let mut reference = SecretRef {
        manager: Some(manager.to_owned()),
        path: path.to_owned(),
        key: KeySpec::LastSegment,
        selector: VersionSelector::Latest,
        namespace: None,
    };
    if let Some((query, query_start)) = query {
        apply_query(&mut reference, query, query_start)?;
    }
    Ok((body_end + 1, reference))
}

/// Applies `version=ID`, `label=L` and `key=K` parameters joined by `&`.
fn apply_query(reference: &mut SecretRef, query: &str, query_start: usize) -> Result<(), ParseError> {
    let mut offset = query_start;
    let mut seen_key = false;
    for parameter in query.split('&') {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        let value_offset = offset + name.len() + 1;
        if !matches!(name, "version" | "label" | "key") {
            return Err(ParseError::new(offset, ParseErrorReason::UnknownParameter(name.to_owned())));
        }
        check_value(name, value, value_offset)?;
        match name {
            "key" => {
                if seen_key {
                    return Err(ParseError::new(offset, ParseErrorReason::DuplicateParameter(name.to_owned())));
                }
                seen_key = true;
                reference.key = KeySpec::Explicit(value.to_owned());
            }
            _ => {
                if reference.selector != VersionSelector::Latest {
                    let same = matches!(
                        (&reference.selector, name),
                        (VersionSelector::Id(_), "version") | (VersionSelector::Label(_), "label")
                    );
                    let reason = if same {
                        ParseErrorReason::DuplicateParameter(name.to_owned())
                    } else {
                        ParseErrorReason::ConflictingSelectors
                    };
                    return Err(ParseError::new(offset, reason));
                }
                reference.selector = if name == "version" {
                    VersionSelector::Id(value.to_owned())
                } else {
                    VersionSelector::Label(value.to_owned())
                };
            }
        }
        offset += parameter.len() + 1;
    }
    Ok(())
}
