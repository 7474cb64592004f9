//! `keyway store rekey`: a passphrase-sealed store re-keyed while being killed with SIGKILL over and over
//! loses nothing and opens with the old or the new passphrase at every point; the mistakes around it are
//! one clear line each.

use crate::support::{code, random_key, Sandbox};
use keyway_plugin_local::keyring::KeySource;
use keyway_plugin_local::store::{LocalStore, StoreOptions};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const OLD: &str = "the old passphrase, long enough";
const NEW: &str = "the new passphrase, longer still";
const SECRETS: usize = 150;

fn passphrase(text: &str) -> KeySource {
    KeySource::Passphrase(Zeroizing::new(text.to_owned()))
}

/// A sandbox whose `local` manager is sealed by `$KEYWAY_LOCAL_PASSPHRASE`.
fn passphrase_sandbox(label: &str) -> (Sandbox, PathBuf) {
    let mut sandbox = Sandbox::new(label);
    sandbox
        .configure("  local:\n    plugin: local\n    settings: { passphrase: \"${env:KEYWAY_LOCAL_PASSPHRASE}\" }\n");
    sandbox.set_env("KEYWAY_LOCAL_PASSPHRASE", OLD);
    let data = sandbox.home().join("data/local");
    (sandbox, data)
}

/// Every secret's two versions, read natively with `source`.
fn check_everything(data: &Path, source: &KeySource) -> Result<(), String> {
    let store = LocalStore::open(data, source, StoreOptions::default()).map_err(|err| err.to_string())?;
    for i in 0..SECRETS {
        let name = format!("app/{i}");
        for (selector, expected) in [
            (VersionSelector::Latest, format!("second {i}")),
            (VersionSelector::Label("previous".into()), format!("first {i}")),
        ] {
            let secret = store.get(&name, &selector).map_err(|err| format!("{name}: {err}"))?;
            assert_eq!(secret.value.expose_text(), Some(expected.as_str()), "{name} {selector}");
        }
    }
    let written = store.get("cli/written", &VersionSelector::Latest).map_err(|err| err.to_string())?;
    assert_eq!(written.value.expose_text(), Some("through the command line"));
    Ok(())
}

