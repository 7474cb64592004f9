//! Printing metadata: aligned tables or JSON; timestamps in RFC 3339.

use keyway::types::{SecretMetadata, Timestamp, VersionInfo};
use std::time::{Duration, UNIX_EPOCH};

/// A timestamp as RFC 3339 (seconds).
pub fn time(ts: Option<Timestamp>) -> String {
    ts.map(|ms| humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string())
        .unwrap_or_else(|| "-".into())
}

/// A catalog timestamp (milliseconds since the epoch, signed) as RFC 3339 (seconds).
pub fn time_ms(ms: i64) -> String {
    time(u64::try_from(ms).ok())
}

/// Prints rows as an aligned table with a header. Cells are text from backends and plugins: control
/// characters are escaped, so a name cannot drive the terminal.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> =
        rows.iter().map(|row| row.iter().map(|cell| keyway::sanitize(cell, 4096)).collect()).collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Metadata as JSON with readable times.
pub fn metadata_json(meta: &SecretMetadata) -> serde_json::Value {
    let mut value = serde_json::to_value(meta).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("state".into(), serde_json::Value::from(state(meta)));
        for field in ["created_at", "updated_at", "expires_at", "not_before", "deleted_at", "purge_at"] {
            if let Some(ms) = map.get(field).and_then(|v| v.as_u64()) {
                map.insert(field.into(), serde_json::Value::String(time(Some(ms))));
            }
        }
    }
    value
}

/// A secret's state as listings show it: `deleted`, `expired`, `not-yet-valid`, `disabled` or `enabled`.
pub fn state(meta: &SecretMetadata) -> &'static str {
    let now = std::time::SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    if meta.deleted_at.is_some() {
        "deleted"
    } else if meta.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else if meta.not_before.is_some_and(|from| from > now) {
        "not-yet-valid"
    } else if meta.enabled {
        "enabled"
    } else {
        "disabled"
    }
}

/// Versions as JSON with readable times.
pub fn versions_json(versions: &[VersionInfo]) -> serde_json::Value {
    let mut value = serde_json::to_value(versions).unwrap_or_default();
    for version in value.as_array_mut().into_iter().flatten() {
        if let Some(ms) = version.get("created_at").and_then(|v| v.as_u64()) {
            version["created_at"] = serde_json::Value::String(time(Some(ms)));
        }
    }
    value
}

/// Prints one secret's metadata as `field: value` lines.
pub fn metadata_lines(meta: &SecretMetadata) {
    let tags: Vec<String> = meta.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let rows = [
        ("name", meta.name.clone()),
        ("version", meta.version_id.clone().unwrap_or_else(|| "-".into())),
        ("labels", if meta.version_labels.is_empty() { "-".into() } else { meta.version_labels.join(",") }),
        ("enabled", meta.enabled.to_string()),
        ("type", meta.secret_type.clone().unwrap_or_else(|| "-".into())),
        ("description", meta.description.clone().unwrap_or_else(|| "-".into())),
        ("tags", if tags.is_empty() { "-".into() } else { tags.join(",") }),
        ("created", time(meta.created_at)),
        ("updated", time(meta.updated_at)),
        ("expires", time(meta.expires_at)),
        ("kms key", meta.kms_key_id.clone().unwrap_or_else(|| "-".into())),
        ("deleted", time(meta.deleted_at)),
        ("purge at", time(meta.purge_at)),
    ];
    for (field, value) in rows {
        println!("{field:<12} {}", keyway::sanitize(&value, 4096));
    }
}

/// Prints JSON, pretty.
pub fn json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}
