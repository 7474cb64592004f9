//! What packagers and operators install besides the binary: shell completions, the manual page, the version
//! with the plugin contract, the systemd unit and the container image's recipe.

use crate::support::{Sandbox, KEYWAY};
use keyway_integration_tests::harness::workspace_root;
use std::process::Command;

/// Every command a user types first.
const COMMANDS: [&str; 6] = ["get", "put", "resolve", "serve", "check", "completions"];

#[test]
fn completions_for_bash_zsh_and_fish_know_the_commands() {
    let sandbox = Sandbox::new("completions");
    for shell in ["bash", "zsh", "fish"] {
        let script = sandbox.run(&["completions", shell]).ok();
        assert!(script.len() > 1000, "a {shell} script: {script}");
        for command in COMMANDS {
            assert!(script.contains(command), "{shell} completes `{command}`");
        }
        assert!(script.contains("expiring-within"), "{shell} completes options of subcommands");
    }
    assert!(sandbox.run(&["completions", "bash"]).ok().contains("complete -F _keyway"), "bash registers it");
    assert_eq!(sandbox.run(&["completions", "tcsh"]).code, 2, "an unknown shell is a usage error");
}

#[test]
fn the_manual_page_has_a_name_and_every_command() {
    let sandbox = Sandbox::new("man");
    let page = sandbox.run(&["man"]).ok();
    assert!(page.contains(".TH keyway 1"), "{page}");
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS") && page.contains(".SH SUBCOMMANDS"), "{page}");
    for command in COMMANDS {
        assert!(page.contains(&format!("keyway\\-{}", command.replace('-', "\\-"))), "the page lists `{command}`");
    }
    let dir = sandbox.path().join("man1");
    sandbox.run(&["man", "--dir", &dir.display().to_string()]).ok();
    for page in ["keyway.1", "keyway-check.1", "keyway-get.1", "keyway-cache-clear.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_default();
        assert!(text.contains(".SH NAME"), "{page} written");
    }
}

/// The contract version the WIT files declare: `keyway:provider@X.Y.Z`.
fn wit_contract() -> String {
    let text = std::fs::read_to_string(workspace_root().join("wit/provider@0.1.0/provider.wit")).expect("the WIT file");
    let line = text.lines().find_map(|line| line.trim().strip_prefix("package ")).expect("a package line");
    line.trim_end_matches(';').trim().to_owned()
}

#[test]
fn the_version_names_the_crate_and_the_plugin_contract() {
    let contract = wit_contract();
    assert!(contract.starts_with("keyway:provider@"), "{contract}");
    assert_eq!(contract, keyway::CONTRACT, "the contract the host serves is the one in wit/");
    let sandbox = Sandbox::new("version");
    let version = sandbox.run(&["--version"]).ok();
    assert_eq!(version.trim(), format!("keyway {} (plugin contract {contract})", env!("CARGO_PKG_VERSION")));
}

/// The unit file as shipped.
fn unit() -> String {
    std::fs::read_to_string(workspace_root().join("packaging/keyway.service")).expect("packaging/keyway.service")
}

