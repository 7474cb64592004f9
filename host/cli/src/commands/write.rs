//! `put`, `update`, `delete`, `restore`.

use super::Ctx;
use crate::cli::{DeleteArgs, PutArgs, RefArgs, UpdateArgs};
use crate::input::{parse_expiry, parse_tags, read_value, require_value};
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::parse_reference;
use keyway::types::{DeleteMode, SecretMetadata, UpdateRequest, WriteOptions};

fn report(meta: &SecretMetadata, json: bool, verb: &str, manager: &str) {
    if json {
        output::json(&output::metadata_json(meta));
    } else {
        let version = meta.version_id.as_deref().map(|v| format!(" (version {v})")).unwrap_or_default();
        println!("{verb} {manager}/{}{version}", meta.name);
    }
}

pub async fn put(ctx: &Ctx, args: PutArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let value = require_value(&args.value)?;
    let options = WriteOptions {
        tags: parse_tags(&args.tags)?,
        description: args.description,
        expires_at: args.expires.as_deref().map(parse_expiry).transpose()?,
        // `--username` makes a basic-auth secret.
        secret_type: args.secret_type.or_else(|| args.value.username.as_ref().map(|_| "basic-auth".to_owned())),
        kms_key_id: args.kms_key,
        overwrite: args.overwrite,
        recover_deleted: args.recover,
    };
    let meta = ctx.keyway.create(&ctx.identity, manager, name, &value, &options).await?;
    report(&meta, args.json, "stored", manager);
    super::profiles::print_copies(ctx, manager, name).await;
    Ok(exit::OK)
}

pub async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let request = UpdateRequest {
        value: read_value(&args.value)?,
        description: args.description,
        expires_at: args.expires.as_deref().map(parse_expiry).transpose()?,
        enabled: if args.enable {
            Some(true)
        } else if args.disable {
            Some(false)
        } else {
            None
        },
        kms_key_id: args.kms_key,
        set_tags: parse_tags(&args.tags)?,
        remove_tags: args.untag,
    };
    if request == UpdateRequest::default() {
        return Err(keyway::KeywayError::InvalidInput(
            "nothing to update: give a value (argument, --file or --stdin) or an attribute (--tag, --untag, --description, --expires, --enable/--disable, --kms-key)".into(),
        )
        .into());
    }
    let meta = ctx.keyway.update(&ctx.identity, manager, name, &request).await?;
    report(&meta, args.json, "updated", manager);
    super::profiles::print_copies(ctx, manager, name).await;
    Ok(exit::OK)
}

pub async fn delete(ctx: &Ctx, args: DeleteArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let mode = if args.force { DeleteMode::Force } else { DeleteMode::Recoverable(args.recovery_days) };
    let purge_at = ctx.keyway.delete(&ctx.identity, manager, name, mode).await?;
    match purge_at {
        Some(when) => println!(
            "deleted {manager}/{name}; recoverable until {} (keyway restore {manager}/{name})",
            output::time(Some(when))
        ),
        None => println!("deleted {manager}/{name}"),
    }
    super::profiles::print_copies(ctx, manager, name).await;
    Ok(exit::OK)
}

pub async fn restore(ctx: &Ctx, args: RefArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let meta = ctx.keyway.restore(&ctx.identity, manager, name).await?;
    report(&meta, args.json, "restored", manager);
    super::profiles::print_copies(ctx, manager, name).await;
    Ok(exit::OK)
}

/// `keyway renew MANAGER/NAME`.
pub async fn renew(ctx: &Ctx, args: RefArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let outcome = ctx.keyway.renew(&ctx.identity, manager, name).await?;
    if args.json {
        output::json(&serde_json::json!({
            "manager": outcome.manager,
            "name": outcome.name,
            "version_id": outcome.version_id,
            "resumed": outcome.resumed,
        }));
    } else {
        let version = outcome.version_id.as_deref().map(|v| format!(" (version {v})")).unwrap_or_default();
        let resumed = if outcome.resumed { ", finishing the renewal left half-way" } else { "" };
        println!("renewed {manager}/{name}{version}{resumed}");
    }
    Ok(exit::OK)
}
