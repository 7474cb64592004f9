//! Running the built `keyway` binary in a sandbox of its own: a temporary `KEYWAY_HOME`, no configuration
//! from the environment or the user's folders, and a working directory without `keyway.yaml`.

use keyway_integration_tests::harness::{workspace_root, TempDir};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const KEYWAY: &str = env!("CARGO_BIN_EXE_keyway");

/// keyway's exit codes, as the binary uses them.
pub use keyway::error::exit as code;

/// Precompiled plugins shared by every test (the runtime writes them atomically), so each test does not
/// compile the local plugin again.
pub fn shared_plugin_cache() -> PathBuf {
    workspace_root().join("target/test-tmp/keyway-cli-plugin-cache")
}

/// One sandbox: a home folder, optional configuration files, and the environment the binary sees.
pub struct Sandbox {
    dir: TempDir,
    env: Vec<(String, String)>,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// Standard output as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts success and returns standard output.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(self.code, code::OK, "expected success; stderr: {}", self.stderr);
        self.out()
    }

    /// Asserts the failure the user sees: exit code `expected`, nothing on standard output, and exactly one
    /// line on standard error, starting with `keyway: `. Returns that line.
    #[track_caller]
    pub fn fails(&self, expected: i32) -> String {
        assert_eq!(self.code, expected, "exit code; stderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "nothing on stdout for a failure: {}", self.out());
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr: {:?}", self.stderr);
        assert!(lines[0].starts_with("keyway: ") && lines[0].len() > 20, "a clear message: {}", lines[0]);
        lines[0].to_owned()
    }
}

impl Sandbox {
    /// A fresh sandbox.
    pub fn new(label: &str) -> Self {
        let dir = TempDir::new(&format!("cli-{label}"));
        std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
        Self { dir, env: Vec::new() }
    }

    /// A sandbox configured like the built-in default (one manager `local` on the embedded store) but with
    /// the shared plugin cache.
    pub fn local(label: &str) -> Self {
        let mut sandbox = Self::new(label);
        sandbox.configure("  local:\n    plugin: local\n");
        sandbox
    }

    /// The sandbox's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `KEYWAY_HOME`.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// Sets an environment variable for every later run.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Writes `keyway.yaml` (with the shared plugin cache) and points `KEYWAY_CONFIG` at it.
    pub fn configure(&mut self, managers_yaml: &str) -> PathBuf {
        let text = format!(
            "plugins:\n  cache_dir: {}\naudit:\n  file: {}\nmanagers:\n{managers_yaml}",
            shared_plugin_cache().display(),
            self.path().join("audit.jsonl").display()
        );
        let path = self.write("keyway.yaml", text.as_bytes());
        self.set_env("KEYWAY_CONFIG", &path.display().to_string());
        path
    }

    /// Writes `keyway.yaml` from `text` (after the shared plugin cache line) and points `KEYWAY_CONFIG` at it.
    pub fn configure_text(&mut self, text: &str) -> PathBuf {
        let text = format!("plugins:\n  cache_dir: {}\n{text}", shared_plugin_cache().display());
        let path = self.write("keyway.yaml", text.as_bytes());
        self.set_env("KEYWAY_CONFIG", &path.display().to_string());
        path
    }

    /// Writes a file in the sandbox.
    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, contents).expect("write a sandbox file");
        path
    }

    /// A command for the binary with the sandbox's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(KEYWAY);
        command
            .args(args)
            .current_dir(self.path().join("work"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("KEYWAY_HOME", self.home())
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.path().join("xdg-data"))
            .env("HOME", self.path());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs `keyway ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, b"")
    }

    /// Runs `keyway ARGS` with `input` on standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start keyway");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input).expect("write stdin");
        }
        let Output { status, stdout, stderr } = child.wait_with_output().expect("wait for keyway");
        Run { code: status.code().unwrap_or(-1), stdout, stderr: String::from_utf8_lossy(&stderr).into_owned() }
    }

    /// Every file under `KEYWAY_HOME/data` with its contents: what a failed command must leave unchanged.
    pub fn store_snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        collect(&self.home().join("data"), &mut files);
        files
    }
}

fn collect(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.insert(path.clone(), Vec::new());
            collect(&path, files);
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
        }
    }
}

/// A fresh 32-byte key in standard base64, as the local plugin's `key` setting takes.
pub fn random_key() -> String {
    use base64::Engine as _;
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).expect("random bytes");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Parses JSON printed by the binary.
#[track_caller]
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}
