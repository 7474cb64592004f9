//! `keyway check`: each manager's backend asked for real, secrets read on request, secrets expiring soon;
//! a table or JSON, and an exit code for CI.

use super::Ctx;
use crate::cli::CheckArgs;
use crate::output;
use anyhow::Result;
use keyway::keyway::check::{CheckReport, CheckStatus};
use keyway::parse_reference;
use std::time::Duration;

/// Runs the check; returns its exit code (see `keyway check --help`).
pub async fn run(ctx: &Ctx, args: CheckArgs) -> Result<i32> {
    let mut reads = Vec::with_capacity(args.reads.len());
    for reference in &args.reads {
        let (manager, name) = parse_reference(reference)?;
        reads.push((manager.to_owned(), name.to_owned()));
    }
    let within: Duration = args.expiring_within.into();
    let report = ctx.keyway.check(&ctx.identity, &args.managers, &reads, within).await?;
    let code = report.exit_code();
    if args.json {
        output::json(&report_json(&report, within, code));
    } else {
        print_table(&report, within);
    }
    if let Some(summary) = failures(&report) {
        eprintln!("keyway: check failed: {summary}");
    }
    Ok(code)
}

/// The report as `keyway check --json` prints it.
fn report_json(report: &CheckReport, within: Duration, code: i32) -> serde_json::Value {
    let status = |status: &CheckStatus| serde_json::json!(status.name());
    let ms = |elapsed: Duration| (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let now = now_ms();
    serde_json::json!({
        "ok": code == keyway::error::exit::OK,
        "exit_code": code,
        "managers": report.managers.iter().map(|m| serde_json::json!({
            "name": m.name,
            "plugin": m.plugin,
            "status": status(&m.status),
            "message": m.status.message(),
            "probe": m.probe,
            "capabilities": m.capabilities,
            "elapsed_ms": ms(m.elapsed),
        })).collect::<Vec<_>>(),
        "reads": report.reads.iter().map(|r| serde_json::json!({
            "secret": format!("{}/{}", r.manager, r.name),
            "status": status(&r.status),
            "message": r.status.message(),
            "version": r.version,
            "elapsed_ms": ms(r.elapsed),
        })).collect::<Vec<_>>(),
        "catalog": { "status": status(&report.catalog), "message": report.catalog.message() },
        "expiring_within": humantime::format_duration(within).to_string(),
        "expiring": report.expiring.iter().map(|e| serde_json::json!({
            "secret": format!("{}/{}", e.manager, e.name),
            "type": e.secret_type,
            "expires_at": output::time(Some(e.expires_at)),
            "expired": e.expires_at <= now,
        })).collect::<Vec<_>>(),
    })
}

fn print_table(report: &CheckReport, within: Duration) {
    let message = |status: &CheckStatus| status.message().unwrap_or("").to_owned();
    let rows: Vec<Vec<String>> = report
        .managers
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.plugin.clone(),
                m.status.name().to_owned(),
                m.probe.to_owned(),
                millis(m.elapsed),
                if m.capabilities.is_empty() { "-".into() } else { m.capabilities.join(",") },
                message(&m.status),
            ]
        })
        .collect();
    output::table(&["MANAGER", "PLUGIN", "STATUS", "PROBE", "TIME", "CAPABILITIES", "MESSAGE"], &rows);
    if !report.reads.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = report
            .reads
            .iter()
            .map(|r| {
                vec![
                    format!("{}/{}", r.manager, r.name),
                    r.status.name().to_owned(),
                    r.version.clone().unwrap_or_else(|| "-".into()),
                    millis(r.elapsed),
                    message(&r.status),
                ]
            })
            .collect();
        output::table(&["READ", "STATUS", "VERSION", "TIME", "MESSAGE"], &rows);
    }
    if report.catalog != CheckStatus::Ok {
        println!("\nkeyway's records: {}: {}", report.catalog.name(), message(&report.catalog));
    }
    let within = humantime::format_duration(within);
    println!();
    if report.expiring.is_empty() {
        println!("No secret keyway knows of expires within {within}.");
        return;
    }
    let now = now_ms();
    let rows: Vec<Vec<String>> = report
        .expiring
        .iter()
        .map(|e| {
            let when = if e.expires_at <= now {
                "expired".to_owned()
            } else {
                format!("in {}", humantime::format_duration(Duration::from_secs((e.expires_at - now) / 60_000 * 60)))
            };
            vec![
                format!("{}/{}", e.manager, e.name),
                e.secret_type.clone().unwrap_or_else(|| "-".into()),
                output::time(Some(e.expires_at)),
                when,
            ]
        })
        .collect();
    println!("Warning: {} secret(s) expire within {within}:", report.expiring.len());
    output::table(&["SECRET", "TYPE", "EXPIRES", "WHEN"], &rows);
}

/// One line naming what failed, when anything did.
fn failures(report: &CheckReport) -> Option<String> {
    let failed = |status: &CheckStatus| matches!(status, CheckStatus::Failed(_) | CheckStatus::Misconfigured(_));
    let managers = report.managers.iter().map(|m| (format!("manager '{}' ({})", m.name, m.plugin), &m.status));
    let reads = report.reads.iter().map(|r| (format!("reading '{}/{}'", r.manager, r.name), &r.status));
    let mut parts: Vec<String> = managers
        .chain(reads)
        .filter(|(_, status)| failed(status))
        .map(|(what, status)| format!("{what} {}: {}", status.name(), status.message().unwrap_or("")))
        .collect();
    if failed(&report.catalog) {
        parts.push(format!("keyway's records: {}", report.catalog.message().unwrap_or("")));
    }
    (!parts.is_empty()).then(|| keyway::sanitize(&parts.join("; "), 4096).replace(['\n', '\r'], " "))
}

fn millis(elapsed: Duration) -> String {
    format!("{} ms", elapsed.as_millis())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
