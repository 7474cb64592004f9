//! The audit trail in keyway's records (`audit: {records: true}`): every record of the audit file is also a row
//! of the catalog's `audit` table, written by the node that made it and never holding a value; when the records
//! cannot take them, calls are refused (`on_failure: closed`) instead of going unaudited.

use keyway::catalog::{Catalog, CatalogKey, Location};
use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};

const VALUE: &str = "trail-value-7e21c9";

async fn open(yaml: &str) -> Result<Keyway, KeywayError> {
    Keyway::open(Config::from_yaml(yaml).expect("config"), ConfigSource::BuiltInDefault).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_of_the_file_is_also_in_the_records() {
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("audit.jsonl");
    let keyway =
        open(&format!("home: {}\naudit: {{ file: {}, records: true }}\n", home.path().display(), file.display()))
            .await
            .expect("opens");
    let caller = Identity::in_namespace("company.team");
    keyway
        .create(&caller, "local", "db/password", &SecretValue::text(VALUE), &WriteOptions::default())
        .await
        .expect("create");
    let read = keyway.get(&caller, "local", "db/password", &VersionSelector::Latest).await.expect("get");
    assert_eq!(read.value().expose_text(), Some(VALUE));
    keyway.flush();

    let key = std::fs::read_to_string(home.path().join("catalog.key")).expect("the catalog key");
    let key = CatalogKey::from_base64(key.trim()).expect("a key");
    let catalog = Catalog::open(&Location::Sqlite(home.path().join("catalog.db")), key).await.expect("the records");
    let trail = catalog.audit_after(0, 100).await.expect("the trail");
    let lines: Vec<&str> = trail.iter().map(|entry| entry.line.as_str()).collect();
    let in_file = std::fs::read_to_string(&file).expect("the audit file");
    assert_eq!(lines, in_file.lines().collect::<Vec<_>>(), "the same records, in the same order");
    let operations: Vec<String> = lines
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON")["operation"].to_string())
        .collect();
    assert!(
        operations.contains(&"\"create\"".to_owned()) && operations.contains(&"\"get\"".to_owned()),
        "{operations:?}"
    );
    assert!(trail.iter().all(|entry| entry.node == keyway.node_id()), "each row names the node that wrote it");
    assert!(!lines.iter().any(|line| line.contains(VALUE)), "never a value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_refused_when_the_records_cannot_take_their_audit_records() {
    let home = tempfile::tempdir().expect("home");
    let caller = Identity::default();
    let plain = open(&format!(
        "home: {}
",
        home.path().display()
    ))
    .await
    .expect("opens");
    plain
        .create(&caller, "local", "db/password", &SecretValue::text(VALUE), &WriteOptions::default())
        .await
        .expect("create");
    drop(plain);
    // The same store, with records in a folder that cannot exist: every append fails, and with no audit file
    // the records are the only place audit records go.
    let keyway = open(&format!(
        "home: {}\ncatalog: {{ url: \"sqlite:/proc/keyway-no-such-folder/catalog.db\" }}\naudit: {{ records: true }}\n",
        home.path().display()
    ))
    .await
    .expect("opens (the records open on first need)");
    let refused = keyway.get(&caller, "local", "db/password", &VersionSelector::Latest).await.expect_err("refused");
    assert!(matches!(refused, KeywayError::AuditUnavailable(_)), "{refused}");
    assert!(refused.to_string().contains("audit.records"), "{refused}");
    assert!(!refused.to_string().contains(VALUE));

    let off =
        open(&format!("home: {}\ncatalog: {{ enabled: false }}\naudit: {{ records: true }}\n", home.path().display()))
            .await
            .expect_err("no records to keep them in");
    assert!(off.to_string().contains("audit.records"), "{off}");
}
