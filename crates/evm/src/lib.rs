//! cove's EVM: [revm](https://github.com/bluealloy/revm) executing against cove's state.
//!
//! This crate owns the Ethereum Virtual Machine behind [`vm::VirtualMachine`]: it
//! builds revm's environment from a cove [`Message`] and block, lets revm read accounts,
//! code and storage through the block's [`Journal`] (`db.rs`: one store and one journal
//! for every VM, not revm's in-memory database), and writes back the accounts a
//! successful message changed. Deploy-time validation (code size, disabled opcodes) is
//! in `validate.rs`; calls to other VMs through a precompile in `cross.rs`, with cove's
//! checkpoints linked to revm's frames in `linked.rs`;
//! `docs/evm.md` documents behaviour and differences from Ethereum.
//!
//! Invariants:
//! * a failed message (revert, halt, invalid transaction) commits nothing: only a call
//!   to another VM writes before the end (`cross.rs`), and the caller's rollback undoes
//!   that; a reverted message does not even bump the sender's nonce (unlike Ethereum,
//!   where a failed transaction is still included);
//! * gas costs nothing: the gas price and base fee are zero, so balances move only by
//!   value transfers;
//! * everything revm sees comes from the journal, the message and the block: the same
//!   inputs give the same outcome on every node.

mod config;
mod cross;
mod db;
mod handler;
#[doc(hidden)]
pub mod internals;
mod linked;
mod pool;
mod precompiles;
mod solidity;
mod transient;
mod validate;

use std::sync::{Arc, Mutex};

use revm::context::result::{ExecutionResult, HaltReason, OutOfGasError, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::EVMError;
use revm::primitives::{Bytes, Log, TxKind, U256};
use state::Journal;
use types::{BlockInfo, CallError, ErrorKind, Event, Gas, VmType};
use vm::{ContractInfo, Env, Message, Outcome, Target, VirtualMachine, VmError, VmVersion};

pub use config::{ConfigError, DEFAULT_CHAIN_ID, DEFAULT_GAS_LIMIT, EvmConfig, MAX_CODE_SIZE};
pub use cross::{COVE_CALL_ADDRESS, COVE_CALL_BASE_GAS, COVE_CALL_HELD_GAS, COVE_CALL_WORD_GAS};
pub use db::{MAX_CACHED_ACCOUNTS, MAX_CACHED_CODES, block_hash};
pub use pool::MAX_IDLE_EVMS;
pub use precompiles::{PrecompileInfo, PrecompileRegistry};
pub use solidity::CALL_SELECTOR;

use crate::config::Resolved;
use crate::db::{to_cove, to_evm};
use crate::pool::EvmPool;

/// The revm version cove's EVM is built on (reported by [`VirtualMachine::vm_version`]).
pub const REVM_VERSION: &str = "43.0.3";

/// The EVM: a configuration, resolved once; one shared instance serves every thread.
#[derive(Debug)]
pub struct EvmVm {
    config: EvmConfig,
    resolved: Resolved,
    precompiles: Arc<PrecompileRegistry>,
    pool: EvmPool,
    cfg: CfgEnv,
    /// The last block's environment: built once per block, not per message (its
    /// `PREVRANDAO` is a keccak-256, its blob gas price a Taylor series).
    block_env: Mutex<Option<(BlockInfo, BlockEnv)>>,
}

impl EvmVm {
    /// Checks the configuration and builds the VM.
    pub fn new(config: EvmConfig) -> Result<EvmVm, ConfigError> {
        let resolved = config.resolve()?;
        let precompiles = Arc::new(PrecompileRegistry::new(resolved.spec));
        let pool = EvmPool::new(resolved.disabled, Some(precompiles.set()), true);
        let cfg = cfg_env(&config, &resolved);
        Ok(EvmVm { config, resolved, precompiles, pool, cfg, block_env: Mutex::new(None) })
    }

    /// The precompiles of the configured fork, which this EVM executes and which the
    /// runtime hands to the WASM VM.
    pub fn precompiles(&self) -> &Arc<PrecompileRegistry> {
        &self.precompiles
    }

    /// The configuration.
    pub fn config(&self) -> &EvmConfig {
        &self.config
    }

    /// The contract record at `address` in `journal` (`Some(None)`: none) if this
    /// thread's EVM account cache holds it exactly, i.e. nothing has written `journal`
    /// since this EVM's last message there; `None` if the cache cannot tell. The
    /// runtime dispatches a run of EVM messages with it instead of reading the record.
    pub fn cached_contract(
        &self,
        journal: &Journal,
        address: &types::Address,
    ) -> Option<Option<ContractInfo>> {
        self.pool.cached_record(&self.cfg, journal, &to_evm(address))
    }

    /// revm's environment for `block`, from the cache if the last message was in the
    /// same block.
    fn block_env(&self, block: &BlockInfo) -> BlockEnv {
        let mut last = self.block_env.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            Some((info, env)) if info == block => env.clone(),
            _ => {
                let env = block_env(block);
                *last = Some((*block, env.clone()));
                env
            }
        }
    }
}

