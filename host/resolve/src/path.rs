//! Where a value sits in a step's configuration tree, for error messages: `steps[2].headers.Authorization`.

use std::fmt;

/// One step from a node to its child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A key of an object.
    Key(String),
    /// An index into an array.
    Index(usize),
}

/// A path from the root of a tree to one of its nodes. Displays as `steps[2].headers.Authorization`; keys
/// that are not plain identifiers are quoted: `headers["X-Api.Key"]`. The root displays as `$`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepPath {
    segments: Vec<PathSegment>,
}

impl StepPath {
    /// The root.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by an object key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.segments.push(PathSegment::Key(key.into()));
        self
    }

    /// This path extended by an array index.
    pub fn index(mut self, index: usize) -> Self {
        self.segments.push(PathSegment::Index(index));
        self
    }

    /// The segments from the root.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// `base` extended by borrowed segments.
    pub(crate) fn joined(base: &StepPath, rest: &[Segment<'_>]) -> Self {
        let mut path = base.clone();
        path.segments.extend(rest.iter().map(|segment| match segment {
            Segment::Key(key) => PathSegment::Key((*key).to_owned()),
            Segment::Index(index) => PathSegment::Index(*index),
        }));
        path
    }
}

/// A path segment borrowed from the tree being walked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a PathSegment> for Segment<'a> {
    fn from(segment: &'a PathSegment) -> Self {
        match segment {
            PathSegment::Key(key) => Self::Key(key),
            PathSegment::Index(index) => Self::Index(*index),
        }
    }
}

/// Appends `base` extended by `rest`, displayed as [`StepPath`] displays, to `out`.
pub(crate) fn write_joined(out: &mut String, base: &StepPath, rest: &[Segment<'_>]) {
    let segments = base.segments.iter().map(Segment::from).chain(rest.iter().copied());
    // Writing to a String cannot fail.
    let _ = write_segments(out, segments);
}

fn write_segments<'a>(f: &mut impl fmt::Write, segments: impl Iterator<Item = Segment<'a>>) -> fmt::Result {
    let mut empty = true;
    for (position, segment) in segments.enumerate() {
        empty = false;
        match segment {
            Segment::Index(index) => write!(f, "[{index}]")?,
            Segment::Key(key) if is_identifier(key) => {
                if position > 0 {
                    f.write_str(".")?;
                }
                f.write_str(key)?;
            }
            Segment::Key(key) => write!(f, "[{key:?}]")?,
        }
    }
    if empty {
        f.write_str("$")?;
    }
    Ok(())
}

/// Whether `key` is written plainly (`a.b`) rather than quoted (`a["b c"]`). ASCII only, so bytes suffice.
fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for StepPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_segments(f, self.segments.iter().map(Segment::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_json_path() {
        let path = StepPath::root().key("steps").index(2).key("headers").key("Authorization");
        assert_eq!(path.to_string(), "steps[2].headers.Authorization");
        assert_eq!(StepPath::root().key("headers").key("X-Api.Key").to_string(), r#"headers["X-Api.Key"]"#);
        assert_eq!(StepPath::root().index(0).to_string(), "[0]");
        assert_eq!(StepPath::root().to_string(), "$");
    }

    #[test]
    fn joined_paths_display_the_same() {
        let base = StepPath::root().key("steps").index(2);
        let rest = [Segment::Key("headers"), Segment::Key("X-Api.Key"), Segment::Index(0)];
        let mut out = String::new();
        write_joined(&mut out, &base, &rest);
        assert_eq!(out, StepPath::joined(&base, &rest).to_string());
        assert_eq!(out, r#"steps[2].headers["X-Api.Key"][0]"#);
        out.clear();
        write_joined(&mut out, &StepPath::root(), &[]);
        assert_eq!(out, "$");
    }
}
