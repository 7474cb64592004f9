//! A manifest carried inside its component, as a custom section named [`MANIFEST_SECTION`].
//!
//! `keyway plugin pack` appends the manifest's text to the component as a custom section, so one `.wasm`
//! file holds the code and its manifest, and the file's SHA-256 covers both. Custom sections may appear
//! anywhere in a component and carry no code: wasmtime ignores them, and every other section is kept byte
//! for byte. Packing a packed file again replaces its manifest.

use std::ops::Range;
use wasmparser::{Chunk, Encoding, Parser, Payload};

/// The name of the custom section that holds a plugin's manifest.
pub const MANIFEST_SECTION: &str = "keyway-manifest";

/// Why a component's embedded manifest cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The bytes are a core module, not a component.
    #[error("it is a core WebAssembly module, not a component; build the plugin for wasm32-wasip2")]
    NotAComponent,
    /// The bytes are not WebAssembly at all, or are cut short.
    #[error("it is not a WebAssembly component: {0}")]
    Malformed(String),
    /// More than one manifest section: which one counts would be a guess.
    #[error("it carries {0} `keyway-manifest` sections; pack it again with `keyway plugin pack`")]
    Several(usize),
    /// The section's content is not UTF-8 text.
    #[error("its `keyway-manifest` section is not UTF-8 text; pack it again with `keyway plugin pack`")]
    NotText,
}

/// The manifest embedded in `wasm`, if it carries one.
pub fn embedded_manifest(wasm: &[u8]) -> Result<Option<String>, EmbedError> {
    let sections = manifest_sections(wasm)?;
    match sections.as_slice() {
        [] => Ok(None),
        [section] => {
            let text = std::str::from_utf8(&wasm[section.data.clone()]).map_err(|_| EmbedError::NotText)?;
            Ok(Some(text.to_owned()))
        }
        several => Err(EmbedError::Several(several.len())),
    }
}

/// `wasm` with `manifest` embedded as its last section, in place of any manifest it carried.
pub fn embed_manifest(wasm: &[u8], manifest: &str) -> Result<Vec<u8>, EmbedError> {
    let sections = manifest_sections(wasm)?;
    let mut packed = Vec::with_capacity(wasm.len() + manifest.len() + 32);
    let mut kept_from = 0;
    for section in &sections {
        packed.extend_from_slice(&wasm[kept_from..section.whole.start]);
        kept_from = section.whole.end;
    }
    packed.extend_from_slice(&wasm[kept_from..]);
    let section = wasm_encoder::CustomSection { name: MANIFEST_SECTION.into(), data: manifest.as_bytes().into() };
    wasm_encoder::ComponentSection::append_to_component(&section, &mut packed);
    Ok(packed)
}

/// Where one top-level manifest section lies: the whole section (id and size included) and its data.
struct Found {
    whole: Range<usize>,
    data: Range<usize>,
}

/// Every top-level `keyway-manifest` section of the component `wasm`. Nested modules and components are
/// skipped whole: a section inside them is not the plugin's.
fn manifest_sections(wasm: &[u8]) -> Result<Vec<Found>, EmbedError> {
    let malformed = |err: wasmparser::BinaryReaderError| EmbedError::Malformed(err.message().to_owned());
    let mut parser = Parser::new(0);
    let mut offset = 0;
    let mut found = Vec::new();
    loop {
        let start = offset;
        let (payload, consumed) = match parser.parse(&wasm[offset..], true).map_err(malformed)? {
            Chunk::Parsed { payload, consumed } => (payload, consumed),
            Chunk::NeedMoreData(_) => return Err(EmbedError::Malformed("it ends in the middle of a section".into())),
        };
        offset += consumed;
        match payload {
            Payload::Version { encoding: Encoding::Module, .. } => return Err(EmbedError::NotAComponent),
            Payload::ModuleSection { unchecked_range: range, .. }
            | Payload::ComponentSection { unchecked_range: range, .. } => {
                if range.end > wasm.len() {
                    return Err(EmbedError::Malformed("a nested module runs past the end of the file".into()));
                }
                offset = range.end;
            }
            Payload::CustomSection(section) if section.name() == MANIFEST_SECTION => {
                found.push(Found { whole: start..offset, data: section.data_offset()..offset });
            }
            Payload::End(_) => return Ok(found),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the header alone.
    fn component() -> Vec<u8> {
        wasm_encoder::Component::new().finish()
    }

    #[test]
    fn a_component_without_a_manifest_has_none() {
        assert!(matches!(embedded_manifest(&component()), Ok(None)));
    }

    #[test]
    fn embedding_appends_one_section_and_repacking_replaces_it() {
        let bare = component();
        let packed = embed_manifest(&bare, "name = \"a\"\n").expect("embed");
        assert!(packed.starts_with(&bare), "every other byte is kept");
        assert_eq!(embedded_manifest(&packed).expect("read").as_deref(), Some("name = \"a\"\n"));
        let repacked = embed_manifest(&packed, "name = \"b\"\n").expect("embed again");
        assert_eq!(embedded_manifest(&repacked).expect("read").as_deref(), Some("name = \"b\"\n"));
        assert_eq!(repacked, embed_manifest(&bare, "name = \"b\"\n").expect("embed"), "the old manifest is gone");
        assert_eq!(embed_manifest(&packed, "name = \"a\"\n").expect("embed"), packed, "packing is repeatable");
    }

    #[test]
    fn refuses_what_is_not_one_component_manifest() {
        let module = wasm_encoder::Module::new().finish();
        assert!(matches!(embedded_manifest(&module), Err(EmbedError::NotAComponent)));
        assert!(matches!(embed_manifest(b"not wasm", "x"), Err(EmbedError::Malformed(_))));
        let mut twice = embed_manifest(&component(), "a").expect("embed");
        let section = wasm_encoder::CustomSection { name: MANIFEST_SECTION.into(), data: b"b".as_slice().into() };
        wasm_encoder::ComponentSection::append_to_component(&section, &mut twice);
        assert!(matches!(embedded_manifest(&twice), Err(EmbedError::Several(2))));
        let mut binary = component();
        let section =
            wasm_encoder::CustomSection { name: MANIFEST_SECTION.into(), data: [0xff, 0xfe].as_slice().into() };
        wasm_encoder::ComponentSection::append_to_component(&section, &mut binary);
        assert!(matches!(embedded_manifest(&binary), Err(EmbedError::NotText)));
    }
}
