//! `keyway serve` as a child process on a free loopback port, and a JSON client that keeps every answer
//! (for the leak checks).

use crate::support::Sandbox;
use reqwest::Method;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// A running `keyway serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The built-in client's token, from the token file the service wrote (none with `--token-env` or
    /// configured clients).
    pub token: Option<String>,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `keyway serve --listen 127.0.0.1:0 EXTRA...` in `sandbox`, with keyway's own debug logs on.
    pub fn start(sandbox: &Sandbox, extra: &[&str]) -> Self {
        Self::start_on(sandbox, "127.0.0.1:0", extra)
    }

    /// Starts `keyway serve --listen LISTEN EXTRA...` in `sandbox`; `base` is what it says it listens on
    /// (`http://…`, `https://…` or `unix:PATH`).
    pub fn start_on(sandbox: &Sandbox, listen: &str, extra: &[&str]) -> Self {
        let mut args = vec!["serve", "--listen", listen];
        args.extend_from_slice(extra);
        let mut command = sandbox.command(&args);
        command
            .env("KEYWAY_LOG", "info,keyway=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start keyway serve");
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("log").push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let line = receiver.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("keyway serve did not start: {}", log.lock().expect("log"))
        });
        let base = line.split_once("listening on ").map(|(_, url)| url.trim().to_owned()).expect("the address line");
        let token_file = sandbox.home().join("serve.token");
        let token = std::fs::read_to_string(token_file).ok().map(|text| text.trim().to_owned());
        Self { child, base, token, log }
    }

    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the service wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// Stops the service with SIGTERM and waits for it; returns its exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    /// The error kind of an error answer.
    pub fn kind(&self) -> &str {
        self.body["error"]["kind"].as_str().unwrap_or("")
    }

    /// The error message of an error answer.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// Asserts an error answer: `status`, `kind`, and the `{"error": {"kind", "message"}}` shape.
    #[track_caller]
    pub fn error(&self, status: u16, kind: &str) -> &Self {
        assert_eq!((self.status, self.kind()), (status, kind), "{}", self.text);
        assert!(self.message().len() > 10, "a message: {}", self.text);
        assert_eq!(self.body.as_object().map(|o| o.len()), Some(1), "only `error`: {}", self.text);
        self
    }

    /// Asserts success (2xx).
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!((200..300).contains(&self.status), "HTTP {}: {}", self.status, self.text);
        &self.body
    }
}

/// A client of the service. Every answer is kept, marked when it is an explicit value read.
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    answers: Mutex<Vec<(bool, Answer)>>,
}

impl Api {
    /// A client of `server`, with the token of its built-in client when it has one.
    pub fn new(server: &Server) -> Self {
        Self { token: server.token.clone(), ..Self::anonymous(server) }
    }

    /// A client of `server` without a token.
    pub fn anonymous(server: &Server) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Self { client, base: server.base.clone(), token: None, answers: Mutex::new(Vec::new()) }
    }

    /// Sends `Authorization: Bearer TOKEN` from now on.
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// `METHOD path` as `identity` (header name, value pairs) with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, identity: &[(&str, &str)], body: Option<Value>) -> Answer {
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base));
        for (name, value) in identity {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request, method == Method::GET && path.starts_with("/v1/secrets/")).await
    }

    /// Sends a raw JSON body.
    pub async fn raw(&self, method: Method, path: &str, body: &'static str) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        self.send(request, false).await
    }

    /// `POST /v1/resolve`; a revealing call's answer counts as a value read.
    pub async fn resolve(&self, query: &str, identity: &[(&str, &str)], body: Value, reveals: bool) -> Answer {
        let mut request = self.client.post(format!("{}/v1/resolve{query}", self.base)).json(&body);
        for (name, value) in identity {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        self.send(request, reveals).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, reads_value: bool) -> Answer {
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(body.is_object(), "every answer is a JSON object: HTTP {status} {text}");
        let answer = Answer { status, headers, text, body };
        self.answers.lock().expect("answers").push((reads_value && status == 200, answer.clone()));
        answer
    }

    /// The answers that were not explicit value reads.
    pub fn answers_without_value_reads(&self) -> Vec<Answer> {
        self.answers.lock().expect("answers").iter().filter(|(reads, _)| !reads).map(|(_, a)| a.clone()).collect()
    }
}
