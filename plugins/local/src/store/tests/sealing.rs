//! Passphrases, rollback detection, the format-1 layout and re-keying.

use super::*;
use crate::keyring::{KEYCHECK_FILE, KEYRING_FILE, KEY_FILE};
use crate::rekey::rekey;

fn passphrase(text: &str) -> KeySource {
    KeySource::Passphrase(Zeroizing::new(text.to_owned()))
}

/// A new store in a temporary directory sealed by `source`, with a few secrets.
fn store_with(source: &KeySource, count: usize) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("store");
    std::fs::create_dir(&root).expect("store dir");
    let store = LocalStore::open(&root, source, StoreOptions::default()).expect("new store");
    for i in 0..count {
        store
            .create(&format!("s{i}"), &SecretValue::text(format!("one {i}")), &WriteOptions::default())
            .expect("create");
        let over = WriteOptions { overwrite: true, ..WriteOptions::default() };
        store.create(&format!("s{i}"), &SecretValue::text(format!("two {i}")), &over).expect("version 2");
    }
    (tmp, root)
}

fn read_all(root: &Path, source: &KeySource, count: usize) -> Result<(), StoreError> {
    let store = LocalStore::open(root, source, StoreOptions::default())?;
    for i in 0..count {
        let name = format!("s{i}");
        let versions = store.versions(&name)?;
        assert_eq!(versions.len(), 2, "{name}");
        let previous = store.get(&name, &VersionSelector::Label("previous".into()))?;
        assert_eq!(previous.value.expose_text(), Some(format!("one {i}").as_str()));
        let current = store.get(&name, &VersionSelector::Latest)?;
        assert_eq!(current.value.expose_text(), Some(format!("two {i}").as_str()));
    }
    Ok(())
}

#[test]
fn a_passphrase_seals_the_store_and_nothing_in_its_directory_opens_it() {
    let (_tmp, root) = store_with(&passphrase("correct horse battery staple"), 2);
    assert!(!root.join(KEY_FILE).exists(), "no key file beside the data");
    let keyring = std::fs::read_to_string(root.join(KEYRING_FILE)).expect("keyring");
    assert!(keyring.contains("argon2id") && keyring.contains("memory_kib"), "{keyring}");
    read_all(&root, &passphrase("correct horse battery staple"), 2).expect("the right passphrase opens it");

    let err = LocalStore::open(&root, &passphrase("wrong horse battery staple"), StoreOptions::default())
        .expect_err("a wrong passphrase");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("setting `passphrase`") && !err.to_string().contains("horse"), "{err}");
    let err = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default()).expect_err("no passphrase");
    assert!(err.to_string().contains("is sealed with a passphrase (setting `passphrase`)"), "{err}");
    assert!(!root.join(KEY_FILE).exists(), "a failed open writes no key file");
}

#[test]
fn a_new_store_refuses_a_short_passphrase() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let err = LocalStore::open(tmp.path(), &passphrase("hunter2"), StoreOptions::default()).expect_err("short");
    assert!(err.to_string().contains("shorter than 12 characters"), "{err}");
}

#[test]
fn an_older_copy_of_a_secrets_files_put_back_is_refused_and_the_others_still_list() {
    let f = Fixture::new();
    f.put("rotated", "old value");
    f.put("other", "stays readable");
    let slot = f.slot("rotated");
    let old_meta = std::fs::read(slot.join("meta")).expect("meta");
    f.put_over("rotated", "new value");
    std::fs::write(slot.join("meta"), &old_meta).expect("put the old meta back");

    let err = f.store.get("rotated", &VersionSelector::Latest).expect_err("rolled back");
    let message = err.to_string();
    assert!(message.contains("was rolled back") && message.contains("acknowledged change 2"), "{message}");
    assert!(!message.contains("old value"), "{message}");
    assert_eq!(kind(err), ErrorKind::Other, "never not-found: a cache keeps its good value");
    let listed = f.store.list(&Default::default()).expect("list");
    let states: Vec<(String, bool)> = listed.secrets.iter().map(|m| (m.name.clone(), m.enabled)).collect();
    assert_eq!(states, [("other".to_owned(), true), ("rotated".to_owned(), false)]);
    assert_eq!(f.text("other", &VersionSelector::Latest), "stays readable");

    f.store.delete("rotated", keyway_plugin_sdk::DeleteMode::Force).expect("a rolled-back secret can be removed");
    assert_eq!(kind(f.store.get("rotated", &VersionSelector::Latest).expect_err("gone")), ErrorKind::NotFound);
}

