//! What a plugin is granted, and nothing more: egress patterns that are validated, names checked against
//! the addresses they resolve to (through the test's own resolver, loopback only), credentials only for
//! declared and allowed scopes, every export bounded in time and size, a data-directory quota, and plugin
//! text that is data: escaped, and redacted of the values of the call.

use super::{assert_clean, attack, good_plugin_still_works, hostile, short_limits, TOKEN};
use keyway_integration_tests::harness::{workspace_root, TempDir};
use keyway_integration_tests::plugins::{load, runtime};
use keyway_runtime::{CallError, ConnectionConfig, EgressPolicy, Limits, Runtime, RuntimeConfig, RuntimeError};
use keyway_types::{
    AccessToken, AwsCredentials, BoxFuture, CredentialProvider, ErrorKind, ListRequest, ProviderError, SecretValue,
    UpdateRequest, VersionSelector, WriteOptions,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback server that records every request line it receives and answers `200 ok`.
struct Recorder {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = [0u8; 2048];
                let n = stream.read(&mut head).unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..n]).lines().next().unwrap_or("").to_owned();
                seen.lock().expect("requests").push(line);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            }
        });
        Self { port, requests }
    }

    fn received(&self) -> usize {
        self.requests.lock().expect("requests").len()
    }
}

/// A runtime whose plugins resolve each name to its address (the test's resolver; no DNS).
fn runtime_resolving(names: &[(&str, &str)]) -> Runtime {
    let overrides: BTreeMap<String, Vec<std::net::IpAddr>> =
        names.iter().map(|(name, address)| (name.to_string(), vec![address.parse().expect("an address")])).collect();
    let config = RuntimeConfig {
        cache_dir: Some(workspace_root().join("target/keyway-test-cache")),
        name_overrides: overrides,
        ..RuntimeConfig::default()
    };
    Runtime::new(config).expect("runtime")
}

#[test]
fn every_dangerous_pattern_form_is_refused() {
    for pattern in
        ["*", "*.", "*.1", "*.0.0.1", "http://*.1", "*.*.example.com", "a*.example.com", "http://vault.example.com"]
    {
        assert!(EgressPolicy::deny_all().allow(pattern).is_err(), "{pattern} is accepted");
    }
}

#[tokio::test]
async fn a_refused_pattern_fails_the_connection_naming_it() {
    let rt = runtime();
    let plugin = load(&rt, "hostile");
    let dir = TempDir::new("hostile-patterns");
    for pattern in ["*", "*.1", "http://*.1", "http://vault.example.com"] {
        let config = ConnectionConfig {
            settings: json!({ "attack": "http" }),
            data_dir: Some(dir.path().join("data")),
            egress: vec![pattern.to_owned()],
            ..ConnectionConfig::default()
        };
        let err = rt.connect(&plugin, "patterns", config).await.expect_err(pattern);
        assert!(matches!(err, RuntimeError::Settings { .. }), "{err}");
        assert!(err.to_string().contains(&format!("'{pattern}'")), "{err}");
    }
}

