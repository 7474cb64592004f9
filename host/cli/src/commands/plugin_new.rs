//! `keyway plugin new`: a plugin crate to start from, written from the templates in `plugin_new/templates`.
//!
//! The crate builds out of tree for `wasm32-wasip2` (it carries its own `[workspace]` table) and depends on
//! the SDK by path: `--sdk PATH`, else the SDK of the checkout this binary was built from when it is still
//! there, else a version requirement with a comment saying how to point it at a checkout.

use crate::cli::PluginNewArgs;
use anyhow::Result;
use keyway::error::exit;
use keyway::KeywayError;
use std::path::{Path, PathBuf};

/// The crate's files: where each goes (names may use the placeholders) and its template.
const FILES: [(&str, &str); 6] = [
    ("Cargo.toml", include_str!("plugin_new/templates/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("plugin_new/templates/lib.rs.tmpl")),
    ("{{name}}.toml", include_str!("plugin_new/templates/manifest.toml.tmpl")),
    ("test.yaml", include_str!("plugin_new/templates/test.yaml.tmpl")),
    ("README.md", include_str!("plugin_new/templates/README.md.tmpl")),
    (".gitignore", include_str!("plugin_new/templates/gitignore.tmpl")),
];

/// The SDK of the checkout this binary was built from.
const CHECKOUT_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/sdk");

/// Names Cargo refuses for a package or a library (Rust's keywords and its built-in crates).
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Writes the crate and prints the commands that build, pack and test it.
pub fn run(args: &PluginNewArgs) -> Result<i32> {
    check_name(&args.name)?;
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    let sdk = sdk_dependency(args.sdk.as_deref())?;
    let lib = args.name.replace('-', "_");
    let env = format!("{}_TOKEN", lib.to_ascii_uppercase());
    let values = [
        ("name", args.name.as_str()),
        ("lib", lib.as_str()),
        ("env", env.as_str()),
        ("sdk", sdk.as_str()),
        ("contract", keyway_runtime::CONTRACT),
    ];
    create_dir(&dir)?;
    if let Err(err) = write_files(&dir, &values) {
        // Leave nothing half-written behind.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(err.into());
    }
    let name = &args.name;
    println!("Created the plugin crate '{name}' in {}. Build, pack and test it:", dir.display());
    println!("  cd {}", dir.display());
    println!("  cargo build --release --target wasm32-wasip2");
    println!("  keyway plugin pack target/wasm32-wasip2/release/{lib}.wasm --manifest {name}.toml -o dist/{name}.wasm");
    println!("  {env}=... keyway plugin test dist/{name}.wasm --config test.yaml");
    println!("Its README describes the key-value API the example speaks, and how to install the plugin.");
    Ok(exit::OK)
}

/// A crate name Cargo accepts that is also a plugin name keyway loads and no built-in plugin's.
fn check_name(name: &str) -> Result<(), KeywayError> {
    let invalid = |why: &str| {
        KeywayError::InvalidInput(format!("'{}' cannot name a plugin crate: {why}", keyway_runtime::sanitize(name, 64)))
    };
    let well_formed = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'));
    if !well_formed {
        return Err(invalid(
            "use at most 64 lower-case letters, digits, '-' and '_', starting with a letter (e.g. acme-kv)",
        ));
    }
    if RESERVED.contains(&name.replace('-', "_").as_str()) {
        return Err(invalid("it is a Rust keyword or a built-in crate's name; choose another"));
    }
    if keyway::plugins::is_built_in(name) {
        return Err(invalid("it is a built-in plugin's name, which a third-party plugin may not take"));
    }
    Ok(())
}

/// The `keyway-plugin-sdk` line of the crate's `[dependencies]`.
fn sdk_dependency(sdk: Option<&Path>) -> Result<String, KeywayError> {
    let folder = match sdk {
        Some(path) => Some(sdk_folder(path).ok_or_else(|| {
            KeywayError::InvalidInput(format!(
                "{} is not the SDK's folder: it has no Cargo.toml naming keyway-plugin-sdk (give the plugins/sdk \
                 folder of a keyway checkout)",
                path.display()
            ))
        })?),
        None => sdk_folder(Path::new(CHECKOUT_SDK)),
    };
    Ok(dependency_line(folder.as_deref()))
}

/// The dependency on the SDK in `folder`, or on this keyway's SDK version when there is none.
fn dependency_line(folder: Option<&Path>) -> String {
    match folder {
        Some(path) => format!("keyway-plugin-sdk = {{ path = {} }}", toml_string(&path.display().to_string())),
        None => {
            let version = env!("CARGO_PKG_VERSION");
            let minor = version.rsplit_once('.').map_or(version, |(minor, _)| minor);
            format!(
                "# The SDK is not on crates.io yet: point this at the plugins/sdk folder of a keyway checkout,\n\
                 # e.g. {{ path = \"../keyway/plugins/sdk\" }} (or run `keyway plugin new` with --sdk PATH).\n\
                 keyway-plugin-sdk = \"{minor}\""
            )
        }
    }
}

/// `path`, absolute, when it is the SDK's folder.
fn sdk_folder(path: &Path) -> Option<PathBuf> {
    let manifest = std::fs::read_to_string(path.join("Cargo.toml")).ok()?;
    let named = manifest.lines().any(|line| line.replace(' ', "") == "name=\"keyway-plugin-sdk\"");
    named.then(|| path.canonicalize().ok()).flatten()
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Creates `dir`, which must not exist; its parents are created as needed.
fn create_dir(dir: &Path) -> Result<(), KeywayError> {
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|err| KeywayError::Config { message: format!("cannot create {}: {err}", parent.display()) })?;
    }
    std::fs::create_dir(dir).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => KeywayError::Conflict(format!(
            "{} already exists; keyway plugin new writes a new folder (choose another with --dir)",
            dir.display()
        )),
        _ => KeywayError::Config { message: format!("cannot create {}: {err}", dir.display()) },
    })
}

