//! What keyway says when the embedded store cannot read a secret as asked: a missing label is not a missing
//! secret, and a deleted secret says until when it can be restored and how.

use keyway::error::exit;
use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_resolve::audit::format_rfc3339;
use keyway_types::{DeleteMode, SecretValue, VersionSelector, WriteOptions};
use std::time::{Duration, UNIX_EPOCH};

#[tokio::test]
async fn the_local_store_says_a_secret_is_deleted_or_lacks_the_version_asked_for() {
    let home = tempfile::tempdir().expect("home");
    let config = Config::from_yaml(&format!("home: {}\n", home.path().display())).expect("config");
    let keyway = Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("opens");
    let caller = Identity::default();
    keyway.create(&caller, "local", "db", &SecretValue::text("pw-1"), &WriteOptions::default()).await.expect("create");

    let label = VersionSelector::Label("previous".into());
    let err = keyway.get(&caller, "local", "db", &label).await.expect_err("no previous version yet");
    assert_eq!(
        err.to_string(),
        "secret 'db' on manager 'local' exists, but has no version labelled 'previous'; `keyway versions local/db` \
         lists its versions and their labels"
    );
    assert_eq!(err.exit_code(), exit::NOT_FOUND);

    let purge_at = keyway.delete(&caller, "local", "db", DeleteMode::Recoverable(Some(7))).await.expect("delete");
    let purge_at = purge_at.expect("a recoverable delete says until when");
    let err = keyway.get(&caller, "local", "db", &VersionSelector::Latest).await.expect_err("deleted");
    let until = format_rfc3339(UNIX_EPOCH + Duration::from_millis(purge_at));
    assert_eq!(
        err.to_string(),
        format!(
            "secret 'db' on manager 'local' is deleted, and scheduled for deletion for good on {until}; `keyway \
             restore local/db` restores it until then"
        )
    );
    assert_eq!(err.exit_code(), exit::NOT_FOUND);
    keyway.restore(&caller, "local", "db").await.expect("restore as the message says");
    assert_eq!(
        keyway.get(&caller, "local", "db", &VersionSelector::Latest).await.expect("readable").value().expose_text(),
        Some("pw-1")
    );
}