#[tokio::test]
async fn a_granted_name_resolving_to_a_denied_address_is_refused_every_time() {
    let server = Recorder::start();
    let rt = runtime_resolving(&[("secrets.example.test", "127.0.0.1")]);
    // The name is granted; what it resolves to (loopback, as a rebinding attacker would arrange) is not.
    let egress = vec!["secrets.example.test".to_owned()];
    let hostile = hostile(&rt, "http", short_limits(), egress).await;
    for round in 0..12 {
        let url = format!("https://secrets.example.test:{}/v1/secret", server.port);
        let (err, elapsed) = attack(&hostile.conn, &url).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "round {round}: {err}");
        assert!(err.to_string().contains("secrets.example.test"), "the host is named: {err}");
        assert!(elapsed < short_limits().call_timeout, "{elapsed:?}");
        assert_clean(&err, &[]);
    }
    // POSTs with a body are refused the same way, never as a retryable reset.
    let posting = super::hostile(&rt, "http-post", short_limits(), vec!["secrets.example.test".into()]).await;
    for round in 0..12 {
        let url = format!("https://secrets.example.test:{}/v1/secret", server.port);
        let (err, _) = attack(&posting.conn, &url).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "round {round}: {err}");
    }
    assert_eq!(server.received(), 0, "nothing reached the server");
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn an_address_granted_explicitly_is_reachable_and_the_metadata_service_never_is() {
    let server = Recorder::start();
    // The test's resolver answers for these names; the second one points at every cloud's metadata service.
    let rt = runtime_resolving(&[("vault.example.test", "127.0.0.1"), ("metadata.example.test", "169.254.169.254")]);
    let egress = vec!["vault.example.test".to_owned(), "127.0.0.1".to_owned(), "metadata.example.test".to_owned()];
    let hostile = hostile(&rt, "http", short_limits(), egress).await;
    // Granting the loopback address itself makes the name that resolves to it reachable.
    let answer =
        hostile.conn.get(&format!("https://vault.example.test:{}/", server.port), &VersionSelector::Latest).await;
    let err = answer.expect_err("the recorder speaks plain HTTP, so TLS fails after connecting");
    assert_ne!(err.kind(), ErrorKind::AccessDenied, "the address was granted: {err}");
    assert_eq!(server.received(), 1, "the granted connection arrived");
    // A granted name that resolves to the metadata service is refused before any packet is sent.
    let err = hostile.conn.get("https://metadata.example.test/latest/meta-data/", &VersionSelector::Latest).await;
    assert_eq!(err.expect_err("refused").kind(), ErrorKind::AccessDenied);
    assert_eq!(server.received(), 1);
}

/// Credentials that mint a token for any scope and AWS keys, counting what they hand out.
#[derive(Default)]
struct GenerousCredentials {
    minted: AtomicUsize,
}

impl CredentialProvider for GenerousCredentials {
    fn aws_credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        self.minted.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Ok(AwsCredentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: zeroize::Zeroizing::new("aws-secret-key-5e8f".to_owned()),
                session_token: None,
                expires_at: None,
            })
        })
    }

    fn access_token<'a>(&'a self, _scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        self.minted.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Ok(AccessToken { token: zeroize::Zeroizing::new("minted-token-9a7c".to_owned()), expires_at: None })
        })
    }
}

#[tokio::test]
async fn tokens_only_for_declared_and_allowed_scopes_and_aws_keys_only_when_declared() {
    let rt = runtime();
    let credentials = Arc::new(GenerousCredentials::default());
    let plugin = load(&rt, "hostile");
    let dir = TempDir::new("hostile-credentials");
    let connect = |attack_name: &'static str| {
        let config = ConnectionConfig {
            settings: json!({ "attack": attack_name }),
            data_dir: Some(dir.path().join("data")),
            credentials: credentials.clone(),
            // The manifest declares Key Vault and management; the manager allows Key Vault only.
            token_scopes: Some(vec!["https://vault.azure.net/.default".into()]),
            limits: short_limits(),
            ..ConnectionConfig::default()
        };
        let (rt, plugin) = (&rt, plugin.clone());
        async move { rt.connect(&plugin, attack_name, config).await.expect("connect") }
    };
    let tokens = connect("token-scope").await;
    let granted = tokens.get("https://vault.azure.net/.default", &VersionSelector::Latest).await.expect("granted");
    assert_eq!(granted.value.expose_text(), Some("minted-token-9a7c"));
    for scope in [
        "https://management.azure.com/.default",
        "https://graph.microsoft.com/.default",
        "https://storage.azure.com/.default",
    ] {
        let (err, _) = attack(&tokens, scope).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{scope}: {err}");
        assert!(err.to_string().contains(scope), "the scope is named: {err}");
    }
    let aws = connect("aws-credentials").await;
    let (err, _) = attack(&aws, "x").await;
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
    assert_clean(&err, &["aws-secret-key-5e8f"]);
    assert_eq!(credentials.minted.load(Ordering::SeqCst), 1, "only the granted token was minted");
}

