//! Changes waiting for approval: the request (what changes, who asked, until when), the approvers' votes,
//! and the proposed value sealed under the catalog key until the request is applied, rejected or lapses —
//! then it is wiped. A request reaching its quorum is *claimed* by one node with one conditional update, so
//! the change is applied exactly once even when approvals on several nodes race.

use crate::error::CatalogError;
use crate::key::Fingerprint;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::SqlRow;
use keyway_types::SecretValue;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use zeroize::Zeroizing;

/// A request to change a secret, waiting for approval or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    /// Its id.
    pub id: String,
    /// The profile whose approval policy gates the change.
    pub profile: String,
    /// The manager the change is made on.
    pub manager: String,
    /// The secret.
    pub name: String,
    /// `create`, `update`, `delete` or `change-source`.
    pub operation: String,
    /// `pending`, `applying`, `approved` (quorum reached, applying failed and is tried again), `applied`,
    /// `rejected` or `expired`.
    pub state: String,
    /// Who asked (the principal approvals compare).
    pub requester: String,
    /// What changes besides the value, as the facade wrote it (JSON).
    pub change_json: String,
    /// The fingerprint of the proposed value, when there is one.
    pub fingerprint: Option<String>,
    /// Whether a proposed value is still kept (sealed).
    pub holds_value: bool,
    /// When it was asked (ms since the epoch).
    pub created_at: i64,
    /// When it lapses unless decided.
    pub expires_at: i64,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// Why it was rejected, or why applying it failed.
    pub note: Option<String>,
    /// The votes so far.
    pub votes: Vec<Vote>,
}

/// One approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vote {
    /// Who.
    pub approver: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// What they said.
    pub comment: Option<String>,
    /// When (ms since the epoch).
    pub at: i64,
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    /// The profile.
    pub profile: &'a str,
    /// The manager.
    pub manager: &'a str,
    /// The secret.
    pub name: &'a str,
    /// The operation.
    pub operation: &'a str,
    /// Who asks.
    pub requester: &'a str,
    /// What changes besides the value (JSON).
    pub change_json: &'a str,
    /// The proposed value's fingerprint.
    pub fingerprint: Option<&'a Fingerprint>,
    /// When it lapses (ms since the epoch).
    pub expires_at: i64,
}

const COLUMNS: &str = "id, profile, manager, name, operation, state, requester, change_json, \
                       sealed_value IS NOT NULL AS holds_value, fingerprint, created_at, expires_at, decided_at, note";

fn entry(row: &impl SqlRow, holds_value: bool) -> Result<Approval, sqlx::Error> {
    Ok(Approval {
        id: row.text("id")?,
        profile: row.text("profile")?,
        manager: row.text("manager")?,
        name: row.text("name")?,
        operation: row.text("operation")?,
        state: row.text("state")?,
        requester: row.text("requester")?,
        change_json: row.text("change_json")?,
        fingerprint: row.maybe_text("fingerprint")?,
        holds_value,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        decided_at: row.maybe_int("decided_at")?,
        note: row.maybe_text("note")?,
        votes: Vec::new(),
    })
}

fn aad(id: &str, manager: &str, name: &str, operation: &str) -> Vec<u8> {
    format!("keyway-approval\0{id}\0{manager}\0{name}\0{operation}").into_bytes()
}

/// How long a node's claim on a request may stay unfinished before another node may take it over (the node
/// died while applying).
pub const CLAIM_LAPSES_MS: i64 = 10 * 60 * 1000;

