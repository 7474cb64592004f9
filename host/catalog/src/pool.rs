//! Opening the catalog: SQLite in a file (created on first use) or PostgreSQL
//! at a URL, the embedded migrations of each, and the installation record
//! (the catalog key's check).

use crate::error::CatalogError;
use crate::key::CatalogKey;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the catalog lives. `Debug` shows it as [`describe`](Self::describe) does: never a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (keyway's default: `$KEYWAY_HOME/catalog.db`).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user:password@host:port/db`), shared by a fleet of nodes.
    Postgres(String),
}

impl Location {
    /// Where it is, for messages: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let credentials = &url[scheme + 3..at];
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Sqlite(_) => "Sqlite",
            Self::Postgres(_) => "Postgres",
        };
        f.debug_tuple(kind).field(&self.describe()).finish()
    }
}

/// The database behind the catalog.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the catalog's pool, whichever database it is: the same SQL serves
/// both (`$1` parameters, `ON CONFLICT`, `RETURNING`), checked by the test suite on each.
macro_rules! with_pool {
    ($catalog:expr, $pool:ident => $body:expr) => {
        match &$catalog.pool {
            $crate::pool::Pool::Sqlite($pool) => $body,
            $crate::pool::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The catalog: keyway's own records, in SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Catalog {
    pub(crate) pool: Pool,
    pub(crate) key: Arc<CatalogKey>,
    pub(crate) location: Arc<str>,
    pub(crate) retention: Retention,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("location", &self.location).finish_non_exhaustive()
    }
}

/// How much error history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The most errors kept per secret (older ones are dropped first).
    pub errors_per_secret: u32,
    /// Errors older than this many days are dropped.
    pub error_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self { errors_per_secret: 200, error_days: 90 }
    }
}

impl Catalog {
    /// Opens (creating and migrating as needed) the catalog at `location`, whose records are keyed by `key`.
    /// A catalog created with another key is refused.
    pub async fn open(location: &Location, key: CatalogKey) -> Result<Self, CatalogError> {
        let described = location.describe();
        let failed = |message: String| CatalogError::Open { location: described.clone(), message };
        let pool = match location {
            Location::Sqlite(path) => {
                create_private_file(path).map_err(|err| failed(format!("cannot create the file: {err}")))?;
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // An acknowledged record survives a crash of keyway and of the machine.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(|err| failed(err.to_string()))?;
                SQLITE_MIGRATIONS.run(&pool).await.map_err(|err| failed(format!("migration failed: {err}")))?;
                Pool::Sqlite(pool)
            }
            Location::Postgres(url) => {
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .map_err(|err| failed(format!("{err} (is PostgreSQL running, and catalog.url right?)")))?;
                POSTGRES_MIGRATIONS.run(&pool).await.map_err(|err| failed(format!("migration failed: {err}")))?;
                Pool::Postgres(pool)
            }
        };
        let catalog =
            Self { pool, key: Arc::new(key), location: Arc::from(described.as_str()), retention: Retention::default() };
        catalog.check_key().await?;
        Ok(catalog)
    }

    /// Keeps error history as `retention` says.
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The catalog key (fingerprints and sealing).
    pub fn key(&self) -> &CatalogKey {
        &self.key
    }

    /// Where the catalog is, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether the catalog answers (for readiness checks).
    pub async fn ping(&self) -> Result<(), CatalogError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|done| done.rows_affected()))
            .map(|_| ())
            .map_err(|source| self.query_error("answer", source))
    }

    /// Closes the pool (waiting for queries in flight).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    pub(crate) fn query_error(&self, action: &'static str, source: sqlx::Error) -> CatalogError {
        CatalogError::Query { location: self.location.to_string(), action, source }
    }

    /// Records the key's check in a new catalog; refuses a catalog made with another key.
    async fn check_key(&self) -> Result<(), CatalogError> {
        let check = self.key.check().to_owned();
        let insert = "INSERT INTO catalog_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING";
        with_pool!(self, pool => sqlx::query(insert).bind(&check).execute(pool).await.map(|done| done.rows_affected()))
            .map_err(|source| self.query_error("record the key check", source))?;
        let select = "SELECT value FROM catalog_meta WHERE key = 'key_check'";
        let stored: String = with_pool!(self, pool => sqlx::query_scalar(select).fetch_one(pool).await)
            .map_err(|source| self.query_error("read the key check", source))?;
        if stored != check {
            return Err(CatalogError::Key(format!(
                "the catalog {} was created with another catalog key: configure that key (catalog.key, or the file \
                 catalog.key in keyway's home)",
                self.location
            )));
        }
        Ok(())
    }
}

/// Creates the SQLite file with mode 0600 (its WAL and shared-memory files take the same mode) in a 0700
/// folder, unless it exists.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_described_without_its_password() {
        let location = Location::Postgres("postgres://keyway:s3cret-pw@db.internal:5432/keyway".into());
        assert_eq!(location.describe(), "postgres://keyway@db.internal:5432/keyway");
        assert_eq!(Location::Postgres("postgres://db/keyway".into()).describe(), "postgres://db/keyway");
        let shown = format!("{location:?}");
        assert!(!shown.contains("s3cret-pw") && shown.starts_with("Postgres("), "{shown}");
    }
}
