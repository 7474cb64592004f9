//! `${env:NAME}` and `${file:PATH}` references in configuration strings, so
//! credentials stay out of the file.

use crate::error::KeywayError;

/// Replaces every `${env:NAME}` and `${file:PATH}` in the string leaves of `value`.
/// `$${` is a literal `${`. `field` names the place in errors.
pub fn interpolate(value: &mut serde_json::Value, field: &str) -> Result<(), KeywayError> {
    match value {
        serde_json::Value::String(text) => {
            if text.contains("${") {
                *text = interpolate_str(text, field)?;
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().enumerate().try_for_each(|(i, item)| interpolate(item, &format!("{field}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter_mut().try_for_each(|(k, v)| interpolate(v, &format!("{field}.{k}"))),
        _ => Ok(()),
    }
}

fn interpolate_str(text: &str, field: &str) -> Result<String, KeywayError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| KeywayError::Config {
            message: format!("`{field}`: unclosed `${{` reference; write `$${{` for a literal `${{`"),
        })?;
        out.push_str(&resolve_reference(&after[..end], field)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve_reference(reference: &str, field: &str) -> Result<String, KeywayError> {
    let error = |message: String| KeywayError::Config { message: format!("`{field}`: {message}") };
    if let Some(name) = reference.strip_prefix("env:") {
        return std::env::var(name).map_err(|_| error(format!("environment variable {name} is not set")));
    }
    if let Some(path) = reference.strip_prefix("file:") {
        return std::fs::read_to_string(path)
            .map(|text| text.trim_end_matches(['\n', '\r']).to_owned())
            .map_err(|err| error(format!("cannot read {path}: {err}")));
    }
    Err(error(format!("unknown reference `${{{reference}}}`; use ${{env:NAME}} or ${{file:PATH}}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_and_literal() {
        std::env::set_var("KEYWAY_TEST_INTERPOLATE", "s3cr3t");
        let mut value = json!({"token": "${env:KEYWAY_TEST_INTERPOLATE}", "text": "a $${b} c", "n": 1});
        interpolate(&mut value, "settings").expect("interpolates");
        assert_eq!(value, json!({"token": "s3cr3t", "text": "a ${b} c", "n": 1}));
    }

    #[test]
    fn missing_variable_names_the_field_not_a_value() {
        let mut value = json!({"token": "${env:KEYWAY_TEST_UNSET_VARIABLE}"});
        let err = interpolate(&mut value, "managers.vault.settings").expect_err("unset");
        assert_eq!(
            err.to_string(),
            "configuration error: `managers.vault.settings.token`: environment variable KEYWAY_TEST_UNSET_VARIABLE is not set"
        );
    }
}
