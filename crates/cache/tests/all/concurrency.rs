//! Concurrent lookups of one missing code compile it once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use cove_cache::{CacheConfig, Source};

use crate::support::*;

const THREADS: usize = 8;

/// Runs `THREADS` simultaneous first lookups of `code` on `cache`; returns their sources
/// and how often the cache asked for the wasm.
fn race(cache: &Arc<Cache>, code: &Arc<Code>) -> (Vec<Source>, usize) {
    let barrier = Arc::new(Barrier::new(THREADS));
    let asked = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (cache, code, barrier, asked) = (cache.clone(), code.clone(), barrier.clone(), asked.clone());
            std::thread::spawn(move || {
                barrier.wait();
                get_counting(&cache, &code, &asked)
            })
        })
        .collect();
    let sources = threads.into_iter().map(|t| t.join().expect("lookup thread")).collect();
    (sources, asked.load(Ordering::SeqCst))
}

#[test]
fn concurrent_first_lookups_compile_once() {
    let cache = Arc::new(memory_cache(10, u64::MAX));
    let code = Arc::new(Code::looper(77));
    let (sources, asked) = race(&cache, &code);

    let stats = cache.stats();
    assert_eq!(stats.compiles, 1, "{sources:?}");
    assert_eq!(stats.misses, 1, "{sources:?}");
    assert_eq!(asked, 1, "the wasm was read once");
    assert_eq!(sources.iter().filter(|s| **s == Source::Compiled).count(), 1, "{sources:?}");
    assert!(sources.iter().all(|s| matches!(s, Source::Compiled | Source::Memory)), "{sources:?}");
    assert_eq!(stats.hits.memory, THREADS as u64 - 1);
    assert_eq!(stats.memory.modules, 1);
    run(&cache, &code);
}

#[test]
fn concurrent_first_lookups_read_the_disk_once() {
    let dir = tempfile::tempdir().unwrap();
    let code = Arc::new(Code::looper(78));
    let expected = run(&disk_cache(dir.path()), &code);

    let cache = Arc::new(cache_with(vm(), &CacheConfig::default(), Some(dir.path())));
    let (sources, asked) = race(&cache, &code);
    let stats = cache.stats();
    assert_eq!((stats.hits.disk, stats.misses, stats.compiles), (1, 0, 0), "{sources:?}");
    assert_eq!(asked, 0, "the wasm was never needed");
    assert_eq!(sources.iter().filter(|s| **s == Source::Disk).count(), 1, "{sources:?}");
    assert_eq!(stats.hits.memory, THREADS as u64 - 1);
    assert_eq!(run(&cache, &code), expected);
}

#[test]
fn concurrent_lookups_of_distinct_codes_all_succeed() {
    let cache = Arc::new(memory_cache(3, u64::MAX));
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS as u32)
        .map(|i| {
            let (cache, barrier) = (cache.clone(), barrier.clone());
            std::thread::spawn(move || {
                let code = Code::looper(200 + i % 4);
                barrier.wait();
                for _ in 0..5 {
                    run(&cache, &code);
                }
                code.id
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let stats = cache.stats();
    assert!(stats.memory.modules <= 3);
    assert_eq!(stats.misses, stats.compiles);
    assert_eq!(stats.hits.memory + stats.misses, THREADS as u64 * 5);
}
