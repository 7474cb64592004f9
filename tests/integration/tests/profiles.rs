//! Secret profiles across real backends: a secret written through keyway to its source lands in every sync
//! manager with equal fingerprints (the local store → moto and the Azure Key Vault fake; moto → OpenBao), a
//! copy whose backend is down is retried and repaired when it returns, a copy changed behind keyway's back is
//! reported as drift and repaired, a delete propagates, and the source of a secret can change.
//!
//! Needs `moto_server` and `bao` in `<repo>/.venv` (tests/requirements.txt).

#[allow(dead_code)]
#[path = "azure/fake.rs"]
mod fake;
#[allow(dead_code)]
#[path = "vault/kubernetes.rs"]
mod kubernetes;
#[allow(dead_code)]
#[path = "aws/moto.rs"]
mod moto;
#[allow(dead_code)]
#[path = "vault/openbao.rs"]
mod openbao;

use fake::FakeKeyVault;
use keyway::catalog::SyncTarget;
use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_integration_tests::harness::TempDir;
use keyway_types::{DeleteMode, SecretValue, UpdateRequest, VersionSelector, WriteOptions};
use moto::Moto;
use openbao::OpenBao;
use serde_json::json;
use std::time::Duration;

/// `local` (the embedded store), `aws` (moto), `vault` (OpenBao), `azure` (the fake Key Vault), and two
/// profiles: `app` (source `local`, copies in `aws` and `azure`) and `prod-db` (source `aws`, copy in `vault`).
async fn keyway(home: &TempDir, moto: &Moto, bao: &OpenBao, azure: &FakeKeyVault) -> Keyway {
    let yaml = format!(
        r#"
home: {home}
managers:
  local:
    plugin: local
  aws:
    plugin: aws
    settings: {{ region: us-east-1, endpoint_override: "{moto}" }}
    auth: {{ type: aws, access_key_id: test, secret_access_key: test }}
  vault:
    plugin: vault
    settings: {{ address: "{bao}", token: "{token}" }}
  azure:
    plugin: azure
    settings: {{ vault_uri: "{azure}" }}
    auth:
      type: azure
      method: client-secret
      tenant_id: "{tenant}"
      client_id: "{client}"
      client_secret: "{secret}"
      authority_host: "{azure}"
      ca_certificate: "{ca}"
    tls_ca_file: "{ca}"
profiles:
  app:
    secrets: ["local/app-*"]
    source: local
    sync: {{ to: [aws, azure] }}
  prod-db:
    secrets: ["aws/prod/**"]
    source: aws
    sync: {{ to: [vault], repair: manual }}
"#,
        home = home.path().display(),
        moto = moto.endpoint(),
        bao = bao.address(),
        token = bao.root_token(),
        azure = azure.https_url,
        ca = azure.ca().display(),
        tenant = fake::TENANT,
        client = fake::CLIENT,
        secret = fake::SECRET,
    );
    let config = Config::from_yaml(&yaml).expect("the configuration parses");
    Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("keyway opens")
}

fn value_of(moto: &Moto, name: &str) -> Option<String> {
    let script = format!(
        r#"import boto3, json, os
sm = boto3.client("secretsmanager", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
try:
    print(json.dumps(sm.get_secret_value(SecretId="{name}")["SecretString"]))
except sm.exceptions.ResourceNotFoundException:
    print(json.dumps(None))
except sm.exceptions.InvalidRequestException:
    print(json.dumps(None))"#
    );
    moto.boto3(&script).as_str().map(str::to_owned)
}

fn bao_value(bao: &OpenBao, name: &str) -> Option<String> {
    let (status, body) = bao.call("GET", &format!("secret/data/{name}"), None).expect("OpenBao answers");
    (status == 200).then(|| body["data"]["data"]["value"].as_str().map(str::to_owned)).flatten()
}

fn state<'a>(rows: &'a [SyncTarget], name: &str, target: &str) -> &'a SyncTarget {
    rows.iter()
        .find(|row| row.name == name && row.target == target)
        .unwrap_or_else(|| panic!("no copy of {name} in {target}: {rows:?}"))
}

