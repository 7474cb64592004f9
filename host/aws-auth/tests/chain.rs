//! The `aws-config` chain as the host runs it: credentials from the
//! environment, a named profile of the shared files, and a profile that does
//! not exist (a configuration error, without asking the instance metadata
//! service). One test, because it sets process environment variables; the
//! instance metadata endpoint is switched off, or a loopback listener, so
//! nothing leaves the machine.

use keyway_aws_auth::{AwsAuth, AwsAuthSettings};
use keyway_types::{CredentialProvider, ErrorKind};
use std::path::PathBuf;

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn auth(settings: AwsAuthSettings) -> AwsAuth {
    AwsAuth::new(settings).expect("valid settings")
}

#[tokio::test]
async fn environment_and_profiles_through_the_default_chain() {
    let scratch = Scratch(std::env::temp_dir().join(format!("keyway-aws-auth-{}", std::process::id())));
    std::fs::create_dir_all(&scratch.0).expect("a scratch folder");
    let credentials = scratch.0.join("credentials");
    let config = scratch.0.join("config");
    std::fs::write(&credentials, "[ops]\naws_access_key_id = AKIAPROFILEOPS\naws_secret_access_key = ops-secret\n")
        .expect("credentials file");
    std::fs::write(&config, "[profile ops]\nregion = eu-west-1\n").expect("config file");
    for (name, value) in [
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap_or_default()),
        ("AWS_CONFIG_FILE", config.to_str().unwrap_or_default()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_SESSION_TOKEN", "env-token"),
    ] {
        std::env::set_var(name, value);
    }
    for name in ["AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
        std::env::remove_var(name);
    }

    let from_env = auth(AwsAuthSettings::default()).aws_credentials().await.expect("the environment's keys");
    assert_eq!(from_env.access_key_id, "AKIAFROMENVIRONMENT");
    assert_eq!(from_env.session_token.as_deref().map(String::as_str), Some("env-token"));

    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        std::env::remove_var(name);
    }
    let ops = AwsAuthSettings { profile: Some("ops".into()), ..AwsAuthSettings::default() };
    let from_profile = auth(ops).aws_credentials().await.expect("the profile's keys");
    assert_eq!(from_profile.access_key_id, "AKIAPROFILEOPS");
    assert_eq!(from_profile.secret_access_key.as_str(), "ops-secret");

    // A misspelt profile is a configuration error naming the profile and the files, found without asking the
    // instance metadata service (here a loopback listener that counts connections, switched on again).
    let metadata = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    metadata.set_nonblocking(true).expect("non-blocking");
    let endpoint = format!("http://{}", metadata.local_addr().expect("address"));
    std::env::remove_var("AWS_EC2_METADATA_DISABLED");
    std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint);
    let missing = AwsAuthSettings { profile: Some("opps".into()), ..AwsAuthSettings::default() };
    let err = auth(missing).aws_credentials().await.expect_err("no such profile");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    assert_eq!(err.kind(), ErrorKind::Configuration, "{err}");
    let text = err.to_string();
    assert!(text.contains("AWS profile 'opps'") && text.contains("they define 'ops'"), "{text}");
    assert!(text.contains(config.to_str().unwrap_or_default()), "{text}");
    assert!(text.contains(credentials.to_str().unwrap_or_default()), "{text}");
    assert!(!text.contains("ops-secret"), "{text}");
    assert!(metadata.accept().is_err(), "the instance metadata service was asked: {text}");
}
