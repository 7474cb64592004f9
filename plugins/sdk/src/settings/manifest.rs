//! The manifest is the one source of a plugin's settings: these checks, made in a plugin's own tests, say
//! where its settings parser or its README's settings table disagrees with `manifest.toml`.

use crate::{ProviderError, Settings};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A setting given to the parser that no manifest declares: the parser must refuse it.
const UNDECLARED: &str = "kwct_undeclared_setting";

/// The settings a plugin's `manifest.toml` declares, read with any serde format crate (`toml::from_str`).
/// Everything else in the manifest is ignored here.
///
/// ```
/// use keyway_plugin_sdk::settings::Manifest;
///
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct Config {
///     url: String,
///     token: Option<String>,
/// }
///
/// let manifest: Manifest = toml::from_str("[settings.url]\ntype = \"string\"\nrequired = true\n")?;
/// let problems = manifest.parser_disagreements(|settings| settings.parse::<Config>());
/// assert_eq!(problems, ["the parser accepts `token`, which manifest.toml does not declare"]);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// Each setting by name.
    #[serde(default)]
    pub settings: BTreeMap<String, DeclaredSetting>,
}

/// One `[settings.NAME]` table of a manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct DeclaredSetting {
    /// Its `type`.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// `required = true`: every manager must give it.
    #[serde(default)]
    pub required: bool,
    /// `secret = true`: a credential, never printed.
    #[serde(default)]
    pub secret: bool,
}

/// The `type` of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A map of text to text.
    StringMap,
    /// A list of text.
    StringList,
}

impl Kind {
    /// The name a manifest gives it (`string-map`).
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::StringMap => "string-map",
            Self::StringList => "string-list",
        }
    }

    fn sample(self) -> Value {
        match self {
            Self::String => json!("kwct-sample"),
            Self::Integer => json!(1),
            Self::Boolean => json!(true),
            Self::StringMap => json!({"kwct": "sample"}),
            Self::StringList => json!(["kwct-sample"]),
        }
    }
}

impl Manifest {
    /// Where the settings parser `parse` (the plugin's own, from [`Settings`] to its settings type, usually
    /// [`Settings::parse`]) disagrees with the manifest: a setting accepted but not declared, declared but
    /// refused, a declared type the parser refuses, a setting the parser requires that the manifest does not.
    /// Errors other than the shape of the settings (a value the plugin checks further) are not disagreements.
    pub fn parser_disagreements<T>(&self, parse: impl Fn(&Settings) -> crate::Result<T>) -> Vec<String> {
        let outcome = |object: Value| -> Option<String> {
            let settings = Settings::from_json(&object.to_string()).ok()?;
            parse(&settings).err().map(|err: ProviderError| err.message().to_owned())
        };
        let mut problems = Vec::new();
        match outcome(json!({ UNDECLARED: "kwct-sample" })) {
            Some(message) if message.contains(&format!("unknown field `{UNDECLARED}`")) => {
                let accepted = accepted_fields(&message);
                let declared: BTreeSet<&str> = self.settings.keys().map(String::as_str).collect();
                for name in accepted.difference(&declared) {
                    problems.push(format!("the parser accepts `{name}`, which manifest.toml does not declare"));
                }
                for name in declared.difference(&accepted) {
                    problems.push(format!("manifest.toml declares `{name}`, which the parser refuses"));
                }
            }
            _ => problems.push(format!(
                "the parser does not refuse the undeclared setting `{UNDECLARED}`: give its type \
                 #[serde(deny_unknown_fields)]"
            )),
        }
        let required: serde_json::Map<String, Value> =
            self.settings.iter().filter(|(_, s)| s.required).map(|(n, s)| (n.clone(), s.kind.sample())).collect();
        if let Some(message) = outcome(Value::Object(required)).filter(|m| m.contains("missing field")) {
            problems.push(format!("the parser requires a setting manifest.toml does not mark required: {message}"));
        }
        for (name, setting) in &self.settings {
            if let Some(message) =
                outcome(json!({ name: setting.kind.sample() })).filter(|m| m.contains("invalid type"))
            {
                problems.push(format!(
                    "the parser refuses `{name}` given as a {} (the type manifest.toml declares): {message}",
                    setting.kind.name()
                ));
            }
        }
        problems
    }

