//! No secret value appears in any log line, error or `Debug` output.
//!
//! The test installs a tracing subscriber that captures every event at every
//! level (the runtime's own, the plugins' through the `host.log` import, and
//! wasmtime's) and runs operations with known secret values and credentials,
//! failing ones included. Then it checks every captured line, every error's
//! `Display` and `Debug`, and the `Debug` of everything returned.

use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::plugins::{connect, load, runtime, with_settings};
use keyway_runtime::{CallError, Connection, ConnectionConfig, Limits, Runtime};
use keyway_types::{DeleteMode, ListRequest, SecretValue, Tags, UpdateRequest, VersionSelector, WriteOptions};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Secret values written to and read from the memory plugin.
const VALUE: &str = "value-7c1e93d0f5a2";
const NEW_VALUE: &str = "rotated-4b8e2a61c0d9";
const BINARY: &[u8] = b"\x00binary-secret-95e3\xff";
/// A credential in a manager's secret setting, which the hostile plugin echoes everywhere it can.
const TOKEN: &str = "token-d41d8cd98f00b204";

/// Everything logged by this test binary.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init()
            .expect("the only subscriber of this test binary");
        logs
    })
}

/// Appends to the shared buffer.
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collects renderings of everything the operations return.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn debug(&mut self, value: &impl std::fmt::Debug) {
        self.0.push(format!("{value:?}"));
        self.0.push(format!("{value:#?}"));
    }

    fn error(&mut self, err: &(impl std::fmt::Display + std::fmt::Debug)) {
        self.0.push(err.to_string());
        self.debug(err);
    }

    fn result<T: std::fmt::Debug, E: std::fmt::Display + std::fmt::Debug>(&mut self, result: &Result<T, E>) {
        match result {
            Ok(value) => self.debug(value),
            Err(err) => self.error(err),
        }
    }
}

/// Every text that must never carry a secret.
fn forbidden() -> Vec<String> {
    let binary = String::from_utf8_lossy(BINARY).into_owned();
    vec![VALUE.into(), NEW_VALUE.into(), TOKEN.into(), binary, "binary-secret-95e3".into()]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "a secret escaped into {what}: …{}…", excerpt(text, &secret));
    }
}

fn excerpt(text: &str, secret: &str) -> String {
    let at = text.find(secret).unwrap_or(0);
    text.chars().skip(at.saturating_sub(80)).take(200).collect()
}

/// The whole contract on the memory plugin with known values, failures included.
async fn memory_operations(rt: &Runtime, seen: &mut Seen) {
    let conn = connect(rt, "memory", "mem", with_settings(json!({}))).await;
    seen.debug(&conn);
    let tags: Tags = [("owner".to_owned(), "team".to_owned())].into_iter().collect();
    let options = WriteOptions { tags, description: Some("database".into()), ..WriteOptions::default() };
    seen.result(&conn.create("db/password", &SecretValue::text(VALUE), &options).await);
    seen.result(&conn.create("db/binary", &SecretValue::binary(BINARY), &WriteOptions::default()).await);
    // Fails: exists already; then an invalid name; then a value over the size limit.
    seen.result(&conn.create("db/password", &SecretValue::text(VALUE), &WriteOptions::default()).await);
    seen.result(&conn.create("", &SecretValue::text(VALUE), &WriteOptions::default()).await);
    let huge = SecretValue::text(VALUE.repeat((2 << 20) / VALUE.len()));
    seen.result(&conn.create("db/huge", &huge, &WriteOptions::default()).await);
    seen.result(&conn.get("db/password", &VersionSelector::Latest).await);
    seen.result(&conn.get("db/binary", &VersionSelector::Latest).await);
    let update = UpdateRequest { value: Some(SecretValue::text(NEW_VALUE)), ..UpdateRequest::default() };
    seen.result(&conn.update("db/password", &update).await);
    seen.result(&conn.update("db/missing", &update).await);
    seen.result(&conn.get("db/password", &VersionSelector::Label("previous".into())).await);
    seen.result(&conn.get("db/password", &VersionSelector::Id("v9".into())).await);
    seen.result(&conn.get_many(&["db/password".into(), "db/binary".into(), "db/missing".into()]).await);
    seen.result(&conn.describe("db/password", &VersionSelector::Latest).await);
    seen.result(&conn.versions("db/password").await);
    seen.result(&conn.list(&ListRequest::default()).await);
    seen.result(&conn.delete("db/password", DeleteMode::Recoverable(Some(7))).await);
    seen.result(&conn.get("db/password", &VersionSelector::Latest).await);
    seen.result(&conn.restore("db/password").await);
    seen.result(&conn.delete("db/binary", DeleteMode::Force).await);
}

/// Managers of the hostile plugin, whose secret setting `token` the plugin echoes into errors, logs and panics.
async fn hostile_operations(rt: &Runtime, seen: &mut Seen) -> Connection {
    let dir = TempDir::new("no-leaks");
    let config = |attack: &str| ConnectionConfig {
        settings: json!({ "attack": attack, "token": TOKEN }),
        data_dir: Some(dir.path().join("data")),
        limits: Limits { call_timeout: Duration::from_secs(5), ..Limits::default() },
        ..ConnectionConfig::default()
    };
    let leaker = connect(rt, "hostile", "leaker", config("leak-token")).await;
    seen.debug(&leaker);
    seen.debug(&config("leak-token"));
    let leaked = leaker.get("anything", &VersionSelector::Latest).await;
    let err = leaked.as_ref().expect_err("the plugin answers with an error");
    assert!(err.to_string().contains("rejected token [redacted]"), "the error is redacted, not dropped: {err}");
    seen.result(&leaked);
    let panicker = connect(rt, "hostile", "panicker", config("panic")).await;
    let panicked = panicker.get("anything", &VersionSelector::Latest).await;
    assert!(matches!(panicked, Err(CallError::Crashed { .. })), "{panicked:?}");
    seen.result(&panicked);
    let plugin = load(rt, "hostile");
    seen.debug(&plugin);
    seen.result(&rt.connect(&plugin, "opener", config("open-panic")).await);
    // Settings mistakes whose values are credentials.
    let mut wrong = config("panic");
    wrong.settings = json!({ "attack": "panic", "tokne": TOKEN });
    seen.result(&rt.connect(&plugin, "typo", wrong.clone()).await);
    wrong.settings = json!({ "attack": "panic", "token": [TOKEN] });
    seen.result(&rt.connect(&plugin, "typo", wrong).await);
    leaker
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_an_error_or_a_debug_output() {
    let logs = captured();
    let rt = runtime();
    let mut seen = Seen::default();
    memory_operations(&rt, &mut seen).await;
    let leaker = hostile_operations(&rt, &mut seen).await;
    drop(leaker);

    for text in &seen.0 {
        assert_no_secret("a returned value or error", text);
    }
    let logs = String::from_utf8_lossy(&logs.lock().expect("log buffer").clone()).into_owned();
    // The capture works: the plugin's redacted log line and the runtime's warnings are there.
    assert!(logs.contains("authenticating with token [redacted]"), "the plugin's log line was not captured:\n{logs}");
    assert!(logs.contains("token=[redacted]"), "the plugin's log field was not captured:\n{logs}");
    assert!(logs.contains("plugin call failed; instance discarded"), "runtime warnings were not captured:\n{logs}");
    assert_no_secret("the logs", &logs);
    // Sanity of the check itself: the values did go through the plugin.
    assert!(seen.0.iter().any(|text| text.contains("redacted 18 bytes")), "values were read back");
}
