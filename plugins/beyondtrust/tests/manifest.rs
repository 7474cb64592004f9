//! The settings `manifest.toml` declares are exactly those the plugin's settings parser accepts, and the
//! README's settings table lists them as the manifest does.

// The crate is a cdylib only, so this test compiles its settings module itself.
#[allow(dead_code)]
#[path = "../src/settings.rs"]
mod settings;

#[test]
fn settings_agree_with_the_manifest() -> Result<(), toml::de::Error> {
    let manifest: keyway_plugin_sdk::settings::Manifest = toml::from_str(include_str!("../manifest.toml"))?;
    manifest.assert_agrees(include_str!("../README.md"), settings::PasswordSafeSettings::from_json);
    Ok(())
}
