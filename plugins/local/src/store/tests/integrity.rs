//! Damaged files, wrong keys, crash leftovers and concurrent instances.

use super::*;
use crate::keyring::{KEYRING_FILE, KEY_FILE};
use std::time::Duration;

/// Flips one bit of the ciphertext of an envelope file, keeping it valid JSON.
fn flip_a_ciphertext_bit(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read");
    let mut envelope: crate::crypto::Envelope = serde_json::from_str(&text).expect("an envelope");
    let engine = base64::engine::general_purpose::STANDARD;
    let mut data = engine.decode(&envelope.data).expect("base64");
    data[0] ^= 0x01;
    envelope.data = engine.encode(data);
    std::fs::write(path, envelope.to_bytes()).expect("write");
}

fn value_file(f: &Fixture, name: &str, version: &str) -> PathBuf {
    f.slot(name).join(format!("{version}.val"))
}

#[test]
fn a_tampered_meta_or_value_file_is_named_and_never_read() {
    let f = Fixture::new();
    let version = f.put("tampered", "secret-value-91").version_id.expect("version");
    f.put("intact", "ok");

    let value = value_file(&f, "tampered", &version);
    flip_a_ciphertext_bit(&value);
    let err = f.store.get("tampered", &VersionSelector::Latest).expect_err("tampered value");
    let message = err.to_string();
    assert!(message.starts_with(&format!("{} is corrupted or was tampered with", value.display())), "{message}");
    assert!(!message.contains("secret-value-91"));
    assert_eq!(kind(err), ErrorKind::Other);
    assert!(f.store.describe("tampered", &VersionSelector::Latest).is_ok(), "metadata is intact");

    let meta = f.slot("tampered").join("meta");
    flip_a_ciphertext_bit(&meta);
    let err = f.store.describe("tampered", &VersionSelector::Latest).expect_err("tampered meta");
    assert!(err.to_string().starts_with(&meta.display().to_string()), "{err}");
    assert_eq!(f.text("intact", &VersionSelector::Latest), "ok", "other secrets still read");

    std::fs::write(&meta, b"\x00\xffnot json").expect("garbage");
    // The listing goes on past the damaged secret, which it reports disabled and tagged as corrupt.
    let page = f.store.list(&keyway_plugin_sdk::ListRequest::default()).expect("the others still list");
    let names: Vec<&str> = page.secrets.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["intact", "tampered"]);
    let corrupt = &page.secrets[1];
    assert!(!corrupt.enabled && corrupt.tags.get("keyway-state").map(String::as_str) == Some("corrupt"));
    let description = corrupt.description.as_deref().unwrap_or_default();
    assert!(description.contains("is corrupted") && description.contains("meta"), "{description}");
    std::fs::write(&meta, b"").expect("truncate");
    assert!(matches!(f.store.get("tampered", &VersionSelector::Latest), Err(StoreError::Corrupted { .. })));
}

#[test]
fn files_moved_between_versions_or_secrets_are_detected() {
    let f = Fixture::new();
    let v1 = f.put("a", "first").version_id.expect("v1");
    let v2 = f.put_over("a", "second").version_id.expect("v2");
    std::fs::copy(value_file(&f, "a", &v2), value_file(&f, "a", &v1)).expect("swap");
    let err = f.store.get("a", &VersionSelector::Id(v1)).expect_err("moved value");
    assert!(matches!(err, StoreError::Corrupted { .. }), "{err}");

    f.put("b", "other");
    std::fs::copy(f.slot("a").join("meta"), f.slot("b").join("meta")).expect("copy meta");
    let err = f.store.get("b", &VersionSelector::Latest).expect_err("foreign meta");
    assert!(err.to_string().contains("belongs to another secret"), "{err}");
}

#[test]
fn a_lost_value_file_is_reported_as_damage() {
    let f = Fixture::new();
    let version = f.put("lost", "v").version_id.expect("version");
    let path = value_file(&f, "lost", &version);
    std::fs::remove_file(&path).expect("remove");
    let err = f.store.get("lost", &VersionSelector::Latest).expect_err("lost");
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
}

#[test]
fn a_wrong_key_is_one_clear_error_naming_the_store() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let clock = Rc::new(Cell::new(T0));
    let store = open_with_clock(tmp.path(), &key_setting(1), &clock).expect("new store with a key setting");
    store.create("x", &SecretValue::text("v"), &WriteOptions::default()).expect("create");
    drop(store);
    assert!(!tmp.path().join(KEY_FILE).exists(), "a key from settings writes no key file");

    let err = open_with_clock(tmp.path(), &key_setting(2), &clock).expect_err("wrong key");
    let message = err.to_string();
    let expected = format!("wrong master key for store at {}", tmp.path().display());
    assert!(message.starts_with(&expected) && message.contains(KEYRING_FILE), "{message}");
    assert_eq!(kind(err), ErrorKind::Configuration);

    let err = open_with_clock(tmp.path(), &KeySource::KeyFile, &clock).expect_err("no key");
    assert!(err.to_string().contains("is sealed with a key (setting `key`), but key file"), "{err}");
    assert!(!tmp.path().join(KEY_FILE).exists(), "no stray key file is created for an existing store");

    let reopened = open_with_clock(tmp.path(), &key_setting(1), &clock).expect("the right key");
    assert!(reopened.get("x", &VersionSelector::Latest).is_ok());
}

