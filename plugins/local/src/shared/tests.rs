//! The store on a key-value store: the operations, what the host holds (ciphertext only), and writers on
//! several nodes (threads, each with its own handle on one map) never losing an acknowledged version.

use super::*;
use zeroize::Zeroizing;

fn key() -> KeySource {
    KeySource::Setting(Zeroizing::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()))
}

fn open(kv: &MemoryKv) -> SharedStore<MemoryKv> {
    SharedStore::open(kv.clone(), &key(), StoreOptions::default()).expect("open")
}

fn overwrite() -> WriteOptions {
    WriteOptions { overwrite: true, ..WriteOptions::default() }
}

#[test]
fn operations_keep_only_ciphertext_in_the_host_store() {
    let kv = MemoryKv::default();
    let store = open(&kv);
    let plaintext = "shared-plaintext-9f3e71";
    let first = store.create("db/password", &SecretValue::text(plaintext), &WriteOptions::default()).expect("create");
    let again = store.create("db/password", &SecretValue::text("x"), &WriteOptions::default());
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{again:?}");
    let second = store.create("db/password", &SecretValue::text("second-value"), &overwrite()).expect("overwrite");
    let read = store.get("db/password", &VersionSelector::Latest).expect("get");
    assert_eq!(read.value.expose_text(), Some("second-value"));
    let old = store.get("db/password", &VersionSelector::Id(first.version_id.clone().expect("id"))).expect("old");
    assert_eq!(old.value.expose_text(), Some(plaintext));
    assert_eq!(store.versions("db/password").expect("versions").len(), 2);
    let update = UpdateRequest { description: Some("the database".into()), ..UpdateRequest::default() };
    let updated = store.update("db/password", &update).expect("update");
    assert_eq!(updated.version_id, second.version_id);
    let long = "l".repeat(300);
    store.create(&long, &SecretValue::binary(vec![1, 2, 3]), &WriteOptions::default()).expect("a long name");
    store.create("other", &SecretValue::text("o"), &WriteOptions::default()).expect("create");
    let page = store.list(&ListRequest::default()).expect("list");
    let names: Vec<&str> = page.secrets.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["db/password", long.as_str(), "other"]);
    let page = store.list(&ListRequest { page_size: Some(1), ..ListRequest::default() }).expect("list");
    let next = ListRequest { page_token: page.next_page, ..ListRequest::default() };
    assert_eq!(store.list(&next).expect("next").secrets[0].name, long);

    // Another node's handle opens the keyring the first one wrote and reads the same.
    let node_b = open(&kv);
    assert_eq!(
        node_b.get("db/password", &VersionSelector::Latest).expect("b").value.expose_text(),
        Some("second-value")
    );

    // Recoverable delete, restore, forced delete.
    assert!(store.delete("other", DeleteMode::Recoverable(Some(7))).expect("delete").is_some());
    assert!(matches!(node_b.get("other", &VersionSelector::Latest), Err(StoreError::DeletedNotReadable { .. })));
    node_b.restore("other").expect("restore");
    assert_eq!(store.get("other", &VersionSelector::Latest).expect("restored").value.expose_text(), Some("o"));
    store.delete("other", DeleteMode::Force).expect("force");
    assert!(matches!(node_b.get("other", &VersionSelector::Latest), Err(StoreError::NotFound(_))));

    let held = kv.snapshot();
    assert!(held.keys().any(|key| key.starts_with("v/")) && held.contains_key(KEYRING_KEY));
    assert!(held.keys().all(|key| key.len() <= 120), "{:?}", held.keys().collect::<Vec<_>>());
    for (key, value) in &held {
        let text = String::from_utf8_lossy(value);
        for secret in [plaintext, "second-value"] {
            assert!(!text.contains(secret), "{key} holds a value in the clear");
        }
    }
    assert!(!held.keys().any(|key| key.contains("nb3RoZXI")), "the forced delete removed every key of 'other'");
}

#[test]
fn a_wrong_key_or_a_key_file_is_refused() {
    let kv = MemoryKv::default();
    open(&kv);
    let wrong = KeySource::Setting(Zeroizing::new("HxAREhMUFRYXGBkaGxwdHh8AAQIDBAUGBwgJCgsMDQ4=".into()));
    assert!(matches!(SharedStore::open(kv.clone(), &wrong, StoreOptions::default()), Err(StoreError::WrongKey { .. })));
    let fresh = MemoryKv::default();
    let refused = SharedStore::open(fresh, &KeySource::KeyFile, StoreOptions::default());
    assert!(matches!(&refused, Err(StoreError::Key(text)) if text.contains("`key` or `passphrase`")), "{refused:?}");
}

#[test]
fn writers_on_three_nodes_lose_no_acknowledged_version() {
    let kv = MemoryKv::default();
    open(&kv).create("shared", &SecretValue::text("start"), &WriteOptions::default()).expect("create");
    let writers: Vec<_> = (0..3)
        .map(|node| {
            let kv = kv.clone();
            std::thread::spawn(move || {
                let store = open(&kv);
                (0..25)
                    .map(|round| {
                        let value = format!("node-{node}-round-{round}");
                        let written = store.create("shared", &SecretValue::text(&value), &overwrite()).expect("write");
                        (written.version_id.expect("a version"), value)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let acknowledged: Vec<(String, String)> =
        writers.into_iter().flat_map(|writer| writer.join().expect("writer")).collect();
    let store = open(&kv);
    let versions = store.versions("shared").expect("versions");
    assert_eq!(versions.len(), 76, "every write and the first");
    for (version, value) in acknowledged {
        let read = store.get("shared", &VersionSelector::Id(version.clone())).expect("an acknowledged version");
        assert_eq!(read.value.expose_text(), Some(value.as_str()), "{version}");
    }
}