/// `KEY=VALUE` settings of the unit, comments left out.
fn settings(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#') && !line.starts_with('['))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[test]
fn the_service_unit_runs_the_socket_service_hardened() {
    let unit = unit();
    let settings = settings(&unit);
    let has = |key: &str, value: &str| settings.iter().any(|(k, v)| k == key && v == value);
    assert!(has("ExecStart", "/usr/local/bin/keyway serve --listen unix:/run/keyway/keyway.sock"), "{unit}");
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "keyway"),
        ("RuntimeDirectory", "keyway"),
        ("Environment", "KEYWAY_HOME=/var/lib/keyway"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("CapabilityBoundingSet", ""),
        ("SystemCallFilter", "@system-service"),
    ] {
        assert!(has(key, value), "{key}={value} in the unit");
    }
    assert!(!settings.iter().any(|(key, _)| key == "MemoryDenyWriteExecute"), "wasmtime needs W^X transitions");

    // systemd's own check, where systemd is installed: the unit with this build's binary, its manual page
    // on MANPATH (for Documentation=man:keyway(1)).
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("systemd-analyze is not installed; the unit was checked by its settings only");
        return;
    }
    let sandbox = Sandbox::new("unit");
    let man = sandbox.path().join("man");
    sandbox.run(&["man", "--dir", &man.join("man1").display().to_string()]).ok();
    let path = sandbox.write("keyway.service", unit.replace("/usr/local/bin/keyway", KEYWAY).as_bytes());
    let verify = Command::new("systemd-analyze").arg("verify").arg(&path).env("MANPATH", &man).output().expect("run");
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_service_unit_leaves_memory_executable_for_wasmtime() {
    use std::os::unix::process::CommandExt;
    // The kernel's form of systemd's MemoryDenyWriteExecute=yes: no mapping may become executable after it
    // was writable (Linux 6.3 and later).
    const PR_SET_MDWE: i32 = 65;
    const PR_MDWE_REFUSE_EXEC_GAIN: u64 = 1;
    extern "C" {
        fn prctl(option: i32, ...) -> i32;
    }
    let mut sandbox = Sandbox::new("mdwe");
    // A plugin cache of its own: what fails here must not touch the shared one.
    let config = format!(
        "plugins:\n  cache_dir: {}\nmanagers:\n  local:\n    plugin: local\n",
        sandbox.path().join("cache").display()
    );
    let config = sandbox.write("keyway.yaml", config.as_bytes());
    sandbox.set_env("KEYWAY_CONFIG", &config.display().to_string());
    sandbox.run(&["put", "local/db/password", "mdwe-pass-1f2e"]).ok();

    let mut command = sandbox.command(&["get", "local/db/password"]);
    // SAFETY: prctl is async-signal-safe and touches only the child's own flags.
    unsafe {
        command.pre_exec(|| {
            if prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0u64, 0u64, 0u64) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(err) => {
            eprintln!("this kernel has no PR_SET_MDWE ({err}); nothing to show");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "no plugin runs under MemoryDenyWriteExecute: {stderr}");
    assert!(stderr.contains("unable to make memory executable"), "{stderr}");
    assert!(unit().contains("MemoryDenyWriteExecute=yes must NOT be set"), "the unit says why");
}

#[test]
fn the_container_recipe_builds_the_plugins_and_runs_unprivileged_with_tls() {
    let root = workspace_root();
    let recipe = std::fs::read_to_string(root.join("packaging/Containerfile")).expect("packaging/Containerfile");
    let lines: Vec<&str> = recipe.lines().filter(|line| !line.trim_start().starts_with('#')).collect();
    let from: Vec<&str> = lines.iter().filter(|line| line.starts_with("FROM ")).copied().collect();
    assert_eq!(
        from,
        ["FROM docker.io/library/rust:1-bookworm AS build", "FROM docker.io/library/debian:bookworm-slim"]
    );
    assert!(lines.contains(&"RUN rustup target add wasm32-wasip2"), "the plugins' target");
    for line in lines.iter().filter(|line| line.starts_with("COPY ") && !line.contains("--from")) {
        let sources: Vec<&str> = line.split_whitespace().skip(1).collect();
        for source in &sources[..sources.len() - 1] {
            assert!(root.join(source).exists(), "{source} is in the repository");
        }
    }
    assert!(lines.contains(&"USER 10001:10001"), "not root");
    assert!(lines.contains(&"VOLUME [\"/var/lib/keyway\"]") && recipe.contains("KEYWAY_HOME=/var/lib/keyway"));
    let cmd = lines.iter().find(|line| line.starts_with("CMD ")).copied().unwrap_or_default();
    for flag in ["\"0.0.0.0:8750\"", "\"--allow-remote\"", "\"--tls-cert\"", "\"--tls-key\""] {
        assert!(cmd.contains(flag), "{cmd}");
    }
}

#[test]
fn the_quickstart_leaves_the_users_keyway_folders_alone() {
    let root = workspace_root();
    let canonical = |path: &std::path::Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if canonical(std::path::Path::new(KEYWAY)) != canonical(&root.join("target/debug/keyway")) {
        eprintln!("the binary is not at target/debug/keyway, where the quickstart runs it; skipped");
        return;
    }
    let sandbox = Sandbox::new("quickstart");
    // `rustup` and `cargo` that do nothing: the binary under test is already built.
    let bin = sandbox.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    for tool in ["rustup", "cargo"] {
        let path = bin.join(tool);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").expect("a stand-in");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("executable");
    }
    let home = sandbox.path().join("user");
    let output = Command::new("bash")
        .arg(root.join("examples/quickstart.sh"))
        .env_clear()
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("TMPDIR", sandbox.path())
        .output()
        .expect("run the quickstart");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("correct-horse-battery-staple") && stdout.contains("orders_app"), "{stdout}");
    assert!(!home.exists(), "nothing written to the user's home folders");
    let left: Vec<_> = std::fs::read_dir(sandbox.path())
        .expect("the sandbox")
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("keyway-quickstart"))
        .collect();
    assert!(left.is_empty(), "the temporary home is removed");
}
