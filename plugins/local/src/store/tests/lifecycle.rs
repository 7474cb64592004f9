//! Round trips, versions and labels, updates, deletion and restore.

use super::*;
use crate::record::{CURRENT, PREVIOUS};
use crate::time::DAY_MS;
use keyway_plugin_sdk::{DeleteMode, Tags, UpdateRequest, VersionState};

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn text_and_binary_values_round_trip_with_their_attributes() {
    let f = Fixture::new();
    let options = WriteOptions {
        tags: tags(&[("env", "prod")]),
        description: Some("the database password".into()),
        expires_at: Some(T0 + 9 * DAY_MS),
        secret_type: Some("basic-auth".into()),
        ..WriteOptions::default()
    };
    let created = f.store.create("db/password", &SecretValue::text("s3cr3t-ü"), &options).expect("create");
    assert_eq!(created.version_labels, vec![CURRENT.to_owned()]);
    assert_eq!((created.created_at, created.updated_at), (Some(T0), Some(T0)));
    let secret = f.store.get("db/password", &VersionSelector::Latest).expect("get");
    assert_eq!(secret.value, SecretValue::text("s3cr3t-ü"));
    assert_eq!(secret.metadata, created);
    assert_eq!(secret.metadata.tags, tags(&[("env", "prod")]));
    assert_eq!(secret.metadata.description.as_deref(), Some("the database password"));
    assert_eq!(secret.metadata.expires_at, Some(T0 + 9 * DAY_MS));
    assert_eq!(secret.metadata.secret_type.as_deref(), Some("basic-auth"));
    assert!(secret.metadata.enabled);

    let bytes: Vec<u8> = (0..=255).collect();
    f.store.create("keystore", &SecretValue::binary(bytes.clone()), &WriteOptions::default()).expect("binary");
    let binary = f.store.get("keystore", &VersionSelector::Latest).expect("get binary");
    assert_eq!(binary.value, SecretValue::binary(bytes));
    let empty = f.store.create("empty", &SecretValue::text(""), &WriteOptions::default()).expect("empty");
    assert!(f.store.get("empty", &VersionSelector::Latest).expect("get empty").value.is_empty());
    assert!(empty.version_id.is_some());
}

#[test]
fn values_survive_reopening_and_are_not_stored_in_clear() {
    let f = Fixture::new();
    f.put("api/token", "plain-marker-7f3a");
    let again = f.reopen(&KeySource::KeyFile).expect("reopen with the key file");
    let value = again.get("api/token", &VersionSelector::Latest).expect("get").value;
    assert_eq!(value.expose_text(), Some("plain-marker-7f3a"));
    for file in files_under(&f.root) {
        let bytes = std::fs::read(f.root.join(&file)).expect("read");
        assert!(!String::from_utf8_lossy(&bytes).contains("plain-marker"), "{file} holds the value in clear");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(f.root.join("master.key")).expect("key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private to its owner");
    }
}

#[test]
fn new_versions_keep_the_previous_ones_addressable_by_id_and_label() {
    let f = Fixture::new();
    let v1 = f.put("app/key", "one").version_id.expect("v1");
    f.advance(1000);
    let update = UpdateRequest { value: Some(SecretValue::text("two")), ..UpdateRequest::default() };
    let v2 = f.store.update("app/key", &update).expect("update").version_id.expect("v2");
    f.advance(1000);
    let v3 = f.put_over("app/key", "three").version_id.expect("v3");
    assert!(v1.starts_with("v1-") && v2.starts_with("v2-") && v3.starts_with("v3-"), "{v1} {v2} {v3}");

    assert_eq!(f.text("app/key", &VersionSelector::Latest), "three");
    assert_eq!(f.text("app/key", &VersionSelector::Label(CURRENT.into())), "three");
    assert_eq!(f.text("app/key", &VersionSelector::Label(PREVIOUS.into())), "two");
    assert_eq!(f.text("app/key", &VersionSelector::Id(v1.clone())), "one");
    let old = f.store.get("app/key", &VersionSelector::Id(v1.clone())).expect("v1").metadata;
    assert_eq!(old.version_id.as_deref(), Some(v1.as_str()));
    assert!(old.version_labels.is_empty());

    let versions = f.store.versions("app/key").expect("versions");
    let ids: Vec<&str> = versions.iter().map(|v| v.version_id.as_str()).collect();
    assert_eq!(ids, [v3.as_str(), v2.as_str(), v1.as_str()], "newest first");
    assert_eq!(versions[0].labels, vec![CURRENT.to_owned()]);
    assert_eq!(versions[1].labels, vec![PREVIOUS.to_owned()]);
    assert_eq!(versions[2].created_at, Some(T0));

    let probe = f.store.describe("app/key", &VersionSelector::Latest).expect("describe");
    assert_eq!(probe.version_id.as_deref(), Some(v3.as_str()));
    assert_eq!(probe.updated_at, Some(T0 + 2000));
    for missing in [VersionSelector::Id("v9-00000000".into()), VersionSelector::Label("golden".into())] {
        let err = f.store.get("app/key", &missing).expect_err("no such version");
        assert!(err.to_string().contains("has no version"), "{err}");
        assert_eq!(kind(err), ErrorKind::NotFound);
    }
}

