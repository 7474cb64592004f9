//! The policy documents the plugin loads: a variable declared (with `kind`, `mime_type` and
//! annotations) and a variable deleted. Every scalar is written double-quoted, so no id or
//! annotation can change the document's structure.

use std::collections::BTreeMap;

/// A YAML double-quoted scalar.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What a variable is declared with.
#[derive(Debug, Default)]
pub struct Declaration<'a> {
    /// The id relative to the policy it is loaded into.
    pub id: &'a str,
    /// Conjur's `kind` (the secret type).
    pub kind: Option<&'a str>,
    /// Conjur's `mime_type`.
    pub mime_type: Option<&'a str>,
    /// Annotations to add or change.
    pub annotations: BTreeMap<String, String>,
}

impl Declaration<'_> {
    /// The policy document declaring the variable.
    pub fn to_policy(&self) -> String {
        let mut text = format!("- !variable\n  id: {}\n", quote(self.id));
        if let Some(kind) = self.kind {
            text.push_str(&format!("  kind: {}\n", quote(kind)));
        }
        if let Some(mime_type) = self.mime_type {
            text.push_str(&format!("  mime_type: {}\n", quote(mime_type)));
        }
        if !self.annotations.is_empty() {
            text.push_str("  annotations:\n");
            for (name, value) in &self.annotations {
                text.push_str(&format!("    {}: {}\n", quote(name), quote(value)));
            }
        }
        text
    }
}

/// The policy document deleting the variable `id` (relative to the policy it is loaded into).
pub fn deletion(id: &str) -> String {
    format!("- !delete\n  record: !variable {}\n", quote(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_quote_everything() {
        let mut annotations = BTreeMap::new();
        annotations.insert("description".to_owned(), "line 1\nsays \"hi\"".to_owned());
        annotations.insert("team: x".to_owned(), "a\\b".to_owned());
        let declaration = Declaration { id: "db/pw", kind: Some("password"), mime_type: None, annotations };
        assert_eq!(
            declaration.to_policy(),
            "- !variable\n  id: \"db/pw\"\n  kind: \"password\"\n  annotations:\n    \"description\": \"line 1\\nsays \
             \\\"hi\\\"\"\n    \"team: x\": \"a\\\\b\"\n"
        );
        assert_eq!(deletion("a\"b"), "- !delete\n  record: !variable \"a\\\"b\"\n");
        assert_eq!(quote("\u{7}"), "\"\\u0007\"");
    }
}
