//! keyway's records over moto: a version changed directly on the backend is recorded as changed outside
//! keyway when keyway next reads it; expiry and type, which AWS Secrets Manager cannot keep, are kept by
//! keyway, and an expired secret is refused by get and by placeholders.

use crate::moto::Moto;
use keyway::catalog::Origin;
use keyway::{Identity, KeywayError};
use keyway_integration_tests::harness::TempDir;
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn in_ms(delay: Duration) -> u64 {
    (SystemTime::now() + delay).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_changes_are_recorded_and_keyway_keeps_what_aws_cannot() {
    let moto = Moto::start_with_auth().await;
    let home = TempDir::new("aws-records");
    let keyway = moto.keyway(&home, "").await;
    let caller = Identity::in_namespace("company.team");

    let typed = WriteOptions { secret_type: Some("api-key".into()), ..WriteOptions::default() };
    keyway.create(&caller, "aws", "svc/token", &SecretValue::text("tok-first-7a21"), &typed).await.expect("create");
    let err = keyway
        .create(&caller, "aws", "svc/bad", &SecretValue::text("two\nlines"), &typed)
        .await
        .expect_err("an invalid api-key");
    assert!(matches!(err, KeywayError::InvalidInput(_)), "{err}");
    let names = moto.boto3(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
print(json.dumps(sorted(s["Name"] for s in sm.list_secrets()["SecretList"])))"#,
    );
    assert_eq!(names, json!(["svc/token"]), "the invalid value never reached AWS");

    // Changed with boto3, behind keyway's back.
    moto.boto3(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
sm.put_secret_value(SecretId="svc/token", SecretString="tok-outside-3c9d")
print(json.dumps(True))"#,
    );
    let read = keyway.get(&caller, "aws", "svc/token", &VersionSelector::Latest).await.expect("get");
    assert_eq!(read.value().expose_text(), Some("tok-outside-3c9d"));
    keyway.settle().await;
    let history = keyway.history(&caller, "aws", "svc/token").await.expect("history");
    let origins: Vec<Origin> = history.iter().map(|v| v.origin).collect();
    assert_eq!(origins, [Origin::Outside, Origin::Keyway], "{history:?}");
    assert_eq!(history[1].secret_type.as_deref(), Some("api-key"), "keyway keeps the type AWS cannot");
    assert_ne!(history[0].fingerprint, history[1].fingerprint);

    // An expiry AWS cannot keep: keyway keeps it, and refuses the secret once it has passed.
    let short = WriteOptions { expires_at: Some(in_ms(Duration::from_millis(1500))), ..WriteOptions::default() };
    keyway.create(&caller, "aws", "svc/short", &SecretValue::text("short-lived-55e0"), &short).await.expect("create");
    let read = keyway.get(&caller, "aws", "svc/short", &VersionSelector::Latest).await.expect("still valid");
    assert_eq!(read.value().expose_text(), Some("short-lived-55e0"));
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let err = keyway.get(&caller, "aws", "svc/short", &VersionSelector::Latest).await.expect_err("expired");
    assert!(err.to_string().contains("expired at") && !err.to_string().contains("short-lived-55e0"), "{err}");
    let step = json!({ "token": "${secret:aws/svc/short}" });
    let err = keyway.resolve(&caller, &step).await.expect_err("expired in a step too");
    assert!(err.to_string().contains("expired at"), "{err}");
}
