//! Property tests of the placeholder parser: it never panics, and what it reports is consistent with its
//! input. The cargo-fuzz target under `fuzz/` explores the same function with coverage guidance.

use keyway_resolve::placeholder::{has_placeholders_or_escapes, parse, Part};
use proptest::prelude::*;

/// Strings built from the pieces placeholders are made of, so the interesting paths are reached often.
fn placeholder_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "${secret:",
        "$${secret:",
        "{{",
        "}}",
        " secret(",
        "secret",
        "(",
        ")",
        "'",
        "\"",
        ",",
        "=",
        "subkey",
        "manager",
        "version",
        "label",
        "key",
        "?",
        "&",
        "/",
        "}",
        "{",
        "$",
        "aws",
        "db",
        " ",
        "é",
        "\u{0}",
        "ß/",
    ]);
    prop::collection::vec(prop_oneof![pieces.prop_map(str::to_owned), any::<String>()], 0..24)
        .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn parts_tile_the_input_and_errors_point_inside_it(text in placeholder_soup()) {
        match parse(&text) {
            Ok(template) => {
                let mut covered = 0;
                for part in &template.parts {
                    let range = match part {
                        Part::Text(range) => range.clone(),
                        Part::Placeholder { span, .. } => span.clone(),
                    };
                    // Parts are in order, within the text, on character boundaries; an escape skips one `$`.
                    prop_assert!(range.start >= covered && range.start <= covered + 1);
                    prop_assert!(text.get(range.clone()).is_some());
                    covered = range.end;
                }
                prop_assert_eq!(covered, text.len());
            }
            Err(error) => prop_assert!(error.offset <= text.len()),
        }
    }

    #[test]
    fn the_pre_check_misses_nothing_the_parser_finds(text in placeholder_soup()) {
        // Strings the pre-check passes over must be ones the parser leaves exactly as they are.
        match parse(&text) {
            Ok(template) if !has_placeholders_or_escapes(&text) => {
                prop_assert!(!template.has_placeholders());
                prop_assert_eq!(template.literal_text(&text), text);
            }
            // And the strings it flags do change (or are malformed).
            Ok(template) => prop_assert!(template.has_placeholders() || template.literal_text(&text) != text),
            Err(_) => prop_assert!(has_placeholders_or_escapes(&text)),
        }
    }

    #[test]
    fn canonical_placeholders_round_trip(
        manager in "[a-z][a-z0-9_-]{0,8}",
        name in "[A-Za-z0-9_.+=@-]{1,10}(/[A-Za-z0-9_.+=@-]{1,10}){0,3}",
        version in proptest::option::of("[A-Za-z0-9-]{1,12}"),
    ) {
        let query = version.as_ref().map(|v| format!("?version={v}")).unwrap_or_default();
        let text = format!("x ${{secret:{manager}/{name}{query}}} y");
        let template = parse(&text).expect("valid placeholder");
        let (_, reference) = template.placeholders().next().expect("one placeholder");
        prop_assert_eq!(reference.manager.as_deref(), Some(manager.as_str()));
        prop_assert_eq!(&reference.path, &name);
        prop_assert_eq!(template.literal_text(&text), "x  y");
    }
}
