//! Processes, ports and paths for tests that need a real server.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|err| panic!("no free loopback port: {err}"))
}

/// A program from the test virtual environment (`<root>/.venv/bin/NAME`, or `$KEYWAY_VENV/bin/NAME`),
/// which `.ci/run` creates from `tests/requirements.txt`.
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("KEYWAY_VENV").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".venv"));
    let path = venv.join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: create the test environment with `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt` (or run .ci/run)",
        path.display()
    );
    path
}

/// A child process that is killed when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
}

impl ChildGuard {
    /// Starts `command` with its output discarded (or inherited when `KEYWAY_TEST_VERBOSE` is set).
    pub fn spawn(name: &str, mut command: Command) -> Self {
        if std::env::var_os("KEYWAY_TEST_VERBOSE").is_none() {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
        let child = command.stdin(Stdio::null()).spawn().unwrap_or_else(|err| panic!("cannot start {name}: {err}"));
        Self { child }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts a server that picks its own port and announces itself with one line `READY {json}` on
/// its standard output; returns it (killed on drop) with that JSON. Unlike a port chosen by the
/// test and passed in, this cannot race another test for the port. Panics after `timeout`.
pub async fn spawn_announced(name: &str, mut command: Command, timeout: Duration) -> (ChildGuard, serde_json::Value) {
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    if std::env::var_os("KEYWAY_TEST_VERBOSE").is_none() {
        command.stderr(Stdio::null());
    }
    let mut child = command.spawn().unwrap_or_else(|err| panic!("cannot start {name}: {err}"));
    let Some(stdout) = child.stdout.take() else { panic!("{name}: no piped standard output") };
    let mut guard = ChildGuard { child };
    let reading = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = match tokio::time::timeout(timeout, reading).await {
        Ok(Ok(Ok(line))) if line.starts_with("READY ") => line,
        other => {
            guard.kill();
            panic!("{name} did not announce itself within {timeout:?}: {other:?}")
        }
    };
    let ready = serde_json::from_str(line["READY ".len()..].trim())
        .unwrap_or_else(|err| panic!("{name} announced itself with a line that is not JSON: {err}"));
    (guard, ready)
}

/// Waits until `url` answers with a status below 500 (or panics after `timeout`, naming `what`).
pub async fn wait_for_http(what: &str, url: &str, timeout: Duration) {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_else(|err| panic!("cannot build an HTTP client: {err}"));
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(url).send().await {
            if response.status().as_u16() < 500 {
                return;
            }
        }
        assert!(started.elapsed() < timeout, "{what} did not answer at {url} within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A temporary directory removed when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh directory under the workspace's `target/`.
    pub fn new(label: &str) -> Self {
        let unique = format!(
            "{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        );
        let path = workspace_root().join("target/test-tmp").join(unique);
        std::fs::create_dir_all(&path).unwrap_or_else(|err| panic!("cannot create {}: {err}", path.display()));
        Self { path }
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
