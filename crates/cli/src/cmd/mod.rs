//! One module per subcommand.

mod account;
mod batch;
mod bench;
mod cache;
mod call;
mod chain;
mod code;
mod cosmwasm;
mod coverage;
mod debug;
mod demo;
mod deploy;
mod evm;
mod node;
mod profile;
mod query;
mod remote;
mod sdk_args;
mod snapshot;
mod staking;
mod state;
mod testnet;
mod upgrade;
mod validator;

use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use runtime::{ChainOptions, Config, LocalCheck, Runtime};

use crate::args::{
    CacheCommand, ChainCommand, Cli, CodeCommand, Command, EvmCommand, SnapshotCommand, StateCommand,
    TestnetCommand,
};

pub(crate) fn run(cli: &Cli) -> Result<ExitCode> {
    if let Some(remote) = remote::of(&cli.command) {
        return remote::run(cli, remote);
    }
    match &cli.command {
        Command::Deploy(a) => deploy::run(cli, a),
        Command::Store { file, gas_limit } => code::store(cli, file, *gas_limit),
        Command::Call(a) => call::run(cli, a),
        Command::Query(a) => query::run(cli, a),
        Command::Batch { file } => batch::run(cli, file),
        Command::Snapshot { command } => match command {
            SnapshotCommand::Export { height, file } => snapshot::export(cli, *height, file),
            SnapshotCommand::Import { file: Some(file), .. } => snapshot::import(cli, file),
            SnapshotCommand::Import { rpc, height, root, .. } => {
                snapshot::import_rpc(cli, rpc.as_deref().unwrap_or_default(), *height, root.as_deref())
            }
        },
        Command::Upgrade(a) => upgrade::run(cli, a),
        Command::Migrate(a) => cosmwasm::migrate(cli, a),
        Command::Sudo(a) => cosmwasm::sudo(cli, a),
        Command::EstimateGas(a) => query::estimate_gas(cli, a),
        Command::Profile(a) => profile::run(cli, a),
        Command::Debug(a) => debug::run(cli, a),
        Command::Fund { address, amount, .. } => account::fund(cli, address, amount),
        Command::Balance { address, height, .. } => account::balance(cli, address, *height),
        Command::Coverage(a) => coverage::run(cli, a),
        Command::Inspect { address } => code::inspect(cli, address),
        Command::State { command: Some(command), .. } => match command {
            StateCommand::Root { height } => state::root(cli, *height),
            StateCommand::Repair => state::repair(cli),
            StateCommand::Proof { address, key_hex, height, lived } => {
                state::proof(cli, address, &key_hex.0, *height, *lived)
            }
            StateCommand::VerifyProof { file, root, height } => {
                state::verify_proof(cli, file, root.as_ref().map(|r| &r.0[..]), *height)
            }
        },
        Command::State { command: None, address, height } => {
            let address = address
                .ok_or_else(|| anyhow::anyhow!("name a contract address, or root/proof/verify-proof"))?;
            state::run(cli, &address, *height)
        }
        Command::Chain { command } => match command {
            ChainCommand::Show { height } => chain::show(cli, *height),
            ChainCommand::Versions => chain::versions(cli),
            ChainCommand::Upgrade { at_height, file } => chain::upgrade(cli, *at_height, file),
        },
        Command::Code { command: CodeCommand::List } => code::list(cli),
        Command::Staking { command } => staking::run(cli, command),
        Command::Cache { command } => match command {
            CacheCommand::Stats => cache::stats(cli),
            CacheCommand::Pin { target } => cache::pin(cli, *target, true),
            CacheCommand::Unpin { target } => cache::pin(cli, *target, false),
            CacheCommand::Clear => cache::clear(cli),
        },
        Command::Evm { command: EvmCommand::Statetest { paths, threads } } => {
            evm::statetest(cli, paths, *threads)
        }
        Command::Demo => demo::run(cli),
        Command::Bench(a) => bench::run(cli, a),
        Command::Node(a) => match &a.home {
            Some(home) => validator::run(cli, home, a.rpc),
            None => node::run(cli, a),
        },
        Command::Testnet { command: TestnetCommand::Init(a) } => testnet::init(cli, a),
    }
}

/// The configuration: defaults, or the `--config` TOML file.
pub(crate) fn load_config(cli: &Cli) -> Result<Config> {
    Ok(load_local(cli)?.0)
}

/// The configuration ([`load_config`]) and how a data dir compares it with the chain's:
/// only the execution settings the file sets (none without a file) must equal the
/// chain's; the others are taken from the chain (docs/chain-config.md).
pub(crate) fn load_local(cli: &Cli) -> Result<(Config, ChainOptions)> {
    let Some(path) = &cli.config else {
        return Ok((Config::default(), ChainOptions { check: LocalCheck::Only(Vec::new()), genesis: None }));
    };
    let text = crate::input::read_text(path, &crate::input::CONFIG)?;
    let parse = || format!("parsing config {}", path.display());
    let config = toml::from_str(&text).with_context(parse)?;
    let table: toml::Table = toml::from_str(&text).with_context(parse)?;
    let set = runtime::setting_names(&serde_json::to_value(&table)?);
    Ok((config, ChainOptions { check: LocalCheck::Only(set), genesis: None }))
}

/// Opens the persistent runtime in `--data-dir`, with the chain's execution
/// configuration.
pub(crate) fn open(cli: &Cli) -> Result<Runtime> {
    let (config, options) = load_local(cli)?;
    Runtime::open_chain(&cli.data_dir, config, &options)
        .with_context(|| format!("opening the state in {}", cli.data_dir.display()))
}

/// Opens the persistent runtime in `--data-dir` for a command that only reads: it
/// writes neither `state.redb` nor `state.wal`. A store that needs a repair first (after
/// a crash or a full disk) is an error that names `cove state repair`.
pub(crate) fn open_read_only(cli: &Cli) -> Result<Runtime> {
    let (config, options) = load_local(cli)?;
    Runtime::open_read_only_chain(&cli.data_dir, config, &options).with_context(|| {
        format!(
            "opening the state in {} read-only (a read-only command never writes; if the store \
             needs a repair, `cove state repair` does it without committing a block)",
            cli.data_dir.display()
        )
    })
}

/// Reads a contract file (at most `input::MAX_CODE_FILE_BYTES`): `.wat` text (or
/// anything not starting with the wasm magic) is compiled to binary first.
pub(crate) fn read_code(path: &Path) -> Result<Vec<u8>> {
    let bytes = crate::input::read(path, &crate::input::CODE)?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    let is_wat = path.extension().is_some_and(|e| e == "wat");
    if !is_wat {
        // Not wasm and not named .wat: hand it to validation, which names the rule.
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|b| b.into_owned())
        .with_context(|| format!("parsing WAT {}", path.display()))
}

/// Now, in unix seconds: the time of a block the CLI creates.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
