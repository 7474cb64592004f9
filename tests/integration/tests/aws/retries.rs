//! The SDK's retry strategy inside the sandbox: throttling and server errors
//! are retried up to `max_attempts`, then reported as `throttled` and
//! `unavailable`; a `Retry-After` header sets the wait between attempts, and a
//! 429 is throttling whatever its body; client errors are not retried. A tiny
//! loopback server answers every request with one fixed AWS error and counts
//! the attempts.

use crate::AwsUnderTest;
use keyway_integration_tests::calls::timed;
use keyway_types::{ErrorKind, ProviderError, VersionSelector};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A server that answers every request with `status` and an AWS JSON error of `code`.
struct FailingServer {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

impl FailingServer {
    fn start(status: u16, code: &'static str) -> Self {
        Self::answering(status, code, "")
    }

    /// Answers with `headers` (`name: value\r\n` lines) besides the usual ones.
    fn answering(status: u16, code: &'static str, headers: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let answer = format!(r#"{{"__type":"{code}","message":"injected {code}"}}"#);
                let response = format!(
                    "HTTP/1.1 {status} Injected\r\ncontent-type: application/x-amz-json-1.1\r\n{headers}\
                     content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = reader.get_mut().write_all(response.as_bytes());
            }
        });
        Self { endpoint, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn get_with(server: &FailingServer, max_attempts: u32) -> keyway_runtime::CallError {
    let aws = AwsUnderTest::start().await;
    let settings = json!({ "region": "us-east-1", "endpoint_override": server.endpoint, "max_attempts": max_attempts });
    let conn = aws.try_connect(settings, AwsUnderTest::any_keys()).await.expect("connect");
    conn.get("any", &VersionSelector::Latest).await.expect_err("the server always fails")
}

#[tokio::test]
async fn throttling_is_retried_then_reported_as_throttled() {
    let server = FailingServer::start(400, "ThrottlingException");
    let err = get_with(&server, 3).await;
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(server.requests(), 3, "three attempts");
}

/// A `get` against `server` in `attempts` attempts, which must all be made and end throttled: how long it took
/// and the wait the error passes on.
async fn throttled_after(server: &FailingServer, attempts: u32) -> (Duration, Option<u64>) {
    let (err, took) = timed(get_with(server, attempts)).await;
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(server.requests(), attempts as usize, "{attempts} attempts");
    let asked = match err.provider_error() {
        Some(ProviderError::Throttled { retry_after_ms, .. }) => *retry_after_ms,
        _ => None,
    };
    (took, asked)
}

#[tokio::test]
async fn throttling_waits_as_long_as_retry_after_asks() {
    let server = FailingServer::answering(400, "ThrottlingException", "retry-after: 1\r\n");
    let (took, asked) = throttled_after(&server, 3).await;
    assert!(took >= Duration::from_millis(1900), "two waits of a second each, not {took:?}");
    assert_eq!(asked, Some(1000), "the error passes the wait on");
}

#[tokio::test]
async fn a_429_is_throttling_whatever_its_body() {
    let server = FailingServer::answering(429, "SomethingAProxySays", "retry-after: 1\r\n");
    let (took, _) = throttled_after(&server, 2).await;
    assert!(took >= Duration::from_millis(950), "after the second Retry-After asks for, not {took:?}");
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_unavailable() {
    let server = FailingServer::start(500, "InternalServiceError");
    let err = get_with(&server, 2).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(server.requests(), 2, "two attempts");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = FailingServer::start(400, "ResourceNotFoundException");
    let err = get_with(&server, 3).await;
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(server.requests(), 1, "one attempt");
}
