//! `keyway cache list` and `keyway cache clear`: the cache lives in the long-running `keyway serve`, so these
//! ask it over HTTP (`--server`, `$KEYWAY_SERVER`), with the bearer token from `--token-env` when set, else
//! from the token file the service wrote to keyway's home, and the caller's identity in the `X-Keyway-*`
//! headers.

use super::Failure;
use crate::cli::{CacheClearArgs, CacheCommand, CacheListArgs, ServerArgs};
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::{Identity, KeywayError};
use reqwest::{Method, Url};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// How long to wait for the service.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Runs `keyway cache ...`.
pub async fn run(command: &CacheCommand, identity: &Identity, config: Option<&Path>) -> Result<i32> {
    match command {
        CacheCommand::List(args) => list(args, identity, config).await,
        CacheCommand::Clear(args) => clear(args, identity, config).await,
    }
}

async fn list(args: &CacheListArgs, identity: &Identity, config: Option<&Path>) -> Result<i32> {
    let answer = call(&args.server, identity, config, Method::GET, &["v1", "cache"]).await?;
    let entries = answer["entries"].as_array().cloned().unwrap_or_default();
    if args.json {
        output::json(&Value::Array(entries));
        return Ok(exit::OK);
    }
    let text = |entry: &Value, field: &str| match &entry[field] {
        Value::String(text) => text.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    let duration = |entry: &Value, field: &str| {
        let ms = entry[field].as_u64().unwrap_or(0);
        humantime::format_duration(Duration::from_secs(ms.div_ceil(1000))).to_string()
    };
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|entry| {
            vec![
                text(entry, "manager"),
                text(entry, "name"),
                text(entry, "selector"),
                text(entry, "version_id"),
                text(entry, "state"),
                duration(entry, "age_ms"),
                duration(entry, "expires_in_ms"),
                text(entry, "hits"),
            ]
        })
        .collect();
    output::table(&["MANAGER", "NAME", "SELECTOR", "VERSION", "STATE", "AGE", "EXPIRES IN", "HITS"], &rows);
    Ok(exit::OK)
}

async fn clear(args: &CacheClearArgs, identity: &Identity, config: Option<&Path>) -> Result<i32> {
    let mut path = vec!["v1", "cache"];
    if let Some(target) = &args.target {
        let (manager, name) = target.split_once('/').map_or((target.as_str(), None), |(m, n)| (m, Some(n)));
        if manager.is_empty() || name.is_some_and(str::is_empty) {
            return Err(KeywayError::InvalidInput(format!(
                "'{target}' is not MANAGER or MANAGER/NAME; write for example `keyway cache clear local/db/password`"
            ))
            .into());
        }
        path.push(manager);
        path.extend(name.into_iter().flat_map(|name| name.split('/')));
    }
    let answer = call(&args.server, identity, config, Method::DELETE, &path).await?;
    let dropped = answer["entries_dropped"].as_u64().unwrap_or(0);
    let what = match args.target.as_deref() {
        None => "the whole cache".to_owned(),
        Some(target) if target.contains('/') => target.to_owned(),
        Some(manager) => format!("manager {manager}"),
    };
    let entries = if dropped == 1 { "entry" } else { "entries" };
    println!("cleared {what} ({dropped} cache {entries} dropped)");
    Ok(exit::OK)
}

/// Calls the service; a failure becomes one clear line and an exit code from the error's kind.
async fn call(
    server: &ServerArgs,
    identity: &Identity,
    config: Option<&Path>,
    method: Method,
    path: &[&str],
) -> Result<Value> {
    let mut url = Url::parse(&server.server).map_err(|err| {
        KeywayError::InvalidInput(format!(
            "--server '{}' is not a URL ({err}); e.g. http://127.0.0.1:8750",
            server.server
        ))
    })?;
    url.path_segments_mut()
        .map_err(|_| KeywayError::InvalidInput(format!("--server '{}' cannot take a path", server.server)))?
        .pop_if_empty()
        .extend(path);
    let mut builder = reqwest::Client::builder().timeout(TIMEOUT);
    if let Some(path) = &server.ca_file {
        let pem = std::fs::read(path)
            .map_err(|err| KeywayError::InvalidInput(format!("--ca-file {}: {err}", path.display())))?;
        let certificate = reqwest::Certificate::from_pem(&pem)
            .map_err(|_| KeywayError::InvalidInput(format!("--ca-file {}: not a PEM certificate", path.display())))?;
        builder = builder.add_root_certificate(certificate);
    }
    let client = builder.build()?;
    let mut request = client.request(method, url.clone());
    let token = match std::env::var(&server.token_env).ok().filter(|token| !token.trim().is_empty()) {
        Some(token) => Some(Zeroizing::new(token)),
        None => service_token_file(config)?,
    };
    if let Some(token) = &token {
        request = request.bearer_auth(token.trim());
    }
    if let Some(namespace) = &identity.namespace {
        request = request.header("X-Keyway-Namespace", namespace);
    }
    if !identity.groups.is_empty() {
        request = request.header("X-Keyway-Groups", identity.groups.join(","));
    }
    if let Some(flow) = &identity.flow {
        request = request.header("X-Keyway-Flow", flow);
    }
    let response = request.send().await.map_err(|err| {
        let why = if err.is_connect() {
            "nothing answers there".to_owned()
        } else if err.is_timeout() {
            format!("no answer within {}s", TIMEOUT.as_secs())
        } else {
            err.without_url().to_string()
        };
        Failure::new(
            exit::BACKEND,
            format!(
                "no keyway service at {} ({why}): the cache lives in a running `keyway serve`; start one, or point \
                 --server (or KEYWAY_SERVER) at it",
                server.server
            ),
        )
    })?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let kind = body["error"]["kind"].as_str().unwrap_or("");
    let message = body["error"]["message"].as_str().map_or_else(|| format!("HTTP {status}"), str::to_owned);
    let (code, hint) = match kind {
        "unauthorized" => (
            exit::DENIED,
            format!(
                " (set the token in ${}, or name its variable with --token-env; without one, the token file of the \
                 service in keyway's home is used)",
                server.token_env
            ),
        ),
        "out-of-scope" => (exit::DENIED, String::new()),
        "denied" => (exit::DENIED, " (pass --namespace/--group the manager's access rules allow)".to_owned()),
        "unknown-manager" => (exit::CONFIG, String::new()),
        "not-found" => (exit::NOT_FOUND, String::new()),
        "invalid" => (exit::INVALID, String::new()),
        _ => (exit::BACKEND, String::new()),
    };
    Err(Failure::new(code, format!("the service refused: {message}{hint}")).into())
}

/// The token of the service's built-in client, from the token file it wrote (`serve.token_file`, default
/// `<home>/serve.token`); `None` when there is no such file (the service has clients of its own).
fn service_token_file(config: Option<&Path>) -> Result<Option<Zeroizing<String>>> {
    let (config, _) = keyway::Config::load(config)?;
    if !config.serve.clients.is_empty() {
        return Ok(None);
    }
    let path = config.serve.token_path(&config.home());
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(keyway::clients::read_token_file(&path)?))
}
