//! The file system and the environment: only the granted data directory is
//! reachable, no `..` or symbolic link leads out of it, and the environment is empty.

use super::{assert_clean, attack, calls, good_plugin_still_works, hostile, short_limits, Hostile};
use keyway_integration_tests::plugins::runtime;
use keyway_types::{ErrorKind, VersionSelector};

/// A line of the host's `/etc/passwd` that a leak would carry.
const PASSWD: &str = "root:x:0:0";
/// The content of a file beside the data directory.
const OUTSIDE: &str = "outside-canary-3e8b51";

/// Puts a canary file beside the data directory and symbolic links inside it that point out.
fn plant(hostile: &Hostile) {
    let data = hostile.dir.path().join("data");
    std::fs::write(hostile.dir.path().join("outside.txt"), OUTSIDE).expect("plant the outside file");
    std::fs::write(data.join("inside.txt"), "inside").expect("plant the inside file");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../outside.txt", data.join("relative-link")).expect("relative symlink");
        std::os::unix::fs::symlink("/etc/passwd", data.join("absolute-link")).expect("absolute symlink");
        std::os::unix::fs::symlink(hostile.dir.path(), data.join("dir-link")).expect("directory symlink");
    }
}

#[tokio::test]
async fn files_outside_the_data_directory_cannot_be_read() {
    let rt = runtime();
    let hostile = hostile(&rt, "read-file", short_limits(), Vec::new()).await;
    plant(&hostile);
    // The grant works, so the failures below are the sandbox and not a broken file system.
    let inside = hostile.conn.get("/data/inside.txt", &VersionSelector::Latest).await.expect("/data is granted");
    assert_eq!(inside.value.expose_bytes(), b"inside");
    let outside = hostile.dir.path().join("outside.txt");
    let targets = [
        "/etc/passwd",
        "/proc/self/environ",
        "/data/../outside.txt",
        "/data/../../../../../../etc/passwd",
        "../outside.txt",
        "data/../../outside.txt",
        "/data/relative-link",
        "/data/absolute-link",
        "/data/dir-link/outside.txt",
        &outside.display().to_string(),
    ];
    for target in targets {
        let (err, elapsed) = attack(&hostile.conn, target).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{target}: {err}");
        assert!(elapsed < short_limits().call_timeout, "{target} took {elapsed:?}");
        assert_clean(&err, &[PASSWD, OUTSIDE]);
    }
    // A refused read is the plugin's own error: the instance stays healthy and is reused.
    assert_eq!(calls(&hostile.conn).await, targets.len() as u32 + 2);
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn files_outside_the_data_directory_cannot_be_written_or_listed() {
    let rt = runtime();
    let writer = hostile(&rt, "write-file", short_limits(), Vec::new()).await;
    plant(&writer);
    let escaped = writer.dir.path().join("escaped.txt");
    for target in ["/data/../escaped.txt", "/tmp/keyway-hostile-escaped.txt", "/data/dir-link/escaped.txt"] {
        let (err, _) = attack(&writer.conn, target).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{target}: {err}");
    }
    assert!(!escaped.exists(), "the plugin wrote beside its data directory");
    assert!(!std::path::Path::new("/tmp/keyway-hostile-escaped.txt").exists(), "the plugin wrote to /tmp");
    writer.conn.get("/data/written.txt", &VersionSelector::Latest).await.expect("writes inside /data are granted");
    assert!(writer.dir.path().join("data/written.txt").exists());

    let lister = hostile(&rt, "list-dir", short_limits(), Vec::new()).await;
    plant(&lister);
    let listing = lister.conn.get("/data", &VersionSelector::Latest).await.expect("/data can be listed");
    assert!(listing.value.expose_text().is_some_and(|names| names.contains("inside.txt")));
    for target in ["/", "/etc", "/data/..", "/data/dir-link", ".."] {
        let (err, _) = attack(&lister.conn, target).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{target}: {err}");
        assert_clean(&err, &["outside.txt", "passwd"]);
    }
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn the_environment_is_empty() {
    // The test process's own environment (cargo sets CARGO_MANIFEST_DIR and friends for every test).
    let host_values: Vec<String> = std::env::vars().map(|(_, value)| value).filter(|value| value.len() >= 8).collect();
    assert!(std::env::var("CARGO_MANIFEST_DIR").is_ok(), "the host has an environment to protect");
    let rt = runtime();
    let hostile = hostile(&rt, "read-env", short_limits(), Vec::new()).await;
    for target in ["*", "CARGO_MANIFEST_DIR", "PATH", "HOME"] {
        let (err, _) = attack(&hostile.conn, target).await;
        assert_eq!(err.kind(), ErrorKind::NotFound, "{target}: {err}");
        let host_values: Vec<&str> = host_values.iter().map(String::as_str).collect();
        assert_clean(&err, &host_values);
    }
    good_plugin_still_works(&rt).await;
}
