//! What AWS Secrets Manager does beyond the shared suite: stages (custom ones
//! included), binary values as `SecretBinary`, KMS keys, the full metadata of
//! `DescribeSecret`, recovery windows, pending deletion, batches over 20 names.

use crate::AwsUnderTest;
use keyway_types::{
    DeleteMode, ErrorKind, ListRequest, SecretValue, Tags, UpdateRequest, VersionSelector, WriteOptions,
};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn text(value: &str) -> SecretValue {
    SecretValue::text(value)
}

fn update_value(value: &str) -> UpdateRequest {
    UpdateRequest { value: Some(text(value)), ..UpdateRequest::default() }
}

#[tokio::test]
async fn reads_by_version_id_aws_stages_and_a_custom_stage() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let first = conn.create("app/db", &text("one"), &WriteOptions::default()).await.expect("create");
    let second = conn.update("app/db", &update_value("two")).await.expect("update");
    assert_ne!(first.version_id, second.version_id);
    assert_eq!(second.version_labels, vec!["AWSCURRENT".to_owned()]);

    let by_id = VersionSelector::Id(first.version_id.clone().expect("create reports the version id"));
    assert_eq!(conn.get("app/db", &by_id).await.expect("get by id").value, text("one"));
    let previous = VersionSelector::Label("AWSPREVIOUS".into());
    assert_eq!(conn.get("app/db", &previous).await.expect("get AWSPREVIOUS").value, text("one"));
    let latest = conn.get("app/db", &VersionSelector::Latest).await.expect("get latest");
    assert_eq!(latest.value, text("two"));
    assert_eq!(latest.metadata.version_id, second.version_id);
    assert_eq!(latest.metadata.version_labels, vec!["AWSCURRENT".to_owned()]);

    // A custom stage set outside keyway, on the first version.
    let script = format!(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
sm.update_secret_version_stage(SecretId="app/db", VersionStage="blue", MoveToVersionId="{}")
print(json.dumps({{}}))"#,
        first.version_id.clone().unwrap_or_default()
    );
    aws.moto.boto3(&script);
    let blue = conn.get("app/db", &VersionSelector::Label("blue".into())).await.expect("get by custom stage");
    assert_eq!(blue.value, text("one"));
    assert!(blue.metadata.version_labels.contains(&"blue".to_owned()), "{:?}", blue.metadata.version_labels);
    let described = conn.describe("app/db", &VersionSelector::Label("blue".into())).await.expect("describe blue");
    assert_eq!(described.version_id, first.version_id);

    let missing = conn.get("app/db", &VersionSelector::Label("green".into())).await.expect_err("no such stage");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    let missing = conn.describe("app/db", &VersionSelector::Label("green".into())).await.expect_err("no such stage");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
}

#[tokio::test]
async fn binary_values_are_stored_as_secret_binary_with_the_kms_key() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    let options = WriteOptions { kms_key_id: Some("alias/keyway-test".into()), ..WriteOptions::default() };
    conn.create("certs/keystore", &SecretValue::binary(bytes.clone()), &options).await.expect("create binary");

    let got = conn.get("certs/keystore", &VersionSelector::Latest).await.expect("get binary");
    assert_eq!(got.value, SecretValue::binary(bytes.clone()));
    let seen = aws.moto.boto3(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
got = sm.get_secret_value(SecretId="certs/keystore")
print(json.dumps({"binary": list(got["SecretBinary"]), "has_string": "SecretString" in got}))"#,
    );
    let stored: Vec<u8> =
        seen["binary"].as_array().into_iter().flatten().filter_map(|b| b.as_u64()).map(|b| b as u8).collect();
    assert_eq!(stored, bytes, "AWS holds the raw bytes as SecretBinary");
    assert_eq!(seen["has_string"], false);

    let meta = conn.describe("certs/keystore", &VersionSelector::Latest).await.expect("describe");
    assert_eq!(meta.kms_key_id.as_deref(), Some("alias/keyway-test"));
    let changed = UpdateRequest { kms_key_id: Some("alias/rotated".into()), ..UpdateRequest::default() };
    let meta = conn.update("certs/keystore", &changed).await.expect("update the KMS key");
    assert_eq!(meta.kms_key_id.as_deref(), Some("alias/rotated"));
}

