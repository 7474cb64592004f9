//! The failures a user must be able to tell apart, each a typed error with a
//! clear message, and host-side credentials: explicit keys that moto checks
//! (SigV4), a role assumed through STS, no auth at all.

use crate::{keys, AwsUnderTest, REGION};
use keyway_aws_auth::{AwsAuth, AwsAuthSettings};
use keyway_runtime::{ConnectionConfig, EgressPolicy, RuntimeError};
use keyway_types::{CredentialProvider, ErrorKind, NoCredentials, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn moto_checks_signatures_so_a_wrong_secret_key_is_access_denied() {
    let aws = AwsUnderTest::start_with_auth().await;
    let identity = aws.moto.identity().clone();

    let good = aws.try_connect(aws.settings(), keys(&identity.access_key_id, &identity.secret_access_key)).await;
    let good = good.expect("connect with the right keys");
    good.create("signed", &SecretValue::text("ok"), &WriteOptions::default()).await.expect("create with right keys");
    assert_eq!(good.get("signed", &VersionSelector::Latest).await.expect("get").value, SecretValue::text("ok"));

    let wrong = aws.try_connect(aws.settings(), keys(&identity.access_key_id, "not-the-secret-key")).await;
    let err = wrong.expect("connect").get("signed", &VersionSelector::Latest).await.expect_err("bad signature");
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
    assert!(!err.to_string().contains("not-the-secret-key"), "the key leaked into: {err}");

    let unknown = aws.try_connect(aws.settings(), keys("AKIAUNKNOWN000000000", "whatever")).await;
    let err = unknown.expect("connect").get("signed", &VersionSelector::Latest).await.expect_err("unknown key id");
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
}

#[tokio::test]
async fn a_role_assumed_through_sts_signs_the_plugin_calls() {
    let aws = AwsUnderTest::start_with_auth().await;
    let identity = aws.moto.identity().clone();
    let auth = AwsAuthSettings {
        region: Some(REGION.into()),
        role_arn: Some(identity.role_arn.clone()),
        role_session_name: Some("keyway-test".into()),
        sts_endpoint: Some(aws.moto.endpoint()),
        ..keys(&identity.access_key_id, &identity.secret_access_key)
    };
    let resolver = AwsAuth::new(auth.clone()).expect("valid settings");
    let first = resolver.aws_credentials().await.expect("AssumeRole through moto");
    assert_ne!(first.access_key_id, identity.access_key_id, "the role's credentials, not the user's");
    assert!(first.session_token.is_some() && first.expires_at.is_some(), "temporary credentials: {first:?}");
    let second = resolver.aws_credentials().await.expect("cached");
    assert_eq!(second.access_key_id, first.access_key_id, "the cache serves until shortly before expiry");

    let conn = aws.try_connect(aws.settings(), auth).await.expect("connect with the role");
    conn.create("by-role", &SecretValue::text("r"), &WriteOptions::default()).await.expect("create as the role");
    assert_eq!(conn.get("by-role", &VersionSelector::Latest).await.expect("get").value, SecretValue::text("r"));

    let refused = AwsAuthSettings {
        region: Some(REGION.into()),
        role_arn: Some(identity.role_arn),
        sts_endpoint: Some(aws.moto.endpoint()),
        ..keys(&identity.access_key_id, "wrong-secret")
    };
    let err = AwsAuth::new(refused).expect("valid settings").aws_credentials().await.expect_err("STS refuses");
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
}

#[tokio::test]
async fn a_missing_or_malformed_region_is_a_configuration_error() {
    let aws = AwsUnderTest::start().await;
    let missing = aws.try_connect(json!({ "endpoint_override": aws.moto.endpoint() }), AwsUnderTest::any_keys()).await;
    match missing {
        Err(RuntimeError::Settings { field, problem, .. }) => assert_eq!(field, "region", "{problem}"),
        other => panic!("expected a settings error naming `region`, got {:?}", other.map(|_| "a connection")),
    }
    let malformed = aws.try_connect(json!({ "region": "EU West 1" }), AwsUnderTest::any_keys()).await;
    match malformed {
        Err(RuntimeError::Open { source, .. }) => {
            assert_eq!(source.kind(), ErrorKind::Configuration, "{source}");
            assert!(source.to_string().contains("region"), "{source}");
        }
        other => panic!("expected the plugin to refuse the region, got {:?}", other.map(|_| "a connection")),
    }
}

#[tokio::test]
async fn a_stopped_emulator_is_unavailable() {
    let mut aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    conn.create("up", &SecretValue::text("u"), &WriteOptions::default()).await.expect("create while moto runs");
    aws.moto.stop();
    let err = conn.get("up", &VersionSelector::Latest).await.expect_err("moto is gone");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("could not be reached"), "{err}");
}

#[tokio::test]
async fn a_manager_without_aws_auth_gets_the_hosts_configuration_error() {
    let aws = AwsUnderTest::start().await;
    let config =
        ConnectionConfig { settings: aws.settings(), credentials: Arc::new(NoCredentials), ..Default::default() };
    let conn = aws.connect_with(config).await.expect("the plugin opens without calling AWS");
    let err = conn.get("any", &VersionSelector::Latest).await.expect_err("no credentials");
    assert_eq!(err.kind(), ErrorKind::Configuration, "{err}");
    assert!(err.to_string().contains("no AWS authentication"), "{err}");
}

#[tokio::test]
async fn egress_allows_the_regional_endpoints_and_nothing_else() {
    let aws = AwsUnderTest::start().await;
    let mut policy = EgressPolicy::deny_all();
    for pattern in &aws.manifest().egress {
        policy.allow(pattern).expect("the manifest's patterns are valid");
    }
    for host in ["secretsmanager.eu-west-1.amazonaws.com", "secretsmanager-fips.us-east-1.amazonaws.com"] {
        assert!(policy.allows("https", host, 443), "{host} is refused");
    }
    assert!(policy.allows("https", "secretsmanager.cn-north-1.amazonaws.com.cn", 443));
    for host in ["s3.eu-west-1.amazonaws.com", "sts.amazonaws.com", "169.254.169.254", "example.com"] {
        assert!(!policy.allows("https", host, 443), "{host} is allowed");
    }
    assert!(!policy.allows("http", "secretsmanager.eu-west-1.amazonaws.com", 80), "plain HTTP is allowed");
    let conn = aws.connect().await;
    assert!(conn.egress().iter().any(|host| host.starts_with("127.0.0.1")), "the endpoint override is allowed");
}
