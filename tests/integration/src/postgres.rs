//! A real PostgreSQL server for tests: `initdb` into a temporary directory,
//! `postgres` on a free loopback port, stopped and removed when dropped.
//!
//! The binaries come from `$KEYWAY_TEST_PG_BIN`, else Debian's
//! `/usr/lib/postgresql/<newest>/bin` (package `postgresql`, which `.ci/run`
//! installs), else `PATH`. PostgreSQL refuses to run as root: when the tests
//! run as root, the server runs as `nobody` through `setpriv`.

use crate::harness::{free_port, ChildGuard};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The uid and gid the server runs as when the tests run as root (`nobody`).
const UNPRIVILEGED: u32 = 65534;

/// A running PostgreSQL server owned by one test.
#[derive(Debug)]
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    server: Option<ChildGuard>,
}

impl Postgres {
    /// Creates a cluster in a fresh temporary directory and starts it; superuser `keyway`, trust
    /// authentication, loopback only.
    pub fn start() -> Self {
        let bin = binaries();
        let dir = std::env::temp_dir().join(format!(
            "keyway-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        if running_as_root() {
            std::os::unix::fs::chown(&dir, Some(UNPRIVILEGED), Some(UNPRIVILEGED))
                .expect("hand the directory to nobody");
        }
        let status = as_server_user(&bin.join("initdb"))
            .args(["-D"])
            .arg(dir.join("data"))
            .args(["-U", "keyway", "--auth=trust", "-E", "UTF8", "--no-instructions"])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap_or_else(|err| panic!("cannot run initdb from {}: {err}", bin.display()));
        assert!(status.success(), "initdb failed: {status}");
        let mut postgres = Self { dir, bin, port: free_port(), server: None };
        postgres.run();
        postgres
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for database `database` (see [`create_database`](Self::create_database)).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://keyway@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let status = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "keyway", name])
            .status()
            .expect("run createdb");
        assert!(status.success(), "createdb {name} failed: {status}");
        self.url(name)
    }

    /// Runs `statements` in `database` with `psql` as the superuser; returns what they print (unaligned, one
    /// row a line).
    pub fn sql(&self, database: &str, statements: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "keyway", "-d", database])
            .args(["-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-c", statements])
            .output()
            .expect("run psql");
        assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Stops the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
        let _ = std::fs::remove_file(self.dir.join("data/postmaster.pid"));
    }

    /// Asks the server to stop as an operator would (`pg_ctl stop -m fast`: sessions are ended, the server
    /// shuts down cleanly); returns at once. [`start_after_stop`](Self::start_after_stop) waits for the end
    /// and starts it again.
    pub fn stop_fast(&self) {
        let status = as_server_user(&self.bin.join("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "--no-wait"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run pg_ctl");
        assert!(status.success(), "pg_ctl stop failed: {status}");
    }

    /// Waits (up to 60 s) for the server asked to stop by [`stop_fast`](Self::stop_fast) to end, then starts
    /// it again on the same port and data.
    pub fn start_after_stop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.server.as_mut().is_some_and(ChildGuard::is_running) {
            assert!(Instant::now() < deadline, "PostgreSQL did not stop within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.server = None;
        self.run();
    }

    /// Starts the server again on the same port and data (after [`kill`](Self::kill)).
    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }

    fn run(&mut self) {
        let mut command = as_server_user(&self.bin.join("postgres"));
        command.arg("-D").arg(self.dir.join("data")).args([
            "-p",
            &self.port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            &format!("unix_socket_directories={}", self.dir.display()),
            "-c",
            "max_connections=200",
            // Dynamic shared memory in files under the data directory, removed with it even after a kill,
            // instead of segments in /dev/shm that a killed server leaves behind.
            "-c",
            "dynamic_shared_memory_type=mmap",
        ]);
        self.server = Some(ChildGuard::spawn("postgres", command));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "keyway"])
                .status()
                .is_ok_and(|status| status.success());
            if ready && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("PostgreSQL did not start on port {} within 30 s", self.port);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // An immediate stop, waited for, so that the server removes its shared memory (a SIGKILL leaves it on
        // the machine); the kill after it only acts when the server did not stop.
        if self.server.as_mut().is_some_and(ChildGuard::is_running) {
            let _ = as_server_user(&self.bin.join("pg_ctl"))
                .arg("stop")
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "immediate", "-w", "-t", "10"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// `program`, run as `nobody` when the tests run as root.
fn as_server_user(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .arg(format!("--reuid={UNPRIVILEGED}"))
            .arg(format!("--regid={UNPRIVILEGED}"))
            .arg("--clear-groups")
            .arg("--")
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// The folder holding `initdb`, `postgres`, `pg_isready`, `createdb` and `psql`.
fn binaries() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEYWAY_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|entries| {
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str().and_then(|v| v.parse::<u32>().ok()))
            .max()
            .map(|version| PathBuf::from(format!("/usr/lib/postgresql/{version}/bin")))
    });
    if let Some(dir) = debian.filter(|dir| dir.join("initdb").exists()) {
        return dir;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists());
    on_path.unwrap_or_else(|| {
        panic!(
            "PostgreSQL's initdb was not found (in $KEYWAY_TEST_PG_BIN, /usr/lib/postgresql/*/bin or PATH): \
             install Debian's package with `apt-get install postgresql`, as .ci/run does"
        )
    })
}
