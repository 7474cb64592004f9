//! `resolve` (a step file) and `exec` (a command with secrets in its environment).

use super::Ctx;
use crate::cli::{ExecArgs, ResolveArgs};
use anyhow::{Context, Result};
use keyway::error::exit;
use keyway::{mask_tree, KeywayError, Masker};
use std::io::Read;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Reads JSON or YAML (YAML is a superset of JSON) from a file or `-`.
fn read_tree(path: &std::path::Path) -> Result<serde_json::Value> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the step from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
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

pub async fn exec(ctx: &Ctx, args: ExecArgs) -> Result<i32> {
    let mut templates = serde_json::Map::new();
    for pair in &args.env {
        let (name, template) = pair
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| KeywayError::InvalidInput(format!("--env '{pair}' is not NAME=TEMPLATE")))?;
        templates.insert(name.to_owned(), serde_json::Value::String(template.to_owned()));
    }
    let resolved = ctx.keyway.resolve(&ctx.identity, &serde_json::Value::Object(templates)).await?.into_value();
    let (program, rest) =
        args.command.split_first().ok_or_else(|| KeywayError::InvalidInput("no command given after --".into()))?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    if let serde_json::Value::Object(vars) = &resolved {
        for (name, value) in vars {
            command.env(name, value.as_str().unwrap_or_default());
        }
    }
    let mut child = command.spawn().with_context(|| format!("cannot run {program}"))?;
    let masker = ctx.keyway.masker();
    let stdout = child.stdout.take().map(|out| pipe_masked(out, tokio::io::stdout(), masker));
    let stderr = child.stderr.take().map(|err| pipe_masked(err, tokio::io::stderr(), masker));
    let (status, _, _) = tokio::join!(
        child.wait(),
        async {
            if let Some(task) = stdout {
                task.await
            }
        },
        async {
            if let Some(task) = stderr {
                task.await
            }
        }
    );
    let status = status.with_context(|| format!("waiting for {program}"))?;
    Ok(status.code().unwrap_or(exit::BACKEND))
}

/// Copies the child's output line by line with resolved values masked, as `op run` does.
async fn pipe_masked<R, W>(reader: R, mut writer: W, masker: &Masker)
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut lines = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                if writer.write_all(masker.mask(&text).as_bytes()).await.is_err() {
                    break;
                }
                let _ = writer.flush().await;
            }
        }
    }
}
