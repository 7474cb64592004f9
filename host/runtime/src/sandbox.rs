//! The host state of one plugin instance: its WASI context (the sandbox), HTTP
//! hooks, memory limits, log budget and credentials.

use crate::egress::EgressHooks;
use crate::redact::Redactor;
use keyway_types::CredentialProvider;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The most log lines one call may write; further lines are counted and dropped.
pub const LOG_LINES_PER_CALL: u32 = 200;
/// The longest log message kept, in bytes.
pub const LOG_MESSAGE_MAX: usize = 1024;
/// The most log lines one call may attempt (written or dropped); past it the call is stopped
/// with a resource-limit error, so a flood costs the host microseconds, not seconds.
pub const LOG_LINES_CUTOFF: u32 = 10_000;

/// Per-call log budget.
#[derive(Debug, Default)]
pub struct LogBudget {
    /// Lines written in this call.
    pub written: u32,
    /// Lines dropped in this call.
    pub dropped: u32,
}

impl LogBudget {
    /// Whether the call tried to write more than [`LOG_LINES_CUTOFF`] lines.
    pub fn flooded(&self) -> bool {
        self.written + self.dropped >= LOG_LINES_CUTOFF
    }
}

/// The instance's memory cap: wasmtime's [`StoreLimits`], remembering whether a
/// growth was refused so a failed call can be reported as the cap, not as a crash.
pub struct MemoryCap {
    limits: StoreLimits,
    /// Whether the instance asked for more memory (or tables) than allowed.
    pub exceeded: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum);
        self.exceeded |= !matches!(allowed, Ok(true));
        allowed
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.table_growing(current, desired, maximum);
        self.exceeded |= !matches!(allowed, Ok(true));
        allowed
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Everything one instance's store holds.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: EgressHooks,
    pub(crate) limits: MemoryCap,
    pub(crate) log: LogBudget,
    pub(crate) credentials: Arc<dyn CredentialProvider>,
    pub(crate) manager: Arc<str>,
    pub(crate) plugin: Arc<str>,
    /// The manager's secret settings, and during a call the values of that call.
    pub(crate) redactor: Redactor,
    pub(crate) grant: Arc<CredentialGrant>,
    /// The manager's store, for plugins whose manifest asks for one (`keyway:store/kv`).
    pub(crate) store: Option<crate::store::PluginStore>,
}

/// The credentials an instance may ask the host for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialGrant {
    /// Whether `get-aws-credentials` answers.
    pub aws: bool,
    /// The scopes `get-access-token` answers for.
    pub scopes: Vec<String>,
}

/// What the sandbox of one instance grants.
pub(crate) struct SandboxGrant<'a> {
    pub manager: Arc<str>,
    pub plugin: Arc<str>,
    pub data_dir: Option<&'a std::path::Path>,
    pub memory_bytes: usize,
    pub hooks: EgressHooks,
    pub credentials: Arc<dyn CredentialProvider>,
    pub redactor: Redactor,
    pub grant: Arc<CredentialGrant>,
    pub store: Option<crate::store::PluginStore>,
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
            // The data directory is local: run its file operations on the calling thread instead
            // of handing each one to tokio's blocking pool and back (see the runtime's benchmark).
            wasi.allow_blocking_current_thread(true);
        }
        let limits = StoreLimitsBuilder::new()
            .memory_size(grant.memory_bytes)
            .instances(64)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build();
        let limits = MemoryCap { limits, exceeded: false };
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
            redactor: grant.redactor,
            grant: grant.grant,
            store: grant.store,
        })
    }

    /// The limit a failed call ran into, if any: the memory cap or the log cutoff.
    pub(crate) fn exceeded_limit(&self, memory_bytes: usize) -> Option<String> {
        if self.limits.exceeded {
            Some(format!("memory cap of {} MiB per instance", memory_bytes >> 20))
        } else if self.log.flooded() {
            Some(format!("log cutoff of {LOG_LINES_CUTOFF} lines per call"))
        } else {
            None
        }
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
