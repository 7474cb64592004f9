//! The runtime: one wasmtime engine, its linker, the epoch ticker and plugin loading.

use crate::bindings::SecretProviderPre;
use crate::compile_cache::{CompileCache, LoadSource};
use crate::egress::{EgressPolicy, GuardedResolver};
use crate::error::RuntimeError;
use crate::manifest::PluginManifest;
use crate::plugin::file::PluginFile;
use crate::plugin::Plugin;
use crate::sandbox::HostState;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticks; deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings of the runtime as a whole.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where precompiled plugins are kept; `None` compiles on every start.
    pub cache_dir: Option<PathBuf>,
    /// How many instances may exist at once across all plugins (pooling allocator slots).
    pub max_instances: u32,
    /// The largest linear memory any instance may have, in bytes.
    pub max_memory_bytes: usize,
    /// Whether to use the pooling allocator (faster instantiation).
    pub pooling: bool,
    /// Whether connections keep warm instances for later calls (the default), or give every
    /// call a fresh instance, opened for it and dropped after it. Fresh instances cost an
    /// instantiation and the plugin's `open` per call (see the runtime's benchmark) and lose
    /// state a plugin keeps in memory; they suit plugins that must not share anything between calls.
    pub reuse_instances: bool,
    /// Names that plugins' requests resolve to these addresses instead of through DNS (lower case, no
    /// trailing dot): for tests, and for split-horizon setups. The addresses are checked like any other.
    pub name_overrides: BTreeMap<String, Vec<IpAddr>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_instances: 128,
            max_memory_bytes: 256 << 20,
            pooling: true,
            reuse_instances: true,
            name_overrides: BTreeMap::new(),
        }
    }
}

/// Loads plugins and opens connections to them.
pub struct Runtime {
    pub(crate) engine: Engine,
    linker: Linker<HostState>,
    /// The same, with the host's store: for plugins whose manifest says `storage = true`.
    linker_with_store: Linker<HostState>,
    cache: Option<CompileCache>,
    pub(crate) config: RuntimeConfig,
    overrides: Arc<BTreeMap<String, Vec<IpAddr>>>,
    ticker: EpochTicker,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Runtime {
    /// Creates the engine (Cranelift, async, epoch interruption, pooling allocator) and its linker.
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        let engine_error = |err: wasmtime::Error| RuntimeError::Engine(format!("{err:#}"));
        let mut wasm = Config::new();
        wasm.epoch_interruption(true).wasm_component_model(true);
        if config.pooling {
            let n = config.max_instances.max(1);
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(n)
                .total_core_instances(n * 16)
                .total_memories(n * 4)
                .total_tables(n * 8)
                .total_stacks(n)
                .max_memory_size(config.max_memory_bytes)
                .max_memories_per_component(16)
                .max_tables_per_component(32)
                .max_core_instances_per_component(64)
                .table_elements(200_000)
                .max_component_instance_size(4 << 20)
                .max_core_instance_size(4 << 20)
                // Reset a freed memory slot by zeroing the pages the instance dirtied (found with
                // PAGEMAP_SCAN where the kernel has it) instead of unmapping them: the next
                // instance in the slot then takes no page faults. Costs at most this much
                // resident memory per slot in use.
                .linear_memory_keep_resident(2 << 20)
                .table_keep_resident(64 << 10)
                .pagemap_scan(Enabled::Auto);
            wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&wasm).map_err(engine_error)?;
        let linker = provider_linker(&engine).map_err(engine_error)?;
        let mut linker_with_store = provider_linker(&engine).map_err(engine_error)?;
        crate::store::host::add_to_linker(&mut linker_with_store).map_err(engine_error)?;
        let ticker = EpochTicker::start(&engine);
        let cache = config
            .cache_dir
            .clone()
            .map(CompileCache::new)
            .transpose()
            .map_err(|err| RuntimeError::Engine(format!("cannot prepare the plugin cache folder: {err}")))?;
        let overrides = Arc::new(
            config
                .name_overrides
                .iter()
                .map(|(name, addresses)| (name.trim_end_matches('.').to_ascii_lowercase(), addresses.clone()))
                .collect(),
        );
        Ok(Self { engine, linker, linker_with_store, cache, config, overrides, ticker })
    }

    /// Loads a plugin file: a packed `NAME.wasm` carrying its manifest, or `NAME.wasm` with its manifest
    /// `NAME.toml` beside it (see [`PluginFile::read`]).
    pub fn load_plugin_file(&self, wasm_path: &Path) -> Result<Arc<Plugin>, RuntimeError> {
        self.load_plugin_from(PluginFile::read(wasm_path)?)
    }