#[test]
fn a_force_deleted_secret_copied_back_is_refused_and_can_be_written_anew() {
    let f = Fixture::new();
    f.put("revoked", "compromised");
    let slot = f.slot("revoked");
    let copy = f.root.join("copy");
    std::fs::create_dir(&copy).expect("copy dir");
    for file in std::fs::read_dir(&slot).expect("slot").flatten() {
        std::fs::copy(file.path(), copy.join(file.file_name())).expect("copy");
    }
    f.store.delete("revoked", keyway_plugin_sdk::DeleteMode::Force).expect("force delete");
    std::fs::rename(&copy, &slot).expect("put the folder back");

    let err = f.store.get("revoked", &VersionSelector::Latest).expect_err("resurrected");
    assert!(err.to_string().contains("was deleted for good"), "{err}");
    let reopened = f.reopen(&KeySource::KeyFile).expect("another instance");
    assert!(reopened.describe("revoked", &VersionSelector::Latest).is_err(), "every instance refuses it");

    f.store.delete("revoked", keyway_plugin_sdk::DeleteMode::Force).expect("remove the copy");
    f.put("revoked", "fresh");
    assert_eq!(f.text("revoked", &VersionSelector::Latest), "fresh");
}

#[test]
fn a_store_of_format_1_opens_without_loss_and_keeps_working() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1");
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("store");
    copy_tree(&fixture, &root);
    // The fixture's clock: the day after it was written, inside the deleted secret's recovery window.
    let clock = Rc::new(Cell::new(1_796_400_000_000));
    let store = open_with_clock(&root, &KeySource::KeyFile, &clock).expect("a format-1 store opens");
    assert!(root.join(KEYRING_FILE).exists(), "its keyring is written");

    let password = store.get("db/password", &VersionSelector::Latest).expect("get");
    assert_eq!(password.value.expose_text(), Some("format-one password v2"));
    assert_eq!(password.metadata.tags.get("team").map(String::as_str), Some("data"));
    let first = store.get("db/password", &VersionSelector::Label("previous".into())).expect("previous");
    assert_eq!(first.value.expose_text(), Some("format-one password"));
    let blob = std::fs::read_to_string(fixture.with_file_name("format1-blob.base64")).expect("blob");
    let blob = base64::engine::general_purpose::STANDARD.decode(blob.trim()).expect("base64");
    let stored = store.get("api/blob", &VersionSelector::Latest).expect("binary");
    assert_eq!(stored.value.expose_bytes(), blob.as_slice());
    let long = format!("h/{}", "y".repeat(400));
    assert_eq!(
        store.get(&long, &VersionSelector::Latest).expect("hashed slot").value.expose_text(),
        Some("hashed slot")
    );
    assert!(matches!(store.get("gone", &VersionSelector::Latest), Err(StoreError::DeletedNotReadable { .. })));
    assert_eq!(store.list(&Default::default()).expect("list").secrets.len(), 4, "the deleted one is not listed");

    let over = WriteOptions { overwrite: true, ..WriteOptions::default() };
    store.create("db/password", &SecretValue::text("v3"), &over).expect("write to a migrated store");
    store.restore("gone").expect("restore");
    let again = open_with_clock(&root, &KeySource::KeyFile, &clock).expect("reopen");
    assert_eq!(again.get("db/password", &VersionSelector::Latest).expect("get").value.expose_text(), Some("v3"));
    assert_eq!(again.get("gone", &VersionSelector::Latest).expect("restored").value.expose_text(), Some("deleted one"));
}

