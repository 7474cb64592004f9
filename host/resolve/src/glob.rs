//! Secret name patterns for allow and deny lists.

use std::fmt;

/// A glob over secret names: `*` matches any run of characters except `/`, `**` any run including `/`,
/// `?` one character except `/`; everything else matches itself. `prod/*` matches `prod/db` but not
/// `prod/eu/db`; `prod/**` matches both.
#[derive(Clone, PartialEq, Eq)]
pub struct NamePattern {
    source: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyChar,
    AnyInSegment,
    AnyAcrossSegments,
}

impl NamePattern {
    /// Compiles a pattern; every string is a valid pattern.
    pub fn new(pattern: &str) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' if chars.peek() == Some(&'*') => {
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    Token::AnyAcrossSegments
                }
                '*' => Token::AnyInSegment,
                '?' => Token::AnyChar,
                other => Token::Literal(other),
            };
            tokens.push(token);
        }
        Self { source: pattern.to_owned(), tokens }
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        // Dynamic programming from the end: `next[n]` tells whether the tokens after the current one match
        // `name[n..]`. Quadratic in the worst case, never exponential, no recursion.
        let mut next = vec![false; name.len() + 1];
        next[name.len()] = true;
        for token in self.tokens.iter().rev() {
            let mut row = vec![false; name.len() + 1];
            for n in (0..=name.len()).rev() {
                let here = name.get(n).copied();
                row[n] = match token {
                    Token::Literal(c) => here == Some(*c) && next[n + 1],
                    Token::AnyChar => here.is_some_and(|c| c != '/') && next[n + 1],
                    Token::AnyInSegment => next[n] || (here.is_some_and(|c| c != '/') && row[n + 1]),
                    Token::AnyAcrossSegments => next[n] || (here.is_some() && row[n + 1]),
                };
            }
            next = row;
        }
        next[0]
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NamePattern({:?})", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::NamePattern;

    fn matches(pattern: &str, name: &str) -> bool {
        NamePattern::new(pattern).matches(name)
    }

    #[test]
    fn stars_questions_and_literals() {
        assert!(matches("db-password", "db-password"));
        assert!(!matches("db-password", "db-passwords"));
        assert!(matches("db-*", "db-password"));
        assert!(matches("*", ""));
        assert!(matches("prod/*", "prod/db"));
        assert!(!matches("prod/*", "prod/eu/db"));
        assert!(matches("prod/**", "prod/eu/db"));
        assert!(matches("**/password", "a/b/password"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "a/c"));
        assert!(matches("*-*-key", "a-b-c-key"));
        assert!(!matches("*x", "aaaa"));
        assert!(matches("**", "any/thing/at/all"));
        assert!(matches("**/b*", "a/b/c/bd"));
        assert!(!matches("**/b*", "a/b/c/d"));
    }
}