#[tokio::test]
async fn capabilities_and_open_that_never_return_hit_the_deadline() {
    let rt = runtime();
    let plugin = load(&rt, "hostile");
    let dir = TempDir::new("hostile-hang");
    for attack_name in ["capabilities-hang", "open-hang"] {
        let config = ConnectionConfig {
            settings: json!({ "attack": attack_name, "token": TOKEN }),
            data_dir: Some(dir.path().join("data")),
            limits: Limits { call_timeout: Duration::from_millis(300), ..Limits::default() },
            ..ConnectionConfig::default()
        };
        let started = Instant::now();
        let err = rt.connect(&plugin, attack_name, config).await.expect_err(attack_name);
        assert!(started.elapsed() < Duration::from_secs(2), "{attack_name} took {:?}", started.elapsed());
        assert!(
            err.to_string().contains("300 ms") || err.to_string().contains("longer than 300"),
            "{attack_name}: {err}"
        );
        assert!(!err.to_string().contains(TOKEN));
    }
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn endless_paging_and_huge_pages_are_bounded() {
    let rt = runtime();
    let endless = hostile(&rt, "endless-list", short_limits(), Vec::new()).await;
    // One page is one bounded call; the host's listing loops stop at their own bound (tested with the CLI).
    let page = endless.conn.list(&ListRequest::default()).await.expect("a page");
    assert_eq!((page.secrets.len(), page.next_page.as_deref()), (1, Some("1")));
    let huge =
        hostile(&rt, "huge-page", Limits { call_timeout: Duration::from_secs(10), ..Limits::default() }, Vec::new())
            .await;
    let err = huge.conn.list(&ListRequest::default()).await.expect_err("a page of 100,000");
    assert!(matches!(err, CallError::ResourceLimit { .. }), "{err}");
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn filling_the_data_directory_hits_its_quota() {
    let rt = runtime();
    let limits = Limits { data_dir_bytes: 4 << 20, call_timeout: Duration::from_secs(10), ..Limits::default() };
    let hostile = hostile(&rt, "fill-data", limits, Vec::new()).await;
    let err = hostile.conn.get("16777216", &VersionSelector::Latest).await.expect_err("over the quota");
    assert!(matches!(&err, CallError::ResourceLimit { limit, .. } if limit.contains("quota of 4 MiB")), "{err}");
    // Writes are refused while the directory is over its quota.
    let refused =
        hostile.conn.create("x", &SecretValue::text("v"), &WriteOptions::default()).await.expect_err("refused");
    assert!(refused.to_string().contains("quota"), "{refused}");
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn values_handed_in_never_come_back_out_through_errors() {
    let rt = runtime();
    let hostile = hostile(&rt, "echo-value", short_limits(), Vec::new()).await;
    let value = "handed-in-value-3f9c2e";
    let err = hostile
        .conn
        .create("db/password", &SecretValue::text(value), &WriteOptions::default())
        .await
        .expect_err("echoed");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_clean(&err, &[value]);
    assert!(err.to_string().contains("[redacted]"), "{err}");
    let update = UpdateRequest { value: Some(SecretValue::text(value)), ..UpdateRequest::default() };
    let err = hostile.conn.update("db/password", &update).await.expect_err("echoed");
    assert_clean(&err, &[value]);
}

#[tokio::test]
async fn plugin_text_cannot_forge_lines_or_drive_a_terminal() {
    let rt = runtime();
    let hostile = hostile(&rt, "inject", short_limits(), Vec::new()).await;
    let (err, _) = attack(&hostile.conn, "x").await;
    let text = err.to_string();
    assert!(
        !text.contains('\n') && !text.contains('\r') && !text.contains('\x1b') && !text.contains('\x07'),
        "{text:?}"
    );
    assert!(text.contains("\\n2026-01-01") && text.contains("\\u{1b}[2J"), "escaped, not dropped: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_outside_the_allowlist_is_access_denied_every_time_even_under_load() {
    let server = Recorder::start();
    let rt = runtime();
    let url = format!("http://127.0.0.1:{}/", server.port);
    for attack_name in ["http", "http-post"] {
        let hostile = hostile(&rt, attack_name, short_limits(), Vec::new()).await;
        let attempts = (0..24).map(|_| hostile.conn.get(&url, &VersionSelector::Latest));
        for (round, result) in futures::future::join_all(attempts).await.into_iter().enumerate() {
            let err = result.expect_err("refused");
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{attack_name} round {round}: {err}");
        }
    }
    assert_eq!(server.received(), 0);
}
