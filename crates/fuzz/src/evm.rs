//! EVM bytecode and calldata through cove's EVM against plain revm.
//!
//! The case's bytes become runtime code (opcodes weighted towards storage, memory,
//! logs, calls to precompiles and to itself, jumps and returns, with any byte mixed
//! in), deployed by one create and then called a few times with calldata, value and gas
//! from the case. The same messages run through [`evm::EvmVm`] on cove's journal and
//! through revm's own `CacheDB` with the environment `docs/evm.md` documents (same
//! fork, chain id, block, zero gas price, cove's block hashes). After each message the
//! result (success, revert or halt), the output, the gas used, the logs and the created
//! address must agree, and so must the state: every balance, every non-zero storage slot
//! and, for accounts other than the sender, the nonce.
//!
//! One documented difference is allowed: a failed message leaves no trace in cove, so
//! the sender's nonce (which revm bumps for a failed transaction) is not compared.

use std::convert::Infallible;
use std::sync::Arc;

use arbitrary::Unstructured;
use evm::{EvmConfig, EvmVm};
use revm::bytecode::Bytecode;
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::database::{CacheDB, DatabaseRef};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address as EvmAddress, B256, Bytes, StorageKey, StorageValue, TxKind, U256};
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, ErrorKind, Event};
use vm::{Balance, Env, Message, Target as MsgTarget, VirtualMachine, keys};

use crate::{Counts, Finding, Target, same};

/// Most messages after the create. By default 3.
pub const MAX_CALLS: usize = 3;

/// The bytes at the front of a case that choose its messages' value, gas and
/// calldata; the rest generates the code.
pub const PLAN_BYTES: usize = 128;

/// Most generated instructions in the runtime code. By default 200.
pub const MAX_OPS: usize = 200;

/// The sender of every message, funded with [`SENDER_BALANCE`].
pub const SENDER: [u8; 20] = [0x5e; 20];
/// What the sender holds before the first message: 10^30 wei.
pub const SENDER_BALANCE: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// The block every message runs in.
pub const BLOCK: BlockInfo = BlockInfo { height: 7, timestamp: 1_700_000_000 };

/// revm's database underneath its cache: empty, with cove's block hashes.
#[derive(Debug, Default, Clone, Copy)]
struct CoveHashes;

impl DatabaseRef for CoveHashes {
    type Error = Infallible;
    fn basic_ref(&self, _: EvmAddress) -> Result<Option<AccountInfo>, Infallible> {
        Ok(None)
    }
    fn code_by_hash_ref(&self, _: B256) -> Result<Bytecode, Infallible> {
        Ok(Bytecode::default())
    }
    fn storage_ref(&self, _: EvmAddress, _: StorageKey) -> Result<StorageValue, Infallible> {
        Ok(U256::ZERO)
    }
    fn block_hash_ref(&self, number: u64) -> Result<B256, Infallible> {
        Ok(evm::block_hash(number))
    }
}

type PlainEvm = revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<CoveHashes>>>;

/// The EVM target: cove's EVM, built once.
pub struct EvmDiff {
    cove: Arc<EvmVm>,
    /// How the messages so far ended (create or call, and status).
    pub counts: Counts,
}

impl EvmDiff {
    /// Builds cove's EVM with the default configuration.
    pub fn new() -> Result<EvmDiff, String> {
        let cove = EvmVm::new(EvmConfig::default()).map_err(|e| e.to_string())?;
        Ok(EvmDiff { cove: Arc::new(cove), counts: Counts::default() })
    }
}

/// One message of a case.
#[derive(Debug, Clone)]
struct Msg {
    create: bool,
    data: Vec<u8>,
    value: u128,
    gas: u64,
}

/// What a message did, in terms both sides can be compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// "success", "revert", "halt" or "invalid".
    status: &'static str,
    output: Vec<u8>,
    gas_used: u64,
    events: Vec<Event>,
    created: Option<Address>,
}