fn block_env(block: &BlockInfo) -> BlockEnv {
    BlockEnv {
        number: U256::from(block.height),
        timestamp: U256::from(block.timestamp),
        gas_limit: u64::MAX,
        basefee: 0,
        difficulty: U256::ZERO,
        prevrandao: Some(block_hash(block.height)),
        ..Default::default()
    }
}

fn cfg_env(config: &EvmConfig, resolved: &Resolved) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(resolved.spec);
    cfg.chain_id = config.chain_id;
    cfg.limit_contract_code_size = Some(config.max_code_size);
    cfg.limit_contract_initcode_size = Some(config.max_code_size.saturating_mul(2));
    // cove has no signed transactions: the sender's nonce is whatever the state holds
    // (revm still bumps it, and derives CREATE addresses from the state's nonce).
    cfg.disable_nonce_check = true;
    cfg
}

impl VirtualMachine for EvmVm {
    fn vm_type(&self) -> VmType {
        VmType::Evm
    }

    fn vm_version(&self) -> VmVersion {
        VmVersion {
            vm: VmType::Evm,
            engine: format!("revm {REVM_VERSION}"),
            detail: <&str>::from(self.resolved.spec).into(),
        }
    }

    fn default_gas_limit(&self) -> Gas {
        self.config.default_gas_limit
    }

    fn validate_code(&self, code: &[u8]) -> Result<(), CallError> {
        validate::check(code, self.config.max_code_size.saturating_mul(2), &self.resolved.disabled)
    }

    fn execute(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError> {
        let block = env.block;
        if !msg.entry.is_empty() {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::InvalidArgument,
                format!("EVM contracts take calldata, not an entry point name ({:?})", msg.entry),
            )));
        }
        let (kind, data) = match msg.target {
            Target::Create(code) => {
                if let Err(e) = self.validate_code(code) {
                    return Ok(Outcome::failed(e));
                }
                (TxKind::Create, [code, &msg.input].concat())
            }
            Target::Call(address) => (TxKind::Call(to_evm(&address)), msg.input),
        };
        let gas_limit = msg.gas_limit.unwrap_or(self.config.default_gas_limit);
        // A message from another contract gets at most what one EVM message may use
        // (EIP-7825's cap from Osaka on), as EIP-150 gives a callee at most what is left:
        // the caller pays only what the callee used. A transaction asking for more is
        // still refused, as Ethereum refuses it.
        let gas_limit = if env.depth > 0 {
            gas_limit.min(revm::context_interface::Cfg::tx_gas_limit_cap(&self.cfg))
        } else {
            gas_limit
        };
        let tx = TxEnv {
            caller: to_evm(&msg.sender),
            gas_limit,
            gas_price: 0,
            kind,
            value: U256::from_be_bytes(msg.value.0),
            data: Bytes::from(data),
            chain_id: Some(self.config.chain_id),
            ..Default::default()
        };

        let (sender, read_only) = (msg.sender, msg.read_only);
        self.pool.transact(
            state,
            &self.cfg,
            self.block_env(block),
            tx,
            Some((env, read_only)),
            |state, run, seen, calls| finish(state, block, sender, read_only, gas_limit, run, seen, calls),
        )
    }
}

/// Turns revm's result into an outcome, committing a successful call's changes, with
/// the events of the calls it made to other VMs in their place among its own.
#[allow(clippy::too_many_arguments)]
fn finish(
    state: &mut Journal,
    block: &BlockInfo,
    sender: types::Address,
    read_only: bool,
    gas_limit: Gas,
    run: Result<revm::context::result::ResultAndState, EVMError<db::DbError>>,
    seen: &mut db::Seen,
    calls: cross::Calls,
) -> Result<Outcome, VmError> {
    match calls.fault {
        Some(cross::Fault::Node(e)) => return Err(e),
        Some(cross::Fault::Timeout(e)) => {
            return Ok(Outcome { gas_used: gas_limit, ..Outcome::failed(e) });
        }
        None => {}
    }
    let run = match run {
        Ok(run) => run,
        Err(EVMError::Database(db::DbError(e))) => return Err(e),
        Err(EVMError::Transaction(e)) => {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::InvalidArgument,
                format!("invalid transaction: {e}"),
            )));
        }
        Err(e) => return Err(VmError::Engine(format!("revm: {e}"))),
    };
    let gas_used = run.result.tx_gas_used();
    let (result, events, created) = match run.result {
        ExecutionResult::Success { logs, output, .. } => {
            let events = to_events(logs, calls.events);
            match output {
                Output::Create(_, address) => (Ok(Vec::new()), events, address.map(to_cove)),
                Output::Call(bytes) => (Ok(Vec::from(bytes.0)), events, None),
            }
        }
        ExecutionResult::Revert { output, .. } => {
            let mut e = CallError::reverted(output.to_vec());
            if let Some(reason) = revert_reason(&output) {
                e.message = format!("execution reverted: {reason}");
            }
            (Err(e), Vec::new(), None)
        }
        ExecutionResult::Halt { reason, .. } => (Err(halt(reason, gas_limit)), Vec::new(), None),
    };
    if result.is_ok() && !read_only {
        db::commit(state, &run.state, seen, sender, block, calls.flushed)?;
        if let Some(transient) = &calls.transient {
            transient::store(state, transient);
        }
    }
    let code_id =
        created.map(|a| vm::load_contract(state, &a)).transpose()?.flatten().map(|info| info.code_id);
    Ok(Outcome { result, gas_used, events, address: created, code_id })
}

