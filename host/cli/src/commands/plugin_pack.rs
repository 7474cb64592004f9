//! `keyway plugin pack`: the one file to ship, a plugin component with its manifest embedded.

use crate::cli::PluginPackArgs;
use anyhow::Result;
use keyway::error::exit;
use keyway::KeywayError;
use keyway_runtime::PluginManifest;
use std::path::{Path, PathBuf};

/// Embeds the manifest in the component and writes the packed plugin.
pub fn run(args: &PluginPackArgs) -> Result<i32> {
    let wasm =
        std::fs::read(&args.wasm).map_err(|err| config(format!("cannot read {}: {err}", args.wasm.display())))?;
    let manifest_path = args.manifest.clone().unwrap_or_else(|| args.wasm.with_extension("toml"));
    let text = std::fs::read(&manifest_path).map_err(|err| {
        let hint = if args.manifest.is_none() { "; name the manifest with --manifest FILE" } else { "" };
        config(format!("cannot read the manifest {}: {err}{hint}", manifest_path.display()))
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| config(format!("the manifest {} is not UTF-8 text", manifest_path.display())))?;
    let origin = manifest_path.display().to_string();
    let manifest = PluginManifest::parse(&text, &origin).map_err(KeywayError::from)?;
    check_third_party(&manifest, &origin)?;
    let packed = keyway_runtime::embed_manifest(&wasm, &text)
        .map_err(|err| config(format!("cannot pack {}: {err}", args.wasm.display())))?;
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("{}.wasm", manifest.name)));
    write_replacing(&output, &packed)?;
    if output.file_stem().is_none_or(|stem| *stem != *manifest.name) {
        eprintln!(
            "keyway: note: a plugins folder loads this plugin only as {}.wasm, the name its manifest gives",
            manifest.name
        );
    }
    use sha2::Digest as _;
    println!(
        "packed {}: plugin {} {}, {} bytes, SHA-256 {}",
        output.display(),
        manifest.name,
        manifest.version,
        packed.len(),
        hex::encode(sha2::Sha256::digest(&packed))
    );
    Ok(exit::OK)
}

/// Checks what keyway asks of a third-party plugin's manifest beyond parsing: a plain name that is not a
/// built-in plugin's, and egress patterns an operator could grant. `origin` names the manifest in errors.
pub(super) fn check_third_party(manifest: &PluginManifest, origin: &str) -> Result<(), KeywayError> {
    keyway::plugins::valid_plugin_name(&manifest.name).map_err(|message| config(format!("{origin}: {message}")))?;
    if keyway::plugins::is_built_in(&manifest.name) {
        return Err(config(format!(
            "{origin}: '{}' is a built-in plugin's name; a third-party plugin may not take it",
            manifest.name
        )));
    }
    let mut checked = keyway_runtime::EgressPolicy::deny_all();
    for pattern in &manifest.egress {
        checked.allow(pattern).map_err(|err| config(format!("{origin}: {err}")))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file beside it, so a reader never sees half a plugin and
/// packing a file in place works.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), KeywayError> {
    let cannot = |err: std::io::Error| config(format!("cannot write {}: {err}", path.display()));
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(cannot)
}

fn config(message: String) -> KeywayError {
    KeywayError::Config { message }
}
