//! Artifacts are bound to the configuration that compiled them: the gas schedule and the
//! compiler tier.

use cove_cache::{CacheConfig, Source};
use wasm::{Compiler, Config, Tier, Vm};

use crate::support::*;

/// A cache over `dir` on a VM with `config`.
fn cache_for(config: Config, dir: &std::path::Path) -> Cache {
    cache_with(vm_with(config), &CacheConfig::default(), Some(dir))
}

#[test]
fn gas_schedule_change_invalidates_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(40);
    let original = Config::default();
    let mut pricier = Config::default();
    pricier.gas.ops.base += 1;
    pricier.gas.ops.branch += 2;

    let (expected, _) = {
        let cache = cache_for(original.clone(), dir.path());
        let (module, src) = get(&cache, &code);
        assert_eq!(src, Source::Compiled);
        run_module(&cache, &module)
    };
    // Sanity: the old artifact loads under the original configuration.
    {
        let cache = cache_for(original.clone(), dir.path());
        assert_eq!(source(&cache, &code), Source::Disk);
    }

    let cache = cache_for(pricier.clone(), dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Compiled, "an artifact of another gas schedule must not load");
    assert_eq!(cache.stats().invalid_artifacts, 1);
    let (pricier_out, pricier_storage) = run_module(&cache, &module);
    assert_eq!(pricier_out.result, expected.result, "same code, same result");
    assert!(
        pricier_out.gas_used > expected.gas_used,
        "the new schedule's gas ({}) must exceed the old ({}): the old instrumented code would undercharge",
        pricier_out.gas_used,
        expected.gas_used
    );
    assert_eq!(pricier_storage.0.len(), 1);
    // Its own artifact loads under its own configuration, with its own gas.
    drop(cache);
    let cache = cache_for(pricier, dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Disk);
    assert_eq!(run_module(&cache, &module).0, pricier_out);
    drop(cache);

    // Back to the original schedule: the file now holds the other schedule's artifact
    // (both use the same path), which is discarded again; gas is the original's.
    let cache = cache_for(original, dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Compiled);
    assert_eq!(cache.stats().invalid_artifacts, 1);
    assert_eq!(run_module(&cache, &module).0, expected, "the original config's gas is unchanged");
}

#[test]
fn host_price_change_is_charged_whichever_tier_answers() {
    // Host prices are charged by the host, not the instrumented code, but they are part of
    // the schedule the artifact key covers; whatever the key, gas must follow the config.
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(3);
    let expected = run(&cache_for(Config::default(), dir.path()), &code).0;
    let mut pricier = Config::default();
    pricier.gas.host.storage_write += 1_000;
    let cache = cache_for(pricier, dir.path());
    let (module, _) = get(&cache, &code);
    let out = run_module(&cache, &module).0;
    assert_eq!(out.result, expected.result);
    assert_eq!(out.gas_used, expected.gas_used + 1_000);
}

#[test]
fn settings_outside_the_compiled_code_keep_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(6);
    let expected = run(&cache_for(Config::default(), dir.path()), &code);
    let mut other = Config { timeout_ms: 777, tier_up_after_calls: 5, ..Config::default() };
    other.host_limits.max_key_len /= 2;
    let cache = cache_for(other, dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Disk, "timeout, tier-up threshold and host limits do not change the code");
    assert_eq!(run_module(&cache, &module), expected);
}

