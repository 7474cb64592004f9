//! Version history: every version keyway writes or first observes, numbered
//! per secret, with its keyed fingerprint and where it came from.
//!
//! A write through keyway records its version as `keyway` with the writer's
//! identity. A version keyway reads from a backend without having recorded it
//! is recorded as `outside` (changed outside keyway), or `first-seen` when it
//! is the first keyway ever saw of that secret. When a write and a read of the
//! same new version race, the write's record wins: the version is keyway's.
//! Recording is idempotent: the same backend version is recorded once.

use crate::error::CatalogError;
use crate::key::Fingerprint;
use crate::now_ms;
use crate::pool::{with_pool, Catalog, Pool};
use serde::Serialize;
use sqlx::Row;

/// Where a recorded version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Origin {
    /// Written through keyway.
    Keyway,
    /// Found on the backend, changed outside keyway.
    Outside,
    /// The first version keyway saw of a secret it had no record of.
    FirstSeen,
}

impl Origin {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyway => "keyway",
            Self::Outside => "outside",
            Self::FirstSeen => "first-seen",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "keyway" => Self::Keyway,
            "first-seen" => Self::FirstSeen,
            _ => Self::Outside,
        }
    }
}

/// A version to record.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The manager holding it.
    pub manager: &'a str,
    /// The secret's name in that manager.
    pub name: &'a str,
    /// The backend's id of the version, when it has one.
    pub backend_version: Option<&'a str>,
    /// Its fingerprint ([`crate::CatalogKey::fingerprint`]).
    pub fingerprint: &'a Fingerprint,
    /// Its type, when known.
    pub secret_type: Option<&'a str>,
    /// Who wrote it (for writes through keyway): the caller's identity as text.
    pub actor: Option<&'a str>,
    /// When the secret expires, as the write or the backend says (ms since the epoch).
    pub expires_at: Option<i64>,
    /// When the secret becomes valid (ms since the epoch).
    pub not_before: Option<i64>,
}

/// A recorded version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionEntry {
    /// The manager holding it.
    pub manager: String,
    /// The secret's name.
    pub name: String,
    /// keyway's number for it: 1, 2, … per secret.
    pub number: i64,
    /// The backend's id of the version.
    pub backend_version: Option<String>,
    /// Its keyed fingerprint.
    pub fingerprint: Fingerprint,
    /// Its type.
    pub secret_type: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Who wrote it, for writes through keyway.
    pub actor: Option<String>,
    /// When keyway recorded it (ms since the epoch).
    pub recorded_at: i64,
}

const COLUMNS: &str = "manager, name, number, backend_version, fingerprint, secret_type, origin, actor, recorded_at";

fn entry(row: &impl SqlRow) -> Result<VersionEntry, sqlx::Error> {
    Ok(VersionEntry {
        manager: row.text("manager")?,
        name: row.text("name")?,
        number: row.int("number")?,
        backend_version: row.maybe_text("backend_version")?,
        fingerprint: Fingerprint(row.text("fingerprint")?),
        secret_type: row.maybe_text("secret_type")?,
        origin: Origin::parse(&row.text("origin")?),
        actor: row.maybe_text("actor")?,
        recorded_at: row.int("recorded_at")?,
    })
}

/// Reading columns the same way from either database's rows.
pub(crate) trait SqlRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn maybe_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn maybe_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
}

