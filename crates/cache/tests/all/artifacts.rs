//! The disk tier: artifacts answer a fresh cache, and every kind of damage is detected,
//! discarded and recompiled with identical results.

use cove_cache::{FORMAT_VERSION, HEADER_LEN, MAGIC, Source};

use crate::support::*;

#[test]
fn fresh_cache_is_answered_from_disk_with_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(50);
    let expected = {
        let cache = disk_cache(dir.path());
        let (module, src) = get(&cache, &code);
        assert_eq!(src, Source::Compiled);
        let out = run_module(&cache, &module);
        assert_eq!(cache.stats().disk.modules, 1);
        out
    };
    let files = artifacts(dir.path());
    assert_eq!(files, vec![artifact_path(dir.path(), &code.id, "baseline")], "one baseline artifact");
    let file = std::fs::read(&files[0]).unwrap();
    assert_eq!(file[..8], MAGIC);
    assert_eq!(file[8..12], FORMAT_VERSION.to_le_bytes());
    assert!(file.len() > HEADER_LEN);

    let cache = disk_cache(dir.path());
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Disk);
    assert_eq!(run_module(&cache, &module), expected, "same result, gas and storage from disk");
    assert_eq!(source(&cache, &code), Source::Memory, "and it was put in memory");
    let stats = cache.stats();
    assert_eq!((stats.hits.disk, stats.hits.memory, stats.misses, stats.compiles), (1, 1, 0, 0));
    assert_eq!(stats.invalid_artifacts, 0);
    assert_eq!(stats.disk.modules, 1);
    assert_eq!(stats.disk.bytes, file.len() as u64);
}

type Damage = fn(Vec<u8>, &[u8]) -> Vec<u8>;

/// Ways to ruin an artifact file: (name, damage(original, another code's artifact)).
fn damages() -> Vec<(&'static str, Damage)> {
    vec![
        ("payload byte flipped", |mut f, _| {
            let at = HEADER_LEN + (f.len() - HEADER_LEN) / 2;
            f[at] ^= 0x55;
            f
        }),
        ("last payload byte flipped", |mut f, _| {
            *f.last_mut().unwrap() ^= 1;
            f
        }),
        ("truncated to half", |f, _| f[..f.len() / 2].to_vec()),
        ("truncated by one byte", |f, _| f[..f.len() - 1].to_vec()),
        ("header only", |f, _| f[..HEADER_LEN].to_vec()),
        ("one byte appended", |mut f, _| {
            f.push(0);
            f
        }),
        ("format version bumped", |mut f, _| {
            f[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
            f
        }),
        ("format version zero", |mut f, _| {
            f[8..12].copy_from_slice(&0u32.to_le_bytes());
            f
        }),
        ("bad magic", |mut f, _| {
            f[0] ^= 0x20;
            f
        }),
        ("payload checksum flipped", |mut f, _| {
            f[60] ^= 1;
            f
        }),
        ("garbage of the same length", |f, _| {
            (0..f.len()).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2]).collect()
        }),
        ("short garbage", |_, _| b"definitely not an artifact".to_vec()),
        ("empty", |_, _| Vec::new()),
        ("another code's intact artifact", |_, other| other.to_vec()),
    ]
}

#[test]
fn damaged_artifacts_are_discarded_and_recompiled_with_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let (code, other) = (Code::looper(50), Code::looper(51));
    let path = artifact_path(dir.path(), &code.id, "baseline");
    let (expected, original, other_file) = {
        let cache = disk_cache(dir.path());
        let expected = run(&cache, &code);
        run(&cache, &other);
        let other_path = artifact_path(dir.path(), &other.id, "baseline");
        (expected, std::fs::read(&path).unwrap(), std::fs::read(other_path).unwrap())
    };

    for (name, damage) in damages() {
        std::fs::write(&path, damage(original.clone(), &other_file)).unwrap();
        let cache = disk_cache(dir.path());
        let (module, src) = get(&cache, &code);
        assert_eq!(src, Source::Compiled, "{name}: the damaged artifact must not load");
        let stats = cache.stats();
        assert_eq!(stats.invalid_artifacts, 1, "{name}");
        assert_eq!((stats.hits.disk, stats.misses, stats.compiles), (0, 1, 1), "{name}");
        assert_eq!(run_module(&cache, &module), expected, "{name}: result, gas and storage unchanged");
        drop(cache);

        // The damaged file was replaced by a good one.
        let cache = disk_cache(dir.path());
        let (module, src) = get(&cache, &code);
        assert_eq!(src, Source::Disk, "{name}: the recompiled artifact was saved");
        assert_eq!(cache.stats().invalid_artifacts, 0, "{name}");
        assert_eq!(run_module(&cache, &module), expected, "{name}");
        // The other code's artifact was never touched.
        assert_eq!(source(&cache, &other), Source::Disk, "{name}");
    }
}

#[test]
fn damaged_artifact_is_discarded_at_deploy_too() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(9);
    let expected = run(&disk_cache(dir.path()), &code);
    let path = artifact_path(dir.path(), &code.id, "baseline");
    let mut file = std::fs::read(&path).unwrap();
    file[HEADER_LEN + 1] ^= 0xff;
    std::fs::write(&path, &file).unwrap();

    let cache = disk_cache(dir.path());
    cache.prepare(code.id, &code.wasm).unwrap().expect("valid code");
    let stats = cache.stats();
    assert_eq!((stats.invalid_artifacts, stats.compiles), (1, 1));
    assert_eq!(source(&cache, &code), Source::Memory);
    assert_eq!(run(&cache, &code), expected);
    assert_ne!(std::fs::read(&path).unwrap(), file, "the damaged file was replaced");
}
