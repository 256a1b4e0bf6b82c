//! The in-memory LRU tier: eviction order by last use, the module count and the byte
//! budget.

use cove_cache::Source;

use crate::support::*;

#[test]
fn least_recently_used_module_is_evicted_first() {
    let cache = memory_cache(2, u64::MAX);
    let (a, b, c) = (Code::looper(1), Code::looper(2), Code::looper(3));

    assert_eq!(source(&cache, &a), Source::Compiled);
    assert_eq!(source(&cache, &b), Source::Compiled);
    assert_eq!(source(&cache, &a), Source::Memory, "A touched again: B is now the oldest");
    assert_eq!(cache.stats().evictions, 0);
    assert_eq!(source(&cache, &c), Source::Compiled);
    let stats = cache.stats();
    assert_eq!(stats.evictions, 1, "the third module evicts one");
    assert_eq!(stats.memory.modules, 2);

    assert_eq!(source(&cache, &a), Source::Memory, "A stayed");
    assert_eq!(source(&cache, &c), Source::Memory, "C stayed");
    // B was evicted: it compiles again, evicting A (C was used after it).
    assert_eq!(source(&cache, &b), Source::Compiled, "B was evicted");
    assert_eq!(source(&cache, &c), Source::Memory);
    assert_eq!(source(&cache, &a), Source::Compiled, "then A, the least recently used");

    let stats = cache.stats();
    assert_eq!(stats.evictions, 3);
    assert_eq!(stats.memory.modules, 2);
    assert_eq!(stats.misses, 5);
    assert_eq!(stats.compiles, 5);
    assert_eq!(stats.hits.memory, 4);
}

#[test]
fn byte_budget_keeps_only_what_fits() {
    let (a, b) = (Code::looper(1), Code::looper(2));
    // Sizes of the compiled code, from a cache with room for everything.
    let sizes = {
        let roomy = memory_cache(10, u64::MAX);
        (get(&roomy, &a).0.size(), get(&roomy, &b).0.size())
    };
    assert!(sizes.0 > 0 && sizes.1 > 0, "compiled modules have a size: {sizes:?}");
    let budget = sizes.0.max(sizes.1) + 1;
    assert!(budget < sizes.0 + sizes.1, "the budget holds one module, not two");

    let cache = memory_cache(10, budget);
    let (module_a, source_a) = get(&cache, &a);
    assert_eq!(source_a, Source::Compiled);
    assert_eq!(module_a.size(), sizes.0, "a module's size does not depend on the cache");
    assert_eq!(cache.stats().memory.modules, 1);
    assert_eq!(source(&cache, &b), Source::Compiled);
    let stats = cache.stats();
    assert_eq!(stats.evictions, 1, "B does not fit next to A");
    assert_eq!(stats.memory.modules, 1, "only one module stays");
    assert_eq!(stats.memory.bytes, sizes.1, "and it is B, the newest");
    assert!(stats.memory.bytes <= budget);
    assert_eq!(source(&cache, &b), Source::Memory);
    assert_eq!(source(&cache, &a), Source::Compiled, "A was evicted");
    assert_eq!(cache.stats().memory.bytes, sizes.0);
}

#[test]
fn module_larger_than_the_budget_is_not_kept_but_still_runs() {
    let a = Code::looper(1);
    let size = get(&memory_cache(10, u64::MAX), &a).0.size();
    let expected = run(&memory_cache(10, u64::MAX), &a).0;

    let cache = memory_cache(10, size - 1);
    let (module, src) = get(&cache, &a);
    assert_eq!(src, Source::Compiled);
    assert_eq!(run_module(&cache, &module).0, expected, "the returned module works");
    let stats = cache.stats();
    assert_eq!(stats.memory, cove_cache::Usage { modules: 0, bytes: 0 });
    assert_eq!(stats.evictions, 1);
    assert_eq!(source(&cache, &a), Source::Compiled, "nothing was kept");
}

#[test]
fn zero_modules_keeps_none() {
    let cache = memory_cache(0, u64::MAX);
    let a = Code::looper(1);
    assert_eq!(source(&cache, &a), Source::Compiled);
    assert_eq!(source(&cache, &a), Source::Compiled);
    let stats = cache.stats();
    assert_eq!(stats.memory.modules, 0);
    assert_eq!((stats.misses, stats.compiles, stats.evictions), (2, 2, 2));
}
