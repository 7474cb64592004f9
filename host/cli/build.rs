//! Embeds the plugin contract's version in the binary (`keyway --version`): the `package` line of each WIT
//! file under the workspace's `wit/`, so the version printed is the one the contract files declare.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let wit = manifest_dir.join("../../wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let mut packages = Vec::new();
    collect(&wit, &mut packages);
    packages.sort();
    packages.dedup();
    if packages.is_empty() {
        panic!(
            "no `package keyway:provider@VERSION;` line found in the WIT files under {}: build keyway from a full \
             checkout of its repository",
            wit.display()
        );
    }
    println!("cargo:rustc-env=KEYWAY_CONTRACT={}", packages.join(", "));
}

/// The `package` names declared by the `.wit` files under `dir` (one folder per contract version).
fn collect(dir: &Path, packages: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, packages);
        } else if path.extension().is_some_and(|ext| ext == "wit") {
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            packages.extend(text.lines().filter_map(package_of));
        }
    }
}

/// `keyway:provider@0.1.0` from `package keyway:provider@0.1.0;`: the plugin contract's versions only (other
/// packages beside it, such as the host's storage `keyway:store`, are interfaces a plugin may add, not the
/// contract).
fn package_of(line: &str) -> Option<String> {
    let name = line.trim().strip_prefix("package ")?.trim().strip_suffix(';')?.trim();
    name.starts_with("keyway:provider@").then(|| name.to_owned())
}
