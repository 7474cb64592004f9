//! Typed secrets through the library: every type's rule checked before the backend sees the value, for
//! creates and for updates of a typed secret; facts recorded; the value never in an error.

use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_types::{ListRequest, SecretValue, UpdateRequest, VersionSelector, WriteOptions};

async fn keyway(home: &std::path::Path) -> Keyway {
    let config = Config::from_yaml(&format!("home: {}\n", home.display())).expect("config");
    Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("opens")
}

fn typed(secret_type: &str) -> WriteOptions {
    WriteOptions { secret_type: Some(secret_type.into()), ..WriteOptions::default() }
}

#[tokio::test]
async fn the_library_refuses_invalid_typed_values_before_any_backend_call() {
    let home = tempfile::tempdir().expect("home");
    let keyway = keyway(home.path()).await;
    let caller = Identity::default();
    let cases = [
        ("bogus", "anything-1"),
        ("key-value", r#"{"port": 5432, "marker": "kv-marker-1"}"#),
        ("basic-auth", r#"{"username": "etl", "marker": "ba-marker-2"}"#),
        ("api-key", " padded-marker-3 "),
        ("jwt", "jwt-marker-4.not.a-token"),
        ("private-key", "-----BEGIN PRIVATE KEY-----\npk-marker-5\n-----END PRIVATE KEY-----\n"),
        ("secret-key", "c2hvcnQtbWFya2VyLTY="),
        ("key-store", "ks-marker-7"),
    ];
    for (secret_type, value) in cases {
        let err = keyway
            .create(&caller, "local", "typed", &SecretValue::text(value), &typed(secret_type))
            .await
            .expect_err(secret_type);
        assert!(matches!(err, KeywayError::InvalidInput(_)), "{secret_type}: {err}");
        let message = err.to_string();
        assert!(!message.contains("marker") && !message.contains("anything-1"), "{secret_type}: {message}");
    }
    let listed = keyway.list(&caller, "local", &ListRequest::default()).await.expect("list");
    assert!(listed.secrets.is_empty(), "nothing reached the store: {:?}", listed.secrets);

    let value = SecretValue::text(r#"{"username":"etl","password":"pw-0001"}"#);
    keyway.create(&caller, "local", "db", &value, &typed("basic-auth")).await.expect("a valid basic-auth");
    let broken = UpdateRequest { value: Some(SecretValue::text(r#"{"user":"etl"}"#)), ..UpdateRequest::default() };
    let err = keyway.update(&caller, "local", "db", &broken).await.expect_err("the type is kept");
    assert!(err.to_string().contains("type basic-auth"), "{err}");
    let current = keyway.get(&caller, "local", "db", &VersionSelector::Latest).await.expect("get");
    assert_eq!(current.value().expose_text(), Some(r#"{"username":"etl","password":"pw-0001"}"#));
    assert_eq!(current.metadata().secret_type.as_deref(), Some("basic-auth"));
    assert_eq!(current.metadata().tags.get("keyway-type"), None, "the type travels as the type, not as a tag");
}