#[tokio::test]
async fn describe_returns_the_full_metadata() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let before = now_ms().saturating_sub(5_000);
    let tags = Tags::from([("team".to_owned(), "data".to_owned()), ("env".to_owned(), "prod".to_owned())]);
    let options =
        WriteOptions { description: Some("warehouse login".into()), tags: tags.clone(), ..Default::default() };
    conn.create("dw/login", &text(r#"{"user":"etl","password":"p"}"#), &options).await.expect("create");

    let meta = conn.describe("dw/login", &VersionSelector::Latest).await.expect("describe");
    assert_eq!(meta.name, "dw/login");
    assert_eq!(meta.description.as_deref(), Some("warehouse login"));
    assert_eq!(meta.tags, tags);
    assert!(meta.enabled);
    assert_eq!(meta.version_labels, vec!["AWSCURRENT".to_owned()]);
    assert!(meta.version_id.is_some());
    assert!(meta.created_at.is_some_and(|t| t >= before), "created_at {:?}", meta.created_at);
    assert!(meta.updated_at.is_some(), "updated_at is missing");
    assert_eq!((meta.deleted_at, meta.purge_at, meta.expires_at), (None, None, None));

    let request = UpdateRequest { description: Some("warehouse ETL login".into()), ..Default::default() };
    let meta = conn.update("dw/login", &request).await.expect("update the description");
    assert_eq!(meta.description.as_deref(), Some("warehouse ETL login"));
    let page = conn.list(&ListRequest { prefix: Some("dw/".into()), ..Default::default() }).await.expect("list");
    assert_eq!(page.secrets.len(), 1);
    assert_eq!(page.secrets[0].tags, tags, "list carries the tags");
    assert_eq!(page.secrets[0].version_id, meta.version_id, "list carries the current version");
}

#[tokio::test]
async fn recovery_windows_follow_aws_rules() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    conn.create("tmp/a", &text("a"), &WriteOptions::default()).await.expect("create");
    for days in [0, 6, 31, 365] {
        let err = conn.delete("tmp/a", DeleteMode::Recoverable(Some(days))).await.expect_err("window out of range");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{days} days: {err}");
        assert!(err.to_string().contains("7 to 30 days"), "{err}");
    }
    let purge_at = conn.delete("tmp/a", DeleteMode::Recoverable(Some(7))).await.expect("delete with 7 days");
    let seven_days = 7 * 86_400_000;
    let expected = now_ms() + seven_days;
    assert!(purge_at.is_some_and(|t| t.abs_diff(expected) < 120_000), "purge at {purge_at:?}, expected ~{expected}");

    conn.create("tmp/b", &text("b"), &WriteOptions::default()).await.expect("create");
    let default_window = conn.delete("tmp/b", DeleteMode::Recoverable(None)).await.expect("delete with the default");
    assert!(default_window.is_some_and(|t| t.abs_diff(now_ms() + 30 * 86_400_000) < 120_000));

    conn.create("tmp/c", &text("c"), &WriteOptions::default()).await.expect("create");
    assert_eq!(conn.delete("tmp/c", DeleteMode::Force).await.expect("force delete"), None);
    let gone = conn.get("tmp/c", &VersionSelector::Latest).await.expect_err("force-deleted");
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    let restore = conn.restore("tmp/c").await.expect_err("nothing to restore");
    assert_eq!(restore.kind(), ErrorKind::NotFound, "{restore}");
}