    /// Where the settings table of a plugin's README disagrees with the manifest. The table is the first
    /// whose header starts with `setting`; each row names one setting (`` `name` ``), then its type as the
    /// manifest spells it (`string-map` or `string map`), then `required`, `secret`, both
    /// (`required, secret`) or nothing, then what it is:
    ///
    /// ```text
    /// | setting | type | | what it is |
    /// | --- | --- | --- | --- |
    /// | `url` | string | required | The backend's URL. |
    /// | `token` | string | secret | The API token. |
    /// ```
    pub fn readme_disagreements(&self, readme: &str) -> Vec<String> {
        let Some(rows) = settings_table(readme) else {
            return if self.settings.is_empty() {
                Vec::new()
            } else {
                vec!["README.md has no settings table (a table whose header starts with `| setting |`)".into()]
            };
        };
        let mut problems = Vec::new();
        let mut documented = BTreeSet::new();
        for cells in rows {
            let [name, kind, flags, ..] = cells.as_slice() else {
                problems.push(format!("README.md's settings row {cells:?} needs name, type, flags and meaning"));
                continue;
            };
            let Some(name) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')).filter(|n| !n.contains('`'))
            else {
                problems.push(format!("README.md's settings row '{name}' must name one setting, as `name`"));
                continue;
            };
            if !documented.insert(name.to_owned()) {
                problems.push(format!("README.md lists `{name}` twice"));
            }
            let Some(declared) = self.settings.get(name) else {
                problems.push(format!("README.md lists `{name}`, which manifest.toml does not declare"));
                continue;
            };
            if kind.replace(' ', "-") != declared.kind.name() {
                problems.push(format!(
                    "README.md gives `{name}` the type '{kind}', manifest.toml '{}'",
                    declared.kind.name()
                ));
            }
            let given: BTreeSet<&str> = flags.split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
            let declared_flags = [(declared.required, "required"), (declared.secret, "secret")];
            let expected: BTreeSet<&str> = declared_flags.into_iter().filter(|(on, _)| *on).map(|(_, f)| f).collect();
            if given != expected {
                let shown = |set: &BTreeSet<&str>| {
                    if set.is_empty() {
                        "nothing".to_owned()
                    } else {
                        set.iter().copied().collect::<Vec<_>>().join(", ")
                    }
                };
                problems.push(format!(
                    "README.md flags `{name}` {}, manifest.toml {} (flags: required, secret)",
                    shown(&given),
                    shown(&expected)
                ));
            }
        }
        for name in self.settings.keys().filter(|name| !documented.contains(*name)) {
            problems.push(format!("README.md's settings table does not list `{name}`"));
        }
        problems
    }

    /// Panics, listing every disagreement, unless the settings parser `parse` and the README's settings
    /// table agree with the manifest (see [`Manifest::parser_disagreements`] and
    /// [`Manifest::readme_disagreements`]). A plugin's test, with `toml` as a dev-dependency, reads its own
    /// files with `include_str!("../manifest.toml")` and `include_str!("../README.md")`:
    ///
    /// ```
    /// use keyway_plugin_sdk::settings::Manifest;
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(deny_unknown_fields)]
    /// struct Config {
    ///     url: String,
    /// }
    ///
    /// let manifest: Manifest = toml::from_str("[settings.url]\ntype = \"string\"\nrequired = true\n")?;
    /// let readme = "| setting | type | | what it is |\n| --- | --- | --- | --- |\n| `url` | string | required | The URL. |\n";
    /// manifest.assert_agrees(readme, |settings| settings.parse::<Config>());
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    ///
    /// # Panics
    /// When anything disagrees: that is the check.
    #[track_caller]
    pub fn assert_agrees<T>(&self, readme: &str, parse: impl Fn(&Settings) -> crate::Result<T>) {
        let mut problems = self.parser_disagreements(parse);
        problems.extend(self.readme_disagreements(readme));
        assert!(problems.is_empty(), "the settings disagree with manifest.toml:\n- {}", problems.join("\n- "));
    }
}

/// The names in serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`", "expected
/// `a`", "there are no fields").
fn accepted_fields(message: &str) -> BTreeSet<&str> {
    let Some((_, expected)) = message.split_once(", expected ") else { return BTreeSet::new() };
    expected.split('`').skip(1).step_by(2).collect()
}

/// The cells of the settings table's rows (header and separator left out), trimmed.
fn settings_table(readme: &str) -> Option<Vec<Vec<String>>> {
    let cells = |line: &str| -> Vec<String> {
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        inner.split('|').map(|cell| cell.trim().to_owned()).collect()
    };
    let mut lines = readme.lines().skip_while(|line| {
        !(line.trim_start().starts_with('|') && cells(line).first().is_some_and(|c| c.eq_ignore_ascii_case("setting")))
    });
    lines.next()?;
    let rows = lines.skip(1).take_while(|line| line.trim_start().starts_with('|')).map(cells).collect();
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        url: String,
        token: Option<String>,
        page_size: Option<u32>,
    }

