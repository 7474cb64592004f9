//! `managers` and `plugins`.

use super::Ctx;
use crate::cli::FormatArgs;
use crate::output;
use anyhow::Result;
use keyway::error::exit;

pub async fn managers(ctx: &Ctx, args: FormatArgs) -> Result<i32> {
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for name in ctx.keyway.manager_names() {
        let config = ctx.keyway.manager_config(name)?;
        let (status, capabilities, egress) = match ctx.keyway.manager(name).await {
            Ok(manager) => {
                ("ok".to_owned(), manager.capabilities().names().join(","), manager.connection().egress().join(","))
            }
            Err(err) => (format!("error: {err}"), String::new(), String::new()),
        };
        let mut access: Vec<String> = Vec::new();
        access.extend(config.access.namespaces.iter().map(|n| format!("ns:{n}")));
        access.extend(config.access.groups.iter().map(|g| format!("group:{g}")));
        items.push(serde_json::json!({
            "name": name,
            "plugin": config.plugin,
            "prefix": config.prefix,
            "read_only": config.read_only,
            "access": access,
            "capabilities": capabilities,
            "egress": egress,
            "status": status,
        }));
        rows.push(vec![
            name.to_owned(),
            config.plugin.clone(),
            config.prefix.clone().unwrap_or_else(|| "-".into()),
            if config.read_only { "yes".into() } else { "no".into() },
            if access.is_empty() { "everyone".into() } else { access.join(",") },
            if capabilities.is_empty() { "-".into() } else { capabilities },
            status,
        ]);
    }
    if args.json {
        output::json(&serde_json::Value::Array(items));
    } else {
        output::table(&["MANAGER", "PLUGIN", "PREFIX", "READ-ONLY", "ACCESS", "CAPABILITIES", "STATUS"], &rows);
    }
    Ok(exit::OK)
}

pub async fn plugins(ctx: &Ctx, args: FormatArgs) -> Result<i32> {
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for name in ctx.keyway.plugins().available() {
        let plugin = ctx.keyway.plugins().get(ctx.keyway.runtime(), &name)?;
        let manifest = plugin.manifest();
        let settings: Vec<String> = manifest
            .settings
            .iter()
            .map(|(field, spec)| format!("{field}{}", if spec.required { "*" } else { "" }))
            .collect();
        items.push(serde_json::json!({
            "name": manifest.name,
            "version": manifest.version,
            "contract": manifest.contract,
            "description": manifest.description,
            "egress": manifest.egress,
            "settings": settings,
            "size_bytes": plugin.size(),
            "sha256": plugin.digest(),
            "load_ms": plugin.load_time().as_secs_f64() * 1000.0,
        }));
        rows.push(vec![
            manifest.name.clone(),
            manifest.version.clone(),
            format!("{} KiB", plugin.size() / 1024),
            match manifest.egress.as_slice() {
                [] => "-".into(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
            },
            manifest.description.clone(),
        ]);
    }
    if args.json {
        output::json(&serde_json::Value::Array(items));
    } else {
        output::table(&["PLUGIN", "VERSION", "SIZE", "DEFAULT EGRESS", "DESCRIPTION"], &rows);
        println!("\nCapabilities depend on a manager's settings: see `keyway managers`.");
    }
    Ok(exit::OK)
}
