//! The EVM through the runtime: a solc-compiled ERC-20 (`examples/evm/Token.sol`),
//! state in cove's store, reverts, events, queries, gas, value, disabled opcodes, and
//! the VM factory.

use cove_runtime::{Balance, Config, Runtime};
use types::{Address, ErrorKind, VmType};

use crate::support::{ALICE, BOB, T0};

/// `examples/evm/Token.bin`: the ERC-20's init code.
pub(crate) fn token_init_code() -> Vec<u8> {
    hex::decode(include_str!("../../../../examples/evm/Token.bin").trim()).expect("Token.bin is hex")
}

pub(crate) const SUPPLY: u64 = 1_000_000;
pub(crate) const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb]; // transfer(address,uint256)
pub(crate) const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31]; // balanceOf(address)
const ERROR_STRING: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0]; // Error(string)
/// keccak256("Transfer(address,address,uint256)")
const TRANSFER_TOPIC: &str = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

pub(crate) fn word_u64(v: u64) -> Vec<u8> {
    let mut w = vec![0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

pub(crate) fn word_addr(a: &Address) -> Vec<u8> {
    let mut w = vec![0u8; 32];
    w[12..].copy_from_slice(&a.0);
    w
}

pub(crate) fn calldata(selector: [u8; 4], words: &[Vec<u8>]) -> Vec<u8> {
    let mut out = selector.to_vec();
    for w in words {
        out.extend_from_slice(w);
    }
    out
}

pub(crate) fn deploy_token(rt: &Runtime) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block
        .create(VmType::Evm, ALICE, &token_init_code(), "", word_u64(SUPPLY), Balance::ZERO, None)
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.events.len(), 1, "the constructor mints with a Transfer event");
    block.commit().unwrap();
    r.address.expect("a create returns the address")
}

pub(crate) fn balance_of(rt: &Runtime, token: Address, who: &Address) -> u64 {
    let r = rt.query(BOB, token, "", calldata(BALANCE_OF, &[word_addr(who)]), None).unwrap();
    let out = r.result.expect("balanceOf succeeds");
    assert_eq!(out.len(), 32);
    assert!(out[..24].iter().all(|b| *b == 0), "fits a u64");
    u64::from_be_bytes(out[24..].try_into().unwrap())
}

#[test]
fn erc20_deploys_transfers_and_emits_events() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let token = deploy_token(&rt);
    let info = rt.contract(&token).unwrap().expect("the runtime records the contract");
    assert_eq!(info.vm, VmType::Evm);
    assert_eq!(balance_of(&rt, token, &ALICE), SUPPLY);

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r =
        block.call(ALICE, token, "", calldata(TRANSFER, &[word_addr(&BOB), word_u64(250)]), None).unwrap();
    assert_eq!(r.result, Ok(word_u64(1)), "transfer returns true");
    assert!(r.gas_used > 21_000, "gas includes the intrinsic cost: {}", r.gas_used);
    assert_eq!(r.events.len(), 1);
    let event = &r.events[0];
    assert_eq!(event.contract, token);
    assert_eq!(event.topics.len(), 3, "Transfer(address indexed, address indexed, uint256)");
    assert_eq!(hex::encode(&event.topics[0]), TRANSFER_TOPIC);
    assert_eq!(event.topics[1], word_addr(&ALICE));
    assert_eq!(event.topics[2], word_addr(&BOB));
    assert_eq!(event.data, word_u64(250));
    block.commit().unwrap();
    assert_eq!(balance_of(&rt, token, &ALICE), SUPPLY - 250);
    assert_eq!(balance_of(&rt, token, &BOB), 250);
    // The slots live in cove's store under the contract's storage prefix.
    assert!(rt.contract_state(&token).unwrap().len() >= 3, "total supply and two balances");
}

