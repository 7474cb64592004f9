//! `keyway store rekey`: seals an embedded store with a new passphrase or key, through the facade (which
//! checks the caller's access, holds the store's write lock and audits the re-key).

use super::Ctx;
use crate::cli::{RekeyArgs, StoreCommand};
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::{KeywayError, NewStoreKey};
use zeroize::Zeroizing;

/// Runs `keyway store ...`.
pub async fn run(ctx: &Ctx, command: StoreCommand) -> Result<i32> {
    match command {
        StoreCommand::Rekey(args) => rekey(ctx, args).await,
    }
}

async fn rekey(ctx: &Ctx, args: RekeyArgs) -> Result<i32> {
    let (new, variable, setting) = match (&args.new_passphrase_env, &args.new_key_env) {
        (Some(variable), _) => (NewStoreKey::Passphrase(from_env(variable)?), variable, "passphrase"),
        (None, Some(variable)) => (NewStoreKey::Key(from_env(variable)?), variable, "key"),
        (None, None) => {
            return Err(KeywayError::InvalidInput(
                "name the new credential: --new-passphrase-env or --new-key-env".into(),
            )
            .into())
        }
    };
    let outcome = ctx.keyway.rekey_store(&ctx.identity, &args.manager, new).await?;
    let report = &outcome.report;
    if args.json {
        output::json(&serde_json::json!({
            "manager": args.manager,
            "data_dir": outcome.data_dir.display().to_string(),
            "resealed": report.resealed,
            "already_resealed": report.already_resealed,
            "resumed": report.resumed,
            "already_done": report.already_done,
            "damaged": report.damaged,
        }));
    } else {
        let manager = &args.manager;
        if report.already_done {
            println!(
                "the store of manager '{manager}' at {} is already sealed with the new {setting}",
                outcome.data_dir.display()
            );
        } else {
            let resumed = if report.resumed { " (an interrupted re-key, finished)" } else { "" };
            println!(
                "re-keyed the store of manager '{manager}' at {}{resumed}: {} files encrypted anew",
                outcome.data_dir.display(),
                report.resealed + report.already_resealed
            );
        }
        for damaged in &report.damaged {
            eprintln!("warning: left as it was (it could not be opened before the re-key either): {damaged}");
        }
        let hint = if manager == "local" && setting == "passphrase" {
            " (or export KEYWAY_LOCAL_PASSPHRASE for the built-in `local`)"
        } else {
            ""
        };
        println!("only the new {setting} opens it now: set `{setting}: ${{env:{variable}}}` in managers.{manager}.settings{hint}");
    }
    Ok(if report.damaged.is_empty() { exit::OK } else { exit::BACKEND })
}

/// A credential from an environment variable, which must be set and not empty.
fn from_env(variable: &str) -> Result<Zeroizing<String>> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Ok(Zeroizing::new(value)),
        _ => Err(KeywayError::InvalidInput(format!("environment variable {variable} is not set or empty")).into()),
    }
}
