//! Cache invalidations across a fleet, through PostgreSQL's `LISTEN`/`NOTIFY`.
//!
//! A node that drops cache entries (after a write, a renewal, a copy, an applied approval, an operator's
//! clear) announces it with [`Catalog::announce`]: one transaction advances the fleet's invalidation counter
//! (`fleet_invalidations.seq`, one row whose lock orders announcements as they commit) and sends a
//! notification on [`CHANNEL`] carrying the counter, the announcing node and what to drop: a secret's manager
//! and name, a manager, or everything; never a value. Every node listens ([`Catalog::listen`], a
//! [`FleetListener`] on a connection of its own) and drops the same entries.
//!
//! Notifications sent while a node is not listening are lost to it, so the counter tells it what it missed:
//! the announcements it hears are numbered one after the other (a gap is a missed one); after it connects,
//! the counter it reads ([`Catalog::invalidation_counter`]) is the last one it should have heard; and a
//! heartbeat ([`Catalog::heartbeat`]) comes back through its own listener carrying the counter as it was when
//! the heartbeat was sent, after every announcement committed before it.
//!
//! Payloads are JSON, `{"v":1,"seq":42,"origin":"…","scope":"secret","manager":"aws","name":"prod/db"}`,
//! under PostgreSQL's limit of 8000 bytes: a secret whose name would not fit is announced as its whole
//! manager. On SQLite (one node) announcing does nothing and there is nothing to listen to.

use crate::error::CatalogError;
use crate::pool::{Catalog, Pool};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

/// The channel announcements are sent on.
pub const CHANNEL: &str = "keyway_cache";

/// The largest payload sent, in bytes (PostgreSQL refuses payloads of 8000 bytes and more).
pub const MAX_PAYLOAD: usize = 7900;

/// How long a listener waits for its connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The payload format's version.
const FORMAT: u8 = 1;

/// One node of a fleet as its announcements name it: 16 random hex digits, new each time a node starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeId(String);

impl NodeId {
    /// A fresh id: random, or when the system's random source fails, a digest of the time and process.
    pub fn generate() -> Self {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 8];
        if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
            let seed = format!("{}-{}-{:p}", crate::now_ms(), std::process::id(), &bytes);
            let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
            bytes.copy_from_slice(&digest.as_ref()[..8]);
        }
        Self(hex::encode(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The channel this node's heartbeats come back on (lower-case letters, digits and `_`: a valid
    /// identifier whatever the id holds, as foreign ids are only compared, never listened to).
    fn heartbeat_channel(&self) -> String {
        let id: String = self.0.chars().filter(char::is_ascii_alphanumeric).take(32).collect();
        format!("{CHANNEL}_{}", id.to_ascii_lowercase())
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an announcement drops from every node's cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalidation {
    /// Every entry.
    All,
    /// Every entry of one manager.
    Manager(String),
    /// Every entry of one secret, whatever its version selector.
    Secret {
        /// The manager.
        manager: String,
        /// The secret's name.
        name: String,
    },
}

/// An announcement as a listener hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The fleet's invalidation counter this announcement advanced it to.
    pub seq: i64,
    /// The node that announced it.
    pub origin: NodeId,
    /// What to drop.
    pub scope: Invalidation,
}

/// What a [`FleetListener`] hears next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Heard {
    /// An announcement (the node's own included).
    Announced(Notice),
    /// A notification on the channel that is no announcement this version reads: the safe answer is to drop
    /// everything.
    Unreadable,
    /// The node's own heartbeat came back, with the counter as it was when it was sent.
    Heartbeat(i64),
    /// The connection was lost: whatever was announced from now on is not heard. Listen again.
    Lost,
}

/// The payload of an announcement.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    v: u8,
    seq: i64,
    origin: String,
    scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// The payload announcing `scope`, widened (a secret to its manager, a manager to everything) until it fits
