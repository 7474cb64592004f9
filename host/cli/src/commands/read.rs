//! `get`, `describe`, `list`, `versions`.

use super::Ctx;
use crate::cli::{ErrorsArgs, GetArgs, ListArgs, RefArgs, VersionsArgs};
use crate::input::parse_tags;
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::parse_reference;
use keyway::types::{ListRequest, VersionSelector};
use keyway::KeywayError;
use keyway::{KeyError, SecretError};
use std::io::Write;

pub async fn get(ctx: &Ctx, args: GetArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let selector = match (args.version, args.label) {
        (Some(id), _) => VersionSelector::Id(id),
        (None, Some(label)) => VersionSelector::Label(label),
        (None, None) => VersionSelector::Latest,
    };
    let secret = match ctx.keyway.get(&ctx.identity, manager, name, &selector).await {
        Ok(secret) => secret,
        // `MANAGER/NAME/KEY` as in a placeholder: the full path was no secret, so the last segment may be a
        // key of a JSON secret (by the manager's key rule, as `${secret:MANAGER/NAME/KEY}` reads it).
        Err(error) if error.exit_code() == exit::NOT_FOUND && args.key.is_none() && name.contains('/') => {
            return get_as_placeholder(ctx, manager, name, &selector, args.json, error).await;
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(key) = &args.key {
        let field = secret.key(key).map_err(|err| {
            KeywayError::InvalidInput(match err {
                KeyError::MissingKey => format!("{manager}/{name} has no key '{key}'"),
                _ => format!("{manager}/{name} is not a JSON key/value secret, so it has no key '{key}'"),
            })
        })?;
        if args.json {
            output::json(
                &serde_json::json!({ "key": key, "value": field, "metadata": output::metadata_json(secret.metadata()) }),
            );
        } else {
            std::io::stdout().write_all(field.as_bytes())?;
        }
        return Ok(exit::OK);
    }
    if args.json {
        let value = secret.value();
        output::json(&serde_json::json!({
            "value": value.to_text_or_base64().as_str(),
            "binary": value.is_binary(),
            "metadata": output::metadata_json(secret.metadata()),
        }));
    } else {
        std::io::stdout().write_all(secret.value().expose_bytes())?;
    }
    Ok(exit::OK)
}

/// `keyway get MANAGER/NAME/KEY` when `NAME/KEY` is no secret: resolved exactly as the placeholder
/// `${secret:MANAGER/NAME/KEY}` (through the facade's resolution: access rules, key rule, audit). When the
/// reference cannot be written as a placeholder, or no secret `NAME` exists, `not_found` (the error of the
/// plain read) is the answer.
async fn get_as_placeholder(
    ctx: &Ctx,
    manager: &str,
    name: &str,
    selector: &VersionSelector,
    json: bool,
    not_found: KeywayError,
) -> Result<i32> {
    let query = match selector {
        VersionSelector::Latest => String::new(),
        VersionSelector::Id(id) => format!("?version={id}"),
        VersionSelector::Label(label) => format!("?label={label}"),
    };
    let reference = format!("{manager}/{name}{query}");
    if reference.contains(['{', '}', '$']) || reference.matches('?').count() > usize::from(!query.is_empty()) {
        return Err(not_found.into());
    }
    // Only when the secret the key would be read from exists (metadata only, audited): otherwise the plain
    // read's "not found" stands, and it is the one kept in the error history.
    let (parent, key) = name.rsplit_once('/').unwrap_or((name, ""));
    if ctx.keyway.describe(&ctx.identity, manager, parent, selector).await.is_err() {
        return Err(not_found.into());
    }
    let step = serde_json::Value::String(format!("${{secret:{reference}}}"));
    let resolved = match ctx.keyway.resolve(&ctx.identity, &step).await {
        Ok(resolved) => resolved,
        // A name the placeholder syntax cannot carry: the plain read's answer stands.
        Err(KeywayError::Resolve(error)) if matches!(error.cause(), SecretError::Malformed(_)) => {
            return Err(not_found.into())
        }
        // The resolver's own words, without the step path a one-placeholder step would add.
        Err(KeywayError::Resolve(error)) => return Err(KeywayError::Secret(error.cause().clone()).into()),
        Err(error) => return Err(error.into()),
    };
    let mut value = resolved.into_value();
    let text = value.as_str().unwrap_or_default();
    if json {
        // The secret the key was read from, for its metadata (cached by the resolution just made).
        let secret = ctx.keyway.get(&ctx.identity, manager, parent, selector).await?;
        output::json(
            &serde_json::json!({ "key": key, "value": text, "metadata": output::metadata_json(secret.metadata()) }),
        );
    } else {
        std::io::stdout().write_all(text.as_bytes())?;
    }
    if let serde_json::Value::String(text) = &mut value {
        zeroize::Zeroize::zeroize(text);
    }
    Ok(exit::OK)
}

pub async fn describe(ctx: &Ctx, args: RefArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    let described = ctx.keyway.describe(&ctx.identity, manager, name, &VersionSelector::Latest).await;
    let request = ctx.keyway.latest_request(&ctx.identity, manager, name).await.ok().flatten();
    let meta = match (described, &request) {
        (Ok(meta), _) => meta,
        (Err(error), Some(request)) if error.exit_code() == exit::NOT_FOUND && request.state == "pending" => {
            return Err(super::Failure::new(
                exit::NOT_FOUND,
                format!("{error}; its {} waits for approval (request {})", request.operation, request.id),
            )
            .into());
        }
        (Err(error), _) => return Err(error.into()),
    };
    if args.json {
        let mut json = output::metadata_json(&meta);
        if let Some(request) = &request {
            json["approval"] =
                serde_json::json!({ "request": request.id, "state": request.state, "operation": request.operation });
        }
        output::json(&json);
    } else {
        output::metadata_lines(&meta);
        if let Some(request) = &request {
            let state = match request.state.as_str() {
                "pending" => "pending approval".to_owned(),
                other => other.to_owned(),
            };
            println!("{:<12} {state} ({} request {})", "approval", request.operation, request.id);
        }
    }
    Ok(exit::OK)
}

/// The most pages `keyway list` reads.
const MAX_LIST_PAGES: usize = 10_000;

/// The most secrets `keyway list` gathers.
const MAX_LIST_ITEMS: usize = 1_000_000;

pub async fn list(ctx: &Ctx, args: ListArgs) -> Result<i32> {
    let mut request = ListRequest {
        prefix: args.prefix.clone(),
        tags: parse_tags(&args.tags)?,
        include_deleted: args.include_deleted,
        ..ListRequest::default()
    };
    let mut secrets = Vec::new();
    let mut pages = 0;
    loop {
        let page = ctx.keyway.list(&ctx.identity, &args.manager, &request).await?;
        secrets.extend(page.secrets);
        pages += 1;
        match page.next_page {
            // A backend (or plugin) whose pages never end must not hold the command forever.
            Some(_) if pages >= MAX_LIST_PAGES || secrets.len() >= MAX_LIST_ITEMS => {
                return Err(KeywayError::InvalidInput(format!(
                    "manager '{}' is still listing after {pages} pages and {} secrets; narrow it with --prefix or --tag",
                    args.manager,
                    secrets.len()
                ))
                .into());
            }
            Some(token) => request.page_token = Some(token),
            None => break,
        }
    }
    if args.json {
        output::json(&serde_json::Value::Array(secrets.iter().map(output::metadata_json).collect()));
        return Ok(exit::OK);
    }
    let rows: Vec<Vec<String>> = secrets
        .iter()
        .map(|m| {
            let tags: Vec<String> = m.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                m.name.clone(),
                m.version_id.clone().unwrap_or_else(|| "-".into()),
                output::time(m.updated_at.or(m.created_at)),
                output::state(m).into(),
                tags.join(","),
            ]
        })
        .collect();
    output::table(&["NAME", "VERSION", "UPDATED", "STATE", "TAGS"], &rows);
    Ok(exit::OK)
}

pub async fn versions(ctx: &Ctx, args: VersionsArgs) -> Result<i32> {
    let (manager, name) = parse_reference(&args.reference)?;
    if args.history {
        return history(ctx, manager, name, args.json).await;
    }
    let versions = ctx.keyway.versions(&ctx.identity, manager, name).await?;
    if args.json {
        output::json(&output::versions_json(&versions));
        return Ok(exit::OK);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version_id.clone(),
                v.labels.join(","),
                output::time(v.created_at),
                format!("{:?}", v.state).to_lowercase(),
            ]
        })
        .collect();
    output::table(&["VERSION", "LABELS", "CREATED", "STATE"], &rows);
    Ok(exit::OK)
}

