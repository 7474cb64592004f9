//! What a cached secret costs in memory: the heap bytes the resolver holds per secret once 10,000 secrets are
//! cached, read with `get` (as `keyway serve`'s secret route does) or through placeholders (one step per
//! secret), counted exactly by a counting allocator rather than read from the process's resident size.
//!
//! Run: `cargo bench -p keyway-resolve --bench memory`. The secrets look like AWS Secrets Manager's answers:
//! a 28-byte name, a 39-byte value, a 36-byte version id and the `AWSCURRENT` label. Bytes are those asked of
//! the allocator; glibc's malloc adds 8 to 24 bytes to each block.

use keyway_resolve::{CacheOptions, Identity, ManagerOptions, Resolver, SecretSource};
use keyway_types::{BoxFuture, Capabilities, ProviderError, Secret, SecretMetadata, SecretValue, VersionSelector};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts the bytes and blocks in use.
struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Secrets cached.
const SECRETS: usize = 10_000;

/// A backend answering every name with an AWS-like secret.
struct AwsLike {
    gets: AtomicUsize,
}

impl SecretSource for AwsLike {
    fn get<'a>(&'a self, name: &'a str, _: &'a VersionSelector) -> BoxFuture<'a, Result<Secret, ProviderError>> {
        let call = self.gets.fetch_add(1, Ordering::Relaxed);
        let metadata = SecretMetadata {
            version_id: Some(format!("{call:08x}-1f2e-4d3c-8b7a-0123456789ab")),
            version_labels: vec!["AWSCURRENT".to_owned()],
            updated_at: Some(1_767_225_600_000),
            ..SecretMetadata::named(name)
        };
        let value = SecretValue::text(format!("pw-{call:05}-0123456789abcdef0123456789abcd"));
        Box::pin(async move { Ok(Secret { value, metadata }) })
    }

    fn describe<'a>(
        &'a self,
        name: &'a str,
        _: &'a VersionSelector,
    ) -> BoxFuture<'a, Result<SecretMetadata, ProviderError>> {
        Box::pin(async move { Ok(SecretMetadata::named(name)) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }
}

fn name(index: usize) -> String {
    format!("footprint/service-{index:05}/pass")
}

/// Heap bytes and blocks in use now.
fn in_use() -> (isize, isize) {
    (BYTES.load(Ordering::Relaxed), BLOCKS.load(Ordering::Relaxed))
}

/// Caches `SECRETS` secrets with `read` and returns the heap bytes and blocks held per secret.
fn per_secret<F, Fut>(runtime: &tokio::runtime::Runtime, read: F) -> (f64, f64)
where
    F: Fn(Resolver, usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    runtime.block_on(async {
        let source = Arc::new(AwsLike { gets: AtomicUsize::new(0) });
        let options = CacheOptions { max_entries: SECRETS as u64, ..CacheOptions::default() };
        let resolver = Resolver::builder().cache(options).manager("aws", source, ManagerOptions::default()).build();
        let resolver = resolver.expect("resolver");
        // One secret first, so what is allocated once (tables, the sweeper) is not counted per secret.
        read(resolver.clone(), SECRETS).await;
        resolver.clear_cache(keyway_resolve::CacheScope::All).await.expect("clear");
        let (bytes, blocks) = in_use();
        for index in 0..SECRETS {
            read(resolver.clone(), index).await;
        }
        // Let the cache's housekeeping settle, as it does between reads in a running service.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let cached = resolver.cached_secrets().len();
        assert_eq!(cached, SECRETS, "every secret is cached");
        let (after_bytes, after_blocks) = in_use();
        ((after_bytes - bytes) as f64 / SECRETS as f64, (after_blocks - blocks) as f64 / SECRETS as f64)
    })
}

fn main() {
    // `cargo test --benches` runs bench targets with `--test`: nothing to measure then.
    if std::env::args().any(|arg| arg == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let caller = Identity::default();
    let get = per_secret(&runtime, |resolver, index| {
        let caller = caller.clone();
        async move {
            let secret = resolver.get(&caller, "aws", &name(index), &VersionSelector::Latest).await;
            assert!(secret.is_ok());
        }
    });
    let step = per_secret(&runtime, |resolver, index| {
        let caller = caller.clone();
        async move {
            let step = serde_json::json!({ "password": format!("${{secret:aws/{}}}", name(index)) });
            assert!(resolver.resolve(&caller, &step).await.is_ok());
        }
    });
    println!("{SECRETS} cached secrets (28-byte names, 39-byte values, AWS-like metadata), heap held per secret:");
    println!("| read with | bytes per secret | allocations per secret |\n| --- | --- | --- |");
    println!("| `get` | {:.0} | {:.1} |", get.0, get.1);
    println!("| a placeholder (one step per secret) | {:.0} | {:.1} |", step.0, step.1);
}
