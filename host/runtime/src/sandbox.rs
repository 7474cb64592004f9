//! The host state of one plugin instance: its WASI context (the sandbox), HTTP
//! hooks, memory limits, log budget and credentials.

use crate::egress::EgressHooks;
use keyway_types::CredentialProvider;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The most log lines one call may write; further lines are counted and dropped.
pub const LOG_LINES_PER_CALL: u32 = 200;
/// The longest log message kept, in bytes.
pub const LOG_MESSAGE_MAX: usize = 1024;

/// Per-call log budget.
#[derive(Debug, Default)]
pub struct LogBudget {
    /// Lines written in this call.
    pub written: u32,
    /// Lines dropped in this call.
    pub dropped: u32,
}

/// Everything one instance's store holds.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: EgressHooks,
    pub(crate) limits: StoreLimits,
    pub(crate) log: LogBudget,
    pub(crate) credentials: Arc<dyn CredentialProvider>,
    pub(crate) manager: Arc<str>,
    pub(crate) plugin: Arc<str>,
}

/// What the sandbox of one instance grants.
pub(crate) struct SandboxGrant<'a> {
    pub manager: Arc<str>,
    pub plugin: Arc<str>,
    pub data_dir: Option<&'a std::path::Path>,
    pub memory_bytes: usize,
    pub hooks: EgressHooks,
    pub credentials: Arc<dyn CredentialProvider>,
}

impl HostState {
    /// A sandbox with no environment, arguments, sockets or files, except the
    /// granted data directory preopened as `/data`.
    pub(crate) fn new(grant: SandboxGrant<'_>) -> Result<Self, String> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
        if let Some(dir) = grant.data_dir {
            wasi.preopened_dir(dir, "/data", FsPerms::ReadWrite)
                .map_err(|err| format!("cannot grant data directory {}: {err}", dir.display()))?;
        }
        let limits = StoreLimitsBuilder::new()
            .memory_size(grant.memory_bytes)
            .instances(64)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build();
        Ok(Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: grant.hooks,
            limits,
            log: LogBudget::default(),
            credentials: grant.credentials,
            manager: grant.manager,
            plugin: grant.plugin,
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}
