//! `keyway exec` as a faithful wrapper (signals passed on, 128+N exit codes, byte-exact output, streamed
//! masking of split, multi-line and JSON-field values, `--env-file`) and `keyway inject`.

use crate::support::{code, Sandbox};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";

fn sandbox(label: &str) -> Sandbox {
    let sandbox = Sandbox::local(label);
    sandbox.run(&["put", "local/db/password", "split-secret-value-42"]).ok();
    sandbox.run_with_stdin(&["put", "local/tls/key", "--stdin"], PEM.as_bytes()).ok();
    sandbox.run(&["put", "local/db/creds", r#"{"user":"app","password":"pw-field-value-123"}"#]).ok();
    sandbox
}

#[test]
fn output_is_masked_as_it_streams_even_split_multi_line_or_one_field() {
    let sandbox = sandbox("exec-mask");
    let script = "printf %s split-secr; sleep 0.02; printf '%s\\n' et-value-42; printf '%s\\n' \"$KEY\"; \
                  echo \"field: pw-field-value-123\"; printf 'prompt> '";
    let run = sandbox.run(&[
        "exec",
        "--env",
        "P=${secret:local/db/password}",
        "--env",
        "KEY=${secret:local/tls/key}",
        "--env",
        "CREDS=${secret:local/db/creds}",
        "--",
        "sh",
        "-c",
        script,
    ]);
    let out = run.ok();
    assert_eq!(out, "******\n******\nfield: ******\nprompt> ", "{out:?}");
}

#[test]
fn binary_output_passes_byte_for_byte() {
    let sandbox = sandbox("exec-binary");
    let mut random = vec![0u8; 1 << 20];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut random)).expect("random bytes");
    let file = sandbox.write("random.bin", &random);
    let file = file.display().to_string();
    for masking in [&["--no-masking"][..], &[][..]] {
        let mut args = vec!["exec", "--env", "P=${secret:local/db/password}"];
        args.extend_from_slice(masking);
        args.extend_from_slice(&["--", "cat", &file]);
        let run = sandbox.run(&args);
        assert_eq!(run.code, code::OK, "{}", run.stderr);
        assert!(run.stdout == random, "{masking:?}: {} bytes out of {}", run.stdout.len(), random.len());
    }
}

#[test]
fn exit_codes_and_signals_are_the_commands() {
    let sandbox = sandbox("exec-signals");
    let run = sandbox.run(&["exec", "--env", "P=${secret:local/db/password}", "--", "sh", "-c", "exit 7"]);
    assert_eq!(run.code, 7);
    let run = sandbox.run(&["exec", "--env", "P=${secret:local/db/password}", "--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(run.code, 128 + 9, "killed by SIGKILL");

    // An engine cancelling the task: SIGTERM to keyway reaches the command, which ends on its own terms.
    // A marker of this run alone, so no other test process running the same script is taken for an orphan.
    let marker = format!("got-term-{}", std::process::id());
    let script = format!("trap 'echo {marker}; exit 5' TERM; echo ready; while true; do sleep 0.05; done");
    let mut child = sandbox
        .command(&["exec", "--env", "P=${secret:local/db/password}", "--", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyway exec");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"));
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "keyway exec did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(5), "the command's own exit code");
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some(marker.as_str()));
    let orphans = std::process::Command::new("pgrep").args(["-f", &marker]).output().expect("pgrep");
    assert!(String::from_utf8_lossy(&orphans.stdout).trim().is_empty(), "no orphan keeps running");
}

#[test]
fn env_files_and_inject_templates() {
    let sandbox = sandbox("exec-env-file");
    let env = sandbox.write(
        "app.env",
        b"# app\nexport DB_PASSWORD=\"${secret:local/db/password}\"\nUSER='${secret:local/db/creds/user}'\n",
    );
    let run = sandbox.run(&[
        "exec",
        "--no-masking",
        "--env-file",
        &env.display().to_string(),
        "--",
        "sh",
        "-c",
        "test \"$DB_PASSWORD\" = split-secret-value-42 && echo \"user=$USER\"",
    ]);
    assert_eq!(run.ok(), "user=app\n");

    let template = sandbox.write(
        "app.properties.tpl",
        b"# generated\ndb.user=${secret:local/db/creds/user}\ndb.password=${secret:local/db/password}\nliteral=$${secret:x}\n",
    );
    let output = sandbox.path().join("app.properties");
    sandbox.run(&["inject", "-i", &template.display().to_string(), "-o", &output.display().to_string()]).ok();
    let rendered = std::fs::read_to_string(&output).expect("rendered");
    assert_eq!(rendered, "# generated\ndb.user=app\ndb.password=split-secret-value-42\nliteral=${secret:x}\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&output).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner can read it");
    }
    let message = sandbox
        .run(&["inject", "-i", &sandbox.write("bad.tpl", b"x=${secret:local/absent}\n").display().to_string()])
        .fails(code::NOT_FOUND);
    assert!(message.contains("absent"), "{message}");
}
