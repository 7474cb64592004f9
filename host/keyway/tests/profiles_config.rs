//! The `profiles:` configuration is checked when keyway opens: each mistake is one error naming the field and
//! what to write instead.

use keyway::{Config, ConfigSource, Keyway, KeywayError};

async fn open(profiles: &str, catalog: &str) -> Result<Keyway, KeywayError> {
    let home = std::env::temp_dir().join(format!("keyway-profiles-config-{}", std::process::id()));
    let yaml = format!(
        "home: {}\n{catalog}managers:\n  main: {{ plugin: local }}\n  mirror: {{ plugin: local }}\nprofiles:\n{profiles}",
        home.display()
    );
    let config = Config::from_yaml(&yaml).map_err(|err| KeywayError::Config { message: err.to_string() })?;
    Keyway::open(config, ConfigSource::BuiltInDefault).await
}

#[tokio::test]
async fn mistakes_in_profiles_are_refused_with_what_to_write() {
    let cases = [
        ("  p:\n    secrets: [\"main/**\"]\n    source: nowhere\n", "", "source 'nowhere' is not a configured manager"),
        ("  p:\n    secrets: [\"main/**\"]\n    sync: { to: [mirror] }\n", "", "sync needs a source"),
        (
            "  p:\n    secrets: [\"main/**\"]\n    source: main\n    sync: { to: [main] }\n",
            "",
            "a source is not its own copy",
        ),
        (
            "  p:\n    secrets: [\"main/**\"]\n    source: main\n    sync: { to: [gone] }\n",
            "",
            "'gone' is not a configured manager",
        ),
        ("  p:\n    secrets: [\"mirror/**\"]\n    source: main\n", "", "write patterns as main/NAME-PATTERN"),
        ("  p:\n    secrets: [\"main/**\"]\n    approval: { groups: [], quorum: 1 }\n", "", "names no group"),
        ("  p:\n    secrets: [\"main/**\"]\n    approval: { groups: [admins], quorum: 0 }\n", "", "at least 1"),
        (
            "  p:\n    secrets: [\"main/**\"]\n    approval: { groups: [admins] }\n",
            "catalog: { enabled: false }\n",
            "set catalog.enabled: true",
        ),
    ];
    for (profiles, catalog, expected) in cases {
        let err = open(profiles, catalog).await.expect_err(expected);
        assert!(matches!(err, KeywayError::Config { .. }), "{expected}: {err}");
        let message = err.to_string();
        assert!(message.contains("profiles.p") && message.contains(expected), "{expected}: {message}");
    }
    let fine = "  p:\n    secrets: [\"main/app/**\"]\n    source: main\n    sync: { to: [mirror], repair: manual, check_every: 5m }\n    approval: { groups: [admins], quorum: 2, operations: [update, change-source], lifetime: 2h, reveal: true }\n";
    let keyway = open(fine, "").await.expect("a valid profile");
    assert_eq!(keyway.profile_names(), ["p"]);
}
