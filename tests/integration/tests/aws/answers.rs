//! Wrong answers from the network: a server (a proxy, a cache, a bug) that answers `GetSecretValue` with
//! another secret's valid response, or with a success cut short. The first is refused as another secret's
//! answer, never served; the second is a retryable failure, never a missing secret.

use crate::setup::{AwsUnderTest, REGION};
use keyway_types::{ErrorKind, VersionSelector};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;

/// A loopback server giving every request the same HTTP answer.
fn answering(status: &str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("address").port());
    let status = status.to_owned();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut request = vec![0u8; 16 * 1024];
            let _ = stream.read(&mut request);
            // Claims the full length, then sends what it has: a body cut short when `body` is partial JSON.
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    url
}

const OTHER_SECRETS_ANSWER: &str = r#"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:other/db-AbCdEf","Name":"other/db","SecretString":"other-value-5d2a","VersionId":"v1","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000}"#;

#[tokio::test]
async fn another_secrets_answer_is_refused_and_a_cut_answer_is_retryable() {
    let aws = AwsUnderTest::start().await;
    let settings = |url: &str| json!({ "region": REGION, "endpoint_override": url, "max_attempts": 1 });

    let wrong = aws.try_connect(settings(&answering("200 OK", OTHER_SECRETS_ANSWER)), AwsUnderTest::any_keys()).await;
    let err = wrong.expect("connects").get("prod/db", &VersionSelector::Latest).await.expect_err("another secret");
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("other/db") && err.to_string().contains("not served"), "{err}");
    assert!(!err.to_string().contains("other-value-5d2a"), "the other secret's value is not quoted: {err}");

    let cut = aws
        .try_connect(settings(&answering("200 OK", r#"{"ARN":"arn:aws:secretsmanager:us-e"#)), AwsUnderTest::any_keys())
        .await;
    let err = cut.expect("connects").get("prod/db", &VersionSelector::Latest).await.expect_err("cut short");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "retryable, so a cached value is served stale: {err}");

    let empty = aws
        .try_connect(settings(&answering("200 OK", r#"{"Name":"prod/db","VersionId":"v1"}"#)), AwsUnderTest::any_keys())
        .await;
    let err = empty.expect("connects").get("prod/db", &VersionSelector::Latest).await.expect_err("no value");
    assert_ne!(err.kind(), ErrorKind::NotFound, "a broken success is not a missing secret: {err}");
}
