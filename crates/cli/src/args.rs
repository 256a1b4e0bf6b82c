//! Command-line arguments, parsed into validated values before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use runtime::{AppFlags, Balance};
use types::{Address, CodeId, VmType};

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
    /// Store a contract's code and instantiate it, or instantiate stored code
    /// (`--code-id`) (one block).
    Deploy(DeployArgs),
    /// Validate and store a WASM contract's code without instantiating it; prints its
    /// code id, for `cove deploy --code-id` or a contract's `create` (one block).
    Store {
        /// A .wasm or .wat file.
        file: PathBuf,
        /// Gas limit for the deploy gas (default from the config: 100,000,000).
        #[arg(long)]
        gas_limit: Option<u64>,
    },
    /// Execute a contract method, or an EVM contract with calldata (one block).
    Call(CallArgs),
    /// Run a contract method (or EVM calldata) read-only against the last block (or
    /// `--height`); never writes.
    Query(QueryArgs),
    /// The smallest gas limit with which a call succeeds (nothing is written).
    EstimateGas(CallArgs),
    /// Run a call once (nothing is written) and write its gas as a flamegraph: every
    /// unit attributed to a stack of contract functions, host functions as leaves.
    Profile(ProfileArgs),
    /// Run a call once (nothing is written) under a step debugger: breakpoints at
    /// contract or host functions, stepping over and into calls, the stack, gas, memory
    /// and storage (docs/cli.md, "Debugging").
    Debug(DebugArgs),
    /// Run a JSON-lines batch (as `cove batch`, nothing is written) and write which
    /// source lines of the WASM contracts it ran as lcov (by function without DWARF).
    Coverage(CoverageArgs),
    /// Dev faucet: credit tokens to an account (one block).
    Fund {
        /// The account.
        #[arg(value_parser = parse_address)]
        address: Address,
        /// A decimal amount of the native token, or coins of any denominations
        /// (`100ucove,5uatom`).
        #[arg(value_parser = parse_funds)]
        amount: Funds,
        #[command(flatten)]
        remote: Remote,
    },
    /// A contract's record: its VM, code, creator, admin, height and app flags.
    Inspect {
        /// The contract.
        #[arg(value_parser = parse_address)]
        address: Address,
    },
    /// An account's native balance, nonce and balances of every denomination.
    Balance {
        /// The account.
        #[arg(value_parser = parse_address)]
        address: Address,
        /// Read at this retained height instead of the head.
        #[arg(long)]
        height: Option<u64>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Replace a contract's code, keeping its storage (admin only; one block).
    Upgrade(UpgradeArgs),
    /// Migrate a CosmWasm contract to new code, running its `migrate` entry point
    /// (admin only; one block).
    Migrate(MigrateArgs),
    /// Run a CosmWasm contract's `sudo` entry point, the chain's privileged call (one
    /// block).
    Sudo(SudoArgs),
    /// Print a contract's storage (`cove state ADDRESS`), or the state root, a proof,
    /// or check a proof (`cove state root|proof|verify-proof`).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    State {
        #[command(subcommand)]
        command: Option<StateCommand>,
        /// The contract.
        #[arg(value_parser = parse_address, required = true)]
        address: Option<Address>,
        /// Read at this retained height instead of the head.
        #[arg(long)]
        height: Option<u64>,
    },
    /// Export the state at a height to a file, or rebuild a new data dir from one.
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Run many transactions from a JSON-lines file as one block: one result per line,
    /// then the block (docs/cli.md).
    Batch {
        /// One JSON object per line: `{"op": "deploy" | "call" | "fund", ...}` with the
        /// fields of the matching command.
        file: PathBuf,
    },
    /// The chain's execution configuration (gas schedule, limits, VM settings): show
    /// it, list its versions, schedule an upgrade at a height (docs/chain-config.md).
    Chain {
        #[command(subcommand)]
        command: ChainCommand,
    },
    /// Stored code.
    Code {
        #[command(subcommand)]
        command: CodeCommand,
    },
    /// The CosmWasm staking and governance modules: validators, an account's
    /// delegations, proposals and their tallies (docs/cosmwasm.md, "Staking and
    /// distribution").
    Staking {
        #[command(subcommand)]
        command: StakingCommand,
    },
    /// The compiled-module cache (see docs/cache.md).
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// EVM tools.
    Evm {
        #[command(subcommand)]
        command: EvmCommand,
    },
    /// Deploy and exercise the example contracts on a fresh in-memory state.
    Demo,
    /// Measure throughput and latency; `--json` prints one object of figures.
    Bench(BenchArgs),
    /// Run a node: Ethereum JSON-RPC over HTTP, signed transactions, a mempool, blocks
    /// (docs/node.md); with --home, a validator of a chain on consensus
    /// (docs/consensus.md).
    Node(NodeArgs),
    /// Local chains of validators on Malachite BFT consensus (docs/consensus.md).
    Testnet {
        #[command(subcommand)]
        command: TestnetCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TestnetCommand {
    /// Write the homes of N validators of one new chain on 127.0.0.1: keys, configs
    /// naming each other as peers, one genesis (execution settings from --config).
    Init(TestnetInitArgs),
}

/// `cove testnet init`.
#[derive(Debug, Args)]
pub(crate) struct TestnetInitArgs {
    /// How many validators (1 to 100).
    #[arg(long)]
    pub validators: usize,
    /// The directory of the homes (`DIR/node0`, `DIR/node1`, ...); must be absent or empty.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The chain id (default: the configuration's EVM chain id, 49278).
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// Node i listens on base + 2i (consensus) and base + 2i + 1 (JSON-RPC).
    #[arg(long, default_value_t = 26656)]
    pub base_port: u16,
    /// The least time between blocks (`1s`, `500ms`).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub block_time: std::time::Duration,
    /// Replace the node homes already in DIR.
    #[arg(long)]
    pub force: bool,
}

/// `cove node`.
#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    /// Where JSON-RPC listens (port 0: any free port, printed at start). Default
    /// 127.0.0.1:8545, or with --home the home's config.toml `rpc`.
    #[arg(long)]
    pub rpc: Option<std::net::SocketAddr>,
    /// Run as the validator of this node home (`cove testnet init`): consensus with its
    /// peers, the data in HOME/data (docs/consensus.md).
    #[arg(long, value_name = "HOME", conflicts_with_all = ["automine", "block_time", "dev", "fee_recipient", "gas_price"])]
    pub home: Option<PathBuf>,
    /// One block per transaction, as soon as it arrives (the default).
    #[arg(long, conflicts_with = "block_time")]
    pub automine: bool,
    /// One block per interval (`1s`, `500ms`), holding whatever is ready.
    #[arg(long, value_parser = parse_duration)]
    pub block_time: Option<std::time::Duration>,
    /// Fund the ten accounts of the standard test mnemonic on an empty chain.
    #[arg(long)]
    pub dev: bool,
    /// Who receives the fees (default: the zero address).
    #[arg(long, value_parser = parse_address)]
    pub fee_recipient: Option<Address>,
    /// The least gas price admitted, in wei (default 1 gwei).
    #[arg(long, default_value_t = 1_000_000_000)]
    pub gas_price: u128,
}

