//! Tier-up through the cache: the call that reaches `tier_up_after_calls` starts a
//! background recompilation whose module and artifact replace the first tier's ones
//! (Winch's under `tiered`, Pulley's under `hybrid`).

use cove_cache::{CacheConfig, Source};
use wasm::{Compiler, Config, Tier};

use crate::support::*;

fn tiered(after: u32, dir: &std::path::Path) -> Cache {
    let config = Config { compiler: Compiler::Tiered, tier_up_after_calls: after, ..Config::default() };
    cache_with(vm_with(config), &CacheConfig::default(), Some(dir))
}

#[test]
fn hot_module_tiers_up_in_memory_and_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(30);
    let cache = tiered(3, dir.path());
    let expected = run_linked(&cache, &for_call(&cache, &code));
    assert_eq!(run_linked(&cache, &for_call(&cache, &code)), expected);
    cache.settle();
    assert_eq!(cache.tier(&code.id), Some(Tier::Baseline), "two calls: not hot yet");
    assert_eq!(cache.stats().tier_ups, 0);
    assert_eq!(artifacts(dir.path()), vec![artifact_path(dir.path(), &code.id, "baseline")]);

    // The third call starts the tier-up; it runs whichever code is ready.
    assert_eq!(run_linked(&cache, &for_call(&cache, &code)), expected);
    cache.settle();
    assert_eq!(cache.tier(&code.id), Some(Tier::Optimized));
    let stats = cache.stats();
    assert_eq!(stats.tier_ups, 1);
    assert_eq!(stats.compiles, 1, "tier-ups are not counted as compiles");
    let (module, _) = get(&cache, &code);
    assert_eq!(stats.memory.bytes, module.size(), "the LRU weighs the new code");
    assert_eq!(
        artifacts(dir.path()),
        vec![artifact_path(dir.path(), &code.id, "optimized")],
        "the optimized artifact replaced the baseline one"
    );
    let fourth = for_call(&cache, &code);
    assert_eq!(fourth.tier(), Tier::Optimized);
    assert_eq!(run_linked(&cache, &fourth), expected, "identical result and gas after tier-up");
    for _ in 0..5 {
        for_call(&cache, &code);
    }
    cache.settle();
    assert_eq!(cache.stats().tier_ups, 1, "a module tiers up once");
    drop(cache);

    let cache = tiered(3, dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!((src, module.tier()), (Source::Disk, Tier::Optimized));
    assert_eq!(run_module(&cache, &module), expected);
    for _ in 0..5 {
        for_call(&cache, &code);
    }
    cache.settle();
    assert_eq!(cache.stats().tier_ups, 0, "an optimized module never tiers up again");
}

#[test]
fn single_compiler_configs_never_tier_up() {
    for (compiler, tier) in [
        (Compiler::Baseline, Tier::Baseline),
        (Compiler::Optimizing, Tier::Optimized),
        (Compiler::Interpreter, Tier::Interpreted),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { compiler, tier_up_after_calls: 1, ..Config::default() };
        let cache = cache_with(vm_with(config), &CacheConfig::default(), Some(dir.path()));
        let code = Code::looper(31);
        for _ in 0..4 {
            for_call(&cache, &code);
        }
        cache.settle();
        assert_eq!(cache.tier(&code.id), Some(tier), "{compiler:?}");
        assert_eq!(cache.stats().tier_ups, 0, "{compiler:?}");
        assert_eq!(artifacts(dir.path()).len(), 1, "{compiler:?}");
    }
}

#[test]
fn hybrid_interprets_until_the_threshold_then_switches_to_cranelift() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(32);
    let hybrid = |dir: &std::path::Path| {
        let config = Config { compiler: Compiler::Hybrid, tier_up_after_calls: 3, ..Config::default() };
        cache_with(vm_with(config), &CacheConfig::default(), Some(dir))
    };
    let cache = hybrid(dir.path());
    let first = for_call(&cache, &code);
    assert_eq!(first.tier(), Tier::Interpreted, "a fresh module is interpreted at once");
    let expected = run_linked(&cache, &first);
    assert_eq!(run_linked(&cache, &for_call(&cache, &code)), expected);
    cache.settle();
    assert_eq!(cache.tier(&code.id), Some(Tier::Interpreted), "two calls: not hot yet");
    assert_eq!(artifacts(dir.path()), vec![artifact_path(dir.path(), &code.id, "pulley")]);

    assert_eq!(run_linked(&cache, &for_call(&cache, &code)), expected);
    cache.settle();
    assert_eq!(cache.tier(&code.id), Some(Tier::Optimized), "the third call started the compile");
    assert_eq!(cache.stats().tier_ups, 1);
    assert_eq!(
        artifacts(dir.path()),
        vec![artifact_path(dir.path(), &code.id, "optimized")],
        "the optimized artifact replaced the Pulley one"
    );
    assert_eq!(run_linked(&cache, &for_call(&cache, &code)), expected, "identical after the switch");
    drop(cache);

    let cache = hybrid(dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!((src, module.tier()), (Source::Disk, Tier::Optimized), "a restart loads native code");
    assert_eq!(run_module(&cache, &module), expected);
}
