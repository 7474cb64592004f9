//! `resolve` (a step file), `exec` (a command with secrets in its environment) and `inject` (a text template
//! rendered into a private file).
//!
//! `exec` behaves like the command it wraps: signals are passed on, the exit code is the command's (128+N when
//! signal N ended it), output is streamed as it comes, byte for byte with `--no-masking`, otherwise with every
//! value the call resolved masked even when a value is split across writes or spans lines.

use super::Ctx;
use crate::cli::{ExecArgs, InjectArgs, ResolveArgs};
use anyhow::{Context, Result};
use keyway::error::exit;
use keyway::{mask_tree, KeywayError, Masker};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

/// How long output that may be the start of a value waits for the rest before it is written as it is.
const HOLD_AT_MOST: Duration = Duration::from_millis(50);

/// Reads a file, or standard input for `-`.
fn read_input(path: &Path, what: &str) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_string(&mut text))
            .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    }
    Ok(text)
}

/// Reads JSON or YAML (YAML is a superset of JSON) from a file or `-`.
fn read_tree(path: &Path) -> Result<serde_json::Value> {
    let text = read_input(path, "step")?;
    serde_yaml::from_str(&text)
        .map_err(|err| KeywayError::InvalidInput(format!("{} is not JSON or YAML: {err}", path.display())).into())
}

pub async fn resolve(ctx: &Ctx, args: ResolveArgs) -> Result<i32> {
    let step = read_tree(&args.file)?;
    let resolved = ctx.keyway.resolve(&ctx.identity, &step).await?;
    let (mut tree, masker) = resolved.into_parts();
    if !args.reveal {
        mask_tree(&mut tree, &masker);
    }
    if args.yaml {
        print!("{}", serde_yaml::to_string(&tree)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&tree)?);
    }
    Ok(exit::OK)
}

/// The `NAME=TEMPLATE` pairs of an env file: `#` comments and blank lines skipped, an `export ` prefix and
/// matching quotes around the template removed.
fn env_file_pairs(text: &str, path: &Path) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (name, template) =
            line.split_once('=').filter(|(name, _)| valid_env_name(name.trim())).ok_or_else(|| {
                KeywayError::InvalidInput(format!("{} line {}: not NAME=TEMPLATE", path.display(), number + 1))
            })?;
        let template = template.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|quote| template.strip_prefix(*quote).and_then(|rest| rest.strip_suffix(*quote)))
            .unwrap_or(template);
        pairs.push((name.trim().to_owned(), unquoted.to_owned()));
    }
    Ok(pairs)
}

fn valid_env_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub async fn exec(ctx: &Ctx, args: ExecArgs) -> Result<i32> {
    let mut templates = serde_json::Map::new();
    if let Some(path) = &args.env_file {
        let text = read_input(path, "env file")?;
        for (name, template) in env_file_pairs(&text, path)? {
            templates.insert(name, serde_json::Value::String(template));
        }
    }
    for pair in &args.env {
        let (name, template) = pair
            .split_once('=')
            .filter(|(name, _)| valid_env_name(name))
            .ok_or_else(|| KeywayError::InvalidInput(format!("--env '{pair}' is not NAME=TEMPLATE")))?;
        templates.insert(name.to_owned(), serde_json::Value::String(template.to_owned()));
    }
    if templates.is_empty() {
        return Err(KeywayError::InvalidInput(
            "give the environment with --env NAME=TEMPLATE or --env-file FILE".into(),
        )
        .into());
    }
    let resolved = ctx.keyway.resolve(&ctx.identity, &serde_json::Value::Object(templates)).await?;
    let (vars, masker) = resolved.into_parts();
    let (program, rest) =
        args.command.split_first().ok_or_else(|| KeywayError::InvalidInput("no command given after --".into()))?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest);
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    #[cfg(unix)]
    if !interactive {
        // Its own process group, so a signal reaches whatever the command started too.
        command.process_group(0);
    }
    if !args.no_masking {
        command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    }
    if let serde_json::Value::Object(vars) = &vars {
        for (name, value) in vars {
            command.env(name, value.as_str().unwrap_or_default());
        }
    }
    let spawned = command.spawn();
    wipe_strings(vars);
    let mut child = spawned.with_context(|| format!("cannot run {program}"))?;
    let forwarding = child.id().map(|pid| tokio::spawn(forward_signals(pid, !interactive, interactive)));
    let masker = Arc::new(masker);
    let stdout = child.stdout.take().map(|out| tokio::spawn(pipe_masked(out, tokio::io::stdout(), masker.clone())));
    let stderr = child.stderr.take().map(|err| tokio::spawn(pipe_masked(err, tokio::io::stderr(), masker.clone())));
    let status = child.wait().await.with_context(|| format!("waiting for {program}"))?;
    for task in [stdout, stderr].into_iter().flatten() {
        let _ = task.await;
    }
    if let Some(task) = forwarding {
        task.abort();
    }
    Ok(exit_code(&status))
}