    /// Loads a plugin file already read; its digest is the packed file's.
    pub fn load_plugin_from(&self, file: PluginFile) -> Result<Arc<Plugin>, RuntimeError> {
        let digest = file.digest().to_owned();
        self.compile(file.manifest, &file.wasm, None, digest)
    }

    /// Loads a plugin from its manifest and component bytes: from the precompiled cache when
    /// possible, otherwise compiled with Cranelift; then pre-instantiated. Its digest is the component's.
    pub fn load_plugin(&self, manifest: PluginManifest, wasm: &[u8]) -> Result<Arc<Plugin>, RuntimeError> {
        let sha256 = hex::encode(Sha256::digest(wasm));
        self.compile(manifest, wasm, Some(&sha256), sha256.clone())
    }

    /// [`load_plugin`](Self::load_plugin) for a component whose SHA-256 (lower-case hexadecimal) is known from
    /// when it was built, as the embedded plugins' is: with a precompiled artifact in the cache, `wasm` is not
    /// read at all (so its pages are neither hashed nor made resident); compiling it checks the digest.
    pub fn load_plugin_of(
        &self,
        manifest: PluginManifest,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<Arc<Plugin>, RuntimeError> {
        let sha256 = sha256.to_ascii_lowercase();
        self.compile(manifest, wasm, Some(&sha256), sha256.clone())
    }

    /// Loads `wasm` (from the cache by `sha256` when given, else by its own digest) as a plugin whose digest
    /// is `digest`.
    fn compile(
        &self,
        manifest: PluginManifest,
        wasm: &[u8],
        sha256: Option<&str>,
        digest: String,
    ) -> Result<Arc<Plugin>, RuntimeError> {
        let started = Instant::now();
        let invalid = |reason: String| RuntimeError::InvalidComponent { plugin: manifest.name.clone(), reason };
        let (component, source) = match (&self.cache, sha256) {
            (Some(cache), Some(sha256)) => {
                cache.load_or_compile_of(&self.engine, wasm, sha256).map_err(|err| invalid(format!("{err:#}")))?
            }
            (Some(cache), None) => {
                cache.load_or_compile(&self.engine, wasm).map_err(|err| invalid(format!("{err:#}")))?
            }
            (None, sha256) => {
                if sha256.is_some_and(|sha256| hex::encode(Sha256::digest(wasm)) != sha256) {
                    return Err(invalid("the component's SHA-256 is not the one it was named by".into()));
                }
                (
                    wasmtime::component::Component::new(&self.engine, wasm)
                        .map_err(|err| invalid(format!("{err:#}")))?,
                    LoadSource::Compiled,
                )
            }
        };
        let linker = if manifest.storage { &self.linker_with_store } else { &self.linker };
        let pre = linker.instantiate_pre(&component).map_err(|err| invalid(format!("{err:#}")))?;
        let pre = SecretProviderPre::new(pre).map_err(|err| invalid(format!("{err:#}")))?;
        let elapsed = started.elapsed();
        tracing::debug!(plugin = %manifest.name, ?source, ?elapsed, "plugin loaded");
        Ok(Arc::new(Plugin::new(manifest, pre, source, elapsed, wasm.len(), digest)))
    }

    /// One manager's HTTP client: it resolves names through `policy` (see [`GuardedResolver`]) and trusts
    /// `pem_certificates` besides the operating system's roots.
    pub(crate) fn http_client(
        &self,
        pem_certificates: &[Vec<u8>],
        policy: Arc<EgressPolicy>,
    ) -> Result<reqwest::Client, String> {
        let resolver = GuardedResolver::new(policy, self.overrides.clone());
        let mut builder = http_client_builder().dns_resolver(Arc::new(resolver));
        for pem in pem_certificates {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|err| format!("is not a PEM certificate bundle: {err}"))?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        builder.build().map_err(|err| format!("cannot be used: {err}"))
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether the epoch ticker is running.
    pub fn is_ticking(&self) -> bool {
        !self.ticker.stop.load(Ordering::Relaxed)
    }
}

/// A linker with WASI, `wasi:http` and the contract's `host` interface.
fn provider_linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::SecretProvider::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
    Ok(linker)
}

/// The host's HTTP client: rustls with the operating system's roots, pooled connections, no redirects
/// (a plugin sees and follows redirects itself, through the same allowlist).
fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let engine = engine.weak();
        let thread = std::thread::Builder::new()
            .name("keyway-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