fn write_files(dir: &Path, values: &[(&str, &str)]) -> Result<(), KeywayError> {
    for (name, template) in FILES {
        let path = dir.join(render(name, values));
        let cannot =
            |err: std::io::Error| KeywayError::Config { message: format!("cannot write {}: {err}", path.display()) };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(cannot)?;
        }
        std::fs::write(&path, render(template, values)).map_err(cannot)?;
    }
    Ok(())
}

/// `template` with each `{{key}}` replaced by its value.
fn render(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (key, value)| text.replace(&format!("{{{{{key}}}}}"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cargo_and_keyway() {
        for good in ["acme", "acme-kv", "acme_kv2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Acme", "2fa", "-x", "acme kv", "acme.kv", "fn", "test", "self", "local", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        let values = [("name", "n"), ("lib", "l"), ("env", "E"), ("sdk", "s"), ("contract", "c")];
        for (name, template) in FILES {
            assert!(!render(template, &values).contains("{{"), "{name}");
        }
    }

    #[test]
    fn the_sdk_is_a_path_when_keyway_knows_it_else_a_version() {
        let checkout = sdk_dependency(None).expect("the checkout's SDK");
        assert!(checkout.starts_with("keyway-plugin-sdk = { path = \""), "{checkout}");
        let missing = sdk_dependency(Some(Path::new("/nonexistent/sdk"))).expect_err("no SDK there");
        assert!(missing.to_string().contains("/nonexistent/sdk"), "{missing}");
        assert_eq!(toml_string("C:\\sdk \"x\""), "\"C:\\\\sdk \\\"x\\\"\"");
        let fallback = dependency_line(None);
        let requirement = fallback.lines().last().unwrap_or_default();
        assert!(
            requirement.starts_with("keyway-plugin-sdk = \"") && requirement.matches('.').count() == 1,
            "{fallback}"
        );
    }
}