/// `1s`, `500ms`, `2m`.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = n.parse().map_err(|_| format!("invalid duration {s:?}: expected e.g. 1s or 500ms"))?;
    let d = match unit {
        "ms" => std::time::Duration::from_millis(n),
        "s" => std::time::Duration::from_secs(n),
        "m" => std::time::Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("invalid duration unit in {s:?}: use ms, s or m")),
    };
    if d.is_zero() {
        return Err("the block time must be above zero".into());
    }
    Ok(d)
}

#[derive(Debug, Subcommand)]
pub(crate) enum EvmCommand {
    /// Run Ethereum GeneralStateTests JSON files (every fork, every `post` entry) through
    /// cove's EVM and state layer, checking state roots and logs (docs/evm.md).
    Statetest {
        /// Fixture files or directories (searched recursively for `.json`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Worker threads (default: the machine's cores).
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotCommand {
    /// Write the state at a retained height (default: the head) to FILE: chunks of
    /// whole buckets, each hashed, and a manifest with the root (docs/state.md).
    Export {
        /// A retained height (default: the head).
        #[arg(long)]
        height: Option<u64>,
        /// The snapshot file to write.
        file: PathBuf,
    },
    /// Rebuild the state of an empty --data-dir from FILE, or from a running node with
    /// --rpc, accepted only if every chunk hash and the root check out.
    Import {
        /// The snapshot file.
        #[arg(required_unless_present = "rpc", conflicts_with = "rpc")]
        file: Option<PathBuf>,
        /// Fetch the snapshot from the node at this URL (http://HOST:PORT) instead.
        #[arg(long)]
        rpc: Option<String>,
        /// With --rpc: the block to snapshot (default: the node's head).
        #[arg(long, requires = "rpc")]
        height: Option<u64>,
        /// With --rpc: the state root to accept (hex), from a source you trust; without
        /// it, the root the node announces is taken on trust.
        #[arg(long, requires = "rpc")]
        root: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// The state root after a block: `{"height":H,"root":HEX}`.
    Root {
        /// A retained height (default: the head).
        #[arg(long)]
        height: Option<u64>,
    },
    /// A proof of one storage slot of a contract (or of its absence), against the root.
    Proof {
        /// The contract.
        #[arg(value_parser = parse_address)]
        address: Address,
        /// The storage key, hex.
        #[arg(value_parser = parse_hex)]
        key_hex: Hex,
        /// A retained height (default: the head).
        #[arg(long)]
        height: Option<u64>,
        /// Prove the contract's entry with a life under the key (docs/state.md,
        /// "Storage with a life") instead of its storage slot.
        #[arg(long)]
        lived: bool,
    },
    /// Open the store read-write and commit no block: repairs the database after an
    /// unclean shutdown (a crash, a full disk) and writes the block log back into the
    /// tables, which read-only commands never do.
    Repair,
    /// Check a proof file (the JSON `state proof --json` prints) offline, against its
    /// root or `--root`: every field it states must be shown by the proof or match.
    VerifyProof {
        /// The proof file.
        file: PathBuf,
        /// The root to check against, hex (default: the file's `root`).
        #[arg(long, value_parser = parse_hex)]
        root: Option<Hex>,
        /// The height of that root, which a proof cannot show: the file's `height` must
        /// equal it (a file stating a height is refused without it).
        #[arg(long)]
        height: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChainCommand {
    /// The execution configuration in force at a height (default: the next block), as
    /// TOML an upgrade file can start from.
    Show {
        /// A height (default: the next block).
        #[arg(long)]
        height: Option<u64>,
    },
    /// Every version the chain has recorded: its activation height and hash.
    Versions,
    /// Schedule a new execution configuration from block HEIGHT on (one block). FILE
    /// (TOML, as --config) sets the execution settings that change; the others stay as
    /// they are in force before HEIGHT.
    Upgrade {
        /// The first block that runs with it: above the block this command commits.
        #[arg(long, value_name = "HEIGHT")]
        at_height: u64,
        /// The settings that change (TOML).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CodeCommand {
    /// List stored code ids and sizes.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StakingCommand {
    /// The validator set: operator address, commission, maximum commission and change rate.
    Validators,
    /// The governance module's proposals, each with its tally (bonded stake per option).
    Proposals {
        /// Read at this retained height instead of the head.
        #[arg(long)]
        height: Option<u64>,
    },
    /// An account's delegations with their rewards, and its tokens unbonding.
    Delegations {
        /// The delegator.
        #[arg(value_parser = parse_address)]
        address: Address,
        /// Read at this retained height instead of the head.
        #[arg(long)]
        height: Option<u64>,
    },
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

fn parse_code_id(s: &str) -> Result<CodeId, String> {
    s.parse::<CodeId>().map_err(|_| format!("{s:?} is not a code id (64 hex digits)"))
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
    /// Gas limit (default from the config: 100,000,000; CosmWasm: 1,000,000,000).
    #[arg(long)]
    pub gas_limit: Option<u64>,
    /// CosmWasm: show what the contracts printed with `debug` (`"debug"` in JSON).
    #[arg(long)]
    pub debug: bool,
    #[command(flatten)]
    pub remote: Remote,
}

/// `--rpc URL` and `--key`: send the command to a running node (`cmd/remote.rs`).
#[derive(Debug, Default, Args)]
pub(crate) struct Remote {
    /// A running node's JSON-RPC URL (`http://127.0.0.1:8545`): deploy, call, query,
    /// migrate, balance and fund go to it as signed native transactions or reads, instead of
    /// opening the data dir.
    #[arg(long, value_name = "URL")]
    pub rpc: Option<String>,
    /// With --rpc: the secp256k1 key (hex) that signs, or `dev:N` for the node's dev
    /// account N (unused without --rpc, so COVE_KEY may stay set).
    #[arg(long, env = "COVE_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

/// What `cove fund` credits: native tokens, or coins of named denominations.
#[derive(Debug, Clone)]
pub(crate) enum Funds {
    Native(Balance),
    Coins(Vec<cosmwasm::Coin>),
}

/// A decimal amount (native), or coins (`100ucove,5uatom`).
pub(crate) fn parse_funds(s: &str) -> Result<Funds, String> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_amount(s).map(Funds::Native);
    }
    cosmwasm::parse_coins(s).map(Funds::Coins)
}

/// Coins sent with a CosmWasm message, `100ucove,5uatom` (a newtype for clap).
#[derive(Debug, Clone, Default)]
pub(crate) struct Coins(pub Vec<cosmwasm::Coin>);

pub(crate) fn parse_coins(s: &str) -> Result<Coins, String> {
    cosmwasm::parse_coins(s).map(Coins)
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// A .wasm or .wat file (WASM), or a file of EVM init code as hex (`.hex`, `.bin`).
    #[arg(required_unless_present_any = ["code_hex", "code_id"], conflicts_with_all = ["code_hex", "code_id"])]
    pub file: Option<PathBuf>,
    /// WASM: instantiate the code stored with this id (`cove store`) instead of a file.
    #[arg(long, value_parser = parse_code_id, conflicts_with_all = ["code_hex", "vm", "msg", "args"])]
    pub code_id: Option<CodeId>,
    /// EVM init code as hex, instead of a file.
    #[arg(long, value_parser = parse_hex)]
    pub code_hex: Option<Hex>,
    /// The VM: `wasm`, `evm` or `cosmwasm` (default: `evm` for `--code-hex`, `.hex` and
    /// `.bin` files, `cosmwasm` with `--msg` or for a module exporting
    /// `interface_version_8`, else `wasm`).
    #[arg(long, value_parser = parse_vm)]
    pub vm: Option<VmType>,
    /// WASM: entry point to run once after instantiation, in the same transaction.
    #[arg(long)]
    pub init: Option<String>,
    /// WASM: input bytes for the init entry point; EVM: constructor arguments appended
    /// to the init code. Hex.
    #[arg(long, value_parser = parse_hex)]
    pub args_hex: Option<Hex>,
    /// CosmWasm: the instantiate message, as JSON.
    #[arg(long, value_parser = parse_json, conflicts_with_all = ["init", "args_hex"])]
    pub msg: Option<Json>,
    /// WASM built with cove-sdk: the init entry point's arguments as a JSON object,
    /// encoded by the module's ABI section (`docs/sdk.md`).
    #[arg(long, value_parser = parse_json_value, requires = "init", conflicts_with_all = ["args_hex", "msg"])]
    pub args: Option<serde_json::Value>,
    /// Native tokens sent to the new contract.
    #[arg(long, value_parser = parse_amount)]
    pub value: Option<Balance>,
    /// WASM and EVM: the contract's app flags, comma-separated, from `callable`,
    /// `importable` and `public` (default: `callable`; `--flags ""`: none). See
    /// docs/abi.md, "App flags".
    #[arg(long, value_parser = parse_flags, conflicts_with = "msg")]
    pub flags: Option<AppFlags>,
    /// CosmWasm: coins sent to the new contract, `100ucove,5uatom`.
    #[arg(long, value_parser = parse_coins, conflicts_with = "value", requires = "msg")]
    pub funds: Option<Coins>,
    /// CosmWasm: the contract's label (default: the file's name).
    #[arg(long, requires = "msg")]
    pub label: Option<String>,
    /// CosmWasm: the account that may migrate the contract (default: none, so it
    /// can never be migrated).
    #[arg(long, value_parser = parse_address, requires = "msg")]
    pub admin: Option<Address>,
    #[command(flatten)]
    pub tx: TxArgs,
}

/// Arguments of `profile`: a call's, plus where the profile goes.
#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// The flamegraph (SVG) to write: widths are gas.
    #[arg(long)]
    pub svg: PathBuf,
    /// Also write the profile as folded stacks (`root;caller;callee GAS` lines).
    #[arg(long)]
    pub folded: Option<PathBuf>,
}

/// Arguments of `debug`: a call's, plus where the commands come from.
#[derive(Debug, Args)]
pub(crate) struct DebugArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// Read the debugger's commands from this file instead of the terminal; when they
    /// end, the call runs to its end.
    #[arg(long)]
    pub commands: Option<PathBuf>,
}

/// Arguments of `coverage`.
#[derive(Debug, Args)]
pub(crate) struct CoverageArgs {
    /// The transactions to run: `cove batch`'s JSON-lines format.
    #[arg(long)]
    pub batch: PathBuf,
    /// The lcov file to write.
    #[arg(long)]
    pub lcov: PathBuf,
    /// A module built with debug info whose code section equals a deployed (stripped)
    /// one's: its DWARF gives that code's lines. Repeatable.
    #[arg(long)]
    pub dwarf: Vec<PathBuf>,
}

/// Arguments of `call` and `query`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The contract.
    #[arg(value_parser = parse_address)]
    pub address: Address,
    /// The exported entry point (WASM); none for an EVM contract.
    pub method: Option<String>,
    /// Input bytes, as hex (WASM: the entry point's input).
    #[arg(long, value_parser = parse_hex, conflicts_with = "calldata")]
    pub args_hex: Option<Hex>,
    /// EVM calldata, as hex.
    #[arg(long, value_parser = parse_hex)]
    pub calldata: Option<Hex>,
    /// CosmWasm: the JSON message (the entry point is `execute` for `call`, `query` for
    /// `query`, unless METHOD names another, e.g. `sudo`).
    #[arg(long, value_parser = parse_json, conflicts_with_all = ["args_hex", "calldata"])]
    pub msg: Option<Json>,
    /// WASM built with cove-sdk: the arguments as a JSON object, encoded by the
    /// module's ABI section; the result is decoded too (`docs/sdk.md`).
    #[arg(long, value_parser = parse_json_value, requires = "method", conflicts_with_all = ["args_hex", "calldata", "msg"])]
    pub args: Option<serde_json::Value>,
    /// Native tokens sent with the call.
    #[arg(long, value_parser = parse_amount)]
    pub value: Option<Balance>,
    /// CosmWasm: coins sent with the call, `100ucove,5uatom`.
    #[arg(long, value_parser = parse_coins, conflicts_with = "value", requires = "msg")]
    pub funds: Option<Coins>,
    #[command(flatten)]
    pub tx: TxArgs,
}

impl CallArgs {
    /// The entry point (empty for EVM calldata; `default_entry` for a CosmWasm `--msg`)
    /// and the input bytes.
    pub(crate) fn message<'a>(&'a self, default_entry: &'a str) -> (&'a str, Vec<u8>) {
        if let Some(msg) = &self.msg {
            return (self.method.as_deref().unwrap_or(default_entry), msg.0.clone());
        }
        let input = self.calldata.as_ref().or(self.args_hex.as_ref()).cloned().unwrap_or_default().0;
        (self.method.as_deref().unwrap_or(""), input)
    }
}

/// A JSON message given on the command line, checked to be JSON and kept as its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Json(pub Vec<u8>);

pub(crate) fn parse_json(s: &str) -> Result<Json, String> {
    serde_json::from_str::<serde_json::Value>(s).map_err(|e| format!("not JSON: {e}"))?;
    Ok(Json(s.as_bytes().to_vec()))
}

pub(crate) fn parse_json_value(s: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))
}

