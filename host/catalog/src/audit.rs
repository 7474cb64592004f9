//! The audit trail in keyway's records: each node appends its audit records (the same JSON lines as the audit
//! file, never a value) so a fleet has one trail to search, in the order each node wrote them.

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};

/// One audit record as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the trail (rising in the order rows were committed by each node).
    pub id: i64,
    /// The node that wrote it.
    pub node: String,
    /// When the node appended it (ms since the epoch).
    pub recorded_at: i64,
    /// The record: one JSON object, as in the audit file.
    pub line: String,
}

impl Catalog {
    /// Appends `lines` (JSON objects, one per record) for `node`, all or none.
    pub async fn append_audit(&self, node: &str, lines: &[&str]) -> Result<(), CatalogError> {
        if lines.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let insert = "INSERT INTO audit (node, recorded_at, line) VALUES ($1, $2, $3)";
        with_pool!(self, pool => async {
            let mut transaction = pool.begin().await?;
            for line in lines {
                sqlx::query(insert).bind(node).bind(now).bind(*line).execute(&mut *transaction).await?;
            }
            transaction.commit().await
        }.await)
        .map_err(|source| self.query_error("append audit records", source))
    }

    /// Up to `limit` audit records after `after` (an [`AuditEntry::id`]; 0 for the first), oldest first.
    pub async fn audit_after(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, CatalogError> {
        let select = "SELECT id, node, recorded_at, line FROM audit WHERE id > $1 ORDER BY id LIMIT $2";
        let rows: Vec<(i64, String, i64, String)> = with_pool!(self, pool => sqlx::query_as(select)
            .bind(after).bind(i64::from(limit))
            .fetch_all(pool).await)
        .map_err(|source| self.query_error("read audit records", source))?;
        Ok(rows.into_iter().map(|(id, node, recorded_at, line)| AuditEntry { id, node, recorded_at, line }).collect())
    }
}
