//! Precompiled plugin artifacts on disk, verified before they are loaded.
//!
//! Compiling a component with Cranelift takes seconds; loading its precompiled artifact takes about a
//! millisecond. Artifacts are keyed by the SHA-256 of the component's bytes and by the engine's compatibility
//! hash (wasmtime version and settings), so a changed plugin or engine never loads a stale artifact.
//!
//! An artifact is native code the host runs, so it is loaded only when it is provably the file this cache
//! wrote: the folder is private (0700) and artifacts 0600; beside each artifact a seal records what the
//! kernel says of the file right after it was written (device, inode, size, and the change time, which no
//! process can set back), authenticated with HMAC-SHA256 under a key made once per installation
//! (`cache.key`, 0600). Replacing or rewriting the artifact changes its inode or change time, so the seal no
//! longer fits: the artifact is compiled again and a warning says so. Checking costs one `stat` and one HMAC
//! over a few dozen bytes, not a hash of the artifact.

use ring::hmac;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The installation key's file in the cache folder.
const KEY_FILE: &str = "cache.key";

/// Where artifacts live, and the key their seals are made with.
#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    key: hmac::Key,
}

impl std::fmt::Debug for CompileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileCache").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// Compiled now (and stored, when a cache is configured).
    Compiled,
    /// Loaded from a precompiled artifact.
    Precompiled,
}

impl CompileCache {
    /// A cache in `dir`: the folder is created private (0700), or made private, and its installation key
    /// is read or made.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        make_private(&dir, 0o700)?;
        let key = installation_key(&dir.join(KEY_FILE))?;
        Ok(Self { dir, key: hmac::Key::new(hmac::HMAC_SHA256, &key) })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The artifact path for `wasm` on `engine`.
    pub fn artifact_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        self.artifact_path_of(engine, &hex::encode(Sha256::digest(wasm)))
    }

    /// The artifact path for the component whose SHA-256 is `sha256` (lower-case hexadecimal) on `engine`.
    pub fn artifact_path_of(&self, engine: &Engine, sha256: &str) -> PathBuf {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut engine_hash);
        let mut digest = Sha256::new();
        digest.update(sha256.as_bytes());
        digest.update(engine_hash.finish().to_le_bytes());
        digest.update(env!("CARGO_PKG_VERSION").as_bytes());
        self.dir.join(format!("{}.cwasm", hex::encode(digest.finalize())))
    }

    /// Loads the artifact for `wasm` when its seal proves this cache wrote it, or compiles it and stores the
    /// artifact with a new seal.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<(Component, LoadSource)> {
        self.load_or_compile_of(engine, wasm, &hex::encode(Sha256::digest(wasm)))
    }

    /// [`load_or_compile`](Self::load_or_compile) for a component whose SHA-256 the caller knows: `wasm` is
    /// read only when there is no usable artifact, and then it must match `sha256`.
    pub fn load_or_compile_of(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<(Component, LoadSource)> {
        let path = self.artifact_path_of(engine, sha256);
        if path.exists() {
            match self.verify(&path) {
                // SAFETY: the seal proves the file is the artifact this cache wrote with
                // `Component::serialize` for this component on this engine, unchanged since; wasmtime also
                // checks the engine compatibility header when loading.
                Ok(()) => match unsafe { Component::deserialize_file(engine, &path) } {
                    Ok(component) => return Ok((component, LoadSource::Precompiled)),
                    Err(err) => {
                        tracing::warn!(path = %path.display(), error = %err, "discarding unusable precompiled plugin")
                    }
                },
                Err(why) => tracing::warn!(
                    path = %path.display(),
                    %why,
                    "not loading a precompiled plugin that this cache cannot vouch for; compiling it again"
                ),
            }
        }
        if !hex::encode(Sha256::digest(wasm)).eq_ignore_ascii_case(sha256) {
            wasmtime::bail!("the component's SHA-256 is not the one it was named by");
        }
        let component = Component::new(engine, wasm)?;
        if let Err(err) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), error = %err, "cannot store precompiled plugin; it will be compiled again next time");
        }
        Ok((component, LoadSource::Compiled))
    }

    fn store(&self, path: &Path, component: &Component) -> std::io::Result<()> {
        let bytes = component.serialize().map_err(|err| std::io::Error::other(err.to_string()))?;
        let tmp = temporary(path);
        write_private(&tmp, &bytes)?;
        std::fs::rename(&tmp, path)?;
        let seal = self.seal(path, &facts(path)?);
        let seal_tmp = temporary(&seal_path(path));
        write_private(&seal_tmp, seal.as_bytes())?;
        std::fs::rename(&seal_tmp, seal_path(path))
    }

    /// Checks the artifact's seal; the reason when it does not hold.
    fn verify(&self, path: &Path) -> Result<(), String> {
        let expected = std::fs::read_to_string(seal_path(path)).map_err(|_| "it has no seal".to_owned())?;
        let facts = facts(path).map_err(|err| format!("cannot read it: {err}"))?;
        let (facts_text, tag) = expected.trim().rsplit_once(' ').ok_or("its seal is malformed")?;
        let tag = hex::decode(tag).map_err(|_| "its seal is malformed".to_owned())?;
        let message = format!("{}\n{facts_text}", file_name(path));
        hmac::verify(&self.key, message.as_bytes(), &tag)
            .map_err(|_| "its seal was not made by this cache".to_owned())?;
        if facts_text != facts {
            return Err("it changed since this cache wrote it".into());
        }
        Ok(())
    }

    fn seal(&self, path: &Path, facts: &str) -> String {
        let message = format!("{}\n{facts}", file_name(path));
        let tag = hmac::sign(&self.key, message.as_bytes());
        format!("{facts} {}", hex::encode(tag.as_ref()))
    }
}

fn seal_path(artifact: &Path) -> PathBuf {
    artifact.with_extension("cwasm.seal")
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What the kernel says of a file that no process can forge without changing it: device, inode, size, the
/// change time, and that it is a regular file private to its owner.
#[cfg(unix)]
fn facts(path: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::symlink_metadata(path)?;
    if !metadata.file_type().is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(std::io::Error::other("others may read or change it"));
    }
    Ok(format!(
        "dev={} ino={} size={} ctime={}.{:09}",
        metadata.dev(),
        metadata.ino(),
        metadata.size(),
        metadata.ctime(),
        metadata.ctime_nsec()
    ))
}

#[cfg(not(unix))]
fn facts(path: &Path) -> std::io::Result<String> {
    let metadata = std::fs::symlink_metadata(path)?;
    let modified = metadata.modified()?.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Ok(format!("size={} mtime={}", metadata.len(), modified.as_nanos()))
}

/// The installation's 32-byte key: read from `path`, or made there (0600). Made once, even when several
/// runtimes start at the same moment: the first creates the file, the others read it.
fn installation_key(path: &Path) -> std::io::Result<Vec<u8>> {
    let started = std::time::Instant::now();
    loop {
        match std::fs::read(path) {
            Ok(key) if key.len() == 32 => {
                make_private(path, 0o600)?;
                return Ok(key);
            }
            // Being written by another runtime: wait for it, briefly.
            Ok(_) if started.elapsed() < std::time::Duration::from_secs(1) => {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "replacing a malformed plugin cache key");
                std::fs::remove_file(path)?;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        let mut key = vec![0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
            .map_err(|_| std::io::Error::other("the system's random source failed"))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(&key)?;
                file.sync_all()?;
                return Ok(key);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
}

/// A temporary name beside `path`, unique to this process and call.
fn temporary(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp{}-{n}", std::process::id()));
    PathBuf::from(name)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn make_private(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
