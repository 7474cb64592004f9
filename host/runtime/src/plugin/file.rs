//! A plugin as a file on disk: the component, and its manifest from inside it or from beside it.
//!
//! A packed plugin (`keyway plugin pack`) carries its manifest in a custom section; otherwise the manifest
//! is the `.toml` file beside the `.wasm` with the same stem. When both exist they must be the same text:
//! a file beside a packed plugin that says something else is refused, naming both, rather than one of them
//! silently winning.
//!
//! The plugin's digest is what an operator's grant pins: the SHA-256 of the packed file. For a packed
//! plugin that is the file's own SHA-256; for a component with its manifest beside it, the SHA-256 of the
//! file `keyway plugin pack` would write from the two. Either way it covers the code and the manifest, so a
//! manifest that asks for more gives another digest.

use crate::error::RuntimeError;
use crate::manifest::embedded::{self, EmbedError};
use crate::manifest::PluginManifest;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where a plugin file's manifest came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestSource {
    /// The component's `keyway-manifest` section: a packed plugin.
    Embedded,
    /// This `.toml` file beside the component.
    Beside(PathBuf),
}

/// A plugin file, read and its manifest parsed; not yet compiled.
#[derive(Debug)]
pub struct PluginFile {
    /// The component's path.
    pub path: PathBuf,
    /// The component's bytes, as read.
    pub wasm: Vec<u8>,
    /// The manifest.
    pub manifest: PluginManifest,
    /// Where the manifest came from.
    pub source: ManifestSource,
    digest: String,
}

impl PluginFile {
    /// Reads the component at `path` and its manifest: the one it carries, else the `.toml` beside it.
    pub fn read(path: &Path) -> Result<Self, RuntimeError> {
        let wasm = std::fs::read(path).map_err(|source| RuntimeError::Read { path: path.into(), source })?;
        let carried = embedded::embedded_manifest(&wasm).map_err(|err| embed_error(path, err))?;
        let beside = path.with_extension("toml");
        let beside_text = match std::fs::read(&beside) {
            Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| RuntimeError::Manifest {
                origin: beside.display().to_string(),
                reason: "it is not UTF-8 text".into(),
            })?),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(RuntimeError::Read { path: beside, source }),
        };
        let (text, source, origin) = match (carried, beside_text) {
            (Some(carried), Some(text)) if text != carried => return Err(conflict(path, &beside)),
            (Some(carried), _) => (carried, ManifestSource::Embedded, format!("embedded in {}", path.display())),
            (None, Some(text)) => (text, ManifestSource::Beside(beside.clone()), beside.display().to_string()),
            (None, None) => return Err(missing(path, beside)),
        };
        let manifest = PluginManifest::parse(&text, &origin)?;
        let digest = match source {
            ManifestSource::Embedded => sha256(&wasm),
            ManifestSource::Beside(_) => {
                sha256(&embedded::embed_manifest(&wasm, &text).map_err(|err| embed_error(path, err))?)
            }
        };
        Ok(Self { path: path.into(), wasm, manifest, source, digest })
    }

    /// SHA-256 of the packed plugin, hex: what `plugins.grants` pins.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn embed_error(path: &Path, err: EmbedError) -> RuntimeError {
    match err {
        EmbedError::NotAComponent | EmbedError::Malformed(_) => RuntimeError::InvalidComponent {
            plugin: path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default(),
            reason: format!("{}: {err}", path.display()),
        },
        _ => RuntimeError::Manifest { origin: path.display().to_string(), reason: err.to_string() },
    }
}

fn conflict(path: &Path, beside: &Path) -> RuntimeError {
    RuntimeError::Manifest {
        origin: path.display().to_string(),
        reason: format!(
            "the manifest embedded in it differs from {beside}, which lies beside it; remove {beside} to use the \
             embedded one, or embed {beside} with `keyway plugin pack {path} --manifest {beside} -o {path}`",
            beside = beside.display(),
            path = path.display()
        ),
    }
}

fn missing(path: &Path, beside: PathBuf) -> RuntimeError {
    let source = std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!(
            "there is no such file, and {} carries no manifest of its own (`keyway plugin pack` embeds one)",
            path.display()
        ),
    );
    RuntimeError::Read { path: beside, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "name = \"demo\"\nversion = \"1.0.0\"\ncontract = \"keyway:provider@0.1.0\"\n";

    struct Dir(PathBuf);

    impl Dir {
        fn new(label: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("keyway-plugin-file-{label}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("test folder");
            Self(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn component() -> Vec<u8> {
        wasm_encoder::Component::new().finish()
    }

    #[test]
    fn the_manifest_comes_from_inside_or_beside_and_the_digest_is_the_packed_files() {
        let dir = Dir::new("sources");
        let packed = embedded::embed_manifest(&component(), MANIFEST).expect("embed");
        let wasm = dir.0.join("demo.wasm");
        std::fs::write(&wasm, &packed).expect("write");
        let inside = PluginFile::read(&wasm).expect("a packed plugin");
        assert_eq!((inside.manifest.name.as_str(), &inside.source), ("demo", &ManifestSource::Embedded));
        assert_eq!(inside.digest(), sha256(&packed));

        // The same text beside it changes nothing.
        std::fs::write(dir.0.join("demo.toml"), MANIFEST).expect("write");
        assert_eq!(PluginFile::read(&wasm).expect("the same text beside").digest(), sha256(&packed));

        // An unpacked component with the manifest beside it has the packed file's digest.
        std::fs::write(&wasm, component()).expect("write");
        let beside = PluginFile::read(&wasm).expect("a manifest beside");
        assert_eq!(beside.source, ManifestSource::Beside(dir.0.join("demo.toml")));
        assert_eq!(beside.digest(), inside.digest());
    }

    #[test]
    fn a_different_manifest_beside_a_packed_plugin_is_refused_naming_both() {
        let dir = Dir::new("conflict");
        let wasm = dir.0.join("demo.wasm");
        std::fs::write(&wasm, embedded::embed_manifest(&component(), MANIFEST).expect("embed")).expect("write");
        let toml = dir.0.join("demo.toml");
        std::fs::write(&toml, MANIFEST.replace("1.0.0", "2.0.0")).expect("write");
        let message = PluginFile::read(&wasm).expect_err("two manifests").to_string();
        assert!(message.contains(&wasm.display().to_string()) && message.contains(&toml.display().to_string()));
        assert!(message.contains("differs"), "{message}");
    }

    #[test]
    fn a_component_without_any_manifest_says_how_to_give_it_one() {
        let dir = Dir::new("missing");
        let wasm = dir.0.join("demo.wasm");
        std::fs::write(&wasm, component()).expect("write");
        let message = PluginFile::read(&wasm).expect_err("no manifest").to_string();
        assert!(message.starts_with(&format!("cannot read plugin {}: ", dir.0.join("demo.toml").display())));
        assert!(message.contains("keyway plugin pack"), "{message}");
        std::fs::write(&wasm, b"\0asm\x01\0\0\0").expect("write a core module");
        let message = PluginFile::read(&wasm).expect_err("a module").to_string();
        assert!(message.contains("not a component"), "{message}");
    }
}