/// in [`MAX_PAYLOAD`] bytes; and the scope it announces.
pub fn encode(seq: i64, origin: &NodeId, scope: &Invalidation) -> (String, Invalidation) {
    let mut scope = scope.clone();
    loop {
        let (kind, manager, name) = match &scope {
            Invalidation::All => ("all", None, None),
            Invalidation::Manager(manager) => ("manager", Some(manager.clone()), None),
            Invalidation::Secret { manager, name } => ("secret", Some(manager.clone()), Some(name.clone())),
        };
        let payload = Payload { v: FORMAT, seq, origin: origin.0.clone(), scope: kind.into(), manager, name };
        let text = serde_json::to_string(&payload).unwrap_or_default();
        if (!text.is_empty() && text.len() <= MAX_PAYLOAD) || scope == Invalidation::All {
            return (text, scope);
        }
        scope = match scope {
            Invalidation::Secret { manager, .. } => Invalidation::Manager(manager),
            _ => Invalidation::All,
        };
    }
}

/// Reads an announcement's payload; `None` when it is not one this version reads.
pub fn decode(payload: &str) -> Option<Notice> {
    let payload: Payload = serde_json::from_str(payload).ok()?;
    if payload.v != FORMAT {
        return None;
    }
    let scope = match (payload.scope.as_str(), payload.manager, payload.name) {
        ("all", None, None) => Invalidation::All,
        ("manager", Some(manager), None) => Invalidation::Manager(manager),
        ("secret", Some(manager), Some(name)) => Invalidation::Secret { manager, name },
        _ => return None,
    };
    Some(Notice { seq: payload.seq, origin: NodeId(payload.origin), scope })
}

impl Catalog {
    /// Whether this catalog is one a fleet shares (PostgreSQL), whose nodes announce and hear invalidations.
    pub fn shared_by_fleet(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Tells every node listening that `scope` is to be dropped from their caches, as `origin`; returns the
    /// fleet's invalidation counter it advanced to, once committed. Nothing to do on SQLite (`None`).
    pub async fn announce(&self, origin: &NodeId, scope: &Invalidation) -> Result<Option<i64>, CatalogError> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(None) };
        let failed = |source| self.query_error("announce dropped cache entries to the fleet", source);
        let mut transaction = pool.begin().await.map_err(failed)?;
        let seq: i64 = sqlx::query_scalar("UPDATE fleet_invalidations SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut *transaction)
            .await
            .map_err(failed)?;
        let (payload, _) = encode(seq, origin, scope);
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(&mut *transaction)
            .await
            .map_err(failed)?;
        transaction.commit().await.map_err(failed)?;
        Ok(Some(seq))
    }

    /// The fleet's invalidation counter: the number of the last announcement committed (0 on SQLite).
    pub async fn invalidation_counter(&self) -> Result<i64, CatalogError> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(0) };
        sqlx::query_scalar("SELECT seq FROM fleet_invalidations WHERE id = 1")
            .fetch_one(pool)
            .await
            .map_err(|source| self.query_error("read the fleet's invalidation counter", source))
    }

    /// Sends `node`'s heartbeat: its listener hears [`Heard::Heartbeat`] with the counter as it is now, after
    /// every announcement committed so far. Nothing to do on SQLite.
    pub async fn heartbeat(&self, node: &NodeId) -> Result<(), CatalogError> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(()) };
        sqlx::query("SELECT pg_notify($1, seq::text) FROM fleet_invalidations WHERE id = 1")
            .bind(node.heartbeat_channel())
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(|source| self.query_error("send a heartbeat to the fleet's channel", source))
    }

    /// Listens, as `node`, to the fleet's announcements and to `node`'s heartbeats, on a connection of its
    /// own (none on SQLite). Announcements committed from now on are heard, in commit order.
    pub async fn listen(&self, node: &NodeId) -> Result<Option<FleetListener>, CatalogError> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(None) };
        let failed = |source| self.query_error("listen to the fleet's announcements", source);
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(pool.connect_options().as_ref().clone());
        let mut listener = PgListener::connect_with(&own).await.map_err(failed)?;
        listener.ignore_pool_close_event(true);
        // A lost connection is reported (Heard::Lost), never mended behind the caller's back: notifications
        // are lost meanwhile, and only the caller knows to catch up.
        listener.eager_reconnect(false);
        let heartbeats = node.heartbeat_channel();
        listener.listen_all([CHANNEL, heartbeats.as_str()]).await.map_err(failed)?;
        Ok(Some(FleetListener { listener, heartbeats, location: Arc::clone(&self.location) }))
    }
}

