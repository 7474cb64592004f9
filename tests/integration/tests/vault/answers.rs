//! Wrong answers between the plugin and Vault: the conformance kit's proxy forwards everything to OpenBao but
//! answers secret reads with a success that is no KV read, with another version than the one asked for, or cut
//! short. None is served; none is a missing secret; a cut answer is retryable.

use super::VaultUnderTest;
use keyway_conformance::proxy::{Answer, Mode, Proxy, Request};
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::sync::Arc;

/// Changes the answers to secret reads (`GET /v1/secret/data/...`) with `change`; everything else is forwarded.
fn reads(change: fn(Answer) -> Answer) -> Mode {
    Mode::Tamper(Arc::new(move |request: &Request, answer: Answer| {
        let is_read = request.method == "GET" && request.target.starts_with("/v1/secret/data/");
        if is_read {
            change(answer)
        } else {
            answer
        }
    }))
}

fn no_kv_read(_: Answer) -> Answer {
    Answer::json(200, r#"{"data":null}"#)
}

fn other_version(mut answer: Answer) -> Answer {
    let mut value: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
    value["data"]["metadata"]["version"] = json!(7);
    answer.body = serde_json::to_vec(&value).expect("json");
    answer
}

fn cut_short(answer: Answer) -> Answer {
    Answer { cut_short: true, ..answer }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_or_foreign_answers_are_never_served_nor_a_missing_secret() {
    let vault = VaultUnderTest::start();
    let proxy = Proxy::start(&vault.server.address(), &[]).await.expect("the proxy starts");
    let connection = vault.connect(json!({ "address": proxy.url(), "token": vault.server.root_token() })).await;
    connection.create("app/db", &SecretValue::text("first-value-a1"), &WriteOptions::default()).await.expect("v1");
    let v2 = WriteOptions { overwrite: true, ..WriteOptions::default() };
    connection.create("app/db", &SecretValue::text("second-value-b2"), &v2).await.expect("v2");
    assert_eq!(
        connection
            .get("app/db", &VersionSelector::Id("1".into()))
            .await
            .expect("through the proxy")
            .value
            .expose_text(),
        Some("first-value-a1")
    );

    proxy.set(reads(no_kv_read));
    let err = connection.get("app/db", &VersionSelector::Latest).await.expect_err("no KV read");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");

    proxy.set(reads(other_version));
    let err = connection.get("app/db", &VersionSelector::Id("1".into())).await.expect_err("version 7 is not 1");
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(!err.to_string().contains("first-value-a1") && err.to_string().contains("not served"), "{err}");

    proxy.set(reads(cut_short));
    let err = connection.get("app/db", &VersionSelector::Latest).await.expect_err("cut short");
    assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!err.to_string().contains("second-value-b2"), "{err}");
}
