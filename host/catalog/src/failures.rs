//! Error history: what went wrong with each secret, kept within bounds.
//!
//! Messages are stored as the caller gives them: they must never hold a value
//! (keyway's errors never do; the facade passes only those).

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::SqlRow;
use serde::Serialize;

/// An error to record.
#[derive(Debug, Clone)]
pub struct NewError<'a> {
    /// The manager.
    pub manager: &'a str,
    /// The secret's name (empty for errors of the whole manager).
    pub name: &'a str,
    /// What was being done: `get`, `resolve`, `create`, `renew`, `sync`, …
    pub operation: &'a str,
    /// The error's kind (`not-found`, `unavailable`, `expired`, …).
    pub kind: &'a str,
    /// What went wrong (never a value).
    pub message: &'a str,
    /// Who asked, as text.
    pub actor: Option<&'a str>,
}

/// A recorded error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEntry {
    /// The manager.
    pub manager: String,
    /// The secret's name.
    pub name: String,
    /// When it happened (ms since the epoch).
    pub at: i64,
    /// What was being done.
    pub operation: String,
    /// The error's kind.
    pub kind: String,
    /// What went wrong.
    pub message: String,
    /// Who asked.
    pub actor: Option<String>,
}

/// Which errors to read.
#[derive(Debug, Clone, Default)]
pub struct ErrorFilter {
    /// Only this manager's.
    pub manager: Option<String>,
    /// Only this secret's (with `manager`).
    pub name: Option<String>,
    /// Only those at or after this time (ms since the epoch).
    pub since: Option<i64>,
    /// At most this many, newest first (default 100).
    pub limit: Option<u32>,
}

const COLUMNS: &str = "manager, name, at, operation, kind, message, actor";
/// The longest message kept, in characters.
const MAX_MESSAGE: usize = 2000;

fn entry(row: &impl SqlRow) -> Result<ErrorEntry, sqlx::Error> {
    Ok(ErrorEntry {
        manager: row.text("manager")?,
        name: row.text("name")?,
        at: row.int("at")?,
        operation: row.text("operation")?,
        kind: row.text("kind")?,
        message: row.text("message")?,
        actor: row.maybe_text("actor")?,
    })
}

impl Catalog {
    /// Records an error of a secret and drops what retention no longer keeps of its history.
    pub async fn record_error(&self, error: &NewError<'_>) -> Result<(), CatalogError> {
        let message: String = error.message.chars().take(MAX_MESSAGE).collect();
        let now = now_ms();
        let insert = "INSERT INTO errors (manager, name, at, operation, kind, message, actor) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7)";
        with_pool!(self, pool => sqlx::query(insert)
            .bind(error.manager).bind(error.name).bind(now).bind(error.operation).bind(error.kind)
            .bind(&message).bind(error.actor)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map_err(|source| self.query_error("record an error", source))?;
        let keep = i64::from(self.retention.errors_per_secret.max(1));
        let oldest = now - i64::from(self.retention.error_days) * 86_400_000;
        let prune = "DELETE FROM errors WHERE manager = $1 AND name = $2 AND (at < $3 OR id <= \
                     (SELECT id FROM errors WHERE manager = $1 AND name = $2 ORDER BY id DESC LIMIT 1 OFFSET $4))";
        with_pool!(self, pool => sqlx::query(prune)
            .bind(error.manager).bind(error.name).bind(oldest).bind(keep)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("apply the error retention", source))
    }

    /// Recorded errors, newest first.
    pub async fn errors(&self, filter: &ErrorFilter) -> Result<Vec<ErrorEntry>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM errors WHERE ($1 IS NULL OR manager = $1) AND ($2 IS NULL OR name = $2) \
             AND at >= $3 ORDER BY at DESC, id DESC LIMIT $4"
        );
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 10_000));
        with_pool!(self, pool => {
            let rows = sqlx::query(&query)
                .bind(filter.manager.as_deref()).bind(filter.name.as_deref())
                .bind(filter.since.unwrap_or(0)).bind(limit)
                .fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read the error history", source))
    }
}