/// A node's ear on the fleet's channel: announcements and its own heartbeats, in commit order.
pub struct FleetListener {
    listener: PgListener,
    heartbeats: String,
    location: Arc<str>,
}

impl std::fmt::Debug for FleetListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetListener").field("location", &self.location).finish_non_exhaustive()
    }
}

impl FleetListener {
    /// Waits for what comes next. Cancel-safe: dropping the future loses nothing.
    pub async fn recv(&mut self) -> Result<Heard, CatalogError> {
        match self.listener.try_recv().await {
            Ok(Some(notification)) if notification.channel() == self.heartbeats => {
                Ok(notification.payload().parse().map_or(Heard::Unreadable, Heard::Heartbeat))
            }
            Ok(Some(notification)) => Ok(decode(notification.payload()).map_or(Heard::Unreadable, Heard::Announced)),
            Ok(None) => Ok(Heard::Lost),
            Err(source) => Err(CatalogError::Query {
                location: self.location.to_string(),
                action: "hear the fleet's announcements",
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeId {
        NodeId("0123456789abcdef".into())
    }

    #[test]
    fn announcements_read_back_as_sent() {
        let scopes = [
            Invalidation::All,
            Invalidation::Manager("aws".into()),
            Invalidation::Secret { manager: "vault".into(), name: "prod/\"db\"\\n/ключ\u{0}\n".into() },
        ];
        for scope in scopes {
            let (payload, sent) = encode(42, &node(), &scope);
            assert_eq!(sent, scope);
            assert!(!payload.contains('\0') && !payload.contains('\n'), "escaped: {payload}");
            assert_eq!(decode(&payload), Some(Notice { seq: 42, origin: node(), scope }));
        }
    }

    #[test]
    fn a_name_too_long_for_a_notification_widens_to_its_manager() {
        let name = "n".repeat(MAX_PAYLOAD);
        let (payload, sent) = encode(i64::MAX, &node(), &Invalidation::Secret { manager: "aws".into(), name });
        assert_eq!(sent, Invalidation::Manager("aws".into()));
        assert!(payload.len() <= MAX_PAYLOAD);
        let (payload, sent) = encode(1, &node(), &Invalidation::Manager("m".repeat(9000)));
        assert_eq!((sent, payload.len() <= MAX_PAYLOAD), (Invalidation::All, true));
        // Escapes count: a name of quotes doubles in JSON.
        let quotes = "\"".repeat(MAX_PAYLOAD / 2);
        let (payload, sent) = encode(1, &node(), &Invalidation::Secret { manager: "aws".into(), name: quotes });
        assert_eq!((sent, payload.len() <= MAX_PAYLOAD), (Invalidation::Manager("aws".into()), true));
    }

    #[test]
    fn what_is_not_an_announcement_is_not_read_as_one() {
        for payload in [
            "",
            "drop everything",
            r#"{"v":2,"seq":1,"origin":"x","scope":"all"}"#,
            r#"{"v":1,"seq":1,"origin":"x","scope":"secret","manager":"aws"}"#,
            r#"{"v":1,"seq":1,"origin":"x","scope":"everything"}"#,
        ] {
            assert_eq!(decode(payload), None, "{payload}");
        }
    }

    #[test]
    fn node_ids_are_fresh_and_make_valid_channels() {
        let (one, two) = (NodeId::generate(), NodeId::generate());
        assert_ne!(one, two);
        assert_eq!(one.as_str().len(), 16);
        let channel = NodeId("Ab-\"; DROP TABLE x".into()).heartbeat_channel();
        assert!(channel.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{channel}");
        assert!(channel.len() < 64);
    }
}