impl Target for EvmDiff {
    fn run(&mut self, data: &[u8]) -> Result<(), Finding> {
        let Ok(msgs) = messages(data) else { return Ok(()) };
        let sender = Address(SENDER);
        let mut journal = Journal::new(Arc::new(MemBackend::new()));
        vm::accounts::set_balance(&mut journal, &sender, Balance::from_u128(SENDER_BALANCE))
            .map_err(|e| Finding(format!("funding the sender: {e}")))?;
        let mut plain = plain_evm();
        let mut contract: Option<Address> = None;
        for (i, msg) in msgs.iter().enumerate() {
            let target = match (msg.create, contract) {
                (true, _) => None,
                (false, Some(a)) => Some(a),
                // The create failed: nothing to call.
                (false, None) => break,
            };
            let cove = run_cove(&self.cove, &mut journal, &sender, target, msg)?;
            let revm = run_plain(&mut plain, target, msg);
            same(&format!("message {i} (cove EVM, plain revm)"), &cove, &revm)?;
            self.counts.add(format!("{} {}", if msg.create { "create" } else { "call" }, cove.status));
            if let Some(a) = cove.created {
                contract = Some(a);
            }
            compare_state(&journal, &plain).map_err(|f| Finding(format!("after message {i}: {f}")))?;
        }
        Ok(())
    }

    fn stats(&self) -> Option<String> {
        Some(self.counts.json())
    }
}

fn plain_evm() -> PlainEvm {
    let mut db = CacheDB::new(CoveHashes);
    db.insert_account_info(EvmAddress::from(SENDER), AccountInfo::from_balance(U256::from(SENDER_BALANCE)));
    let config = EvmConfig::default();
    let mut cfg = CfgEnv::new_with_spec(SpecId::OSAKA);
    cfg.chain_id = config.chain_id;
    cfg.limit_contract_code_size = Some(config.max_code_size);
    cfg.limit_contract_initcode_size = Some(config.max_code_size * 2);
    cfg.disable_nonce_check = true;
    let block = BlockEnv {
        number: U256::from(BLOCK.height),
        timestamp: U256::from(BLOCK.timestamp),
        gas_limit: u64::MAX,
        basefee: 0,
        difficulty: U256::ZERO,
        prevrandao: Some(evm::block_hash(BLOCK.height)),
        ..Default::default()
    };
    Context::mainnet().with_cfg(cfg).with_block(block).with_db(db).build_mainnet()
}

fn run_cove(
    cove: &EvmVm,
    journal: &mut Journal,
    sender: &Address,
    target: Option<Address>,
    msg: &Msg,
) -> Result<Seen, Finding> {
    let (target, input) = match target {
        None => (MsgTarget::Create(&msg.data), Vec::new()),
        Some(a) => (MsgTarget::Call(a), msg.data.clone()),
    };
    let message = Message {
        sender: *sender,
        target,
        entry: "",
        input,
        value: Balance::from_u128(msg.value),
        gas_limit: Some(msg.gas),
        read_only: false,
        callee: None,
    };
    // As the runtime runs a message: in a checkpoint, kept only on success.
    let cp = journal.checkpoint();
    let out = cove
        .execute(journal, &Env::detached(&BLOCK), message)
        .map_err(|e| Finding(format!("cove's EVM: node fault: {e}")))?;
    if out.result.is_ok() {
        journal.accept(cp);
    } else {
        journal.revert(cp);
    }
    Ok(match out.result {
        Ok(output) => Seen {
            status: "success",
            output,
            gas_used: out.gas_used,
            events: out.events,
            created: out.address,
        },
        Err(e) => {
            let status = match e.kind {
                ErrorKind::Reverted => "revert",
                ErrorKind::InvalidArgument if out.gas_used == 0 => "invalid",
                _ => "halt",
            };
            Seen { status, output: e.data, gas_used: out.gas_used, events: out.events, created: None }
        }
    })
}

