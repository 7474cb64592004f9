//! The vendor fakes of `tests/fakes/` (Python servers run from the test venv): how a test starts
//! one, and how it calls the fake's `/_fake/` controls.
//!
//! A fake picks its own free port and announces itself with one line `READY {json}`
//! ([`crate::harness::spawn_announced`]), so parallel tests never race for a port.

use crate::harness::{spawn_announced, venv_bin, workspace_root, ChildGuard};
use serde_json::Value;
use std::future::Future;
use std::process::Command;
use std::time::Duration;

/// How long a fake may take to announce itself.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A command running `tests/fakes/{script}` with the test venv's Python; add its arguments.
pub fn python_fake(script: &str) -> Command {
    let mut command = Command::new(venv_bin("python"));
    command.arg(workspace_root().join("tests/fakes").join(script));
    command
}

/// Starts `command` (see [`python_fake`]) and waits for its `READY` line, panicking after
/// [`START_TIMEOUT`]; returns the process (killed on drop) and the announced JSON.
pub async fn start(name: &str, command: Command) -> (ChildGuard, Value) {
    spawn_announced(name, command, START_TIMEOUT).await
}

/// Starts a fake that serves HTTPS with a test CA of its own, announced as `url` and `ca` (the
/// CA's PEM file) on its `READY` line; its controls are called on `url` with a client trusting
/// that CA. Returns the fake, the announced JSON and the CA (PEM).
pub async fn start_https(name: &str, command: Command) -> (FakeProcess, Value, Vec<u8>) {
    let (process, ready) = start(name, command).await;
    let ca_file = announced(&ready, "ca");
    let ca = std::fs::read(&ca_file).unwrap_or_else(|err| panic!("{name}'s CA {ca_file}: {err}"));
    let fake = FakeProcess::new(process, announced(&ready, "url"), client_trusting(&ca));
    (fake, ready, ca)
}

/// The text the `READY` line gives for `key`; panics when it has none.
pub fn announced(ready: &Value, key: &str) -> String {
    ready[key].as_str().map(str::to_owned).unwrap_or_else(|| panic!("the READY line names no {key}: {ready}"))
}

/// An HTTP client that trusts `ca_pem` (a fake's test CA) besides the default roots.
pub fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).unwrap_or_else(|err| panic!("the fake's CA is not PEM: {err}"));
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap_or_else(|err| panic!("no HTTP client trusting the test CA: {err}"))
}

/// A running fake: its process, killed on drop, and where and how its controls are called.
#[derive(Debug)]
pub struct FakeProcess {
    process: ChildGuard,
    controls_url: String,
    http: reqwest::Client,
}

impl FakeProcess {
    /// A fake whose controls answer below `controls_url` (`{controls_url}/_fake/ACTION`) to `http`.
    pub fn new(process: ChildGuard, controls_url: impl Into<String>, http: reqwest::Client) -> Self {
        Self { process, controls_url: controls_url.into(), http }
    }

    /// The client the controls are called with (it trusts the fake's CA when it has one).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Stops the server now: its port then refuses connections.
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Calls the control `action` with `body` and returns its JSON answer; panics unless the
    /// fake answers 2xx (an unknown control or a malformed body).
    pub async fn control(&self, action: &str, body: Value) -> Value {
        let url = format!("{}/_fake/{action}", self.controls_url);
        let response = self.http.post(&url).json(&body).send().await.unwrap_or_else(|err| panic!("{url}: {err}"));
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or_else(|err| panic!("{url} answered no JSON: {err}"));
        assert!(status.is_success(), "control {action} failed with {status}: {answer}");
        answer
    }

    /// One counter of the `stats` control (0 when the fake does not count it).
    pub async fn stat(&self, name: &str) -> u64 {
        self.control("stats", serde_json::json!({})).await[name].as_u64().unwrap_or_default()
    }
}

/// A vendor fake built on a [`FakeProcess`]: its controls, counters and `stop` come from there.
pub trait Fake: Sync {
    /// The running process.
    fn process(&self) -> &FakeProcess;

    /// The running process, to stop it.
    fn process_mut(&mut self) -> &mut FakeProcess;

    /// See [`FakeProcess::control`].
    fn control(&self, action: &str, body: Value) -> impl Future<Output = Value> + Send {
        self.process().control(action, body)
    }

    /// See [`FakeProcess::stat`].
    fn stat(&self, name: &str) -> impl Future<Output = u64> + Send {
        self.process().stat(name)
    }

    /// See [`FakeProcess::stop`].
    fn stop(&mut self) {
        self.process_mut().stop();
    }
}

/// Implements [`Fake`] for a vendor fake struct whose [`FakeProcess`] is its field `process`:
/// `keyway_integration_tests::impl_fake!(FakeDoppler);`.
#[macro_export]
macro_rules! impl_fake {
    ($fake:ty) => {
        impl $crate::fakes::Fake for $fake {
            fn process(&self) -> &$crate::fakes::FakeProcess {
                &self.process
            }

            fn process_mut(&mut self) -> &mut $crate::fakes::FakeProcess {
                &mut self.process
            }
        }
    };
}