#[test]
fn a_rekey_killed_again_and_again_loses_nothing_and_finishes() {
    let (mut sandbox, data) = passphrase_sandbox("rekey-kill");
    sandbox.run(&["put", "local/cli/written", "through the command line"]).ok();
    {
        let store = LocalStore::open(&data, &passphrase(OLD), StoreOptions::default()).expect("the store the CLI made");
        let over = WriteOptions { overwrite: true, ..WriteOptions::default() };
        for i in 0..SECRETS {
            let name = format!("app/{i}");
            store.create(&name, &SecretValue::text(format!("first {i}")), &WriteOptions::default()).expect("create");
            store.create(&name, &SecretValue::text(format!("second {i}")), &over).expect("version 2");
        }
    }
    sandbox.set_env("KEYWAY_NEW_PASSPHRASE", NEW);

    let (mut kills, mut midway, mut delay) = (0, 0, Duration::from_millis(40));
    let finished = loop {
        let mut child = sandbox
            .command(&["store", "rekey", "local", "--new-passphrase-env", "KEYWAY_NEW_PASSPHRASE"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start keyway store rekey");
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().expect("poll").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(status) = child.try_wait().expect("poll") {
            assert!(status.success(), "the re-key failed by itself after {kills} kills: {status}");
            break true;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        kills += 1;
        let keyring = std::fs::read_to_string(data.join("keyring")).expect("the keyring is always there");
        if keyring.contains("\"next\"") {
            midway += 1;
            // Half-way, both passphrases open every file.
            check_everything(&data, &passphrase(OLD)).expect("the old passphrase, mid-way");
            check_everything(&data, &passphrase(NEW)).expect("the new passphrase, mid-way");
        } else {
            check_everything(&data, &passphrase(OLD))
                .or_else(|_| check_everything(&data, &passphrase(NEW)))
                .expect("one of the passphrases opens everything");
        }
        if kills == 40 || midway == 4 {
            break false;
        }
        // Longer runs until kills land in the re-key itself; then each run goes on where the last stopped.
        if !keyring.contains("\"next\"") {
            delay = delay.mul_f32(1.3);
        }
    };
    if !finished {
        sandbox.run(&["store", "rekey", "local", "--new-passphrase-env", "KEYWAY_NEW_PASSPHRASE"]).ok();
    }
    assert!(midway >= 2, "kills must land in the middle of the re-key ({kills} kills, {midway} there)");

    check_everything(&data, &passphrase(NEW)).expect("the new passphrase opens everything");
    let err = check_everything(&data, &passphrase(OLD)).expect_err("the old passphrase is retired");
    assert!(err.contains("wrong master key"), "{err}");
    let message = sandbox.run(&["get", "local/cli/written"]).fails(code::CONFIG);
    assert!(message.contains("wrong master key") && !message.contains(OLD), "{message}");
    // Run once more by a retry that does not know it finished: nothing to do.
    let again = sandbox.run(&["store", "rekey", "local", "--new-passphrase-env", "KEYWAY_NEW_PASSPHRASE"]).ok();
    assert!(again.contains("already sealed with the new passphrase"), "{again}");
    sandbox.set_env("KEYWAY_LOCAL_PASSPHRASE", NEW);
    assert_eq!(sandbox.run(&["get", "local/cli/written"]).ok(), "through the command line");
    eprintln!("{kills} kills, {midway} in the middle of the re-key");
    let audit = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).expect("audit");
    assert!(audit.contains("\"rekey\""), "re-keys are audited: {audit}");
    assert!(!audit.contains(OLD) && !audit.contains(NEW));
}

#[test]
fn a_key_file_store_moves_to_a_passphrase_and_mistakes_are_one_clear_line() {
    let mut sandbox = Sandbox::local("rekey-mistakes");
    sandbox.run(&["put", "local/db/password", "kept-value-9a1c"]).ok();
    let key_file = sandbox.home().join("data/local/master.key");
    assert!(key_file.exists());

    let message = sandbox.run(&["store", "rekey", "local", "--new-passphrase-env", "UNSET_VAR"]).fails(code::INVALID);
    assert!(message.contains("UNSET_VAR is not set"), "{message}");
    sandbox.set_env("SHORT", "hunter2");
    let message = sandbox.run(&["store", "rekey", "--new-passphrase-env", "SHORT"]).fails(code::CONFIG);
    assert!(message.contains("shorter than 12 characters") && !message.contains("hunter2"), "{message}");
    let message = sandbox.run(&["store", "rekey", "nowhere", "--new-passphrase-env", "SHORT"]).fails(code::CONFIG);
    assert!(message.contains("unknown secret manager 'nowhere'"), "{message}");

    sandbox.set_env("KEYWAY_NEW_PASSPHRASE", NEW);
    let out = sandbox.run(&["store", "rekey", "--new-passphrase-env", "KEYWAY_NEW_PASSPHRASE"]).ok();
    assert!(
        out.contains("re-keyed the store of manager 'local'")
            && out.contains("passphrase: ${env:KEYWAY_NEW_PASSPHRASE}"),
        "{out}"
    );
    assert!(!key_file.exists(), "the key no longer lies beside the data");
    let message = sandbox.run(&["get", "local/db/password"]).fails(code::CONFIG);
    assert!(message.contains("is sealed with a passphrase (setting `passphrase`)"), "{message}");

    // A key from settings works the same way, and the built-in manager follows $KEYWAY_LOCAL_PASSPHRASE.
    sandbox.configure("  local:\n    plugin: local\n    settings: { passphrase: \"${env:KEYWAY_NEW_PASSPHRASE}\" }\n");
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "kept-value-9a1c");
    sandbox.set_env("NEXT_KEY", &random_key());
    sandbox.run(&["store", "rekey", "local", "--new-key-env", "NEXT_KEY", "--json"]).ok();
    sandbox.configure("  local:\n    plugin: local\n    settings: { key: \"${env:NEXT_KEY}\" }\n");
    assert_eq!(sandbox.run(&["get", "local/db/password"]).ok(), "kept-value-9a1c");
}

#[test]
fn the_built_in_local_manager_is_sealed_by_the_passphrase_in_the_environment() {
    let mut sandbox = Sandbox::new("builtin-passphrase");
    sandbox.set_env("KEYWAY_LOCAL_PASSPHRASE", OLD);
    sandbox.run(&["put", "local/token", "sealed-by-passphrase"]).ok();
    let data = sandbox.home().join("data/local");
    assert!(!data.join("master.key").exists(), "no key file beside the data");
    assert_eq!(sandbox.run(&["get", "local/token"]).ok(), "sealed-by-passphrase");
    sandbox.set_env("KEYWAY_LOCAL_PASSPHRASE", NEW);
    let message = sandbox.run(&["get", "local/token"]).fails(code::CONFIG);
    assert!(message.contains("wrong master key") && !message.contains(NEW), "{message}");
}
