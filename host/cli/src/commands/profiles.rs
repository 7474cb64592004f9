//! `bind`, `unbind`, `change-source`, `sync status|run`.

use super::Ctx;
use crate::cli::{BindArgs, ChangeSourceArgs, RefArgs, SyncCommand};
use crate::output;
use anyhow::Result;
use keyway::catalog::SyncTarget;
use keyway::error::exit;
use keyway::parse_reference;

pub async fn bind(ctx: &Ctx, args: BindArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    ctx.keyway.bind(&ctx.identity, manager, name, &args.profile).await?;
    eprintln!("{manager}/{name} is bound to profile {}", args.profile);
    print_copies(ctx, manager, name).await;
    Ok(exit::OK)
}

pub async fn unbind(ctx: &Ctx, args: RefArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let profile = ctx.keyway.unbind(&ctx.identity, manager, name).await?;
    eprintln!("{manager}/{name} is no longer bound to profile {profile} by `keyway bind`");
    Ok(exit::OK)
}

pub async fn change_source(ctx: &Ctx, args: ChangeSourceArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    ctx.keyway.change_source(&ctx.identity, manager, name, &args.new_source).await?;
    eprintln!("{}/{name} is now the source of '{name}'; {manager} holds a copy", args.new_source);
    print_copies(ctx, &args.new_source, name).await;
    Ok(exit::OK)
}

pub async fn sync(ctx: &Ctx, command: SyncCommand) -> Result<i32> {
    let (rows, json) = match command {
        SyncCommand::Status(args) => (ctx.keyway.sync_status(&ctx.identity, args.profile.as_deref()).await?, args.json),
        SyncCommand::Run(args) => (ctx.keyway.sync_run(&ctx.identity, args.profile.as_deref()).await?, args.json),
    };
    if json {
        output::json(&serde_json::to_value(&rows).unwrap_or_default());
    } else {
        output::table(
            &["PROFILE", "SECRET", "SOURCE", "COPY", "STATE", "FINGERPRINT", "ATTEMPTS", "LAST ERROR"],
            &rows.iter().map(row).collect::<Vec<_>>(),
        );
    }
    let unsettled = rows.iter().any(|row| matches!(row.state.as_str(), "failed" | "drift" | "pending"));
    Ok(if unsettled { exit::BACKEND } else { exit::OK })
}

fn row(target: &SyncTarget) -> Vec<String> {
    let short = |fingerprint: &Option<String>| {
        fingerprint.as_deref().map_or_else(|| "-".to_owned(), |f| f.chars().take(16).collect())
    };
    let fingerprint = match (&target.fingerprint, &target.source_fingerprint) {
        (Some(copy), Some(source)) if copy == source => short(&target.fingerprint),
        _ => format!("{} (source {})", short(&target.fingerprint), short(&target.source_fingerprint)),
    };
    vec![
        target.profile.clone(),
        target.name.clone(),
        target.source.clone(),
        target.target.clone(),
        target.state.clone(),
        fingerprint,
        target.attempts.to_string(),
        target.last_error.clone().unwrap_or_default(),
    ]
}

/// After a write of a bound secret: where its copies stand, on standard error.
pub async fn print_copies(ctx: &Ctx, manager: &str, name: &str) {
    let Ok(copies) = ctx.keyway.copies_of(&ctx.identity, manager, name).await else { return };
    for copy in copies {
        match copy.state.as_str() {
            "synced" | "deleted" => eprintln!("  {}/{name}: {}", copy.target, copy.state),
            state => eprintln!(
                "  {}/{name}: {state}{} (retried by `keyway serve`, or `keyway sync run {}`)",
                copy.target,
                copy.last_error.as_deref().map(|error| format!(": {error}")).unwrap_or_default(),
                copy.profile
            ),
        }
    }
}
