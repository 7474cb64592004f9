//! The folder-backed store through [`PluginStore`]: the operations, the limits, and compare-and-swap under
//! many concurrent writers on two handles of one folder (as two processes would have).

use super::grant::KvFailure;
use super::{Condition, FileStore, PluginStore};
use std::path::PathBuf;
use std::sync::Arc;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("keyway-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn store(dir: &TempDir) -> PluginStore {
    PluginStore::new(Arc::new(FileStore::open(&dir.0).expect("store folder")))
}

#[tokio::test]
async fn get_set_compare_and_swap_delete_and_list() {
    let dir = TempDir::new("operations");
    let store = store(&dir);
    assert!(store.get("a/1").await.expect("get").is_none());
    let first = store.write("a/1", Condition::Absent, b"one").await.expect("create");
    let again = store.write("a/1", Condition::Absent, b"other").await;
    assert!(matches!(again, Err(KvFailure::Conflict(Some(ref current))) if *current == first), "{again:?}");
    let second = store.write("a/1", Condition::Version(&first), b"two").await.expect("swap");
    let stale = store.write("a/1", Condition::Version(&first), b"lost").await;
    assert!(matches!(stale, Err(KvFailure::Conflict(Some(ref current))) if *current == second), "{stale:?}");
    let entry = store.get("a/1").await.expect("get").expect("present");
    assert_eq!((entry.value.as_slice(), entry.version.as_str()), (&b"two"[..], second.as_str()));
    store.write("a/2", Condition::Any, b"").await.expect("set");
    store.write("b/1", Condition::Any, b"x").await.expect("set");
    assert_eq!(store.list("a/", None, 0).await.expect("list"), (vec!["a/1".into(), "a/2".into()], None));
    assert_eq!(store.list("", None, 2).await.expect("list"), (vec!["a/1".into(), "a/2".into()], Some("a/2".into())));
    assert_eq!(store.list("", Some("a/2"), 2).await.expect("list"), (vec!["b/1".into()], None));
    assert!(store.delete("a/1").await.expect("delete"));
    assert!(!store.delete("a/1").await.expect("delete"));
    // A token from before the delete never matches the key's next life.
    let recreated = store.write("a/1", Condition::Absent, b"three").await.expect("create");
    assert_ne!(recreated, first);
    assert!(matches!(store.write("a/1", Condition::Version(&second), b"x").await, Err(KvFailure::Conflict(_))));
    // Written durably: a new handle on the folder reads the same.
    let reopened = PluginStore::new(Arc::new(FileStore::open(&dir.0).expect("reopen")));
    assert_eq!(reopened.get("a/1").await.expect("get").map(|entry| entry.value), Some(b"three".to_vec()));
}

#[tokio::test]
async fn keys_and_sizes_are_bounded() {
    let dir = TempDir::new("limits");
    let store = store(&dir).with_limits(8, 64);
    assert!(matches!(store.get("../etc/passwd x").await, Err(KvFailure::Key(_))));
    assert!(matches!(store.write("", Condition::Any, b"v").await, Err(KvFailure::Key(_))));
    assert!(matches!(store.write("k", Condition::Any, &[0; 9]).await, Err(KvFailure::ValueTooLarge(8))));
    store.write("k1", Condition::Any, &[0; 8]).await.expect("fits");
    let full = async {
        for n in 0..10 {
            store.write(&format!("k{n}"), Condition::Any, &[0; 8]).await?;
        }
        Ok::<(), KvFailure>(())
    };
    assert!(matches!(full.await, Err(KvFailure::StoreFull(64))));
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .expect("folder")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|name| !name.starts_with(".tmp-")), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_compare_and_swap_never_loses_a_write() {
    let dir = TempDir::new("race");
    let handles = [store(&dir), store(&dir)];
    let (writers, increments) = (16u64, 10u64);
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let store = handles[(writer % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            while (acknowledged.len() as u64) < increments {
                let current = store.get("counter").await.expect("get");
                let (count, expected) = match &current {
                    Some(entry) => (
                        u64::from_le_bytes(entry.value[..8].try_into().expect("8 bytes")),
                        Some(entry.version.as_str()),
                    ),
                    None => (0, None),
                };
                let condition = expected.map_or(Condition::Absent, Condition::Version);
                let mut value = (count + 1).to_le_bytes().to_vec();
                value.extend_from_slice(&writer.to_le_bytes());
                match store.write("counter", condition, &value).await {
                    Ok(_) => acknowledged.push(count + 1),
                    Err(KvFailure::Conflict(_)) => continue,
                    Err(other) => panic!("{other}"),
                }
            }
            acknowledged
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    all.sort_unstable();
    // Every acknowledged write took its own step of the counter: none overwrote another.
    assert_eq!(all, (1..=writers * increments).collect::<Vec<_>>());
    let last = handles[0].get("counter").await.expect("get").expect("present");
    assert_eq!(u64::from_le_bytes(last.value[..8].try_into().expect("8 bytes")), writers * increments);
}

#[tokio::test]
async fn a_lazy_store_makes_its_folder_on_the_first_write() {
    let dir = TempDir::new("lazy");
    let store = PluginStore::new(Arc::new(FileStore::open_lazily(&dir.0).expect("lazy")));
    assert!(store.get("k").await.expect("get").is_none());
    assert_eq!(store.list("", None, 0).await.expect("list"), (Vec::new(), None));
    assert!(!store.delete("k").await.expect("delete"));
    assert!(!dir.0.exists(), "nothing made before a write");
    store.write("k", Condition::Absent, b"v").await.expect("write");
    assert!(dir.0.is_dir());
    assert_eq!(store.get("k").await.expect("get").map(|entry| entry.value), Some(b"v".to_vec()));
}
