//! Wrong answers between the plugin and Vault: a proxy that forwards everything to OpenBao but answers secret
//! reads with a success that is no KV read, with another version than the one asked for, or cut short. None
//! is served; none is a missing secret; a cut answer is retryable.

use super::VaultUnderTest;
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// How the proxy answers secret reads (`GET /v1/secret/data/...`); everything else is forwarded unchanged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Forward,
    NoKvRead,
    OtherVersion,
    CutShort,
}

/// Reads one HTTP message (head and `content-length` body) from `reader`.
fn read_message(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase().strip_prefix("content-length:").map(|n| n.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn proxy(upstream: String, mode: Arc<Mutex<Tamper>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (upstream, mode) = (upstream.clone(), mode.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().expect("clone"));
                let mut client = client;
                while let Some((head, body)) = read_message(&mut reader) {
                    let head = head.replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n");
                    let mut server = TcpStream::connect(&upstream).expect("OpenBao");
                    server.write_all(head.as_bytes()).and_then(|()| server.write_all(&body)).expect("forward");
                    let (answer_head, answer_body) = read_message(&mut BufReader::new(server)).expect("answer");
                    let tamper = *mode.lock().expect("mode");
                    let is_read = head.starts_with("GET /v1/secret/data/");
                    let (status, body, cut) = match (tamper, is_read) {
                        (Tamper::NoKvRead, true) => ("200 OK", br#"{"data":null}"#.to_vec(), false),
                        (Tamper::OtherVersion, true) => {
                            let mut value: serde_json::Value = serde_json::from_slice(&answer_body).expect("json");
                            value["data"]["metadata"]["version"] = json!(7);
                            ("200 OK", serde_json::to_vec(&value).expect("json"), false)
                        }
                        (Tamper::CutShort, true) => ("200 OK", answer_body.clone(), true),
                        _ => {
                            let _ =
                                client.write_all(answer_head.as_bytes()).and_then(|()| client.write_all(&answer_body));
                            continue;
                        }
                    };
                    let sent = if cut { &body[..body.len() / 2] } else { &body[..] };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = client.write_all(head.as_bytes()).and_then(|()| client.write_all(sent));
                    return;
                }
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_or_foreign_answers_are_never_served_nor_a_missing_secret() {
    let vault = VaultUnderTest::start();
    let mode = Arc::new(Mutex::new(Tamper::Forward));
    let upstream = vault.server.address().trim_start_matches("http://").to_owned();
    let address = proxy(upstream, mode.clone());
    let connection = vault.connect(json!({ "address": address, "token": vault.server.root_token() })).await;
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

    *mode.lock().expect("mode") = Tamper::NoKvRead;
    let err = connection.get("app/db", &VersionSelector::Latest).await.expect_err("no KV read");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");

    *mode.lock().expect("mode") = Tamper::OtherVersion;
    let err = connection.get("app/db", &VersionSelector::Id("1".into())).await.expect_err("version 7 is not 1");
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(!err.to_string().contains("first-value-a1") && err.to_string().contains("not served"), "{err}");

    *mode.lock().expect("mode") = Tamper::CutShort;
    let err = connection.get("app/db", &VersionSelector::Latest).await.expect_err("cut short");
    assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!err.to_string().contains("second-value-b2"), "{err}");
}