#[tokio::test]
async fn a_secret_pending_deletion_gives_a_clear_conflict() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    conn.create("old/token", &text("t1"), &WriteOptions::default()).await.expect("create");
    let purge_at = conn.delete("old/token", DeleteMode::Recoverable(None)).await.expect("delete");

    let read = conn.get("old/token", &VersionSelector::Latest).await.expect_err("get of a deleted secret");
    assert_eq!(read.kind(), ErrorKind::Conflict, "{read}");
    assert!(read.to_string().contains("scheduled for deletion: restore it"), "{read}");
    // AWS also refuses PutSecretValue here (the same conflict); moto accepts it, so it is not checked.
    let overwrite = WriteOptions { overwrite: true, ..WriteOptions::default() };
    let create = conn.create("old/token", &text("t2"), &overwrite).await.expect_err("create over a deleted one");
    assert_eq!(create.kind(), ErrorKind::Conflict, "{create}");
    assert!(create.to_string().contains("recover-deleted"), "{create}");

    let meta = conn.describe("old/token", &VersionSelector::Latest).await.expect("describe works when deleted");
    assert!(meta.deleted_at.is_some(), "describe shows the deletion");
    assert_eq!(meta.purge_at, purge_at, "and when it becomes permanent");
    let hidden = conn.list(&ListRequest::default()).await.expect("list");
    assert!(hidden.secrets.is_empty(), "deleted secrets are not listed by default");
    let shown = conn.list(&ListRequest { include_deleted: true, ..Default::default() }).await.expect("list");
    assert_eq!(shown.secrets.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["old/token"]);

    let recover = WriteOptions { recover_deleted: true, overwrite: true, ..WriteOptions::default() };
    let meta = conn.create("old/token", &text("t3"), &recover).await.expect("create with recover-deleted");
    assert_eq!(meta.deleted_at, None);
    assert_eq!(conn.get("old/token", &VersionSelector::Latest).await.expect("get").value, text("t3"));
}

#[tokio::test]
async fn get_many_batches_beyond_twenty_names_in_order() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let mut names = Vec::new();
    for i in 0..23 {
        let name = format!("batch/s{i:02}");
        conn.create(&name, &text(&format!("v{i}")), &WriteOptions::default()).await.expect("create");
        names.push(name);
    }
    names.insert(5, "batch/missing".into());
    names.insert(9, "bad name!".into());
    names.push("batch/s03".into());
    let results = conn.get_many(&names).await.expect("get-many");
    assert_eq!(results.len(), names.len());
    for (name, result) in names.iter().zip(&results) {
        match (name.as_str(), result) {
            ("batch/missing", Err(err)) => assert_eq!(err.kind(), ErrorKind::NotFound, "{err}"),
            ("bad name!", Err(err)) => assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}"),
            (name, Ok(secret)) => {
                let i: u32 = name.trim_start_matches("batch/s").parse().expect("a numbered name");
                assert_eq!(secret.value, text(&format!("v{i}")), "{name}");
                assert_eq!(secret.metadata.name, name);
            }
            (name, Err(err)) => panic!("get-many failed for {name}: {err}"),
        }
    }
}

#[tokio::test]
async fn versions_are_listed_newest_first_and_tags_can_be_removed() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let tags = Tags::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]);
    let v1 = conn.create("rot/key", &text("k1"), &WriteOptions { tags, ..Default::default() }).await.expect("create");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let request = UpdateRequest {
        value: Some(text("k2")),
        set_tags: Tags::from([("c".to_owned(), "3".to_owned())]),
        remove_tags: vec!["a".into()],
        ..Default::default()
    };
    let v2 = conn.update("rot/key", &request).await.expect("update value and tags");
    let expected = Tags::from([("b".to_owned(), "2".to_owned()), ("c".to_owned(), "3".to_owned())]);
    assert_eq!(v2.tags, expected);

    let versions = conn.versions("rot/key").await.expect("versions");
    let ids: Vec<_> = versions.iter().map(|v| Some(v.version_id.clone())).collect();
    assert_eq!(ids, vec![v2.version_id.clone(), v1.version_id.clone()], "newest first");
    assert_eq!(versions[0].labels, vec!["AWSCURRENT".to_owned()]);
    assert_eq!(versions[1].labels, vec!["AWSPREVIOUS".to_owned()]);
    assert!(versions.iter().all(|v| v.created_at.is_some()));
}
