//! The `keyway` command.
//!
//! # Layout
//! - `cli`: the command line (clap).
//! - `commands`: one module per command group.
//! - `output`: tables, JSON and timestamps.
//! - `input`: values, tags and expiry dates from arguments, files and stdin.

mod cli;
mod commands;
mod input;
mod output;

use clap::Parser;
use keyway::error::exit;
use keyway::KeywayError;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("KEYWAY_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
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
            let code = err.downcast_ref::<KeywayError>().map_or(exit::INVALID, KeywayError::exit_code);
            eprintln!("keyway: {err:#}");
            ExitCode::from(code as u8)
        }
    }
}