async fn text(keyway: &Keyway, caller: &Identity, manager: &str, name: &str) -> String {
    let secret = keyway.get(caller, manager, name, &VersionSelector::Latest).await.expect("read");
    secret.value().expose_text().map(str::to_owned).expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_secrets_are_kept_equal_across_real_backends() {
    let mut moto = Moto::start().await;
    let bao = OpenBao::start();
    let azure = FakeKeyVault::start(&[]).await;
    let home = TempDir::new("profiles-sync");
    let keyway = keyway(&home, &moto, &bao, &azure).await;
    let admin = Identity { client: Some("admin".into()), ..Identity::default() };

    // A put to the source lands in every copy, with equal fingerprints.
    let options = WriteOptions { secret_type: Some("api-key".into()), ..WriteOptions::default() };
    keyway.create(&admin, "local", "app-token", &SecretValue::text("tok-1f7c3a9e"), &options).await.expect("create");
    let rows = keyway.sync_status(&admin, Some("app")).await.expect("status");
    for target in ["aws", "azure"] {
        let copy = state(&rows, "app-token", target);
        assert_eq!(copy.state, "synced", "{copy:?}");
        assert_eq!(copy.fingerprint, copy.source_fingerprint, "{copy:?}");
    }
    assert_eq!(value_of(&moto, "app-token").as_deref(), Some("tok-1f7c3a9e"));
    assert_eq!(text(&keyway, &admin, "azure", "app-token").await, "tok-1f7c3a9e");
    keyway.settle().await;
    let source = keyway.history(&admin, "local", "app-token").await.expect("history");
    let copy = keyway.history(&admin, "aws", "app-token").await.expect("history");
    assert_eq!(source[0].fingerprint, copy[0].fingerprint, "keyway's records agree: {source:?} / {copy:?}");
    assert_eq!(copy[0].secret_type.as_deref(), Some("api-key"), "the copy keeps the type");

    // moto → OpenBao.
    let db = SecretValue::text("db-pass-5b2e8c0d71");
    keyway.create(&admin, "aws", "prod/db/password", &db, &WriteOptions::default()).await.expect("create");
    assert_eq!(bao_value(&bao, "prod/db/password").as_deref(), Some("db-pass-5b2e8c0d71"));
    let rows = keyway.sync_status(&admin, Some("prod-db")).await.expect("status");
    let copy = state(&rows, "prod/db/password", "vault");
    assert_eq!((copy.state.as_str(), &copy.fingerprint), ("synced", &copy.source_fingerprint));

    // A copy is never written directly.
    let refused = keyway
        .update(
            &admin,
            "vault",
            "prod/db/password",
            &UpdateRequest { value: Some(SecretValue::text("x")), ..Default::default() },
        )
        .await
        .expect_err("a copy");
    assert!(
        matches!(&refused, KeywayError::InvalidInput(m) if m.contains("synchronised copy of 'aws/prod/db/password'")),
        "{refused}"
    );

    // A copy whose backend is down: the source's write succeeds, the copy is retried and repaired.
    moto.stop();
    let update = UpdateRequest { value: Some(SecretValue::text("tok-2d8b6e4f")), ..UpdateRequest::default() };
    keyway.update(&admin, "local", "app-token", &update).await.expect("the source is written");
    let rows = keyway.sync_status(&admin, Some("app")).await.expect("status");
    let down = state(&rows, "app-token", "aws");
    assert_eq!((down.state.as_str(), down.attempts), ("failed", 1), "{down:?}");
    assert!(down.next_attempt_at.is_some() && down.last_error.is_some(), "{down:?}");
    assert_eq!(state(&rows, "app-token", "azure").state, "synced", "other copies are not held back");
    let filter = keyway::catalog::ErrorFilter { manager: Some("aws".into()), ..Default::default() };
    assert!(
        keyway.errors(&admin, &filter).await.expect("errors").iter().any(|e| e.operation == "sync"),
        "the failure is in the error history"
    );
    moto.restart().await;
    keyway.sync_due().await;
    let rows = keyway.sync_status(&admin, Some("app")).await.expect("status");
    assert_eq!(state(&rows, "app-token", "aws").state, "failed", "not before its backoff");
    tokio::time::sleep(Duration::from_millis(5200)).await;
    keyway.sync_due().await;
    let rows = keyway.sync_status(&admin, Some("app")).await.expect("status");
    let back = state(&rows, "app-token", "aws");
    assert_eq!((back.state.as_str(), &back.fingerprint), ("synced", &back.source_fingerprint), "{back:?}");
    assert_eq!(value_of(&moto, "app-token").as_deref(), Some("tok-2d8b6e4f"), "repaired when it returned");

    // The moto copy of prod-db went with moto's restart; a copy changed behind keyway's back is drift.
    keyway.create(&admin, "aws", "prod/db/password", &db, &WriteOptions::default()).await.expect("create again");
    assert_eq!(bao_value(&bao, "prod/db/password").as_deref(), Some("db-pass-5b2e8c0d71"));
    bao.admin("POST", "secret/data/prod/db/password", Some(json!({ "data": { "value": "tampered-9e1a" } })));
    assert_eq!(text(&keyway, &admin, "vault", "prod/db/password").await, "tampered-9e1a");
    keyway.settle().await;
    let rows = keyway.sync_status(&admin, Some("prod-db")).await.expect("status");
    assert_eq!(state(&rows, "prod/db/password", "vault").state, "drift", "a read finds the drift: {rows:?}");
    let filter = keyway::catalog::ErrorFilter { manager: Some("vault".into()), ..Default::default() };
    let errors = keyway.errors(&admin, &filter).await.expect("errors");
    assert!(
        errors.iter().any(|e| e.kind == "drift" && !e.message.contains("tampered")),
        "reported, no value: {errors:?}"
    );
    keyway.sync_due().await;
    assert_eq!(bao_value(&bao, "prod/db/password").as_deref(), Some("tampered-9e1a"), "manual repair: reported only");
    let repaired = keyway.sync_run(&admin, Some("prod-db")).await.expect("sync run");
    assert_eq!(state(&repaired, "prod/db/password", "vault").state, "synced");
    assert_eq!(bao_value(&bao, "prod/db/password").as_deref(), Some("db-pass-5b2e8c0d71"), "repaired");

    // A delete propagates.
    keyway.delete(&admin, "aws", "prod/db/password", DeleteMode::Force).await.expect("delete");
    assert_eq!(bao_value(&bao, "prod/db/password"), None, "the copy is gone");
    let rows = keyway.sync_status(&admin, Some("prod-db")).await.expect("status");
    assert_eq!(state(&rows, "prod/db/password", "vault").state, "deleted");

    // Change of source: aws becomes the source of app-token, local a copy.
    keyway.change_source(&admin, "local", "app-token", "aws").await.expect("change of source");
    let refused = keyway.update(&admin, "local", "app-token", &update).await.expect_err("local holds a copy now");
    assert!(refused.to_string().contains("synchronised copy of 'aws/app-token'"), "{refused}");
    let newer = UpdateRequest { value: Some(SecretValue::text("tok-3c0a9f5e")), ..UpdateRequest::default() };
    keyway.update(&admin, "aws", "app-token", &newer).await.expect("write to the new source");
    assert_eq!(text(&keyway, &admin, "local", "app-token").await, "tok-3c0a9f5e");
    assert_eq!(text(&keyway, &admin, "azure", "app-token").await, "tok-3c0a9f5e");
    let rows = keyway.sync_status(&admin, Some("app")).await.expect("status");
    assert!(rows.iter().all(|row| row.name != "app-token" || (row.source == "aws" && row.target != "aws")), "{rows:?}");
    assert_eq!(state(&rows, "app-token", "local").state, "synced");
}

/// The README's worked example (`examples/production-db.yaml`), pointed at moto and OpenBao: a deployer's put
/// waits for two admins, a short password is refused at once, the approved credentials reach Vault, and a
/// renewal by the 30-day rule is copied there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worked_example_of_the_readme() {
    let moto = Moto::start().await;
    let bao = OpenBao::start();
    let home = TempDir::new("profiles-example");
    let path = keyway_integration_tests::harness::workspace_root().join("examples/production-db.yaml");
    let example = std::fs::read_to_string(&path).expect("the example");
    let replace = |text: String, from: &str, to: String| {
        assert!(text.contains(from), "the example has `{from}`");
        text.replace(from, &to)
    };
    let yaml = replace(
        example,
        "settings: { region: eu-west-1 }",
        format!("settings: {{ region: us-east-1, endpoint_override: \"{}\" }}", moto.endpoint()),
    );
    let yaml = replace(
        yaml,
        "auth: { type: aws }",
        "auth: { type: aws, access_key_id: test, secret_access_key: test }".into(),
    );
    let vault_line =
        yaml.lines().find(|line| line.contains("https://vault.internal:8200")).expect("the vault line").to_owned();
    let yaml = replace(
        yaml,
        &vault_line,
        format!("    settings: {{ address: \"{}\", token: \"{}\" }}", bao.address(), bao.root_token()),
    );
    let yaml = format!("home: {}\n{yaml}", home.path().display());
    let config = Config::from_yaml(&yaml).expect("the example parses");
    let keyway = Keyway::open(config, ConfigSource::BuiltInDefault).await.expect("keyway opens");
    let as_client = |client: &str, groups: &[&str]| Identity {
        client: Some(client.into()),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        ..Identity::default()
    };
    let (deployer, alice, bob) =
        (as_client("deployer", &[]), as_client("alice", &["admins"]), as_client("bob", &["admins"]));

    let basic = WriteOptions { secret_type: Some("basic-auth".into()), ..WriteOptions::default() };
    let short = SecretValue::text(r#"{"username":"orders","password":"Sh0rt-pass-12"}"#);
    let refused = keyway.create(&deployer, "aws", "prod/db/orders", &short, &basic).await.expect_err("too short");
    assert!(refused.to_string().contains("rule `min_length`"), "refused before any request: {refused}");
    let good = SecretValue::text(r#"{"username":"orders","password":"Kq7-Vb2n-Xz9p-Lm4t-Rw8c-Hd3s"}"#);
    let pending = keyway.create(&deployer, "aws", "prod/db/orders", &good, &basic).await.expect_err("waits");
    let KeywayError::PendingApproval { request, quorum, .. } = pending else { panic!("{pending}") };
    assert_eq!(quorum, 2);
    assert_eq!(value_of(&moto, "prod/db/orders"), None, "nothing written before the approvals");
    let first = keyway.approve(&alice, &request, Some("checked")).await.expect("alice approves");
    assert!(matches!(first, keyway::ApprovalOutcome::Waiting { approvals: 1, quorum: 2 }), "{first:?}");
    let second = keyway.approve(&bob, &request, None).await.expect("bob approves");
    assert!(matches!(second, keyway::ApprovalOutcome::Applied), "{second:?}");
    let rows = keyway.sync_status(&deployer, Some("production-db")).await.expect("status");
    assert_eq!(state(&rows, "prod/db/orders", "vault").state, "synced", "{rows:?}");
    let copied = text(&keyway, &deployer, "vault", "prod/db/orders").await;
    assert!(copied.contains("Kq7-Vb2n-Xz9p-Lm4t-Rw8c-Hd3s"), "in Vault after the approvals");

    // The 30-day rule, run now: a new 32-character password, in AWS and in Vault, without an approval.
    keyway.renew(&keyway::renewal_identity(), "aws", "prod/db/orders").await.expect("renewal");
    let renewed = text(&keyway, &deployer, "aws", "prod/db/orders").await;
    assert!(!renewed.contains("Kq7-Vb2n"), "a new password");
    let in_vault: serde_json::Value =
        serde_json::from_str(&text(&keyway, &deployer, "vault", "prod/db/orders").await).expect("JSON");
    let in_aws: serde_json::Value = serde_json::from_str(&renewed).expect("JSON");
    assert_eq!(in_vault, in_aws, "copied to Vault (Vault keeps the fields in its own order)");
    let rows = keyway.sync_status(&deployer, Some("production-db")).await.expect("status");
    let copy = state(&rows, "prod/db/orders", "vault");
    assert_eq!((copy.state.as_str(), &copy.fingerprint), ("synced", &copy.source_fingerprint));
    // The periodic check finds the copy equal, whatever order Vault keeps its fields in.
    let checked = keyway.sync_run(&alice, Some("production-db")).await.expect("check");
    let copy = state(&checked, "prod/db/orders", "vault");
    assert_eq!((copy.state.as_str(), &copy.fingerprint), ("synced", &copy.source_fingerprint));
    let filter = keyway::catalog::ErrorFilter { manager: Some("vault".into()), ..Default::default() };
    let errors = keyway.errors(&alice, &filter).await.expect("errors");
    assert!(errors.iter().all(|e| e.kind != "drift" && e.operation != "sync"), "no false drift: {errors:?}");
}
