//! Shared pieces of keyway's integration tests: a harness that starts real
//! servers (emulators, fakes) on free loopback ports and stops them, and
//! helpers that open connections to the embedded plugins.
//!
//! # Layout
//! - [`harness`]: workspace paths, free ports, child processes killed on drop, the Python venv.
//! - [`plugins`]: a runtime per test and connections to embedded plugins.
//! - [`calls`]: calls on a connection and checks of their answers; host credentials that count.
//! - [`fakes`]: the vendor fakes of `tests/fakes/`, started per test, and their `/_fake/` controls.
//! - [`postgres`]: a real PostgreSQL server per test (initdb in a temporary directory, a free port).

pub mod calls;
pub mod fakes;
pub mod harness;
pub mod plugins;
pub mod postgres;