#[test]
fn compilers_never_load_each_others_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(60);
    let d = dir.path();
    let baseline_path = artifact_path(d, &code.id, "baseline");
    let optimized_path = artifact_path(d, &code.id, "optimized");
    let cache = |compiler| cache_with(vm_compiler(compiler), &CacheConfig::default(), Some(d));

    let expected = {
        let c = cache(Compiler::Baseline);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, Tier::Baseline));
        run_module(&c, &module)
    };
    assert_eq!(artifacts(d), vec![baseline_path.clone()]);

    // Cranelift only: looks for an optimized artifact only, so compiles, and leaves the
    // baseline artifact alone (it is not invalid, just not its own).
    {
        let c = cache(Compiler::Optimizing);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, Tier::Optimized));
        assert_eq!(c.stats().invalid_artifacts, 0);
        assert_eq!(run_module(&c, &module), expected);
    }
    assert_eq!(artifacts(d), vec![baseline_path.clone(), optimized_path.clone()]);

    // Each finds its own now; tiered prefers the optimized one.
    for (compiler, tier) in [
        (Compiler::Baseline, Tier::Baseline),
        (Compiler::Optimizing, Tier::Optimized),
        (Compiler::Tiered, Tier::Optimized),
    ] {
        let c = cache(compiler);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Disk, tier), "{compiler:?}");
        assert_eq!(c.stats().invalid_artifacts, 0, "{compiler:?}");
        assert_eq!(run_module(&c, &module), expected, "{compiler:?}");
        assert_eq!(c.tier(&code.id), Some(tier));
    }

    // Tiered with only a baseline artifact loads it (Tiered and Baseline share the Winch
    // configuration), and then tiers up as usual.
    std::fs::remove_file(&optimized_path).unwrap();
    {
        let c = cache(Compiler::Tiered);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Disk, Tier::Baseline));
        assert_eq!(run_module(&c, &module), expected);
    }
    {
        let c = cache(Compiler::Optimizing);
        assert_eq!(source(&c, &code), Source::Compiled);
    }

    // Swap the two files: each now holds the other tier's (intact) artifact under its
    // own name. The header key names the tier, so neither may load.
    let (b, o) = (std::fs::read(&baseline_path).unwrap(), std::fs::read(&optimized_path).unwrap());
    let swap = || {
        std::fs::write(&baseline_path, &o).unwrap();
        std::fs::write(&optimized_path, &b).unwrap();
    };
    swap();
    for (compiler, tier) in [(Compiler::Optimizing, Tier::Optimized), (Compiler::Baseline, Tier::Baseline)] {
        let c = cache(compiler);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, tier), "{compiler:?}");
        assert_eq!(c.stats().invalid_artifacts, 1, "{compiler:?}");
        assert_eq!(run_module(&c, &module), expected, "{compiler:?}");
    }
    // Tiered, with both swapped again, rejects both (optimized first, then baseline) and
    // compiles with Winch.
    swap();
    let c = cache(Compiler::Tiered);
    let (module, src) = get(&c, &code);
    assert_eq!((src, module.tier()), (Source::Compiled, Tier::Baseline));
    assert_eq!(c.stats().invalid_artifacts, 2, "both swapped artifacts discarded");
    assert_eq!(run_module(&c, &module), expected);
    assert!(!optimized_path.exists(), "the bad optimized artifact was deleted");
    assert!(baseline_path.exists(), "a fresh baseline artifact was saved");
}

#[test]
fn native_and_pulley_artifacts_never_load_in_each_others_place() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(61);
    let d = dir.path();
    let pulley_path = artifact_path(d, &code.id, "pulley");
    let optimized_path = artifact_path(d, &code.id, "optimized");
    let cache = |compiler| cache_with(vm_compiler(compiler), &CacheConfig::default(), Some(d));

    let expected = {
        let c = cache(Compiler::Interpreter);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, Tier::Interpreted));
        run_module(&c, &module)
    };
    assert_eq!(artifacts(d), vec![pulley_path.clone()], "Pulley bytecode under its own name");
    {
        // A JIT engine ignores the Pulley artifact: compiles natively, invalidates nothing.
        let c = cache(Compiler::Optimizing);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, Tier::Optimized));
        assert_eq!(c.stats().invalid_artifacts, 0);
        assert_eq!(run_module(&c, &module), expected, "the same result and gas natively");
    }
    // Hybrid prefers native code it finds, as tiered does.
    {
        let c = cache(Compiler::Hybrid);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Disk, Tier::Optimized));
        assert_eq!(run_module(&c, &module), expected);
    }

    // Swap the files: native code under the Pulley name and the reverse. Both are intact
    // artifacts, but their keys name another target and tier, so neither loads.
    let (p, o) = (std::fs::read(&pulley_path).unwrap(), std::fs::read(&optimized_path).unwrap());
    std::fs::write(&pulley_path, &o).unwrap();
    std::fs::write(&optimized_path, &p).unwrap();
    for (compiler, tier) in
        [(Compiler::Interpreter, Tier::Interpreted), (Compiler::Optimizing, Tier::Optimized)]
    {
        let c = cache(compiler);
        let (module, src) = get(&c, &code);
        assert_eq!((src, module.tier()), (Source::Compiled, tier), "{compiler:?}");
        assert_eq!(c.stats().invalid_artifacts, 1, "{compiler:?}");
        assert_eq!(run_module(&c, &module), expected, "{compiler:?}");
    }
}

#[test]
fn wasmtime_itself_refuses_a_native_artifact_on_a_pulley_engine() {
    // The second guard under the cache key: even bytes that passed a header check would
    // be refused by wasmtime's own compatibility check.
    let code = Code::looper(62);
    let native = vm_compiler(Compiler::Optimizing);
    let pulley = vm_compiler(Compiler::Interpreter);
    let compile = |vm: &Vm<MapStorage>| {
        let compiled = vm.engine().compile(&code.wasm).unwrap();
        vm.engine().serialize(&compiled).unwrap()
    };
    let (native_bytes, pulley_bytes) = (compile(&native), compile(&pulley));
    // SAFETY: both are `Engine::serialize` output, as `deserialize` requires; wasmtime
    // checks the engine settings recorded in them before using any code.
    #[allow(unsafe_code)]
    let (a, b) = unsafe {
        (
            pulley.engine().deserialize(Tier::Interpreted, &native_bytes),
            native.engine().deserialize(Tier::Optimized, &pulley_bytes),
        )
    };
    assert!(a.is_err(), "native code refused by the Pulley engine");
    assert!(b.is_err(), "Pulley bytecode refused by the native engine");
}
