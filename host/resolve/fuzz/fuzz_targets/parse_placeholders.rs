//! Feeds arbitrary strings to the placeholder parser: it must never panic, and what it returns must describe
//! the input (parts in order, inside the string, on character boundaries).

#![no_main]

use keyway_resolve::placeholder::{parse, Part};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(template) => {
            let mut covered = 0;
            for part in &template.parts {
                let range = match part {
                    Part::Text(range) => range.clone(),
                    Part::Placeholder { span, .. } => span.clone(),
                };
                assert!(range.start >= covered && range.start <= covered + 1, "parts out of order");
                assert!(text.get(range.clone()).is_some(), "part off a character boundary");
                covered = range.end;
            }
            assert_eq!(covered, text.len(), "parts do not cover the input");
            let _ = template.literal_text(text);
            for (_, reference) in template.placeholders() {
                let _ = reference.to_string();
            }
        }
        Err(error) => {
            assert!(error.offset <= text.len(), "error offset past the end");
            let _ = error.to_string();
        }
    }
});