#[test]
fn rekey_moves_a_key_file_store_to_a_passphrase_and_retires_the_old_key() {
    let (_tmp, root) = store_with(&KeySource::KeyFile, 5);
    let reader = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default()).expect("reader");
    let report = rekey(&root, &KeySource::KeyFile, &passphrase("a much better passphrase")).expect("rekey");
    assert_eq!((report.resumed, report.already_done, report.damaged.len()), (false, false, 0), "{report:?}");
    assert!(report.resealed >= 15, "10 values, 5 metas and ledger shards: {report:?}");
    assert!(!root.join(KEY_FILE).exists() && !root.join(KEYCHECK_FILE).exists());

    read_all(&root, &passphrase("a much better passphrase"), 5).expect("the new passphrase opens everything");
    let err = LocalStore::open(&root, &KeySource::KeyFile, StoreOptions::default()).expect_err("old key gone");
    assert!(matches!(err, StoreError::Key(_)), "{err}");
    let err = reader.get("s0", &VersionSelector::Latest).expect_err("an instance opened before");
    assert!(err.to_string().contains("was re-keyed since this manager opened it"), "{err}");

    let again = rekey(&root, &KeySource::KeyFile, &passphrase("a much better passphrase")).expect("run again");
    assert!(again.already_done, "{again:?}");
    let err =
        rekey(&root, &passphrase("not the passphrase at all"), &passphrase("another passphrase!")).expect_err("x");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
}

#[test]
fn an_interrupted_rekey_opens_with_either_credential_and_finishes_when_run_again() {
    let old = passphrase("the first passphrase");
    let new = key_setting(42);
    let (_tmp, root) = store_with(&old, 4);
    // Interrupt after the first step: the keyring holds both seals, no file is sealed anew yet.
    let keyring = crate::keyring::Keyring::unlock(&root, &old).expect("unlock");
    let (file, _) = crate::keyring::KeyringFile::read(&root).expect("read").expect("keyring");
    let (mut raw, _) = keyring.raw_keys();
    raw.insert("knew".into(), Zeroizing::new([9u8; 32]));
    let old_kek = crate::keyring::kek_for(&root, &old, &file.active.sealed_by).expect("kek").expect("kind");
    let new_kek = crate::keyring::kek_for(&root, &new, &crate::keyring::SealedBy::Key).expect("kek").expect("kind");
    let step = crate::keyring::KeyringFile {
        format: file.format,
        active: crate::keyring::seal_keys(file.active.sealed_by.clone(), &old_kek, &raw, "knew").expect("seal"),
        next: Some(crate::keyring::seal_keys(crate::keyring::SealedBy::Key, &new_kek, &raw, "knew").expect("seal")),
    };
    let keyring = keyring.replace(&step, new_kek).expect("first step");
    // … and after a few files: a write from another instance in between seals with the new key.
    let writer = LocalStore::open(&root, &old, StoreOptions::default()).expect("old passphrase still opens");
    let over = WriteOptions { overwrite: true, ..WriteOptions::default() };
    writer.create("s0", &SecretValue::text("three 0"), &over).expect("write mid-way");
    drop(keyring);
    let reader = LocalStore::open(&root, &new, StoreOptions::default()).expect("the new key opens too");
    assert_eq!(reader.get("s0", &VersionSelector::Latest).expect("get").value.expose_text(), Some("three 0"));

    let err = rekey(&root, &old, &passphrase("a third, other passphrase")).expect_err("another target");
    assert!(err.to_string().contains("is unfinished: run it again with the same new one"), "{err}");
    let report = rekey(&root, &old, &new).expect("finish");
    assert!(report.resumed && report.already_resealed >= 2, "{report:?}");
    let store = LocalStore::open(&root, &new, StoreOptions::default()).expect("new key");
    assert_eq!(store.get("s1", &VersionSelector::Latest).expect("get").value.expose_text(), Some("two 1"));
    assert!(LocalStore::open(&root, &old, StoreOptions::default()).is_err(), "the old passphrase is retired");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