#[test]
fn a_revert_returns_its_data_and_changes_nothing() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let token = deploy_token(&rt);
    let before = rt.contract_state(&token).unwrap();
    let nonce_before = rt.nonce(&BOB).unwrap();

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.call(BOB, token, "", calldata(TRANSFER, &[word_addr(&ALICE), word_u64(1)]), None).unwrap();
    let e = r.result.expect_err("BOB has no tokens");
    assert_eq!(e.kind, ErrorKind::Reverted);
    assert_eq!(e.data[..4], ERROR_STRING);
    assert!(String::from_utf8_lossy(&e.data).contains("ERC20: insufficient balance"), "{:?}", e.data);
    assert!(r.events.is_empty());
    assert!(r.gas_used > 0 && r.gas_used < 100_000, "a revert refunds the rest: {}", r.gas_used);
    block.commit().unwrap();
    assert_eq!(rt.contract_state(&token).unwrap(), before);
    // Not even the sender's nonce moved (Ethereum would include the failed transaction).
    assert_eq!(rt.nonce(&BOB).unwrap(), nonce_before);
    assert_eq!(rt.nonce(&ALICE).unwrap(), 1, "the deploy bumped ALICE's nonce");
}

#[test]
fn queries_change_nothing_and_out_of_gas_uses_the_limit() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let token = deploy_token(&rt);
    // eth_call of a transfer: it succeeds, but nothing is written.
    let r = rt.query(ALICE, token, "", calldata(TRANSFER, &[word_addr(&BOB), word_u64(5)]), None).unwrap();
    assert_eq!(r.result, Ok(word_u64(1)));
    assert_eq!(balance_of(&rt, token, &BOB), 0);

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block
        .call(ALICE, token, "", calldata(TRANSFER, &[word_addr(&BOB), word_u64(5)]), Some(30_000))
        .unwrap();
    assert_eq!(r.result.as_ref().map_err(|e| e.kind), Err(ErrorKind::OutOfGas), "{r:?}");
    assert_eq!(r.gas_used, 30_000);
    // Below the intrinsic gas the transaction itself is invalid.
    let r = block.call(ALICE, token, "", Vec::new(), Some(20_000)).unwrap();
    assert_eq!(r.result.map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
    // An entry point name means nothing to the EVM.
    let r = block.call(ALICE, token, "transfer", Vec::new(), None).unwrap();
    assert_eq!(r.result.map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
}

#[test]
fn gas_is_deterministic_across_runtimes() {
    let run = || {
        let rt = Runtime::in_memory(Config::default()).unwrap();
        let token = deploy_token(&rt);
        let mut block = rt.begin_block(T0 + 1).unwrap();
        let r =
            block.call(ALICE, token, "", calldata(TRANSFER, &[word_addr(&BOB), word_u64(7)]), None).unwrap();
        block.commit().unwrap();
        (token, r, rt.contract_state(&token).unwrap())
    };
    assert_eq!(run(), run());
}

#[test]
fn value_moves_native_balances() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let carol = Address([0xca; 20]);
    let mut block = rt.begin_block(T0).unwrap();
    assert!(block.fund(ALICE, Balance::from_u128(1_000)).unwrap().is_ok());
    let r = block.call_with_value(ALICE, carol, "", Vec::new(), Balance::from_u128(300), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.gas_used, 21_000, "a plain transfer costs the intrinsic gas");
    // Sending more than the balance is an invalid transaction, and changes nothing.
    let r = block.call_with_value(carol, ALICE, "", Vec::new(), Balance::from_u128(301), None).unwrap();
    assert_eq!(r.result.map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
    block.commit().unwrap();
    assert_eq!(rt.balance(&ALICE).unwrap(), Balance::from_u128(700));
    assert_eq!(rt.balance(&carol).unwrap(), Balance::from_u128(300));
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let token = {
        let rt = Runtime::open(dir.path(), Config::default()).unwrap();
        let token = deploy_token(&rt);
        let mut block = rt.begin_block(T0 + 1).unwrap();
        assert!(
            block
                .call(ALICE, token, "", calldata(TRANSFER, &[word_addr(&BOB), word_u64(9)]), None)
                .unwrap()
                .is_ok()
        );
        block.commit().unwrap();
        token
    };
    let rt = Runtime::open(dir.path(), Config::default()).unwrap();
    assert_eq!(balance_of(&rt, token, &BOB), 9);
    assert_eq!(balance_of(&rt, token, &ALICE), SUPPLY - 9);
}

#[test]
fn disabled_opcodes_are_refused_at_deploy_and_halt_when_reached() {
    let mut config = Config::default();
    config.evm.disabled_opcodes = vec!["SELFDESTRUCT".into()];
    let rt = Runtime::in_memory(config).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    // PUSH1 0; SELFDESTRUCT
    let r =
        block.create(VmType::Evm, ALICE, &[0x60, 0x00, 0xff], "", Vec::new(), Balance::ZERO, None).unwrap();
    let e = r.result.expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.message.contains("SELFDESTRUCT"), "{}", e.message);
    // Init code that writes runtime code [SELFDESTRUCT] byte by byte: the 0xff is PUSH
    // data, so the scan passes, but calling the contract reaches the opcode.
    // PUSH1 0xff PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN
    let init = [0x60, 0xff, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3];
    let r = block.create(VmType::Evm, ALICE, &init, "", Vec::new(), Balance::ZERO, None).unwrap();
    let address = r.address.expect("created");
    let r = block.call(ALICE, address, "", Vec::new(), Some(100_000)).unwrap();
    let e = r.result.expect_err("halts");
    assert_eq!(e.kind, ErrorKind::Trap);
    assert!(e.message.contains("OpcodeNotFound"), "{}", e.message);
}

