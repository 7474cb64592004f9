//! `managers` and `plugins`.

use super::Ctx;
use crate::cli::FormatArgs;
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::{Keyway, KeywayError};

/// One manager as `keyway managers --json` and the service's `GET /v1/managers` show it; connects it.
pub async fn manager_json(keyway: &Keyway, name: &str) -> Result<serde_json::Value, KeywayError> {
    let config = keyway.manager_config(name)?;
    let manager = keyway.manager_status(name).await?;
    let status = match &manager.status {
        Ok(()) => "ok".to_owned(),
        Err(err) => format!("error: {err}"),
    };
    let (capabilities, egress) = (manager.capabilities, manager.egress);
    let mut access: Vec<String> = Vec::new();
    access.extend(config.access.namespaces.iter().map(|n| format!("ns:{n}")));
    access.extend(config.access.groups.iter().map(|g| format!("group:{g}")));
    Ok(serde_json::json!({
        "name": name,
        "plugin": config.plugin,
        "prefix": config.prefix,
        "read_only": config.read_only,
        "access": access,
        "capabilities": capabilities.join(","),
        "egress": egress.join(","),
        "status": status,
    }))
}

pub async fn managers(ctx: &Ctx, args: FormatArgs) -> Result<i32> {
    let mut items = Vec::new();
    for name in ctx.keyway.manager_names() {
        items.push(manager_json(&ctx.keyway, name).await?);
    }
    if args.json {
        output::json(&serde_json::Value::Array(items));
        return Ok(exit::OK);
    }
    let text = |item: &serde_json::Value, field: &str| match item[field].as_str() {
        Some("") | None => "-".to_owned(),
        Some(text) => text.to_owned(),
    };
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            let access: Vec<&str> =
                item["access"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
            vec![
                text(item, "name"),
                text(item, "plugin"),
                text(item, "prefix"),
                if item["read_only"] == true { "yes".into() } else { "no".into() },
                if access.is_empty() { "everyone".into() } else { access.join(",") },
                text(item, "capabilities"),
                text(item, "status"),
            ]
        })
        .collect();
    output::table(&["MANAGER", "PLUGIN", "PREFIX", "READ-ONLY", "ACCESS", "CAPABILITIES", "STATUS"], &rows);
    Ok(exit::OK)
}

pub async fn plugins(ctx: &Ctx, args: FormatArgs) -> Result<i32> {
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for (name, loaded) in ctx.keyway.plugin_listing() {
        let plugin = match loaded {
            Ok(plugin) => plugin,
            Err(err) => {
                // One broken plugin is reported in its row; the others are still listed.
                items.push(serde_json::json!({ "name": name, "error": err.to_string() }));
                rows.push(vec![name, "-".into(), "-".into(), "-".into(), "-".into(), format!("error: {err}")]);
                continue;
            }
        };
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
            plugin.digest().to_owned(),
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
        output::table(&["PLUGIN", "VERSION", "SIZE", "SHA-256", "DEFAULT EGRESS", "DESCRIPTION"], &rows);
        println!("\nCapabilities depend on a manager's settings: see `keyway managers`.");
    }
    Ok(exit::OK)
}