#[test]
fn create_refuses_existing_names_unless_asked_to_overwrite() {
    let f = Fixture::new();
    f.put("dup", "a");
    let err = f.store.create("dup", &SecretValue::text("b"), &WriteOptions::default()).expect_err("exists");
    assert_eq!(kind(err), ErrorKind::AlreadyExists);
    let options = WriteOptions { overwrite: true, tags: tags(&[("k", "v")]), ..WriteOptions::default() };
    let meta = f.store.create("dup", &SecretValue::text("b"), &options).expect("overwrite");
    assert_eq!(meta.tags, tags(&[("k", "v")]));
    assert_eq!(f.text("dup", &VersionSelector::Latest), "b");
    assert_eq!(f.store.versions("dup").expect("versions").len(), 2);
}

#[test]
fn a_deleted_secret_is_recovered_only_when_asked() {
    let f = Fixture::new();
    f.put("old", "first");
    f.store.delete("old", DeleteMode::Recoverable(None)).expect("delete");
    let plain = WriteOptions { overwrite: true, ..WriteOptions::default() };
    let err = f.store.create("old", &SecretValue::text("second"), &plain).expect_err("deleted");
    let message = err.to_string();
    assert!(message.contains("was deleted") && message.contains("restore it first"), "{message}");
    assert_eq!(kind(err), ErrorKind::Conflict);

    let recover = WriteOptions { recover_deleted: true, ..WriteOptions::default() };
    let meta = f.store.create("old", &SecretValue::text("second"), &recover).expect("recover and write");
    assert_eq!((meta.deleted_at, meta.purge_at), (None, None));
    assert_eq!(f.text("old", &VersionSelector::Latest), "second");
    assert_eq!(f.text("old", &VersionSelector::Label(PREVIOUS.into())), "first");
}

#[test]
fn update_changes_attributes_and_tags_without_a_new_version() {
    let f = Fixture::new();
    let options = WriteOptions { tags: tags(&[("a", "1"), ("b", "2")]), ..WriteOptions::default() };
    let v1 = f.store.create("svc", &SecretValue::text("v"), &options).expect("create").version_id;
    f.advance(5);
    let request = UpdateRequest {
        description: Some("rotated monthly".into()),
        expires_at: Some(T0 + DAY_MS),
        enabled: Some(false),
        set_tags: tags(&[("b", "3"), ("c", "4")]),
        remove_tags: vec!["a".into()],
        ..UpdateRequest::default()
    };
    let meta = f.store.update("svc", &request).expect("update");
    assert_eq!(meta.version_id, v1, "no value, no new version");
    assert_eq!(meta.tags, tags(&[("b", "3"), ("c", "4")]));
    assert_eq!(meta.description.as_deref(), Some("rotated monthly"));
    assert_eq!((meta.expires_at, meta.enabled, meta.updated_at), (Some(T0 + DAY_MS), false, Some(T0 + 5)));
    assert_eq!(f.store.describe("svc", &VersionSelector::Latest).expect("describe"), meta);
    let missing = f.store.update("nope", &request).expect_err("missing");
    assert_eq!(kind(missing), ErrorKind::NotFound);
}

