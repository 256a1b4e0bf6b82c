//! `cove testnet init`: the homes of N validators of one new chain on `127.0.0.1`, each
//! with a fresh ed25519 key, its `config.toml` naming the others as peers, and the same
//! `genesis.json` (`crate::home` describes the files).
//!
//! Node `i` listens for consensus on `base_port + 2i` and for JSON-RPC on
//! `base_port + 2i + 1`. It writes only inside the output directory, and replaces
//! earlier node homes there only when told to (`force`); it never touches a directory
//! that is not a node home.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use runtime::ExecutionConfig;

use crate::genesis::{GENESIS_FORMAT, Genesis, GenesisAccount, MAX_VALIDATORS, validator_entry};
use crate::home::{
    CONFIG_FILE, GENESIS_FILE, HomeConfig, HomeError, KEY_FILE, KeyFile, Timeouts, io, write_file,
};

/// The first port of `cove testnet init` when none is given: 26656 (node 0's p2p; its
/// RPC is 26657, node 1's p2p 26658, ...).
pub const DEFAULT_BASE_PORT: u16 = 26656;
/// The block time of new homes when none is given: 1 s.
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);
/// How often peers exchange their heights in new homes: 1 s.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// What to make.
#[derive(Debug, Clone)]
pub struct TestnetOptions {
    /// How many validators (1..=[`MAX_VALIDATORS`]), each of power 1.
    pub validators: usize,
    /// Where the homes go (`out/node0`, `out/node1`, ...).
    pub out: PathBuf,
    /// Replace the node homes already in `out`.
    pub force: bool,
    /// The first port.
    pub base_port: u16,
    /// The chain's execution configuration; its `evm.chain_id` is the chain id.
    pub execution: ExecutionConfig,
    /// The time of block 1, unix seconds.
    pub genesis_time: u64,
    /// The balances block 1 credits.
    pub accounts: Vec<GenesisAccount>,
    /// The least time between heights.
    pub block_time: Duration,
}

/// What was made.
#[derive(Debug)]
pub struct Testnet {
    /// The homes, node 0 first.
    pub homes: Vec<PathBuf>,
    /// The genesis they share.
    pub genesis: Genesis,
}

/// The consensus port of node `i`.
pub fn p2p_port(base: u16, i: usize) -> Option<u16> {
    u16::try_from(usize::from(base) + 2 * i).ok()
}

/// The JSON-RPC port of node `i`.
pub fn rpc_port(base: u16, i: usize) -> Option<u16> {
    u16::try_from(usize::from(base) + 2 * i + 1).ok()
}

/// A fresh ed25519 key from the operating system's random source.
fn fresh_key() -> Result<SigningKey, HomeError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| HomeError::Usage(format!("no random source for keys: {e}")))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Whether `dir` is a node home (holds a `config.toml`).
fn is_home(dir: &Path) -> bool {
    dir.join(CONFIG_FILE).is_file()
}

/// Makes `out` ready: absent or empty, or (with `force`) its node homes removed.
fn prepare(out: &Path, n: usize, force: bool) -> Result<(), HomeError> {
    let entries: Vec<PathBuf> = match std::fs::read_dir(out) {
        Ok(rd) => rd.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io(out))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(out)(e)),
    };
    if entries.is_empty() {
        return std::fs::create_dir_all(out).map_err(io(out));
    }
    if !force {
        return Err(HomeError::Usage(format!(
            "{} is not empty ({} entries): choose another directory, or pass --force to replace the node homes in it",
            out.display(),
            entries.len()
        )));
    }
    for i in 0..n {
        let home = out.join(format!("node{i}"));
        if home.exists() && !is_home(&home) {
            return Err(HomeError::Usage(format!(
                "{} exists and is not a node home (no {CONFIG_FILE}): not replacing it",
                home.display()
            )));
        }
    }
    for entry in entries {
        let is_node = entry.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("node"));
        if is_node && is_home(&entry) {
            std::fs::remove_dir_all(&entry).map_err(io(&entry))?;
        }
    }
    Ok(())
}

/// Writes the homes of `opts`.
pub fn init(opts: &TestnetOptions) -> Result<Testnet, HomeError> {
    let n = opts.validators;
    if n == 0 || n > MAX_VALIDATORS {
        return Err(HomeError::Usage(format!(
            "--validators {n}: expected 1..={MAX_VALIDATORS} (MAX_VALIDATORS)"
        )));
    }
    if opts.base_port == 0 || rpc_port(opts.base_port, n - 1).is_none() {
        return Err(HomeError::Usage(format!(
            "--base-port {}: {n} nodes need ports {}..={}, within 1..=65535",
            opts.base_port,
            opts.base_port,
            usize::from(opts.base_port) + 2 * n - 1
        )));
    }
    let keys = (0..n).map(|_| fresh_key()).collect::<Result<Vec<_>, _>>()?;
    let genesis = Genesis {
        format: GENESIS_FORMAT,
        chain_id: opts.execution.evm.chain_id,
        genesis_time: opts.genesis_time,
        validators: keys.iter().map(|k| validator_entry(&k.verifying_key(), 1)).collect(),
        accounts: opts.accounts.clone(),
        execution: opts.execution.clone(),
    };
    genesis.validate().map_err(|e| HomeError::Usage(e.to_string()))?;
    prepare(&opts.out, n, opts.force)?;

    let addr = |port: Option<u16>| std::net::SocketAddr::from(([127, 0, 0, 1], port.unwrap_or_default()));
    let genesis_text = genesis.to_json_pretty();
    let mut homes = Vec::with_capacity(n);
    for (i, key) in keys.iter().enumerate() {
        let home = opts.out.join(format!("node{i}"));
        std::fs::create_dir_all(&home).map_err(io(&home))?;
        let config = HomeConfig {
            moniker: format!("node{i}"),
            genesis_hash: genesis.hash_hex(),
            p2p: addr(p2p_port(opts.base_port, i)),
            peers: (0..n).filter(|j| *j != i).map(|j| addr(p2p_port(opts.base_port, j))).collect(),
            rpc: Some(addr(rpc_port(opts.base_port, i))),
            block_time_ms: u64::try_from(opts.block_time.as_millis()).unwrap_or(u64::MAX),
            sync_interval_ms: u64::try_from(DEFAULT_SYNC_INTERVAL.as_millis()).unwrap_or(1000),
            timeouts: Timeouts::default(),
            runtime: None,
        };
        let toml = toml::to_string(&config).map_err(|e| HomeError::Usage(e.to_string()))?;
        let text = format!(
            "# cove validator node{i} (docs/consensus.md, \"Node homes\").\n\
             # Node-local runtime settings (wasm.mode, cache.*, ...) may go in a [runtime] table;\n\
             # execution settings there must equal genesis.json's.\n{toml}"
        );
        write_file(&home.join(CONFIG_FILE), text.as_bytes(), 0o644)?;
        write_file(&home.join(GENESIS_FILE), genesis_text.as_bytes(), 0o644)?;
        let key_json = serde_json::to_string_pretty(&KeyFile::of(key)).unwrap_or_default() + "\n";
        write_file(&home.join(KEY_FILE), key_json.as_bytes(), 0o600)?;
        homes.push(home);
    }
    Ok(Testnet { homes, genesis })
}
