//! The fake Doppler API of `tests/fakes/doppler`, started per test. It picks its own free port and
//! announces it, with its tokens, on its `READY` line.

use keyway_integration_tests::harness::{venv_bin, workspace_root};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The project the fake serves.
pub const PROJECT: &str = "keyway";

/// A running fake, stopped on drop.
pub struct FakeDoppler {
    process: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    tokens: Value,
}

impl Drop for FakeDoppler {
    fn drop(&mut self) {
        self.stop();
    }
}

impl FakeDoppler {
    /// Starts the fake.
    pub async fn start() -> Self {
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/doppler/server.py"))
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if std::env::var_os("KEYWAY_TEST_VERBOSE").is_none() {
            command.stderr(Stdio::null());
        }
        let mut process = command.spawn().unwrap_or_else(|err| panic!("cannot start the fake Doppler: {err}"));
        let stdout = process.stdout.take().expect("piped stdout");
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(Duration::from_secs(60), reading).await {
            Ok(Ok(Ok(line))) if line.starts_with("READY ") => line,
            other => {
                let _ = process.kill();
                panic!("the fake Doppler did not start: {other:?}")
            }
        };
        let ready: Value = serde_json::from_str(&line["READY ".len()..]).expect("the READY line is JSON");
        let url = ready["url"].as_str().map(str::to_owned).expect("the READY line names the URL");
        Self { process, url, tokens: ready["tokens"].clone() }
    }

    /// One of the fake's tokens: `personal`, `service` (read/write on keyway/dev) or `read_only`.
    pub fn token(&self, kind: &str) -> String {
        self.tokens[kind].as_str().map(str::to_owned).unwrap_or_else(|| panic!("no {kind} token"))
    }

    /// Stops the server (its port then refuses connections).
    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Calls a `/_fake/` control and returns its JSON answer.
    pub async fn control(&self, action: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/_fake/{action}", self.url))
            .json(&body)
            .send()
            .await
            .expect("fake control request");
        response.json().await.expect("fake control answer")
    }

    /// One counter of `/_fake/stats`.
    pub async fn stat(&self, name: &str) -> u64 {
        self.control("stats", serde_json::json!({})).await[name].as_u64().unwrap_or_default()
    }
}