fn run_plain(plain: &mut PlainEvm, target: Option<Address>, msg: &Msg) -> Seen {
    let tx = TxEnv {
        caller: EvmAddress::from(SENDER),
        gas_limit: msg.gas,
        gas_price: 0,
        kind: target.map_or(TxKind::Create, |a| TxKind::Call(EvmAddress::from(a.0))),
        value: U256::from(msg.value),
        data: Bytes::from(msg.data.clone()),
        chain_id: Some(EvmConfig::default().chain_id),
        ..Default::default()
    };
    let result = match plain.transact_commit(tx) {
        Ok(r) => r,
        Err(_) => {
            return Seen { status: "invalid", output: vec![], gas_used: 0, events: vec![], created: None };
        }
    };
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { logs, output, .. } => {
            let events = logs
                .into_iter()
                .map(|log| Event {
                    contract: Address(log.address.into_array()),
                    topics: log.data.topics().iter().map(|t| t.to_vec()).collect(),
                    data: log.data.data.to_vec(),
                })
                .collect();
            let (output, created) = match output {
                Output::Create(_, address) => (Vec::new(), address.map(|a| Address(a.into_array()))),
                Output::Call(bytes) => (bytes.to_vec(), None),
            };
            Seen { status: "success", output, gas_used, events, created }
        }
        ExecutionResult::Revert { output, .. } => {
            Seen { status: "revert", output: output.to_vec(), gas_used, events: vec![], created: None }
        }
        ExecutionResult::Halt { .. } => {
            Seen { status: "halt", output: vec![], gas_used, events: vec![], created: None }
        }
    }
}

/// Balances, non-zero slots and (but for the sender's) nonces of every account revm
/// knows, and no non-zero slot in cove's journal that revm does not have.
fn compare_state(journal: &Journal, plain: &PlainEvm) -> Result<(), Finding> {
    let db = &plain.ctx.journaled_state.database;
    let err = |e: &dyn std::fmt::Display| Finding(format!("reading cove's state: {e}"));
    let mut slots = 0usize;
    for (address, account) in &db.cache.accounts {
        let cove = Address(address.into_array());
        let balance = vm::accounts::balance(journal, &cove).map_err(|e| err(&e))?;
        same(
            &format!("balance of {cove} (cove, revm)"),
            &U256::from_be_bytes(balance.0),
            &account.info.balance,
        )?;
        if *address != EvmAddress::from(SENDER) {
            let nonce = journal
                .get_with(&keys::nonce(&cove), |v| v.and_then(keys::decode_u64))
                .map_err(|e| err(&e))?;
            same(&format!("nonce of {cove} (cove, revm)"), &nonce.unwrap_or(0), &account.info.nonce)?;
        }
        for (slot, value) in account.storage.iter().filter(|(_, v)| !v.is_zero()) {
            slots += 1;
            let key = keys::slot(&cove, &slot.to_be_bytes::<32>());
            let held =
                journal.get(&key).map_err(|e| err(&e))?.map(|v| U256::from_be_slice(&v)).unwrap_or_default();
            same(&format!("slot {slot:#x} of {cove} (cove, revm)"), &held, value)?;
        }
    }
    let cove_slots = journal
        .scan_prefix(&[keys::STORAGE])
        .map_err(|e| err(&e))?
        .into_iter()
        .filter(|(k, v)| k.len() == 53 && v.iter().any(|b| *b != 0))
        .count();
    same("non-zero slots (cove, revm)", &cove_slots, &slots)
}

/// The create and the calls of a case.
///
/// The messages' value, gas and calldata come from the first [`PLAN_BYTES`], the code
/// from the rest: the code generator would otherwise leave nothing for the messages.
fn messages(data: &[u8]) -> arbitrary::Result<Vec<Msg>> {
    let (plan, body) = data.split_at(data.len().min(PLAN_BYTES));
    let (mut p, mut u) = (Unstructured::new(plan), Unstructured::new(body));
    let runtime = code(&mut u)?;
    let mut init = deployer(runtime.len());
    init.extend_from_slice(&runtime);
    let mut msgs = vec![Msg { create: true, data: init, value: small_value(&mut p)?, gas: gas(&mut p)? }];
    for _ in 0..MAX_CALLS - p.int_in_range(0..=MAX_CALLS - 1)? {
        let len = p.int_in_range(0..=36)?;
        let data = p.bytes(len.min(p.len()))?.to_vec();
        msgs.push(Msg { create: false, data, value: small_value(&mut p)?, gas: gas(&mut p)? });
    }
    Ok(msgs)
}

