//! The audit trail in keyway's records (`audit: {records: true}`): every audit record also goes to the
//! catalog's `audit` table, so a fleet sharing one PostgreSQL has one trail. The audit writer's thread appends
//! the lines of each flush in one transaction, over a connection of its own on a runtime of its own (it never
//! waits on the service's runtime), and a failed append counts as a failed audit write: with
//! `on_failure: closed` the calls it concerns are refused, as when the audit file fails.

use super::records::Setup;
use keyway_catalog::Catalog;
use keyway_resolve::SharedTrail;
use std::io;
use std::time::Duration;

/// How long one append may take before it counts as failed.
const APPEND_DEADLINE: Duration = Duration::from_secs(10);

/// The catalog as the audit writer's shared trail.
pub(crate) struct RecordsTrail {
    setup: Setup,
    node: String,
    runtime: tokio::runtime::Runtime,
    catalog: Option<Catalog>,
}

impl RecordsTrail {
    /// A trail appending as `node` to the catalog `setup` opens (on first append).
    pub(crate) fn new(setup: Setup, node: &str) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Self { setup, node: node.to_owned(), runtime, catalog: None })
    }
}

impl SharedTrail for RecordsTrail {
    fn append(&mut self, lines: &str) -> io::Result<()> {
        let lines: Vec<&str> = lines.lines().filter(|line| !line.is_empty()).collect();
        let (setup, node, catalog) = (&self.setup, self.node.as_str(), &mut self.catalog);
        self.runtime.block_on(async {
            let appended = tokio::time::timeout(APPEND_DEADLINE, async {
                if catalog.is_none() {
                    *catalog = Some(setup.open().await.map_err(|error| io::Error::other(error.to_string()))?);
                }
                let Some(open) = catalog.as_ref() else {
                    return Err(io::Error::other("keyway's records are not open"));
                };
                open.append_audit(node, &lines).await.map_err(|error| io::Error::other(error.to_string()))
            })
            .await;
            match appended {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "keyway's records took more than {} s to take the audit records",
                        APPEND_DEADLINE.as_secs()
                    ),
                )),
            }
        })
    }
}
