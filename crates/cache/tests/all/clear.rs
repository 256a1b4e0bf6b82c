//! `clear` empties memory and disk, keeps pins, and the cache works after it.

use cove_cache::{CacheError, Source, Usage};

use crate::support::*;

#[test]
fn clear_empties_memory_and_disk_and_keeps_pins() {
    let dir = tempfile::tempdir().unwrap();
    let (pinned, plain) = (Code::looper(10), Code::looper(11));
    let cache = disk_cache(dir.path());
    let wasm = pinned.wasm.clone();
    cache.pin(&pinned.id, &move || Ok::<_, CacheError>(wasm.clone())).unwrap();
    let expected = (run(&cache, &pinned), run(&cache, &plain));
    let stats = cache.stats();
    assert_eq!((stats.pinned.modules, stats.memory.modules, stats.disk.modules), (1, 1, 2));
    // A stray temporary file from a crashed write goes too.
    std::fs::write(dir.path().join("modules").join("stray.123.0.tmp"), b"half").unwrap();

    cache.clear().unwrap();
    let stats = cache.stats();
    assert_eq!(stats.pinned, Usage::default());
    assert_eq!(stats.memory, Usage::default());
    assert_eq!(stats.disk, Usage::default());
    assert_eq!(stats.pinned_codes, vec![pinned.id], "pins are kept");
    assert_eq!(std::fs::read_dir(dir.path().join("modules")).unwrap().count(), 0, "modules/ is empty");
    assert_eq!(cache.tier(&plain.id), None);

    assert_eq!(source(&cache, &plain), Source::Compiled);
    assert_eq!(source(&cache, &pinned), Source::Compiled);
    assert_eq!(source(&cache, &pinned), Source::Pinned, "reloaded into the pinned tier");
    assert_eq!((run(&cache, &pinned), run(&cache, &plain)), expected);
    let stats = cache.stats();
    assert_eq!((stats.pinned.modules, stats.memory.modules, stats.disk.modules), (1, 1, 2));
    drop(cache);

    let cache = disk_cache(dir.path());
    assert_eq!(cache.stats().pinned_codes, vec![pinned.id], "pins survive clear and restart");
    assert_eq!(source(&cache, &plain), Source::Disk, "artifacts written after clear are used");
}

#[test]
fn clear_without_disk_tier() {
    let cache = memory_cache(10, u64::MAX);
    let code = Code::looper(12);
    let expected = run(&cache, &code);
    cache.clear().unwrap();
    assert_eq!(cache.stats().memory.modules, 0);
    assert_eq!(source(&cache, &code), Source::Compiled);
    assert_eq!(run(&cache, &code), expected);
}