impl Catalog {
    /// Opens a request, with `value` sealed; returns its id.
    pub async fn open_approval(
        &self,
        request: &NewApproval<'_>,
        value: Option<&SecretValue>,
    ) -> Result<String, CatalogError> {
        let mut id = [0u8; 9];
        SystemRandom::new().fill(&mut id).map_err(|_| CatalogError::Sealed)?;
        let id = hex::encode(id);
        let sealed = match value {
            Some(value) => {
                Some(self.key.seal_value(&aad(&id, request.manager, request.name, request.operation), value)?)
            }
            None => None,
        };
        let insert = "INSERT INTO approvals (id, profile, manager, name, operation, state, requester, change_json, \
                      sealed_value, fingerprint, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11)";
        with_pool!(self, pool => sqlx::query(insert)
            .bind(&id).bind(request.profile).bind(request.manager).bind(request.name).bind(request.operation)
            .bind(request.requester).bind(request.change_json).bind(sealed.as_deref())
            .bind(request.fingerprint.map(|fingerprint| fingerprint.0.as_str())).bind(now_ms()).bind(request.expires_at)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map_err(|source| self.query_error("open an approval request", source))?;
        Ok(id)
    }

    /// One request with its votes.
    pub async fn approval(&self, id: &str) -> Result<Option<Approval>, CatalogError> {
        let query = format!("SELECT {COLUMNS} FROM approvals WHERE id = $1");
        let found = with_pool!(self, pool => {
            let row = sqlx::query(&query).bind(id).fetch_optional(pool).await;
            row.and_then(|row| row.as_ref().map(|row| entry(row, holds(row)?)).transpose())
        })
        .map_err(|source| self.query_error("read an approval request", source))?;
        let Some(mut approval) = found else { return Ok(None) };
        approval.votes = self.votes(id).await?;
        Ok(Some(approval))
    }

    /// Requests in `states` (every state when empty), newest first, with their votes.
    pub async fn approvals(&self, states: &[&str], limit: i64) -> Result<Vec<Approval>, CatalogError> {
        let states = states.join(",");
        let query = format!(
            "SELECT {COLUMNS} FROM approvals WHERE $1 = '' OR ',' || $1 || ',' LIKE '%,' || state || ',%' \
             ORDER BY created_at DESC LIMIT $2"
        );
        let mut found = with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(&states).bind(limit).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(|row| entry(row, holds(row)?)).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read approval requests", source))?;
        for approval in &mut found {
            approval.votes = self.votes(&approval.id).await?;
        }
        Ok(found)
    }

    /// The latest request concerning one secret.
    pub async fn latest_approval_of(&self, manager: &str, name: &str) -> Result<Option<Approval>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM approvals WHERE manager = $1 AND name = $2 ORDER BY created_at DESC LIMIT 1"
        );
        with_pool!(self, pool => {
            let row = sqlx::query(&query).bind(manager).bind(name).fetch_optional(pool).await;
            row.and_then(|row| row.as_ref().map(|row| entry(row, holds(row)?)).transpose())
        })
        .map_err(|source| self.query_error("read approval requests", source))
    }

    async fn votes(&self, id: &str) -> Result<Vec<Vote>, CatalogError> {
        let query =
            "SELECT approver, decision, comment, at FROM approval_votes WHERE request = $1 ORDER BY at, approver";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(id).fetch_all(pool).await;
            rows.and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        Ok(Vote {
                            approver: row.text("approver")?,
                            decision: row.text("decision")?,
                            comment: row.maybe_text("comment")?,
                            at: row.int("at")?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })
        })
        .map_err(|source| self.query_error("read approval votes", source))
    }

    /// Records `approver`'s vote on a pending request; `false` when they had voted on it already.
    pub async fn vote(
        &self,
        id: &str,
        approver: &str,
        decision: &str,
        comment: Option<&str>,
    ) -> Result<bool, CatalogError> {
        let insert = "INSERT INTO approval_votes (request, approver, decision, comment, at) \
                      VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
        with_pool!(self, pool => sqlx::query(insert)
            .bind(id).bind(approver).bind(decision).bind(comment).bind(now_ms())
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|inserted| inserted > 0)
        .map_err(|source| self.query_error("record an approval vote", source))
    }

    /// Claims a request for applying: one conditional update, so exactly one caller gets `true` — for a
    /// pending or approved request, or one whose claim lapsed ([`CLAIM_LAPSES_MS`]).
    pub async fn claim_approval(&self, id: &str) -> Result<bool, CatalogError> {
        let now = now_ms();
        let claim = "UPDATE approvals SET state = 'applying', claimed_at = $2 WHERE id = $1 AND expires_at > $2 \
                     AND (state IN ('pending', 'approved') OR (state = 'applying' AND claimed_at < $3))";
        with_pool!(self, pool => sqlx::query(claim)
            .bind(id).bind(now).bind(now - CLAIM_LAPSES_MS)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|claimed| claimed == 1)
        .map_err(|source| self.query_error("claim an approval request", source))
    }

    /// The proposed value of a request, opened.
    pub async fn approval_value(&self, approval: &Approval) -> Result<Option<SecretValue>, CatalogError> {
        let sealed: Option<Option<String>> = with_pool!(self, pool =>
            sqlx::query_scalar("SELECT sealed_value FROM approvals WHERE id = $1")
                .bind(&approval.id).fetch_optional(pool).await)
        .map_err(|source| self.query_error("read a proposed value", source))?;
        let Some(sealed) = sealed.flatten().map(Zeroizing::new) else { return Ok(None) };
        let aad = aad(&approval.id, &approval.manager, &approval.name, &approval.operation);
        self.key.open_value(&aad, &sealed).map(Some)
    }

    /// Ends a claimed request: `applied` with its value wiped, or — applying failed — back to `approved`
    /// with the error noted, its value kept for the next attempt.
    pub async fn finish_approval(&self, id: &str, failure: Option<&str>) -> Result<(), CatalogError> {
        let update = match failure {
            None => {
                "UPDATE approvals SET state = 'applied', sealed_value = NULL, decided_at = $2, note = $3, \
                     claimed_at = NULL WHERE id = $1 AND state = 'applying'"
            }
            Some(_) => {
                "UPDATE approvals SET state = 'approved', decided_at = $2, note = $3, claimed_at = NULL \
                        WHERE id = $1 AND state = 'applying'"
            }
        };
        with_pool!(self, pool => sqlx::query(update)
            .bind(id).bind(now_ms()).bind(failure)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("finish an approval request", source))
    }

    /// Rejects a pending request, wiping its value; `false` when it was no longer pending.
    pub async fn reject_approval(&self, id: &str, note: Option<&str>) -> Result<bool, CatalogError> {
        let update = "UPDATE approvals SET state = 'rejected', sealed_value = NULL, decided_at = $2, note = $3 \
                      WHERE id = $1 AND state = 'pending'";
        with_pool!(self, pool => sqlx::query(update)
            .bind(id).bind(now_ms()).bind(note)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|rejected| rejected == 1)
        .map_err(|source| self.query_error("reject an approval request", source))
    }

    /// Lapses every undecided request past its lifetime, wiping its value; returns those that lapsed now.
    pub async fn expire_approvals(&self) -> Result<Vec<Approval>, CatalogError> {
        let now = now_ms();
        // A claim left by a node that died while applying lapses too, once the claim itself has lapsed.
        let query = format!(
            "SELECT {COLUMNS} FROM approvals WHERE expires_at <= $1 AND (state IN ('pending', 'approved') \
             OR (state = 'applying' AND claimed_at < $2)) LIMIT 1000"
        );
        let due = with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(now).bind(now - CLAIM_LAPSES_MS).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(|row| entry(row, holds(row)?)).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read approval requests", source))?;
        let mut lapsed = Vec::new();
        for mut approval in due {
            let update = "UPDATE approvals SET state = 'expired', sealed_value = NULL, decided_at = $2 \
                          WHERE id = $1 AND (state IN ('pending', 'approved') \
                          OR (state = 'applying' AND claimed_at < $3))";
            let done = with_pool!(self, pool => sqlx::query(update)
                .bind(&approval.id).bind(now).bind(now - CLAIM_LAPSES_MS)
                .execute(pool).await.map(|done| done.rows_affected()))
            .map_err(|source| self.query_error("lapse an approval request", source))?;
            if done == 1 {
                approval.state = "expired".into();
                approval.holds_value = false;
                lapsed.push(approval);
            }
        }
        Ok(lapsed)
    }
}

/// Whether the row still holds a sealed value (`holds_value` is an integer in SQLite, a boolean in PostgreSQL).
fn holds(row: &impl HoldsValue) -> Result<bool, sqlx::Error> {
    row.holds_value()
}

trait HoldsValue {
    fn holds_value(&self) -> Result<bool, sqlx::Error>;
}

impl HoldsValue for sqlx::sqlite::SqliteRow {
    fn holds_value(&self) -> Result<bool, sqlx::Error> {
        use sqlx::Row;
        self.try_get::<i64, _>("holds_value").map(|held| held != 0)
    }
}

impl HoldsValue for sqlx::postgres::PgRow {
    fn holds_value(&self) -> Result<bool, sqlx::Error> {
        use sqlx::Row;
        self.try_get::<bool, _>("holds_value")
    }
}
