//! The real CosmWasm contracts cove is tested and measured on: hackatom, cyberpunk,
//! empty and corrupted, the test contracts the cosmwasm-vm crate package ships. They are
//! copied by `../shared/tools/cosmwasm-fixtures.sh` (from crates.io), never committed.

use std::path::PathBuf;

/// The bytes of fixture `name` (e.g. `hackatom`), from `$COVE_COSMWASM_FIXTURES` or
/// `target/cosmwasm-fixtures`, fetched there by the shared script on first use.
///
/// Errors (never silently skips) if the fixture is missing and cannot be fetched.
pub fn load(name: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path(name)?).map_err(|e| format!("reading fixture {name}: {e}"))
}

/// The workspace root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The path of fixture `name`, fetched like [`load`].
pub fn path(name: &str) -> Result<PathBuf, String> {
    let dir = std::env::var_os("COVE_COSMWASM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/cosmwasm-fixtures"));
    let path = dir.join(format!("{name}.wasm"));
    if !path.exists() {
        // Tests run in parallel processes: fetch into a private directory, then rename
        // each file into place (atomic; the copies are identical).
        let script = root().join("../shared/tools/cosmwasm-fixtures.sh");
        let private = dir.with_extension(format!("tmp{}", std::process::id()));
        let fetched = std::process::Command::new("bash").arg(&script).arg(&private).status();
        if !fetched.is_ok_and(|s| s.success()) {
            return Err(format!(
                "CosmWasm fixture {} is missing and {} could not fetch it",
                path.display(),
                script.display()
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        for entry in std::fs::read_dir(&private).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            std::fs::rename(entry.path(), dir.join(entry.file_name())).map_err(|e| e.to_string())?;
        }
        let _ = std::fs::remove_dir_all(&private);
    }
    Ok(path)
}
