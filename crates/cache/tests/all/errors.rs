//! Failures: an unusable cache directory, a disk tier that stops working, and code
//! sources that lie.

use cove_cache::{CacheConfig, CacheError, Source};

use crate::support::*;

#[test]
fn cache_dir_that_is_a_regular_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    match Cache::new(vm(), &CacheConfig::default(), Some(&file)) {
        Err(CacheError::Io { path, .. }) => assert_eq!(path, file),
        Err(e) => panic!("expected CacheError::Io, got {e}"),
        Ok(_) => panic!("a regular file was accepted as the cache directory"),
    }
    // With the disk tier off the path is never touched.
    let config = CacheConfig { disk: false, ..CacheConfig::default() };
    let cache = Cache::new(vm(), &config, Some(&file)).expect("disk off");
    assert_eq!(cache.dir(), None);
}

#[test]
fn an_unwritable_disk_tier_still_serves_calls() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(11);
    let expected = run(&memory_cache(10, u64::MAX), &code);
    let cache = disk_cache(dir.path());
    // Replace the modules directory by a file: every artifact read and write fails.
    std::fs::remove_dir_all(dir.path().join("modules")).unwrap();
    std::fs::write(dir.path().join("modules"), b"x").unwrap();
    let (module, src) = get(&cache, &code);
    assert_eq!(src, Source::Compiled);
    assert_eq!(run_module(&cache, &module), expected);
    assert_eq!(source(&cache, &code), Source::Memory);
    let stats = cache.stats();
    assert_eq!(stats.disk.modules, 0, "nothing could be saved");
    assert_eq!(stats.invalid_artifacts, 0, "an unreadable tier is not a damaged artifact");
    // clear() must recreate modules/ and fails loudly here, without panicking.
    assert!(matches!(cache.clear(), Err(CacheError::Io { .. })));
}

#[test]
fn a_code_source_that_lies_is_refused() {
    let cache = memory_cache(10, u64::MAX);
    let (a, b) = (Code::looper(1), Code::looper(2));
    let wasm = b.wasm.clone();
    let err = cache.get(&a.id, &move || Ok::<_, CacheError>(wasm.clone())).err().expect("checksum mismatch");
    assert!(matches!(err, CacheError::Checksum(id) if id == a.id), "{err}");
    let bad = b"\0asm\x01\0\0\0\x05".to_vec();
    let bad_id = types::CodeId::of(&bad);
    let err = cache.get(&bad_id, &move || Ok::<_, CacheError>(bad.clone())).err().expect("invalid");
    assert!(matches!(err, CacheError::Invalid(id, _) if id == bad_id), "{err}");
    let stats = cache.stats();
    assert_eq!(stats.memory.modules, 0);
    assert_eq!(stats.compiles, 0);
    // The honest source still works afterwards.
    assert_eq!(source(&cache, &a), Source::Compiled);
}

#[test]
fn pin_with_an_unwritable_pin_list_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let code = Code::looper(13);
    // `pinned` is a directory: unreadable (ignored at open) and unwritable.
    std::fs::create_dir_all(dir.path().join("pinned")).unwrap();
    let cache = disk_cache(dir.path());
    assert!(cache.stats().pinned_codes.is_empty());
    let wasm = code.wasm.clone();
    let result = cache.pin(&code.id, &move || Ok::<_, CacheError>(wasm.clone()));
    assert!(matches!(result, Err(CacheError::Io { .. })), "pin must report that it could not persist");
    // A pin that failed did not happen: the code is not pinned in this process either
    // (else `stats` and restarts would disagree, and the caller was told it failed).
    let stats = cache.stats();
    assert!(stats.pinned_codes.is_empty(), "a failed pin left the code pinned: {:?}", stats.pinned_codes);
    assert_eq!(stats.pinned.modules, 0);
    // Lookups are unaffected.
    assert_ne!(source(&cache, &code), Source::Pinned);
    run(&cache, &code);

    // The same for unpin: a pin made while the list was writable, then the list breaks.
    std::fs::remove_dir(dir.path().join("pinned")).unwrap();
    let wasm = code.wasm.clone();
    cache.pin(&code.id, &move || Ok::<_, CacheError>(wasm.clone())).expect("pin");
    std::fs::remove_file(dir.path().join("pinned")).unwrap();
    std::fs::create_dir_all(dir.path().join("pinned")).unwrap();
    assert!(matches!(cache.unpin(&code.id), Err(CacheError::Io { .. })));
    assert_eq!(cache.stats().pinned_codes, vec![code.id], "a failed unpin left the code unpinned");
    assert_eq!(source(&cache, &code), Source::Pinned);
}
