//! The doppler plugin through the wasm runtime against the fake Doppler API: the contract suite
//! (with UPPER_SNAKE_CASE names) and its misbehaving-proxy cases, Doppler's behaviours a user relies
//! on (references, notes, one request for several secrets, reserved names), and the failures a user
//! must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python).

#[path = "doppler/fake.rs"]
mod fake;

use fake::{FakeDoppler, PROJECT};
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
use keyway_integration_tests::calls::{assert_kind, provider_error, text};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use keyway_types::{
    DeleteMode, ErrorKind, ListRequest, ProviderError, SecretValue, Tags, UpdateRequest, VersionSelector, WriteOptions,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A fake Doppler, a runtime with the doppler plugin, and connections to it.
struct DopplerUnderTest {
    fake: FakeDoppler,
    runtime: Runtime,
}

impl DopplerUnderTest {
    async fn start() -> Self {
        Self { fake: FakeDoppler::start().await, runtime: runtime() }
    }

    /// The configuration of a connection to `keyway/dev` with the personal token and `extra` settings.
    fn config(&self, extra: Value) -> ConnectionConfig {
        let settings = json!({
            "token": self.fake.token("personal"), "project": PROJECT, "config": "dev", "endpoint": self.fake.url,
        });
        ConnectionConfig { settings: with_extra(settings, extra), ..ConnectionConfig::default() }
    }

    /// A connection to `keyway/dev` with the personal token and `extra` settings.
    async fn connect(&self, extra: Value) -> Connection {
        let plugin = load(&self.runtime, "doppler");
        let config = self.config(extra);
        self.runtime.connect(&plugin, "doppler", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }
}

fn suite_options() -> SuiteOptions {
    SuiteOptions {
        name_prefix: "KWCT_".into(),
        invalid_name: Some("lower-case-name".into()),
        ..SuiteOptions::default()
    }
}

async fn passes_the_contract_suite(conn: &Connection) {
    let report = run(conn, &suite_options()).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Doppler:\n{report}");
    // Doppler has no binary values, labels, versions to probe, tags or recoverable deletion.
    assert_eq!(report.skipped(), 5, "only binary, labels, probe, tag filter and restore may be skipped:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_a_personal_token() {
    let doppler = DopplerUnderTest::start().await;
    passes_the_contract_suite(&doppler.connect(json!({})).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let doppler = DopplerUnderTest::start().await;
    let plugin = load(&doppler.runtime, "doppler");
    let config = doppler.config(json!({}));
    passes_the_proxy_cases(&doppler.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_a_service_token_and_a_prefix() {
    let doppler = DopplerUnderTest::start().await;
    let conn = doppler.connect(json!({ "token": doppler.fake.token("service"), "prefix": "KESTRA_" })).await;
    passes_the_contract_suite(&conn).await;
    conn.create("KEPT", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let whole = doppler.connect(json!({})).await;
    assert_eq!(text(&whole, "KESTRA_KEPT").await, "v", "stored under the prefixed name");
    let page = conn.list(&ListRequest::default()).await.expect("list");
    assert_eq!(page.secrets.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["KEPT"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_notes_and_one_request_for_several_secrets() {
    let doppler = DopplerUnderTest::start().await;
    let conn = doppler.connect(json!({})).await;
    let with_note = WriteOptions { description: Some("primary database".into()), ..WriteOptions::default() };
    conn.create("DB_PASSWORD", &SecretValue::text("s3cret"), &with_note).await.expect("create");
    let url = SecretValue::text("postgres://app:${DB_PASSWORD}@db");
    conn.create("DB_URL", &url, &WriteOptions::default()).await.expect("create");
    assert_eq!(text(&conn, "DB_URL").await, "postgres://app:s3cret@db", "the computed value, as applications see it");
    let meta = conn.describe("DB_PASSWORD", &VersionSelector::Latest).await.expect("describe");
    assert_eq!(meta.description.as_deref(), Some("primary database"));
    assert_eq!(meta.version_id, None, "Doppler has no versions");

    let before = doppler.fake.stat("api_requests").await;
    let names = ["DB_URL", "MISSING", "not_valid", "DB_PASSWORD"].map(str::to_owned);
    let results = conn.get_many(&names).await.expect("get-many");
    assert_eq!(doppler.fake.stat("api_requests").await, before + 1, "one request for all names");
    assert_eq!(results[0].as_ref().ok().and_then(|s| s.value.expose_text()), Some("postgres://app:s3cret@db"));
    assert_kind(results[1].as_ref().expect_err("missing"), ErrorKind::NotFound);
    assert_kind(results[2].as_ref().expect_err("invalid"), ErrorKind::InvalidArgument);
    assert!(results[3].is_ok());

    let listed = conn.list(&ListRequest::default()).await.expect("list");
    let names: Vec<&str> = listed.secrets.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["DB_PASSWORD", "DB_URL"], "Doppler's managed DOPPLER_* secrets are not listed");
    assert_eq!(text(&conn, "DOPPLER_CONFIG").await, "dev", "but they can be read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_doppler_lacks_is_refused_clearly() {
    let doppler = DopplerUnderTest::start().await;
    let conn = doppler.connect(json!({})).await;
    conn.create("API_KEY", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    let soft = provider_error(conn.delete("API_KEY", DeleteMode::Recoverable(None)).await);
    assert_kind(&soft, ErrorKind::Unsupported);
    assert_eq!(text(&conn, "API_KEY").await, "v", "a refused deletion deletes nothing");
    assert_kind(&provider_error(conn.versions("API_KEY").await), ErrorKind::Unsupported);
    assert_kind(&provider_error(conn.restore("API_KEY").await), ErrorKind::Unsupported);
    let by_id = provider_error(conn.get("API_KEY", &VersionSelector::Id("1".into())).await);
    assert_kind(&by_id, ErrorKind::Unsupported);
    let tagged = WriteOptions { tags: Tags::from([("team".into(), "a".into())]), ..WriteOptions::default() };
    assert_kind(&provider_error(conn.create("T", &SecretValue::text("v"), &tagged).await), ErrorKind::InvalidArgument);
    let binary = SecretValue::binary(vec![0u8, 0xff]);
    assert_kind(&provider_error(conn.create("B", &binary, &WriteOptions::default()).await), ErrorKind::InvalidArgument);
    let disable = UpdateRequest { enabled: Some(false), ..UpdateRequest::default() };
    assert_kind(&provider_error(conn.update("API_KEY", &disable).await), ErrorKind::InvalidArgument);
    let reserved = provider_error(conn.create("DOPPLER_X", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert!(reserved.message().contains("reserves"), "{reserved}");
    conn.delete("API_KEY", DeleteMode::Force).await.expect("force delete");
    assert_kind(&provider_error(conn.get("API_KEY", &VersionSelector::Latest).await), ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_outside_upper_snake_case_are_rejected_before_any_request() {
    let doppler = DopplerUnderTest::start().await;
    let conn = doppler.connect(json!({})).await;
    for bad in ["db_password", "DB-PASSWORD", "Db", "1ST", "A.B", ""] {
        let err = provider_error(conn.get(bad, &VersionSelector::Latest).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
        assert!(err.message().contains("UPPER_SNAKE_CASE"), "{err}");
        let err = provider_error(conn.create(bad, &SecretValue::text("v"), &WriteOptions::default()).await);
        assert_kind(&err, ErrorKind::InvalidArgument);
    }
    assert_eq!(doppler.fake.stat("api_requests").await, 0, "no rejected name reached Doppler");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_revoked_and_read_only_tokens_are_access_denied() {
    let doppler = DopplerUnderTest::start().await;
    let wrong = doppler.connect(json!({ "token": "dp.st.dev.not-a-real-token" })).await;
    let err = provider_error(wrong.get("ANY", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    assert!(!err.to_string().contains("not-a-real-token"), "the token never appears: {err}");
    let read_only = doppler.connect(json!({ "token": doppler.fake.token("read_only") })).await;
    let err = provider_error(read_only.create("NEW", &SecretValue::text("v"), &WriteOptions::default()).await);
    assert_kind(&err, ErrorKind::AccessDenied);
    let service_elsewhere = doppler.connect(json!({ "token": doppler.fake.token("service"), "config": "prd" })).await;
    assert_kind(&provider_error(service_elsewhere.list(&ListRequest::default()).await), ErrorKind::AccessDenied);
    let conn = doppler.connect(json!({})).await;
    conn.create("KEPT", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    doppler.fake.control("revoke-tokens", json!({})).await;
    assert_kind(&provider_error(conn.get("KEPT", &VersionSelector::Latest).await), ErrorKind::AccessDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_projects_and_configs_are_configuration_errors() {
    let doppler = DopplerUnderTest::start().await;
    for extra in [json!({ "project": "no-such-project" }), json!({ "config": "stg" })] {
        let conn = doppler.connect(extra).await;
        let err = provider_error(conn.get("ANY", &VersionSelector::Latest).await);
        assert_kind(&err, ErrorKind::Configuration);
        assert!(err.message().contains("`project` and `config`"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_and_a_stopped_server_is_unavailable() {
    let mut doppler = DopplerUnderTest::start().await;
    let conn = doppler.connect(json!({})).await;
    conn.create("BUSY", &SecretValue::text("v1"), &WriteOptions::default()).await.expect("create");
    doppler.fake.control("throttle", json!({"count": 2, "retry_after": 1})).await;
    let started = Instant::now();
    assert_eq!(text(&conn, "BUSY").await, "v1");
    assert!(started.elapsed() >= Duration::from_millis(1900), "Retry-After (1 s) was waited twice");
    doppler.fake.control("fail", json!({"count": 2})).await;
    assert_eq!(text(&conn, "BUSY").await, "v1");
    assert_eq!(doppler.fake.stat("failed").await, 2);
    doppler.fake.control("throttle", json!({"count": 50, "retry_after": 1})).await;
    let err = provider_error(conn.get("BUSY", &VersionSelector::Latest).await);
    let ProviderError::Throttled { retry_after_ms, .. } = err else { panic!("expected throttled, got {err}") };
    assert_eq!(retry_after_ms, Some(1000));
    doppler.fake.stop();
    assert_kind(&provider_error(conn.get("BUSY", &VersionSelector::Latest).await), ErrorKind::Unavailable);
}
