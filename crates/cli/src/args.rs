//! Command-line arguments, parsed into validated values before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use types::{Address, CodeId};

/// cove: a deterministic smart-contract engine.
#[derive(Debug, Parser)]
#[command(name = "cove", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Directory holding the state store.
    #[arg(long, global = true, env = "COVE_DATA_DIR", default_value = "./.cove")]
    pub data_dir: PathBuf,
    /// TOML configuration file (fields of the runtime Config; see docs/cli.md).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Print one JSON object instead of human-readable text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Store a contract's code and instantiate it (one block).
    Deploy(DeployArgs),
    /// Execute a contract method (one block).
    Call(CallArgs),
    /// Run a contract method read-only against the last block; never writes.
    Query(CallArgs),
    /// Replace a contract's code, keeping its storage (admin only; one block).
    Upgrade(UpgradeArgs),
    /// Print a contract's storage.
    State {
        /// The contract.
        #[arg(value_parser = parse_address)]
        address: Address,
    },
    /// Stored code.
    Code {
        #[command(subcommand)]
        command: CodeCommand,
    },
    /// The compiled-module cache (see docs/cache.md).
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Deploy and exercise the example contracts on a fresh in-memory state.
    Demo,
    /// Measure throughput and latency; `--json` prints one object of figures.
    Bench(BenchArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CodeCommand {
    /// List stored code ids and sizes.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Tiers' contents, the cache directory, and this process's counters.
    Stats,
    /// Keep a code's compiled module in memory, never evicted (persists across restarts).
    Pin {
        /// A contract address (its current code) or a code id.
        #[arg(value_parser = parse_code_ref)]
        target: CodeRef,
    },
    /// Undo `pin`.
    Unpin {
        /// A contract address (its current code) or a code id.
        #[arg(value_parser = parse_code_ref)]
        target: CodeRef,
    },
    /// Delete every compiled module, in memory and on disk (pins are kept).
    Clear,
}

/// What `cache pin`/`unpin` name: a contract or a code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CodeRef {
    Contract(Address),
    Code(CodeId),
}

fn parse_code_ref(s: &str) -> Result<CodeRef, String> {
    if let Ok(a) = s.parse::<Address>() {
        return Ok(CodeRef::Contract(a));
    }
    s.parse::<CodeId>()
        .map(CodeRef::Code)
        .map_err(|_| format!("{s:?} is neither an address (40 hex digits) nor a code id (64 hex digits)"))
}

#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// Sending account (default: cove's dev account).
    #[arg(long, value_parser = parse_address)]
    pub sender: Option<Address>,
    /// Gas limit (default from the config: 100,000,000).
    #[arg(long)]
    pub gas_limit: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// A .wasm or .wat file.
    pub file: PathBuf,
    /// Entry point to run once after instantiation, in the same transaction.
    #[arg(long)]
    pub init: Option<String>,
    /// Input bytes for the init entry point, as hex.
    #[arg(long, value_parser = parse_hex, requires = "init")]
    pub args_hex: Option<Hex>,
    #[command(flatten)]
    pub tx: TxArgs,
}

/// Arguments of `call` and `query`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The contract.
    #[arg(value_parser = parse_address)]
    pub address: Address,
    /// The exported entry point.
    pub method: String,
    /// Input bytes, as hex.
    #[arg(long, value_parser = parse_hex)]
    pub args_hex: Option<Hex>,
    #[command(flatten)]
    pub tx: TxArgs,
}

#[derive(Debug, Args)]
pub(crate) struct UpgradeArgs {
    /// The contract.
    #[arg(value_parser = parse_address)]
    pub address: Address,
    /// The new .wasm or .wat file.
    pub file: PathBuf,
    /// Sending account; must be the contract's admin.
    #[arg(long, value_parser = parse_address)]
    pub sender: Option<Address>,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Scale every workload down (for a quick smoke run).
    #[arg(long)]
    pub quick: bool,
}

fn parse_address(s: &str) -> Result<Address, String> {
    s.parse::<Address>().map_err(|e| e.to_string())
}

/// Bytes given as hex on the command line (a newtype: clap would read `Vec<u8>` as many values).
#[derive(Debug, Clone, Default)]
pub(crate) struct Hex(pub Vec<u8>);

fn parse_hex(s: &str) -> Result<Hex, String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(digits).map(Hex).map_err(|e| format!("not hex: {e}"))
}
