//! The shared contract suite against moto, with AWS's stage names, and its misbehaving-proxy cases.

use crate::{AwsUnderTest, REGION};
use keyway_conformance::{run, SuiteOptions};
use serde_json::json;

#[tokio::test]
async fn aws_plugin_passes_the_contract_suite() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let options = SuiteOptions {
        current_label: Some("AWSCURRENT".into()),
        previous_label: Some("AWSPREVIOUS".into()),
        invalid_name: Some("not a valid name!".into()),
        ..SuiteOptions::default()
    };
    let report = run(&conn, &options).await;
    println!("{report}");
    assert!(report.is_success(), "{report}");
    assert_eq!(report.skipped(), 0, "the aws plugin declares every capability:\n{report}");
}

#[tokio::test]
async fn aws_plugin_passes_the_misbehaving_proxy_cases() {
    let aws = AwsUnderTest::start().await;
    let settings = json!({ "region": REGION, "endpoint_override": aws.moto.endpoint(), "max_attempts": 3 });
    aws.passes_the_proxy_cases(settings).await;
}

#[tokio::test]
async fn the_suite_passes_again_after_a_reset() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let options = SuiteOptions { cleanup: false, ..SuiteOptions::default() };
    assert!(run(&conn, &options).await.is_success());
    aws.moto.reset().await;
    let listed = conn.list(&keyway_types::ListRequest::default()).await.expect("list after reset");
    assert!(listed.secrets.is_empty(), "moto still lists {} secrets after a reset", listed.secrets.len());
    let report = run(&conn, &options).await;
    assert!(report.is_success(), "{report}");
}
