//! `keyway plugin trust`: the operator's grant for a third-party plugin, for exactly that file.

use crate::cli::PluginTrustArgs;
use anyhow::Result;
use keyway::error::exit;
use keyway::KeywayError;
use keyway_runtime::{ManifestSource, PluginFile};

/// Prints the `plugins.grants` entry for the plugin file: its name, the SHA-256 of the packed file (which
/// covers the code and the manifest) and the egress its manifest requests, for the operator to read and add
/// to the configuration.
pub fn run(args: &PluginTrustArgs) -> Result<i32> {
    let file = PluginFile::read(&args.wasm).map_err(KeywayError::from)?;
    let manifest = &file.manifest;
    let origin = match &file.source {
        ManifestSource::Beside(path) => path.display().to_string(),
        _ => format!("the manifest embedded in {}", args.wasm.display()),
    };
    super::plugin_pack::check_third_party(manifest, &origin)?;
    let egress: Vec<String> = manifest.egress.iter().map(|pattern| format!("\"{pattern}\"")).collect();
    println!("# {} {}: {}", manifest.name, manifest.version, keyway_runtime::sanitize(&manifest.description, 200));
    if let ManifestSource::Beside(path) = &file.source {
        println!(
            "# The manifest is {}: the SHA-256 is of the file `keyway plugin pack` makes of the two, which is the \
             one to ship.",
            path.display()
        );
    }
    println!("# Add under `plugins: grants:` in keyway's configuration; edit `egress` to grant less.");
    println!("{}:", manifest.name);
    println!("  sha256: {}", file.digest());
    println!("  egress: [{}]", egress.join(", "));
    if !manifest.credentials.scopes.is_empty() || manifest.credentials.aws {
        println!(
            "# It also asks for credentials ({}{}): a manager gives them with `auth:`, narrowed by `auth.scopes`.",
            if manifest.credentials.aws { "AWS " } else { "" },
            manifest.credentials.scopes.join(", ")
        );
    }
    Ok(exit::OK)
}
