//! What keyway trusts about plugins, names and files, tried as a hostile third party would: a plugin's own
//! manifest grants it no network, an operator's grant names one exact build, built-in plugins cannot be
//! shadowed, manager names cannot reach outside keyway's folders, and a precompiled artifact that was replaced
//! is compiled again rather than run.

use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_runtime::{LoadSource, PluginManifest, Runtime, RuntimeConfig};
use keyway_types::VersionSelector;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A loopback server counting the requests it receives and answering `200 ok`.
fn recorder() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut [0u8; 2048]);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, count)
}

/// Writes the hostile test plugin into `dir` as `NAME.wasm`, its manifest naming it `manifest_name` and
/// requesting `egress`.
fn third_party(dir: &Path, file: &str, manifest_name: &str, egress: &[String]) -> String {
    let built = keyway_plugins::find("hostile").expect("the hostile test plugin is built");
    std::fs::create_dir_all(dir).expect("plugins dir");
    std::fs::write(dir.join(format!("{file}.wasm")), built.wasm).expect("wasm");
    let quoted: Vec<String> = egress.iter().map(|pattern| format!("\"{pattern}\"")).collect();
    let manifest = built.manifest.replacen("name = \"hostile\"", &format!("name = \"{manifest_name}\""), 1).replacen(
        "egress = []",
        &format!("egress = [{}]", quoted.join(", ")),
        1,
    );
    std::fs::write(dir.join(format!("{file}.toml")), &manifest).expect("manifest");
    // A grant pins the packed file, the component with this manifest embedded.
    let packed = keyway_runtime::embed_manifest(built.wasm, &manifest).expect("pack");
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(packed))
}

async fn open(home: &Path, yaml: &str) -> Result<Keyway, KeywayError> {
    let text = format!(
        "home: {home}\nplugins:\n  dir: {home}/plugins\n  cache_dir: {home}/cache\n{yaml}",
        home = home.display()
    );
    let config = Config::from_yaml(&text).map_err(|message| KeywayError::Config { message })?;
    Keyway::open(config, ConfigSource::BuiltInDefault).await
}