/// Zeroizes the values of a resolved environment once the command has them.
fn wipe_strings(vars: serde_json::Value) {
    if let serde_json::Value::Object(vars) = vars {
        for (_, value) in vars {
            if let serde_json::Value::String(mut text) = value {
                zeroize::Zeroize::zeroize(&mut text);
            }
        }
    }
}

/// The command's exit code; 128+N when signal N ended it, as shells report it.
fn exit_code(status: &std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(status) {
        return 128 + signal;
    }
    status.code().unwrap_or(exit::BACKEND)
}

/// Passes the signals keyway receives on to the command (to its process group when `group`). An interactive
/// terminal already delivers SIGINT to the command, so it is not sent twice then.
#[cfg(unix)]
async fn forward_signals(pid: u32, group: bool, interactive: bool) {
    use rustix::process::{kill_process, kill_process_group, Pid, Signal};
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        (SignalKind::interrupt(), Signal::INT),
        (SignalKind::terminate(), Signal::TERM),
        (SignalKind::hangup(), Signal::HUP),
        (SignalKind::quit(), Signal::QUIT),
        (SignalKind::user_defined1(), Signal::USR1),
        (SignalKind::user_defined2(), Signal::USR2),
    ];
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else { return };
    let mut streams = Vec::new();
    for (kind, forwarded) in kinds {
        if let Ok(stream) = signal(kind) {
            streams.push((stream, forwarded));
        }
    }
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    for (mut stream, forwarded) in streams {
        let sender = sender.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if sender.send(forwarded).is_err() {
                    break;
                }
            }
        });
    }
    while let Some(forwarded) = received.recv().await {
        if interactive && forwarded == Signal::INT {
            continue;
        }
        let _ = if group { kill_process_group(pid, forwarded) } else { kill_process(pid, forwarded) };
    }
}

#[cfg(not(unix))]
async fn forward_signals(_pid: u32, _group: bool, _interactive: bool) {}

/// Copies the command's output as it comes, with every value `masker` holds masked, even one split across
/// writes: bytes that may start a value wait for the next chunk, at most [`HOLD_AT_MOST`].
async fn pipe_masked<R, W>(mut reader: R, mut writer: W, masker: Arc<Masker>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    let mut pending: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    loop {
        let read = if pending.is_empty() {
            reader.read(&mut chunk).await
        } else {
            match tokio::time::timeout(HOLD_AT_MOST, reader.read(&mut chunk)).await {
                Ok(read) => read,
                Err(_) => {
                    // Nothing more came: what waits is no value's start after all (or is one cut short).
                    let (masked, _) = masker.mask_stream(&pending, true);
                    pending.clear();
                    if write(&mut writer, &masked).await.is_err() {
                        return;
                    }
                    continue;
                }
            }
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                pending.extend_from_slice(&chunk[..n]);
                let (masked, used) = masker.mask_stream(&pending, false);
                pending.drain(..used);
                if write(&mut writer, &masked).await.is_err() {
                    return;
                }
            }
        }
    }
    let (masked, _) = masker.mask_stream(&pending, true);
    let _ = write(&mut writer, &masked).await;
}

async fn write<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

pub async fn inject(ctx: &Ctx, args: InjectArgs) -> Result<i32> {
    let template = read_input(&args.input, "template")?;
    let resolved = ctx.keyway.resolve(&ctx.identity, &serde_json::Value::String(template.to_string())).await?;
    let rendered = match resolved.into_parts().0 {
        serde_json::Value::String(text) => Zeroizing::new(text),
        _ => Zeroizing::new(String::new()),
    };
    match &args.output {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to standard output")?;
        }
        Some(path) => write_private_file(path, rendered.as_bytes())?,
    }
    Ok(exit::OK)
}

/// Writes `bytes` to `path` with mode 0600, replacing it at once: a temporary file beside it, synced, renamed.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.keyway-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(err) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(anyhow::Error::new(err).context(format!("cannot write {}", path.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_take_comments_exports_and_quotes() {
        let text =
            "# database\nexport PGPASSWORD=\"${secret:local/db/password}\"\n\nAPI='${secret:local/api}'\nPLAIN=x=y\n";
        let pairs = env_file_pairs(text, Path::new("app.env")).expect("valid");
        assert_eq!(
            pairs,
            [
                ("PGPASSWORD".into(), "${secret:local/db/password}".into()),
                ("API".into(), "${secret:local/api}".into()),
                ("PLAIN".into(), "x=y".into())
            ]
        );
        let err = env_file_pairs("1BAD=x\n", Path::new("app.env")).expect_err("bad name");
        assert!(err.to_string().contains("app.env line 1"), "{err}");
    }
}