/// Arguments of `query`: a call's, and a height.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub call: CallArgs,
    /// Run against this retained height instead of the head.
    #[arg(long)]
    pub height: Option<u64>,
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
    /// Gas limit for the new code's deploy gas (default from the config: 100,000,000).
    #[arg(long)]
    pub gas_limit: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The CosmWasm contract.
    #[arg(value_parser = parse_address)]
    pub address: Address,
    /// The new .wasm file.
    pub file: PathBuf,
    /// The migrate message, as JSON.
    #[arg(long, value_parser = parse_json)]
    pub msg: Json,
    #[command(flatten)]
    pub tx: TxArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SudoArgs {
    /// The CosmWasm contract.
    #[arg(value_parser = parse_address)]
    pub address: Address,
    /// The sudo message, as JSON.
    #[arg(long, value_parser = parse_json)]
    pub msg: Json,
    /// Gas limit (default from the config).
    #[arg(long)]
    pub gas_limit: Option<u64>,
    /// Show what the contract printed with `debug`.
    #[arg(long)]
    pub debug: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Scale every workload down (for a quick smoke run); also after a subcommand.
    #[arg(long, global = true)]
    pub quick: bool,
    /// Which benchmark (default: the figures of docs/benchmarks.md).
    #[command(subcommand)]
    pub what: Option<BenchCommand>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Measure the nanoseconds per unit of gas of every instruction class, host
    /// function, precompile and CosmWasm store import on this machine, and the worst
    /// (docs/gas.md, "Calibration").
    GasCalibration,
    /// Load a node on loopback with signed ERC-20 transfers over HTTP: transfers mined
    /// per second end to end, send → receipt and `eth_call` latencies; every receipt
    /// and balance checked (docs/benchmarks.md, "The node").
    Node(BenchNodeArgs),
}