#[test]
fn a_bad_evm_config_is_refused_at_startup() {
    let mut config = Config::default();
    config.evm.disabled_opcodes = vec!["NOT_AN_OPCODE".into()];
    assert!(Runtime::in_memory(config).is_err());
    let mut config = Config::default();
    config.evm.spec = "Futurefork".into();
    assert!(Runtime::in_memory(config).is_err());
}

#[test]
fn the_factory_hands_out_one_instance_per_type() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    for vm in [VmType::Wasm, VmType::Evm] {
        let (a, b) = (rt.vms().get(vm), rt.vms().get(vm));
        assert!(std::ptr::addr_eq(a, b), "{vm}");
        assert_eq!(a.vm_type(), vm);
        assert_eq!(a.vm_version().vm, vm);
    }
    assert_eq!(rt.vms().get(VmType::Evm).vm_version().detail, "Osaka");
    // Shared across threads too.
    let from_thread = std::thread::scope(|s| s.spawn(|| rt.vms().get(VmType::Evm)).join().unwrap());
    assert!(std::ptr::addr_eq(from_thread, rt.vms().get(VmType::Evm)));
}

#[test]
fn wasm_contracts_are_accounts_without_code_to_the_evm() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let counter = block.deploy(ALICE, &crate::support::counter(), None, None).unwrap().address.unwrap();
    assert!(block.call(ALICE, counter, "increment", Vec::new(), None).unwrap().is_ok());
    block.commit().unwrap();
    let storage = rt.contract_state(&counter).unwrap();
    assert!(!storage.is_empty());

    // EVM init code that CALLs the counter with no value and no data: the EVM sees an
    // account without code, touches it, and (EIP-161) cleans it up as empty. The
    // contract's record and storage must survive that.
    // PUSH1 0 x5 (retSize retOff argsSize argsOff value), PUSH20 counter, GAS, CALL, STOP
    let mut init = [0x60, 0x00].repeat(5);
    init.push(0x73);
    init.extend_from_slice(&counter.0);
    init.extend_from_slice(&[0x5a, 0xf1, 0x00]);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.create(VmType::Evm, BOB, &init, "", Vec::new(), Balance::ZERO, None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    block.commit().unwrap();
    assert_eq!(rt.contract(&counter).unwrap().map(|i| i.vm), Some(VmType::Wasm));
    assert_eq!(rt.contract_state(&counter).unwrap(), storage);
    let r = rt.query(ALICE, counter, "increment", Vec::new(), None).unwrap();
    assert_eq!(r.result.map_err(|e| e.kind), Err(ErrorKind::ReadOnly), "still a working WASM contract");
}

