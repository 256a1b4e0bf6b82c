//! The pinned tier: never evicted, persisted in `<dir>/pinned`, undone by `unpin`.

use cove_cache::{CacheConfig, CacheError, Source};

use crate::support::*;

/// A cache with a one-module LRU over `dir`.
fn small_cache(dir: &std::path::Path) -> Cache {
    cache_with(vm(), &CacheConfig { memory_modules: 1, ..CacheConfig::default() }, Some(dir))
}

fn pin(cache: &Cache, code: &Code) {
    let wasm = code.wasm.clone();
    cache.pin(&code.id, &move || Ok::<_, CacheError>(wasm.clone())).expect("pin");
}

#[test]
fn pinned_module_survives_pressure_restarts_and_unpin_returns_it_to_the_lru() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = Code::looper(100);
    let others: Vec<Code> = (1..=6).map(Code::looper).collect();
    let expected = run(&memory_cache(10, u64::MAX), &pinned).0;

    let cache = small_cache(dir.path());
    pin(&cache, &pinned);
    assert_eq!(cache.stats().pinned.modules, 1, "pin loads the module");
    for code in &others {
        assert_eq!(source(&cache, code), Source::Compiled);
    }
    let stats = cache.stats();
    assert_eq!(stats.evictions, others.len() as u64 - 1, "the one-module LRU churned");
    assert_eq!(stats.memory.modules, 1);
    let (module, src) = get(&cache, &pinned);
    assert_eq!(src, Source::Pinned, "pinned survives pressure");
    assert_eq!(run_module(&cache, &module).0, expected);
    let stats = cache.stats();
    assert_eq!(stats.pinned.modules, 1);
    assert!(stats.pinned.bytes > 0);
    assert_eq!(stats.pinned_codes, vec![pinned.id]);
    assert_eq!(stats.hits.pinned, 1);
    drop(cache);

    // A new cache over the same dir knows the pin before loading anything.
    let cache = small_cache(dir.path());
    let stats = cache.stats();
    assert_eq!(stats.pinned_codes, vec![pinned.id], "the pin list persists");
    assert_eq!(stats.pinned.modules, 0, "not loaded yet");
    assert_eq!(source(&cache, &pinned), Source::Disk);
    assert_eq!(cache.stats().pinned.modules, 1, "loaded into the pinned tier");
    for code in &others {
        assert_eq!(source(&cache, code), Source::Disk);
    }
    assert_eq!(source(&cache, &pinned), Source::Pinned, "still pinned after pressure");

    // Unpin: the module moves to the LRU (evicting the other one there, which is older).
    assert!(cache.unpin(&pinned.id).unwrap(), "it was pinned");
    let stats = cache.stats();
    assert!(stats.pinned_codes.is_empty());
    assert_eq!(stats.pinned.modules, 0);
    assert_eq!(stats.memory.modules, 1);
    let (module, src) = get(&cache, &pinned);
    assert_eq!(src, Source::Memory, "unpinned: now answered by the LRU");
    assert_eq!(run_module(&cache, &module).0, expected);
    assert!(!cache.unpin(&pinned.id).unwrap(), "unpinning twice reports false");
    // ... and evictable like any other.
    assert_eq!(source(&cache, &others[0]), Source::Disk);
    assert_eq!(source(&cache, &pinned), Source::Disk, "evicted from the LRU once unpinned");
    drop(cache);

    let cache = small_cache(dir.path());
    assert!(cache.stats().pinned_codes.is_empty(), "the unpin persisted");
}

#[test]
fn garbage_pin_file_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let kept = Code::looper(7);
    let mut garbage = vec![0xff, 0xfe, 0x00, b'\n', b'\r', 0x80];
    garbage.extend_from_slice(b"\nnot a code id\n0x1234\n");
    garbage.extend_from_slice(format!("  {}  \n", kept.id).as_bytes());
    garbage.extend((0..2048u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(dir.path().join("pinned"), &garbage).unwrap();

    let cache = disk_cache(dir.path());
    assert_eq!(cache.stats().pinned_codes, vec![kept.id], "only the well-formed line counts");
    assert_eq!(source(&cache, &kept), Source::Compiled);
    assert_eq!(source(&cache, &kept), Source::Pinned);
    drop(cache);

    // Entirely unreadable: nothing pinned, and pinning rewrites the file cleanly.
    std::fs::write(dir.path().join("pinned"), [0u8, 159, 146, 150, 0xc3, 0x28]).unwrap();
    let cache = disk_cache(dir.path());
    assert!(cache.stats().pinned_codes.is_empty());
    pin(&cache, &kept);
    drop(cache);
    assert_eq!(disk_cache(dir.path()).stats().pinned_codes, vec![kept.id]);
}