/// Init code that returns the `len` bytes following it as the runtime code.
pub fn deployer(len: usize) -> Vec<u8> {
    let len = len as u16;
    // PUSH2 len, PUSH1 14 (this prefix's length), PUSH1 0, CODECOPY, PUSH2 len, PUSH1 0, RETURN
    let [hi, lo] = len.to_be_bytes();
    vec![0x61, hi, lo, 0x60, 14, 0x60, 0, 0x39, 0x61, hi, lo, 0x60, 0, 0xf3]
}

fn small_value(u: &mut Unstructured<'_>) -> arbitrary::Result<u128> {
    // Choice 0 is what an exhausted plan gives: the ordinary case.
    Ok(match u.int_in_range(0..=7u8)? {
        0..=4 => 0,
        5 | 6 => u.int_in_range(1..=1_000)?,
        // More than the sender has: an invalid transaction on both sides.
        _ => SENDER_BALANCE + 1,
    })
}

fn gas(u: &mut Unstructured<'_>) -> arbitrary::Result<u64> {
    // Choice 0 (an exhausted plan) is the most gas of the ordinary range.
    Ok(match u.int_in_range(0..=15u8)? {
        0..=13 => 3_000_000 - u.int_in_range(0..=2_940_000)?,
        14 => u.int_in_range(0..=60_000)?,
        // Above Osaka's per-transaction cap: refused on both sides.
        _ => (1 << 24) + 1,
    })
}

/// Opcodes that touch state, memory and the environment, which most bugs live near.
const INTERESTING: &[u8] = &[
    0x54, 0x55, 0x5c, 0x5d, // SLOAD SSTORE TLOAD TSTORE
    0x51, 0x52, 0x53, 0x5e, 0x59, // MLOAD MSTORE MSTORE8 MCOPY MSIZE
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3d, 0x3e, // CALLDATA*, CODE*, RETURNDATA*
    0x20, // KECCAK256
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, // LOG0..LOG4
    0x30, 0x31, 0x32, 0x33, 0x34, 0x3a, 0x3b, 0x3c, 0x3f, // ADDRESS .. EXTCODEHASH
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, // BLOCKHASH .. BLOBBASEFEE
    0x5a, 0x58, 0x5b, // GAS PC JUMPDEST
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, // arithmetic
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x50, 0x80,
    0x81, 0x82, 0x90, 0x91, // POP DUP1-3 SWAP1-2
    0x00, 0xf3, 0xfd, 0xfe, 0xff, // STOP RETURN REVERT INVALID SELFDESTRUCT
];

/// Runtime code: a mix of pushes, interesting opcodes, any byte, calls and jumps.
fn code(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut code = Vec::new();
    let ops = u.int_in_range(0..=MAX_OPS)?;
    for _ in 0..ops {
        if u.is_empty() {
            break;
        }
        match u.int_in_range(0..=17u8)? {
            0..=6 => push(&mut code, u.int_in_range(0..=40u64)?),
            7..=11 => code.push(*u.choose(INTERESTING)?),
            12 => code.push(u.arbitrary()?),
            13 => {
                let n = u.int_in_range(1..=32usize)?;
                let mut bytes = vec![0; n];
                u.fill_buffer(&mut bytes)?;
                code.push(0x5f + n as u8);
                code.extend_from_slice(&bytes);
            }
            14 | 15 => call(&mut code, u)?,
            16 => create(&mut code, u)?,
            _ => {
                // A jump to a JUMPDEST (or not) within the code so far or a little past.
                let target = u.int_in_range(0..=(code.len() as u64 + 8))?;
                push(&mut code, target);
                code.push(if u.arbitrary()? { 0x56 } else { 0x57 });
                code.push(0x5b);
            }
        }
    }
    Ok(code)
}