#[test]
fn recoverable_delete_hides_the_secret_until_restored() {
    let f = Fixture::new();
    f.put("gone", "value");
    let purge_at = f.store.delete("gone", DeleteMode::Recoverable(None)).expect("delete");
    assert_eq!(purge_at, Some(T0 + 30 * DAY_MS), "30 days by default");

    let err = f.store.get("gone", &VersionSelector::Latest).expect_err("deleted");
    assert!(err.to_string().contains("restore it to read it"), "{err}");
    assert_eq!(kind(err), ErrorKind::NotFound);
    let meta = f.store.describe("gone", &VersionSelector::Latest).expect("describe a deleted secret");
    assert_eq!((meta.deleted_at, meta.purge_at), (Some(T0), purge_at));
    assert!(f.store.versions("gone").expect("versions").iter().all(|v| v.state == VersionState::Deleted));
    let update = UpdateRequest { enabled: Some(false), ..UpdateRequest::default() };
    assert_eq!(kind(f.store.update("gone", &update).expect_err("deleted")), ErrorKind::Conflict);
    let again = f.store.delete("gone", DeleteMode::Recoverable(None)).expect_err("already deleted");
    assert_eq!(kind(again), ErrorKind::Conflict);

    let restored = f.store.restore("gone").expect("restore");
    assert_eq!((restored.deleted_at, restored.purge_at), (None, None));
    assert_eq!(f.text("gone", &VersionSelector::Latest), "value");
    assert_eq!(f.store.delete("gone", DeleteMode::Recoverable(Some(7))).expect("7 days"), Some(T0 + 7 * DAY_MS));
    for days in [0, 366] {
        let err = f.store.delete("gone", DeleteMode::Recoverable(Some(days))).expect_err("bad window");
        assert_eq!(kind(err), ErrorKind::InvalidArgument);
    }
    assert_eq!(kind(f.store.restore("never").expect_err("missing")), ErrorKind::NotFound);
}

#[test]
fn a_deletion_becomes_permanent_when_its_window_ends() {
    let f = Fixture::new();
    f.put("temp", "old value");
    f.store.delete("temp", DeleteMode::Recoverable(Some(1))).expect("delete");
    f.advance(DAY_MS + 1);
    assert_eq!(kind(f.store.describe("temp", &VersionSelector::Latest).expect_err("purged")), ErrorKind::NotFound);
    assert_eq!(kind(f.store.restore("temp").expect_err("purged")), ErrorKind::NotFound);
    let report = f.store.sweep(std::time::Duration::ZERO);
    assert_eq!(report.purged, vec!["temp".to_owned()]);
    assert!(!f.slot("temp").exists());
    let meta = f.put("temp", "new value");
    assert!(meta.version_id.is_some_and(|id| id.starts_with("v1-")));
    assert_eq!(f.store.versions("temp").expect("versions").len(), 1, "nothing of the old secret is left");
}

#[test]
fn forced_delete_removes_every_file_at_once() {
    let f = Fixture::new();
    let first = f.put("wipe/me", "a").version_id;
    f.put_over("wipe/me", "b");
    assert_eq!(f.store.delete("wipe/me", DeleteMode::Force).expect("force"), None);
    assert!(!f.slot("wipe/me").exists());
    assert!(files_under(&f.root.join("trash")).is_empty());
    assert_eq!(kind(f.store.get("wipe/me", &VersionSelector::Latest).expect_err("gone")), ErrorKind::NotFound);
    assert_eq!(kind(f.store.delete("wipe/me", DeleteMode::Force).expect_err("gone")), ErrorKind::NotFound);
    let again = f.put("wipe/me", "c").version_id;
    assert_ne!(again, first, "a recreated secret gets new version ids");
    f.store.delete("wipe/me", DeleteMode::Recoverable(None)).expect("delete");
    f.store.delete("wipe/me", DeleteMode::Force).expect("a deleted secret can be removed at once");
    assert!(!f.slot("wipe/me").exists());
}

#[test]
fn unusable_input_is_refused_before_anything_is_written() {
    let f = Fixture::new();
    let before = files_under(&f.root);
    let kms = WriteOptions { kms_key_id: Some("alias/x".into()), ..WriteOptions::default() };
    let err = f.store.create("k", &SecretValue::text("v"), &kms).expect_err("kms");
    assert_eq!(kind(err), ErrorKind::InvalidArgument);
    let huge = SecretValue::binary(vec![0u8; super::super::write::MAX_VALUE_LEN + 1]);
    assert_eq!(
        kind(f.store.create("k", &huge, &WriteOptions::default()).expect_err("size")),
        ErrorKind::InvalidArgument
    );
    for name in ["", "line\nbreak", &"x".repeat(513)] {
        let err = f.store.create(name, &SecretValue::text("v"), &WriteOptions::default()).expect_err("name");
        assert_eq!(kind(err), ErrorKind::InvalidArgument, "{name:?}");
    }
    assert_eq!(files_under(&f.root), before);
}