/// `cove bench node`.
#[derive(Debug, Args)]
pub(crate) struct BenchNodeArgs {
    /// Sender accounts, funded over RPC by the dev accounts.
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
    /// ERC-20 transfers, spread evenly over the senders.
    #[arg(long, default_value_t = 20_000)]
    pub txs: usize,
    /// Client tasks sending at once, each on its own HTTP connection.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The node's block interval (`100ms`, `1s`).
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub block_time: std::time::Duration,
}

pub(crate) fn parse_vm(s: &str) -> Result<VmType, String> {
    s.parse::<VmType>().map_err(|e| e.to_string())
}

pub(crate) fn parse_flags(s: &str) -> Result<AppFlags, String> {
    AppFlags::parse(s)
}

pub(crate) fn parse_amount(s: &str) -> Result<Balance, String> {
    s.parse::<Balance>().map_err(|e| e.to_string())
}

/// A hex address (`0x` + 40 digits) or a bech32 one (`cove1...`, any prefix, 20 bytes).
pub(crate) fn parse_address(s: &str) -> Result<Address, String> {
    if s.starts_with("0x") || s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return s.parse::<Address>().map_err(|e| e.to_string());
    }
    let (_, data) = bech32::decode(s).map_err(|e| {
        format!("{s:?} is neither hex (0x + 40 digits) nor a bech32 address like cove1…: {e}")
    })?;
    let bytes: [u8; 20] =
        data.try_into().map_err(|d: Vec<u8>| format!("{s} holds {} bytes; addresses are 20", d.len()))?;
    Ok(Address(bytes))
}

/// Bytes given as hex on the command line (a newtype: clap would read `Vec<u8>` as many values).
#[derive(Debug, Clone, Default)]
pub(crate) struct Hex(pub Vec<u8>);

pub(crate) fn parse_hex(s: &str) -> Result<Hex, String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(digits).map(Hex).map_err(|e| format!("not hex: {e}"))
}