/// `keyway versions --history`: keyway's records of a secret's versions.
async fn history(ctx: &Ctx, manager: &str, name: &str, json: bool) -> Result<i32> {
    let history = ctx.keyway.history(&ctx.identity, manager, name).await?;
    if json {
        output::json(&crate::serve::history_json(&history));
        return Ok(exit::OK);
    }
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|entry| {
            vec![
                entry.number.to_string(),
                entry.backend_version.clone().unwrap_or_else(|| "-".into()),
                entry.fingerprint.short().to_owned(),
                entry.secret_type.clone().unwrap_or_else(|| "-".into()),
                entry.origin.as_str().to_owned(),
                entry.actor.clone().unwrap_or_else(|| "-".into()),
                output::time_ms(entry.recorded_at),
            ]
        })
        .collect();
    output::table(&["#", "VERSION", "FINGERPRINT", "TYPE", "ORIGIN", "BY", "RECORDED"], &rows);
    Ok(exit::OK)
}

/// `keyway errors [MANAGER[/NAME]]`: what went wrong with secrets, newest first.
pub async fn errors(ctx: &Ctx, args: ErrorsArgs) -> Result<i32> {
    let (manager, name) = match args.scope.as_deref() {
        None => (None, None),
        Some(scope) => match scope.split_once('/') {
            Some((manager, name)) if !name.is_empty() => (Some(manager.to_owned()), Some(name.to_owned())),
            _ => (Some(scope.trim_end_matches('/').to_owned()), None),
        },
    };
    let filter = keyway::catalog::ErrorFilter { manager, name, since: None, limit: Some(args.limit) };
    let errors = ctx.keyway.errors(&ctx.identity, &filter).await?;
    if args.json {
        output::json(&crate::serve::errors_json(&errors));
        return Ok(exit::OK);
    }
    let rows: Vec<Vec<String>> = errors
        .iter()
        .map(|entry| {
            vec![
                output::time_ms(entry.at),
                format!("{}/{}", entry.manager, entry.name),
                entry.operation.clone(),
                entry.kind.clone(),
                entry.message.clone(),
            ]
        })
        .collect();
    output::table(&["WHEN", "SECRET", "OPERATION", "KIND", "MESSAGE"], &rows);
    Ok(exit::OK)
}

/// `keyway compliance report [PROFILE]`: every finding; exit 1 when a blocking rule is broken.
pub async fn compliance(ctx: &Ctx, args: crate::cli::ReportArgs) -> Result<i32> {
    let findings = ctx.keyway.compliance_report(&ctx.identity, args.profile.as_deref()).await?;
    if args.json {
        output::json(&serde_json::to_value(&findings).unwrap_or_default());
    } else {
        let rows: Vec<Vec<String>> = findings
            .iter()
            .map(|f| {
                vec![
                    f.profile.clone(),
                    format!("{}/{}", f.manager, f.name),
                    f.rule.to_owned(),
                    if f.blocking { "blocking" } else { "advisory" }.to_owned(),
                    f.problem.clone(),
                ]
            })
            .collect();
        output::table(&["PROFILE", "SECRET", "RULE", "SEVERITY", "FINDING"], &rows);
    }
    Ok(if findings.iter().any(|f| f.blocking) { exit::BACKEND } else { exit::OK })
}
