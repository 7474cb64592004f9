//! keyway's provider plugins, compiled for `wasm32-wasip2` by this crate's
//! build script and embedded as bytes with their manifests, so the `keyway`
//! binary and the tests always carry the plugins built from this checkout.
//!
//! # Layout
//! - [`BuiltPlugin`] and [`ALL`]: the embedded plugins; [`find`] looks one up by name.

/// One embedded plugin.
#[derive(Debug, Clone, Copy)]
pub struct BuiltPlugin {
    /// The name from its manifest.
    pub name: &'static str,
    /// The component.
    pub wasm: &'static [u8],
    /// The component's SHA-256 (lower-case hexadecimal), computed when it was built.
    pub sha256: &'static str,
    /// The manifest (TOML).
    pub manifest: &'static str,
    /// Whether it exists only for tests (hostile and reference plugins).
    pub test_only: bool,
}

include!(concat!(env!("OUT_DIR"), "/plugins.rs"));

/// The plugin named `name`.
pub fn find(name: &str) -> Option<&'static BuiltPlugin> {
    ALL.iter().find(|plugin| plugin.name == name)
}

/// The plugins meant for users (not test-only).
pub fn first_party() -> impl Iterator<Item = &'static BuiltPlugin> {
    ALL.iter().filter(|plugin| !plugin.test_only)
}
