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

    pub(crate) fn push(&mut self, segment: PathSegment) {
        self.segments.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.segments.pop();
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for StepPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("$");
        }
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Index(index) => write!(f, "[{index}]")?,
                PathSegment::Key(key) if is_identifier(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathSegment::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
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
}