/// revm's logs as cove events, with the events of calls to other VMs (each after the
/// number of logs emitted before it). Built into a vector of their own size: collecting
/// in place would reuse the logs' larger buffer and then shrink it (a reallocation).
fn to_events(logs: Vec<Log>, calls: Vec<(usize, Vec<Event>)>) -> Vec<Event> {
    let mut events = Vec::with_capacity(logs.len() + calls.iter().map(|(_, e)| e.len()).sum::<usize>());
    let mut calls = calls.into_iter().peekable();
    for (i, log) in logs.into_iter().enumerate() {
        while let Some((_, called)) = calls.next_if(|(at, _)| *at <= i) {
            events.extend(called);
        }
        let (topics, data) = log.data.split();
        events.push(Event {
            contract: to_cove(log.address),
            topics: topics.iter().map(|t| t.to_vec()).collect(),
            // Takes over revm's buffer where it can rather than copying.
            data: Vec::from(data.0),
        });
    }
    events.extend(calls.flat_map(|(_, called)| called));
    events
}

/// The reason string of Solidity's `Error(string)` revert data, if `data` is exactly
/// that ABI encoding (selector, offset 32, length, padded UTF-8); `None` otherwise.
fn revert_reason(data: &[u8]) -> Option<String> {
    let body = data.strip_prefix(&[0x08, 0xc3, 0x79, 0xa0][..])?;
    let word = |i: usize| -> Option<usize> {
        let w = body.get(i * 32..(i + 1) * 32)?;
        w[..24]
            .iter()
            .all(|b| *b == 0)
            .then(|| u64::from_be_bytes(w[24..].try_into().expect("8 bytes")) as usize)
    };
    if word(0)? != 32 {
        return None;
    }
    let len = word(1)?;
    let text = body.get(64..64usize.checked_add(len)?)?;
    String::from_utf8(text.to_vec()).ok()
}

fn halt(reason: HaltReason, gas_limit: u64) -> CallError {
    match reason {
        HaltReason::OutOfGas(why) => {
            let why = match why {
                OutOfGasError::Basic => "",
                OutOfGasError::MemoryLimit | OutOfGasError::Memory => " (memory expansion)",
                OutOfGasError::Precompile => " (in a precompile)",
                OutOfGasError::InvalidOperand => " (operand too large)",
                OutOfGasError::ReentrancySentry => " (reentrancy sentry)",
            };
            CallError::new(ErrorKind::OutOfGas, format!("out of gas{why} (limit {gas_limit})"))
        }
        other => CallError::new(ErrorKind::Trap, format!("EVM halted: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::revert_reason;

    fn error_string(reason: &str) -> Vec<u8> {
        let mut data = vec![0x08, 0xc3, 0x79, 0xa0];
        let mut word = [0u8; 32];
        word[31] = 32;
        data.extend_from_slice(&word);
        word[31] = reason.len() as u8;
        data.extend_from_slice(&word);
        data.extend_from_slice(reason.as_bytes());
        data.resize(data.len() + (32 - reason.len() % 32) % 32, 0);
        data
    }

    #[test]
    fn revert_reasons_decode_only_when_well_formed() {
        assert_eq!(revert_reason(&error_string("nope")), Some("nope".into()));
        assert_eq!(revert_reason(&error_string("")), Some(String::new()));
        let good = error_string("ERC20: insufficient balance");
        for cut in 0..good.len() - 32 {
            // Truncated encodings (missing length or text) are not decoded, never panic.
            let _ = revert_reason(&good[..cut]);
        }
        assert_eq!(revert_reason(&good[..good.len() - 40]), None);
        let mut huge = good.clone();
        huge[4 + 32 + 24..4 + 64].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(revert_reason(&huge), None, "a length past the data");
        assert_eq!(revert_reason(&[0xde, 0xad]), None);
        let mut not_utf8 = good;
        not_utf8[4 + 64] = 0xff;
        assert_eq!(revert_reason(&not_utf8), None);
    }
}
