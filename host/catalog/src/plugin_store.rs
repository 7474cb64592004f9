//! The store keyway offers plugins, kept in keyway's records for managers with `storage: records`: one row per
//! key (`plugin_store`), each write a single statement, so a compare-and-swap is atomic across every node on
//! the database and acknowledged only once committed.

use crate::error::CatalogError;
use crate::pool::{with_pool, Catalog};

/// A key's value and version in a manager's store.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredValue {
    /// The plugin's bytes (never logged).
    pub value: Vec<u8>,
    /// The version token of the write that put them there.
    pub version: String,
}

impl std::fmt::Debug for StoredValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredValue")
            .field("value", &format_args!("{} bytes", self.value.len()))
            .field("version", &self.version)
            .finish()
    }
}

/// When a write of [`Catalog::store_write`] may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCondition<'a> {
    /// Whatever the key holds.
    Any,
    /// Only if the key does not exist.
    Absent,
    /// Only if the key's current version is this one.
    Version(&'a str),
}

impl Catalog {
    /// The value and version of `key` in `manager`'s store.
    pub async fn store_get(&self, manager: &str, key: &str) -> Result<Option<StoredValue>, CatalogError> {
        let select = "SELECT value, version FROM plugin_store WHERE manager = $1 AND key = $2";
        let row: Option<(Vec<u8>, String)> =
            with_pool!(self, pool => sqlx::query_as(select).bind(manager).bind(key).fetch_optional(pool).await)
                .map_err(|source| self.query_error("read the plugin store", source))?;
        Ok(row.map(|(value, version)| StoredValue { value, version }))
    }

    /// Writes `value` under `key` with token `version` if `condition` holds; true when written (committed).
    pub async fn store_write(
        &self,
        manager: &str,
        key: &str,
        condition: StoreCondition<'_>,
        value: &[u8],
        version: &str,
    ) -> Result<bool, CatalogError> {
        let size = i64::try_from(value.len()).unwrap_or(i64::MAX);
        let (statement, expected) = match condition {
            StoreCondition::Any => (
                "INSERT INTO plugin_store (manager, key, value, version, size) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (manager, key) DO UPDATE SET value = excluded.value, version = excluded.version, \
                 size = excluded.size",
                None,
            ),
            StoreCondition::Absent => (
                "INSERT INTO plugin_store (manager, key, value, version, size) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (manager, key) DO NOTHING",
                None,
            ),
            StoreCondition::Version(expected) => (
                "UPDATE plugin_store SET value = $3, version = $4, size = $5 \
                 WHERE manager = $1 AND key = $2 AND version = $6",
                Some(expected),
            ),
        };
        let written = with_pool!(self, pool => {
            let query = sqlx::query(statement).bind(manager).bind(key).bind(value).bind(version).bind(size);
            let query = match expected { Some(expected) => query.bind(expected), None => query };
            query.execute(pool).await.map(|done| done.rows_affected())
        })
        .map_err(|source| self.query_error("write the plugin store", source))?;
        Ok(written == 1)
    }

    /// Removes `key` from `manager`'s store; true when it existed.
    pub async fn store_delete(&self, manager: &str, key: &str) -> Result<bool, CatalogError> {
        let delete = "DELETE FROM plugin_store WHERE manager = $1 AND key = $2";
        let deleted = with_pool!(self, pool => sqlx::query(delete).bind(manager).bind(key).execute(pool).await
            .map(|done| done.rows_affected()))
        .map_err(|source| self.query_error("delete from the plugin store", source))?;
        Ok(deleted > 0)
    }

    /// Up to `limit` keys of `manager`'s store starting with `prefix` and after `after`, in byte order.
    pub async fn store_keys(
        &self,
        manager: &str,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, CatalogError> {
        let select = "SELECT key FROM plugin_store WHERE manager = $1 AND substr(key, 1, CAST($2 AS INTEGER)) = $3 AND key > $4 \
                      ORDER BY key LIMIT $5";
        let length = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
        let after = after.unwrap_or("");
        with_pool!(self, pool => sqlx::query_scalar(select)
            .bind(manager).bind(length).bind(prefix).bind(after).bind(i64::from(limit))
            .fetch_all(pool).await)
        .map_err(|source| self.query_error("list the plugin store", source))
    }

    /// The bytes the values of `manager`'s store take.
    pub async fn store_size(&self, manager: &str) -> Result<u64, CatalogError> {
        let select = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM plugin_store WHERE manager = $1";
        let size: i64 = with_pool!(self, pool => sqlx::query_scalar(select).bind(manager).fetch_one(pool).await)
            .map_err(|source| self.query_error("measure the plugin store", source))?;
        Ok(u64::try_from(size).unwrap_or(0))
    }
}