#[tokio::test]
async fn a_manifest_requests_egress_and_only_a_grant_for_that_build_gives_it() {
    let home = tempfile::tempdir().expect("home");
    let (port, received) = recorder();
    let url = format!("http://127.0.0.1:{port}/");
    let digest = third_party(&home.path().join("plugins"), "acme", "acme", &[format!("http://127.0.0.1:{port}")]);
    let manager = "managers:\n  acme:\n    plugin: acme\n    settings: { attack: http }\n";
    let anyone = Identity::default();

    // Requested by its own manifest, not granted: refused, and nothing reaches the server.
    let keyway = open(home.path(), manager).await.expect("opens");
    let err = keyway.get(&anyone, "acme", &url, &VersionSelector::Latest).await.expect_err("not granted");
    assert!(err.to_string().contains("egress allowlist"), "{err}");
    assert_eq!(received.load(Ordering::SeqCst), 0);

    // A grant for another build gives nothing, and says what to do.
    let text = format!(
        "home: {home}\nplugins:\n  dir: {home}/plugins\n  cache_dir: {home}/cache\n  grants:\n    acme: {{ sha256: \"{}\" }}\n{manager}",
        "0".repeat(64),
        home = home.path().display()
    );
    let keyway =
        Keyway::open(Config::from_yaml(&text).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    let err = keyway.get(&anyone, "acme", &url, &VersionSelector::Latest).await.expect_err("another build");
    assert!(err.to_string().contains("keyway plugin trust"), "{err}");
    assert_eq!(received.load(Ordering::SeqCst), 0);

    // The grant for this build: what the manifest requests is reachable.
    let text = text.replace(&"0".repeat(64), &digest);
    let keyway =
        Keyway::open(Config::from_yaml(&text).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    let secret = keyway.get(&anyone, "acme", &url, &VersionSelector::Latest).await.expect("granted");
    assert_eq!(secret.value().expose_bytes(), b"ok");
    assert_eq!(received.load(Ordering::SeqCst), 1);

    // A grant may give less than the manifest requests.
    let narrowed = text.replace(&format!("sha256: \"{digest}\""), &format!("sha256: \"{digest}\", egress: []"));
    let keyway =
        Keyway::open(Config::from_yaml(&narrowed).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    keyway.get(&anyone, "acme", &url, &VersionSelector::Latest).await.expect_err("granted nothing");
    assert_eq!(received.load(Ordering::SeqCst), 1);

    // The same code beside a manifest that asks for more is another build: the grant no longer applies.
    let toml = home.path().join("plugins/acme.toml");
    let more =
        std::fs::read_to_string(&toml).expect("manifest").replacen("egress = [", "egress = [\"*.example.com\", ", 1);
    std::fs::write(&toml, more).expect("manifest");
    let keyway =
        Keyway::open(Config::from_yaml(&text).expect("config"), ConfigSource::BuiltInDefault).await.expect("opens");
    let err = keyway.get(&anyone, "acme", &url, &VersionSelector::Latest).await.expect_err("another manifest");
    assert!(err.to_string().contains("keyway plugin trust"), "{err}");
    assert_eq!(received.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn built_in_plugins_cannot_be_shadowed_and_a_broken_plugin_hides_no_other() {
    let home = tempfile::tempdir().expect("home");
    let plugins = home.path().join("plugins");
    third_party(&plugins, "local", "local", &[]);
    third_party(&plugins, "impostor", "local", &[]);
    third_party(&plugins, "fine", "fine", &[]);
    std::fs::write(plugins.join("broken.wasm"), b"not wasm").expect("broken wasm");
    std::fs::write(plugins.join("broken.toml"), b"name = [").expect("broken manifest");
    let keyway = open(
        home.path(),
        "managers:\n  local:\n    plugin: local\n  impostor:\n    plugin: impostor\n    settings: { attack: http }\n",
    )
    .await
    .expect("opens");
    // `local` is the built-in store, not the folder's file of that name.
    let anyone = Identity::default();
    let value = keyway_types::SecretValue::text("stored-in-the-real-store");
    keyway.create(&anyone, "local", "db/password", &value, &Default::default()).await.expect("the built-in store");
    let err =
        keyway.get(&anyone, "impostor", "x", &VersionSelector::Latest).await.expect_err("a manifest naming another");
    assert!(err.to_string().contains("must carry its file's name"), "{err}");
    let listing = keyway.plugin_listing();
    let row = |name: &str| {
        listing
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, r)| r.as_ref().map(|p| p.name().to_owned()).map_err(|e| e.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(row("local").len(), 2, "the built-in and the folder's file: {listing:?}");
    assert!(row("local").iter().any(|r| r.as_ref().is_err_and(|e| e.contains("takes the name of a built-in plugin"))));
    assert!(row("broken")[0].as_ref().is_err(), "the broken one is reported");
    assert_eq!(row("fine")[0].as_deref(), Ok("fine"), "the others are listed");
}

#[tokio::test]
async fn manager_names_and_data_folders_stay_inside_their_places() {
    let home = tempfile::tempdir().expect("home");
    for name in ["..", ".", ".hidden", "a/b", "a..b", "-dash", &"m".repeat(65)] {
        let yaml = format!("managers:\n  {:?}:\n    plugin: local\n", name);
        let err = open(home.path(), &yaml).await.expect_err(name);
        assert!(err.to_string().contains("is invalid"), "{name}: {err}");
    }
    // A data folder overlapping the plugin cache is refused before the plugin runs.
    let yaml = format!("managers:\n  sneaky:\n    plugin: local\n    data_dir: {}/cache\n", home.path().display());
    let keyway = open(home.path(), &yaml).await.expect("opens");
    let err = keyway.get(&Identity::default(), "sneaky", "x", &VersionSelector::Latest).await.expect_err("refused");
    assert!(err.to_string().contains("overlaps the plugin cache"), "{err}");
    assert!(!home.path().join("cache/master.key").exists());
}

#[test]
fn a_replaced_precompiled_artifact_is_compiled_again_not_run() {
    let cache = tempfile::tempdir().expect("cache");
    let runtime = || {
        Runtime::new(RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..RuntimeConfig::default() })
            .expect("runtime")
    };
    let load = |runtime: &Runtime, name: &str| {
        let built = keyway_plugins::find(name).expect("built");
        let manifest = PluginManifest::parse(built.manifest, name).expect("manifest");
        (runtime.load_plugin(manifest, built.wasm).expect("loads"), built.wasm)
    };
    let first = runtime();
    let (hostile, hostile_wasm) = load(&first, "hostile");
    assert_eq!(hostile.load_source(), LoadSource::Compiled);
    let (memory, memory_wasm) = load(&first, "memory");
    assert_eq!(load(&runtime(), "hostile").0.load_source(), LoadSource::Precompiled, "an untouched artifact loads");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache.path()).expect("cache").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the cache folder is private");
    }
    // Another plugin's valid native code put in place of the hostile plugin's artifact.
    let engine = first.engine();
    let cache_of = keyway_runtime::CompileCache::new(cache.path()).expect("cache");
    let (hostile_path, memory_path) =
        (cache_of.artifact_path(engine, hostile_wasm), cache_of.artifact_path(engine, memory_wasm));
    std::fs::copy(&memory_path, &hostile_path).expect("replace the artifact");
    let again = load(&runtime(), "hostile").0;
    assert_eq!(again.load_source(), LoadSource::Compiled, "the replaced artifact is not run");
    assert_eq!(again.name(), "hostile");
    // Rewriting it in place is caught too.
    let bytes = std::fs::read(&hostile_path).expect("artifact");
    std::fs::write(&hostile_path, bytes).expect("rewrite");
    assert_eq!(load(&runtime(), "hostile").0.load_source(), LoadSource::Compiled);
    drop((hostile, memory));
}