/// Deploys an EVM contract whose code returns `BALANCE(address in calldata word 0)`.
fn deploy_balance_reader(block: &mut cove_runtime::Block<'_>) -> Address {
    // PUSH1 0, CALLDATALOAD, BALANCE, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
    let runtime = [0x60, 0x00, 0x35, 0x31, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3];
    // PUSH1 len, DUP1, PUSH1 11 (offset of the runtime code), PUSH1 0, CODECOPY, PUSH1 0, RETURN
    let mut init = vec![0x60, runtime.len() as u8, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&runtime);
    let r = block.create(VmType::Evm, ALICE, &init, "", Vec::new(), Balance::ZERO, None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    r.address.unwrap()
}

fn evm_balance(block: &mut cove_runtime::Block<'_>, reader: Address, who: &Address) -> Balance {
    let r = block.call(BOB, reader, "", word_addr(who), None).unwrap();
    let out = r.result.expect("BALANCE succeeds");
    Balance(out.try_into().expect("one word"))
}

/// The EVM keeps the accounts it decoded between messages of a block (`docs/evm.md`,
/// "Account cache"); whatever else writes an account in between must be seen.
#[test]
fn the_evm_sees_every_balance_change_between_its_messages() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let (carol, dave) = (Address([0xca; 20]), Address([0xda; 20]));
    let mut block = rt.begin_block(T0).unwrap();
    let reader = deploy_balance_reader(&mut block);
    assert_eq!(evm_balance(&mut block, reader, &carol), Balance::ZERO);
    // A write outside the EVM (the faucet).
    assert!(block.fund(carol, Balance::from_u128(500)).unwrap().is_ok());
    assert_eq!(evm_balance(&mut block, reader, &carol), Balance::from_u128(500));
    // The EVM's own write-back: a value transfer, then both sides read back at once.
    let r = block.call_with_value(carol, dave, "", Vec::new(), Balance::from_u128(120), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(evm_balance(&mut block, reader, &carol), Balance::from_u128(380));
    assert_eq!(evm_balance(&mut block, reader, &dave), Balance::from_u128(120));
    // A failed transfer changes nothing.
    let r = block.call_with_value(dave, carol, "", Vec::new(), Balance::from_u128(121), None).unwrap();
    assert!(!r.is_ok());
    assert_eq!(evm_balance(&mut block, reader, &dave), Balance::from_u128(120));
    block.commit().unwrap();

    // The next block, on a new journal: a write before the first EVM message.
    let mut block = rt.begin_block(T0 + 1).unwrap();
    assert!(block.fund(dave, Balance::from_u128(1)).unwrap().is_ok());
    assert_eq!(evm_balance(&mut block, reader, &dave), Balance::from_u128(121));
    assert_eq!(evm_balance(&mut block, reader, &carol), Balance::from_u128(380));
}

#[test]
fn the_evm_sees_value_a_wasm_call_moved() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let counter = block.deploy(ALICE, &crate::support::counter(), None, None).unwrap().address.unwrap();
    let reader = deploy_balance_reader(&mut block);
    assert!(block.fund(ALICE, Balance::from_u128(50)).unwrap().is_ok());
    assert_eq!(evm_balance(&mut block, reader, &counter), Balance::ZERO);
    assert_eq!(evm_balance(&mut block, reader, &ALICE), Balance::from_u128(50));
    let r =
        block.call_with_value(ALICE, counter, "increment", Vec::new(), Balance::from_u128(5), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(evm_balance(&mut block, reader, &counter), Balance::from_u128(5));
    assert_eq!(evm_balance(&mut block, reader, &ALICE), Balance::from_u128(45));
}
