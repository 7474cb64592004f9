//! A fleet for the tests and the benchmark: one PostgreSQL (Debian's package, on a free loopback port) as the
//! shared catalog, and `keyway serve` nodes, each in a sandbox of its own and connecting as a PostgreSQL role
//! of its own (so a test can cut one node off), all serving one embedded store in a shared folder with a
//! cache that keeps values for an hour.

use crate::service::{Api, Server};
use crate::support::{random_key, Sandbox};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use reqwest::Method;
use serde_json::json;
use std::future::Future;
use std::time::{Duration, Instant};

/// The operators' client token on every node.
pub const TOKEN: &str = "fleet-operator-token-5d1e8b3a9c27";
/// The catalog's database.
pub const DATABASE: &str = "fleet";

/// PostgreSQL and the nodes sharing it.
pub struct Fleet {
    /// The catalog's server.
    pub postgres: Postgres,
    /// One client per node, by index.
    pub apis: Vec<Api>,
    /// The nodes, by index.
    pub nodes: Vec<Server>,
    /// Each node's sandbox (its configuration, for commands run as a node of their own).
    pub sandboxes: Vec<Sandbox>,
    client: reqwest::Client,
    _store: TempDir,
}

/// The PostgreSQL role node `index` connects as.
pub fn role(index: usize) -> String {
    format!("node_{}", char::from(b'a' + u8::try_from(index).expect("a few nodes")))
}

impl Fleet {
    /// PostgreSQL and `count` nodes, each hearing the fleet's invalidations.
    pub async fn start(count: usize) -> Self {
        Self::start_with(count, "").await
    }

    /// PostgreSQL and `count` nodes whose manager `local` has these lines of configuration too (indented by
    /// four spaces, e.g. `    storage: records\n`).
    pub async fn start_with(count: usize, local: &str) -> Self {
        let postgres = Postgres::start();
        postgres.create_database(DATABASE);
        let store = TempDir::new("fleet-store");
        let (catalog_key, store_key) = (random_key(), random_key());
        let mut sandboxes = Vec::new();
        for index in 0..count {
            let role = role(index);
            postgres.sql(DATABASE, &format!("CREATE ROLE {role} LOGIN SUPERUSER"));
            let mut sandbox = Sandbox::new(&format!("fleet-{role}"));
            sandbox.configure_text(&format!(
                "serve:\n  clients:\n    ops: {{ token: {TOKEN} }}\n\
                 catalog: {{ url: \"postgres://{role}@127.0.0.1:{port}/{DATABASE}\", key: \"{catalog_key}\" }}\n\
                 cache: {{ expire-after-write: 1h, refresh-ahead: 0s, jitter: 0 }}\n\
                 managers:\n  local:\n    plugin: local\n    data_dir: {store}\n    settings: {{ key: \"{store_key}\" }}\n\
                 {local}",
                port = postgres.port(),
                store = store.path().display(),
            ));
            sandboxes.push(sandbox);
        }
        let nodes: Vec<Server> = sandboxes.iter().map(|sandbox| Server::start(sandbox, &[])).collect();
        let apis = nodes.iter().map(|node| Api::anonymous(node).with_token(TOKEN)).collect();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("a client");
        let fleet = Self { postgres, apis, nodes, client, sandboxes, _store: store };
        for index in 0..count {
            fleet.until_hearing(index, true, Duration::from_secs(60)).await;
        }
        fleet
    }

    /// Waits until node `index` hears the fleet (or, `false`, no longer does).
    pub async fn until_hearing(&self, index: usize, hearing: bool, limit: Duration) {
        let wanted = if hearing { 1.0 } else { 0.0 };
        within(limit, &format!("node {index} hearing the fleet: {hearing}"), || async {
            self.metric(index, "keyway_fleet_connected", "").await == Some(wanted)
        })
        .await;
    }

    /// A metric of node `index`: the sample named `name` whose labels include `labels` (`""`: any).
    pub async fn metric(&self, index: usize, name: &str, labels: &str) -> Option<f64> {
        let response = self
            .client
            .get(format!("{}/metrics", self.nodes[index].base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("the node answers");
        assert!(response.status().is_success(), "/metrics: HTTP {}", response.status());
        let text = response.text().await.expect("the metrics");
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' '))
            .find(|(series, _)| {
                let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
                metric == name && rest.contains(labels)
            })
            .and_then(|(_, value)| value.parse().ok())
    }

    /// The value node `index` serves for `local/NAME`, or `None` when it says there is none.
    pub async fn value(&self, index: usize, name: &str) -> Option<String> {
        let answer = self.apis[index].call(Method::GET, &format!("/v1/secrets/local/{name}"), &[], None).await;
        match answer.status {
            404 => None,
            _ => Some(answer.ok()["value"].as_str().expect("a text value").to_owned()),
        }
    }

    /// Writes `value` to `local/NAME` through node `index` (created or changed); the version written.
    pub async fn write(&self, index: usize, name: &str, value: &str) -> Result<String, String> {
        let path = format!("/v1/secrets/local/{name}");
        let api = &self.apis[index];
        let mut answer = api.call(Method::PATCH, &path, &[], Some(json!({ "value": value }))).await;
        if answer.status == 404 {
            answer = api.call(Method::PUT, &path, &[], Some(json!({ "value": value }))).await;
        }
        match answer.status {
            200..=299 => Ok(answer.body["metadata"]["version_id"].as_str().unwrap_or_default().to_owned()),
            _ => Err(answer.text),
        }
    }

    /// The names node `index` holds in its cache.
    pub async fn cached(&self, index: usize) -> Vec<String> {
        let answer = self.apis[index].call(Method::GET, "/v1/cache", &[], None).await;
        let entries = answer.ok()["entries"].as_array().expect("entries").clone();
        entries.iter().filter_map(|entry| entry["name"].as_str().map(str::to_owned)).collect()
    }

    /// Cuts node `index` off PostgreSQL: its role may no longer log in, and its connections are ended.
    pub fn cut_off(&self, index: usize) {
        let role = role(index);
        self.postgres.sql(
            DATABASE,
            &format!(
                "ALTER ROLE {role} NOLOGIN; \
                 SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '{role}'"
            ),
        );
    }

    /// Lets node `index` log in again.
    pub fn let_in(&self, index: usize) {
        self.postgres.sql(DATABASE, &format!("ALTER ROLE {} LOGIN", role(index)));
    }
}

/// Polls `probe` every 5 ms until it holds; returns how long that took, or panics naming `what` after `limit`.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if probe().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