    fn manifest(extra: Value) -> Result<Manifest, serde_json::Error> {
        let mut settings = json!({
            "url": {"type": "string", "required": true, "egress": true},
            "token": {"type": "string", "secret": true},
            "page_size": {"type": "integer"},
        });
        if let (Some(settings), Value::Object(extra)) = (settings.as_object_mut(), extra) {
            settings.extend(extra);
        }
        serde_json::from_value(json!({ "name": "acme", "settings": settings }))
    }

    const README: &str = "## Settings\n\n| setting | type | | what it is |\n| --- | --- | --- | --- |\n\
        | `url` | string | required | The URL. |\n| `token` | string | secret | The token. |\n\
        | `page_size` | integer | | Page size. |\n\nMore text.\n";

    #[test]
    fn an_agreeing_plugin_has_nothing_to_report() -> Result<(), serde_json::Error> {
        let manifest = manifest(json!({}))?;
        manifest.assert_agrees(README, |settings| settings.parse::<Config>());
        Ok(())
    }

    #[test]
    fn the_parser_is_checked_both_ways() -> Result<(), serde_json::Error> {
        let more = manifest(json!({"region": {"type": "string"}, "page_size": {"type": "boolean"}}))?;
        let problems = more.parser_disagreements(|settings| settings.parse::<Config>());
        assert!(problems.iter().any(|p| p.contains("declares `region`, which the parser refuses")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("refuses `page_size` given as a boolean")), "{problems:?}");
        let fewer: Manifest = serde_json::from_value(json!({"settings": {"url": {"type": "string"}}}))?;
        let problems = fewer.parser_disagreements(|settings| settings.parse::<Config>());
        assert!(problems.iter().any(|p| p.contains("accepts `token`, which manifest.toml does not declare")));
        assert!(problems.iter().any(|p| p.contains("does not mark required") && p.contains("`url`")), "{problems:?}");
        let lenient = manifest(json!({}))?.parser_disagreements(|settings| Ok(settings.as_json().clone()));
        assert!(lenient.iter().any(|p| p.contains("deny_unknown_fields")), "{lenient:?}");
        Ok(())
    }

    #[test]
    fn the_readme_table_is_checked_against_the_manifest() -> Result<(), serde_json::Error> {
        let manifest = manifest(json!({"tags": {"type": "string-map"}}))?;
        let readme = README
            .replace("| `token` | string | secret |", "| `token` | string | required |")
            .replace("| `page_size` | integer |", "| `page_size` | string |")
            .replace("| `url` |", "| `url`, `uri` |");
        let problems = manifest.readme_disagreements(&readme);
        for expected in ["flags `token`", "type 'string', manifest.toml 'integer'", "row '`url`, `uri`'", "list `tags`"]
        {
            assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:?}");
        }
        let documented = README.replace(
            "| `page_size` | integer | | Page size. |",
            "| `tags` | string map | | Tags. |\n| `page_size` | integer | | Page size. |",
        );
        assert_eq!(manifest.readme_disagreements(&documented), Vec::<String>::new());
        assert_eq!(manifest.readme_disagreements("# No table").len(), 1);
        Ok(())
    }

    #[test]
    fn serde_lists_of_expected_fields() {
        let names = |m| accepted_fields(m).into_iter().collect::<Vec<_>>();
        assert_eq!(names("unknown field `x`, expected one of `a`, `b`, `c`"), ["a", "b", "c"]);
        assert_eq!(names("invalid settings: unknown field `x`, expected `a` or `b`"), ["a", "b"]);
        assert_eq!(names("unknown field `x`, expected `a`"), ["a"]);
        assert!(names("unknown field `x`, there are no fields").is_empty());
    }
}