#[test]
fn a_replaced_key_file_or_damaged_key_check_is_reported() {
    let f = Fixture::new();
    f.put("x", "v");
    let err = f.reopen(&key_setting(9)).expect_err("setting differs from the key file");
    assert!(err.to_string().contains("remove the setting"), "{err}");

    let key_file = f.root.join(KEY_FILE);
    let original = std::fs::read(&key_file).expect("key file");
    std::fs::write(&key_file, base64::engine::general_purpose::STANDARD.encode([3u8; 32])).expect("replace");
    let err = f.reopen(&KeySource::KeyFile).expect_err("replaced key file");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    std::fs::write(&key_file, b"short").expect("damage");
    assert!(matches!(f.reopen(&KeySource::KeyFile), Err(StoreError::Key(_))));
    std::fs::write(&key_file, &original).expect("restore key file");

    std::fs::write(f.root.join(KEYRING_FILE), b"{garbage").expect("damage the keyring");
    let err = f.reopen(&KeySource::KeyFile).expect_err("damaged keyring");
    assert!(err.to_string().contains("keyring is corrupted"), "{err}");
}

#[test]
fn leftovers_of_interrupted_writes_do_not_break_opening_and_are_swept() {
    let f = Fixture::new();
    let version = f.put("kept", "value").version_id.expect("version");
    let slot = f.slot("kept");
    std::fs::write(f.root.join(".tmp-0011223344556677"), b"half a key").expect("root temp");
    std::fs::write(slot.join(".tmp-8899aabbccddeeff"), b"half a meta").expect("slot temp");
    std::fs::write(slot.join("v7-deadbeef.val"), b"unreferenced value").expect("orphan value");
    let unborn = f.slot("never-committed");
    std::fs::create_dir(&unborn).expect("slot without meta");
    std::fs::write(unborn.join(format!("{version}.val")), b"x").expect("value without meta");
    std::fs::create_dir_all(f.root.join("trash/nxyz.0000")).expect("interrupted removal");
    std::fs::write(f.root.join("secrets/stray.txt"), b"foreign").expect("foreign file");

    let store = f.reopen(&KeySource::KeyFile).expect("opens despite leftovers");
    assert_eq!(store.get("kept", &VersionSelector::Latest).expect("get").value.expose_text(), Some("value"));
    let names: Vec<String> =
        store.list(&Default::default()).expect("list").secrets.into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["kept"]);
    assert_eq!(kind(store.get("never-committed", &VersionSelector::Latest).expect_err("none")), ErrorKind::NotFound);

    let young = store.sweep(Duration::from_secs(3600));
    assert_eq!(young.leftovers, 1, "only the trash is cleared while leftovers may be in use: {young:?}");
    let report = store.sweep(Duration::ZERO);
    assert_eq!((report.leftovers, report.problems.len()), (4, 0), "{report:?}");
    let mut left = files_under(&f.root);
    left.retain(|file| !file.starts_with("secrets/stray"));
    let ledger: Vec<String> = left.iter().filter(|file| file.starts_with("ledger/")).cloned().collect();
    assert_eq!(ledger.len(), 1, "one ledger shard records the one secret: {left:?}");
    left.retain(|file| !file.starts_with("ledger/"));
    let mut expected = vec![
        KEYRING_FILE.to_owned(),
        KEY_FILE.to_owned(),
        format!("secrets/{}/{version}.val", crate::names::slot_of("kept")),
        format!("secrets/{}/meta", crate::names::slot_of("kept")),
    ];
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn instances_setting_up_one_store_at_once_agree_on_its_key() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().to_path_buf();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let root = root.clone();
            std::thread::spawn(move || {
                let store = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default())?;
                store.create(&format!("s{i}"), &SecretValue::text(format!("v{i}")), &WriteOptions::default())?;
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread").expect("open and write");
    }
    let store = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default()).expect("open");
    for i in 0..6 {
        let value = store.get(&format!("s{i}"), &VersionSelector::Latest).expect("get").value;
        assert_eq!(value.expose_text(), Some(format!("v{i}").as_str()));
    }
}

#[test]
fn reads_during_writes_see_a_whole_acknowledged_version() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().to_path_buf();
    let writer = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default()).expect("open");
    writer.create("hot", &SecretValue::text("0"), &WriteOptions::default()).expect("create");
    let reader_root = root.clone();
    let reader = std::thread::spawn(move || {
        let store = LocalStore::open(&reader_root, &KeySource::KeyFile, StoreOptions::default())?;
        let mut last = 0u32;
        for _ in 0..300 {
            let secret = store.get("hot", &VersionSelector::Latest)?;
            let seen: u32 = secret.value.expose_text().and_then(|t| t.parse().ok()).unwrap_or(u32::MAX);
            assert!(seen >= last && seen != u32::MAX, "went from {last} to {seen}");
            last = seen;
        }
        Ok::<_, StoreError>(last)
    });
    let options = WriteOptions { overwrite: true, ..WriteOptions::default() };
    for i in 1..=150 {
        writer.create("hot", &SecretValue::text(i.to_string()), &options).expect("write");
    }
    reader.join().expect("reader thread").expect("every read succeeds");
    assert_eq!(writer.versions("hot").expect("versions").len(), 151);
}