macro_rules! sql_row {
    ($row:ty) => {
        impl SqlRow for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn maybe_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn maybe_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}
sql_row!(sqlx::sqlite::SqliteRow);
sql_row!(sqlx::postgres::PgRow);

impl Catalog {
    /// Records a version written through keyway (origin `keyway`, with its actor). A version already
    /// recorded by a racing read is claimed for keyway. Returns when the record is durable.
    pub async fn record_write(&self, version: &NewVersion<'_>) -> Result<VersionEntry, CatalogError> {
        if let Some(known) = self.find(version).await? {
            let claim = "UPDATE versions SET origin = 'keyway', actor = $4, fingerprint = $5, secret_type = $6 \
                         WHERE manager = $1 AND name = $2 AND number = $3";
            with_pool!(self, pool => sqlx::query(claim)
                .bind(version.manager).bind(version.name).bind(known.number).bind(version.actor)
                .bind(&version.fingerprint.0).bind(version.secret_type)
                .execute(pool).await.map(|done| done.rows_affected()))
            .map_err(|source| self.query_error("record a version", source))?;
            self.touch_secret(version, known.number).await?;
            return self.find(version).await?.ok_or_else(|| self.vanished());
        }
        let entry = self.insert(version, Origin::Keyway).await?;
        Ok(entry)
    }

    /// Records a version read from a backend unless it is known: `outside` when keyway has history of the
    /// secret, `first-seen` otherwise. Returns the new record, or `None` when the version was known.
    pub async fn observe(&self, version: &NewVersion<'_>) -> Result<Option<VersionEntry>, CatalogError> {
        if self.find(version).await?.is_some() {
            return Ok(None);
        }
        let latest = self.history_page(version.manager, version.name, 1).await?.into_iter().next();
        if version.backend_version.is_none() && latest.as_ref().is_some_and(|l| l.fingerprint == *version.fingerprint) {
            return Ok(None);
        }
        let origin = if latest.is_some() { Origin::Outside } else { Origin::FirstSeen };
        self.insert(version, origin).await.map(Some)
    }

    /// A secret's recorded versions, newest first.
    pub async fn history(&self, manager: &str, name: &str) -> Result<Vec<VersionEntry>, CatalogError> {
        self.history_page(manager, name, 10_000).await
    }

    /// A secret's latest recorded version.
    pub async fn latest(&self, manager: &str, name: &str) -> Result<Option<VersionEntry>, CatalogError> {
        Ok(self.history_page(manager, name, 1).await?.into_iter().next())
    }

    /// Every recorded version with `fingerprint`, in any manager: copies that agree.
    pub async fn with_fingerprint(&self, fingerprint: &Fingerprint) -> Result<Vec<VersionEntry>, CatalogError> {
        let query =
            format!("SELECT {COLUMNS} FROM versions WHERE fingerprint = $1 ORDER BY manager, name, number LIMIT 1000");
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(&fingerprint.0).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read versions", source))
    }

    async fn history_page(&self, manager: &str, name: &str, limit: i64) -> Result<Vec<VersionEntry>, CatalogError> {
        let query =
            format!("SELECT {COLUMNS} FROM versions WHERE manager = $1 AND name = $2 ORDER BY number DESC LIMIT $3");
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(manager).bind(name).bind(limit).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read the version history", source))
    }

    /// The record of `version`'s backend version, if there is one.
    async fn find(&self, version: &NewVersion<'_>) -> Result<Option<VersionEntry>, CatalogError> {
        let Some(backend_version) = version.backend_version else {
            return Ok(None);
        };
        let query = format!("SELECT {COLUMNS} FROM versions WHERE manager = $1 AND name = $2 AND backend_version = $3");
        with_pool!(self, pool => {
            let row = sqlx::query(&query).bind(version.manager).bind(version.name).bind(backend_version)
                .fetch_optional(pool).await;
            row.and_then(|row| row.as_ref().map(entry).transpose())
        })
        .map_err(|source| self.query_error("read the version history", source))
    }

    /// Inserts the next number for the secret; on a race (another node took the number, or recorded the
    /// same backend version) it looks again.
    async fn insert(&self, version: &NewVersion<'_>, origin: Origin) -> Result<VersionEntry, CatalogError> {
        let insert = "INSERT INTO versions (manager, name, number, backend_version, fingerprint, secret_type, \
                      origin, actor, recorded_at) \
                      SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3, $4, $5, $6, $7, $8 FROM versions \
                      WHERE manager = $1 AND name = $2 \
                      ON CONFLICT DO NOTHING RETURNING number";
        for _ in 0..8 {
            let recorded_at = now_ms();
            macro_rules! bound {
                () => {
                    sqlx::query_scalar(insert)
                        .bind(version.manager)
                        .bind(version.name)
                        .bind(version.backend_version)
                        .bind(&version.fingerprint.0)
                        .bind(version.secret_type)
                        .bind(origin.as_str())
                        .bind(version.actor)
                        .bind(recorded_at)
                };
            }
            let number: Result<Option<i64>, sqlx::Error> = match &self.pool {
                // SQLite runs one write at a time: the statement is atomic.
                Pool::Sqlite(pool) => bound!().fetch_optional(pool).await,
                // PostgreSQL nodes take the secret's turn first, so racing writers queue instead of retrying.
                Pool::Postgres(pool) => {
                    async {
                        let mut transaction = pool.begin().await?;
                        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                            .bind(format!("keyway-versions/{}/{}", version.manager, version.name))
                            .execute(&mut *transaction)
                            .await?;
                        let number = bound!().fetch_optional(&mut *transaction).await?;
                        transaction.commit().await?;
                        Ok(number)
                    }
                    .await
                }
            };
            let number = number.map_err(|source| self.query_error("record a version", source))?;
            if let Some(number) = number {
                self.touch_secret(version, number).await?;
                return Ok(VersionEntry {
                    manager: version.manager.to_owned(),
                    name: version.name.to_owned(),
                    number,
                    backend_version: version.backend_version.map(str::to_owned),
                    fingerprint: version.fingerprint.clone(),
                    secret_type: version.secret_type.map(str::to_owned),
                    origin,
                    actor: version.actor.map(str::to_owned),
                    recorded_at,
                });
            }
            if let Some(known) = self.find(version).await? {
                return Ok(known);
            }
        }
        Err(CatalogError::Query {
            location: self.location.to_string(),
            action: "record a version",
            source: sqlx::Error::Protocol("too many concurrent writers of one secret's history".into()),
        })
    }

    fn vanished(&self) -> CatalogError {
        CatalogError::Query {
            location: self.location.to_string(),
            action: "read back a version",
            source: sqlx::Error::RowNotFound,
        }
    }
}