/// PUSH the value in as few bytes as it needs (PUSH0 for zero).
fn push(code: &mut Vec<u8>, value: u64) {
    if value == 0 {
        code.push(0x5f);
        return;
    }
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    code.push(0x5f + (8 - skip) as u8);
    code.extend_from_slice(&bytes[skip..]);
}

/// A CALL, STATICCALL, DELEGATECALL or CALLCODE to a precompile, this contract, the
/// sender or an empty account, with small memory ranges.
fn call(code: &mut Vec<u8>, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let op = *u.choose(&[0xf1u8, 0xfa, 0xf4, 0xf2])?;
    for _ in 0..4 {
        push(code, u.int_in_range(0..=96)?); // retSize, retOffset, argsSize, argsOffset
    }
    if op == 0xf1 || op == 0xf2 {
        push(code, u.int_in_range(0..=2)?); // value
    }
    match u.int_in_range(0..=3u8)? {
        0 => push(code, u.int_in_range(1..=0x11)?), // a precompile
        1 => code.push(0x30),                       // ADDRESS: itself
        2 => code.push(0x33),                       // CALLER
        _ => push(code, u.int_in_range(0x100..=0x104)?),
    }
    if u.arbitrary()? {
        code.push(0x5a)
    } else {
        push(code, u.int_in_range(0..=100_000)?)
    } // gas
    code.push(op);
    Ok(())
}

/// A CREATE or CREATE2 of a few bytes of memory.
fn create(code: &mut Vec<u8>, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let create2 = u.arbitrary()?;
    if create2 {
        push(code, u.int_in_range(0..=3)?); // salt
    }
    push(code, u.int_in_range(0..=64)?); // size
    push(code, u.int_in_range(0..=64)?); // offset
    push(code, u.int_in_range(0..=1)?); // value
    code.push(if create2 { 0xf5 } else { 0xf0 });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runtime code storing 1 in slot 0: PUSH1 1 (3 gas), PUSH0 (2), SSTORE to a cold
    /// empty slot (22,100), STOP.
    const STORE_ONE: [u8; 5] = [0x60, 0x01, 0x5f, 0x55, 0x00];

    #[test]
    fn the_comparison_sees_a_state_difference() {
        let cove = EvmVm::new(EvmConfig::default()).unwrap();
        let sender = Address(SENDER);
        let mut journal = Journal::new(Arc::new(MemBackend::new()));
        vm::accounts::set_balance(&mut journal, &sender, Balance::from_u128(SENDER_BALANCE)).unwrap();
        let mut plain = plain_evm();
        let init = [&deployer(STORE_ONE.len())[..], &STORE_ONE].concat();
        let create = Msg { create: true, data: init, value: 0, gas: 1_000_000 };
        let a = run_cove(&cove, &mut journal, &sender, None, &create).unwrap();
        assert_eq!(a, run_plain(&mut plain, None, &create));
        let contract = a.created.expect("created");
        let call = Msg { create: false, data: vec![], value: 0, gas: 1_000_000 };
        let b = run_cove(&cove, &mut journal, &sender, Some(contract), &call).unwrap();
        assert_eq!((b.status, b.gas_used), ("success", 21_000 + 3 + 2 + 22_100));
        assert_eq!(b, run_plain(&mut plain, Some(contract), &call));
        compare_state(&journal, &plain).unwrap();

        journal.set(&keys::slot(&contract, &[0; 32]), &U256::from(2).to_be_bytes::<32>());
        let f = compare_state(&journal, &plain).unwrap_err();
        assert!(f.0.contains("slot 0x0"), "{f}");
        journal.set(&keys::slot(&contract, &[0; 32]), &U256::from(1).to_be_bytes::<32>());
        journal.set(&keys::slot(&contract, &[9; 32]), &U256::from(1).to_be_bytes::<32>());
        let f = compare_state(&journal, &plain).unwrap_err();
        assert!(f.0.contains("non-zero slots"), "{f}");
    }
}
