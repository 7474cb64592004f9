//! The `keyway` command.
//!
//! # Layout
//! - `cli`: the command line (clap).
//! - `commands`: one module per command group.
//! - `output`: tables, JSON and timestamps.
//! - `input`: values, tags and expiry dates from arguments, files and stdin.
//! - `serve`: `keyway serve`, the local HTTP service.

mod cli;
mod commands;
mod input;
mod output;
mod serve;

use clap::Parser;
use keyway::error::exit;
use keyway::KeywayError;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Targets whose events may carry plugin data at trace and debug level, capped at `info`.
const QUIET_TARGETS: [&str; 3] = ["wasmtime_wasi=info", "wasmtime_wasi_http=info", "wasmtime_wasi_io=info"];

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // The service logs one line per request and its audit records; other commands only warnings (a failing
    // audit file is said once, in the command's own error line).
    let default_filter = match cli.command {
        cli::Command::Serve(_) => {
            "warn,keyway::serve=info,keyway::audit=info,keyway::catalog=info,keyway::renewal=info"
        }
        _ => "warn,keyway::audit=off",
    };
    let mut filter =
        tracing_subscriber::EnvFilter::try_from_env("KEYWAY_LOG").unwrap_or_else(|_| default_filter.into());
    // WASI's own trace events carry what plugins read and write and the random bytes they draw (a new store's
    // master key): never shown, whatever KEYWAY_LOG asks for.
    for quiet in QUIET_TARGETS {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        cli::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        cli::LogFormat::Json => logs.json().with_current_span(true).with_span_list(true).init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("keyway: cannot start: {err}");
            return ExitCode::from(exit::BACKEND as u8);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            let code = match (err.downcast_ref::<KeywayError>(), err.downcast_ref::<commands::Failure>()) {
                (Some(err), _) => err.exit_code(),
                (None, Some(failure)) => failure.code,
                (None, None) => exit::INVALID,
            };
            eprintln!("keyway: {}", one_line(&err));
            ExitCode::from(code as u8)
        }
    }
}

/// The error and its causes on one line, each cause once: keyway's errors already quote their source in
/// their own message, so a cause is only added when the line does not contain it yet.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(text.as_str()) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}
