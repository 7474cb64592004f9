//! The `keyway` binary as users run it: a temporary home, configuration files, real processes.
//!
//! - `first_flow`: put and get on a fresh machine, binary values, keys, versions, list, delete, restore.
//! - `bad_input`: every mistake gives one clear line, its exit code, and changes nothing.
//! - `check`: `keyway check`: reachable and dead backends, reads, expiring secrets, exit codes, JSON.
//! - `get_keys`: `get MANAGER/NAME/KEY` reads a key of a JSON secret as the placeholder does.
//! - `managers`: read-only managers, access rules, `resolve` and `exec`.
//! - `serve`: the HTTP service, its identity headers, cache view, revocation and token; no value leaks.
//! - `callers`: the service against hostile callers: clients and scopes, the Unix socket, TLS, the door,
//!   bounded connections and steps, masking that is no oracle, audit that fails closed.
//! - `compliance`: compliance profiles: rules on write, advisory findings, the report.
//! - `exec`: `exec` as a faithful wrapper, `--env-file`, and `inject`.
//! - `fleet`: three services on one PostgreSQL catalog: writes and clears reach every node's cache, a node cut
//!   off catches up, a restart of PostgreSQL loses nothing (`fleet_nodes`: PostgreSQL and the nodes).
//! - `fleet_store`: three services writing one secret of the shared encrypted store (`storage: records`) on
//!   PostgreSQL, one killed and PostgreSQL restarted meanwhile: every acknowledged version reads back.
//! - `fleet_audit`: two services on one PostgreSQL catalog writing one audit trail.
//! - `hostile_plugin`: a hostile third-party plugin seen through the command line: escaped text, redacted
//!   values, bounded listings, `plugin trust`.
//! - `packaging`: completions, the manual page, `--version`, the systemd unit and the container recipe.
//! - `plugin_test`: the conformance suite on a plugin file.
//! - `plugin_new`: a plugin from `plugin new` built out of tree, packed, passing the kit against `kv_server`,
//!   loaded from a plugins folder with the SHA-256 grants pin.
//! - `records`: version history with keyed fingerprints, error history, expiry refused everywhere.
//! - `renewal`: `renew`, rotation hooks that fail and resume, the service's scheduler.
//! - `store`: `store rekey` under a SIGKILL loop, passphrase-sealed stores.
//! - `trace_logs`: no key material or value in logs at trace level.
//! - `typed`: typed secrets: rules checked before the backend, facts as tags, typed input and output.

mod admin_page;
mod approvals;
mod bad_input;
mod callers;
mod check;
mod compliance;
mod exec;
mod first_flow;
mod fleet;
mod fleet_audit;
mod fleet_nodes;
mod fleet_store;
mod get_keys;
mod hostile_plugin;
mod kv_server;
mod managers;
mod openapi;
mod operability;
mod packaging;
mod plugin_new;
mod plugin_test;
mod records;
mod renewal;
mod scheduler;
mod serve;
mod service;
mod store;
mod support;
mod sync;
mod trace_logs;
mod typed;
