//! EVM contracts calling contracts of cove's ABI through the cross-VM precompile
//! (`examples/evm/ICove.sol`, `CovePayer.sol`): a payment with a cove token, value,
//! a callee's failure and its data, a revert after a successful call (in the outermost
//! frame or an inner one), queries, refusals, the depth limit and reentrancy across
//! VMs, and the gas rate.

use cove_runtime::{Balance, CallsConfig, Config, GasRate, Receipt, Reentrancy, Runtime};
use types::{Address, ErrorKind, VmType};

use crate::calls::{PROXY_WAT, forward_mode};
use crate::evm::{BALANCE_OF, TRANSFER, calldata, deploy_token, word_addr, word_u64};
use crate::support::{ALICE, BOB, T0, failed, ok};

const PAY: [u8; 4] = [0xab, 0xdb, 0xd4, 0xe2]; // pay(address,address,uint64)
const PAY_THEN_REVERT: [u8; 4] = [0xaa, 0xbe, 0xe3, 0x5c]; // payThenRevert(address,address,uint64)
const PAY_FROM_INNER_FRAME: [u8; 4] = [0xb5, 0x97, 0xb7, 0xe7]; // payFromInnerFrame(address,address,uint64)
const BALANCE_IN: [u8; 4] = [0xf6, 0xdf, 0xac, 0x31]; // balanceIn(address,address)
const FORWARD: [u8; 4] = [0xc2, 0x1d, 0x5d, 0x70]; // forward(address,string,bytes)

/// What the payer holds of the cove token after [`setup`].
const HELD: u64 = 1_000;

fn hex_code(hex: &str) -> Vec<u8> {
    hex::decode(hex.trim()).expect("checked-in init code is hex")
}

fn runtime(calls: CallsConfig) -> Runtime {
    Runtime::in_memory(Config { calls, ..Config::default() }).expect("runtime")
}

fn deploy_wat(rt: &Runtime, wat: &str, init: Option<(&str, Vec<u8>)>) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &wat::parse_str(wat).expect("wat parses"), init, None).unwrap();
    ok(&r);
    block.commit().unwrap();
    r.address.expect("an address")
}

fn create_evm(rt: &Runtime, init: &[u8], args: Vec<u8>) -> Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.create(VmType::Evm, ALICE, init, "", args, Balance::ZERO, None).unwrap();
    block.commit().unwrap();
    r
}

fn send(rt: &Runtime, to: Address, entry: &str, input: Vec<u8>, value: u128) -> Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.call_with_value(ALICE, to, entry, input, Balance::from_u128(value), None).unwrap();
    block.commit().unwrap();
    r
}

/// The cove token (`examples/token.wat`, ALICE holds the supply) and the payer
/// (`CovePayer.sol`), which holds [`HELD`] tokens.
fn setup(rt: &Runtime) -> (Address, Address) {
    let token = deploy_wat(rt, include_str!("../../../../examples/token.wat"), Some(("init", vec![])));
    let created = create_evm(rt, &hex_code(include_str!("../../../../examples/evm/CovePayer.bin")), vec![]);
    let payer = created.address.expect("CovePayer deploys");
    ok(&send(rt, token, "transfer", transfer_input(&payer, HELD), 0));
    (token, payer)
}

fn transfer_input(to: &Address, amount: u64) -> Vec<u8> {
    [&to.0[..], &amount.to_le_bytes()].concat()
}

fn tokens(rt: &Runtime, token: Address, who: &Address) -> u64 {
    let out = ok(&rt.query(BOB, token, "balance", who.0.to_vec(), None).unwrap());
    u64::from_le_bytes(out.try_into().expect("8 bytes"))
}

fn pay(selector: [u8; 4], token: Address, to: &Address, amount: u64) -> Vec<u8> {
    calldata(selector, &[word_addr(&token), word_addr(to), word_u64(amount)])
}

/// Solidity's encoding of `bytes` (or `string`) after its head: length, padded data.
fn tail(data: &[u8]) -> Vec<u8> {
    let mut out = word_u64(data.len() as u64);
    out.extend_from_slice(data);
    out.resize(32 + data.len().div_ceil(32) * 32, 0);
    out
}

/// `forward(target, entry, input)`.
fn forward(target: Address, entry: &str, input: &[u8]) -> Vec<u8> {
    let entry = tail(entry.as_bytes());
    let mut out = calldata(FORWARD, &[word_addr(&target), word_u64(96), word_u64(96 + entry.len() as u64)]);
    out.extend_from_slice(&entry);
    out.extend_from_slice(&tail(input));
    out
}

/// The `bytes` a function returned.
fn returned_bytes(out: &[u8]) -> Vec<u8> {
    assert_eq!(out[..32], word_u64(32)[..], "one dynamic return value");
    let len = u64::from_be_bytes(out[56..64].try_into().unwrap()) as usize;
    out[64..64 + len].to_vec()
}

fn reverted(r: &Receipt) -> Vec<u8> {
    failed(r, ErrorKind::Reverted);
    r.result.clone().unwrap_err().data
}

#[test]
fn an_evm_contract_pays_with_a_cove_token() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let r = send(&rt, payer, "", pay(PAY, token, &BOB, 300), 0);
    assert_eq!(returned_bytes(&ok(&r)), Vec::<u8>::new(), "transfer returns nothing");
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD - 300, 300));
    assert_eq!(r.events.len(), 2, "{:?}", r.events);
    assert_eq!((r.events[0].contract, r.events[0].topics[0].as_slice()), (token, &b"transfer"[..]));
    assert_eq!(r.events[1].contract, payer, "then the payer's Paid, in the order they happened");
    assert!(r.gas_used > evm::COVE_CALL_BASE_GAS, "{}", r.gas_used);
}

#[test]
fn a_failed_cove_callee_reverts_with_its_message_and_leaves_nothing() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let r = send(&rt, payer, "", pay(PAY, token, &BOB, HELD + 1), 0);
    assert_eq!(reverted(&r), b"insufficient balance", "the token's abort message");
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD, 0));
    // A callee that wrote before failing: nothing of it survives.
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let doomed = forward_mode(1, token, 0, 0, "transfer", &transfer_input(&BOB, 1));
    let r = send(&rt, payer, "", forward(proxy, "forward", &doomed), 0);
    assert_eq!(reverted(&r), b"insufficient balance", "propagated by the proxy");
    assert!(rt.contract_state(&proxy).unwrap().is_empty(), "the proxy's mark is gone");
}

#[test]
fn a_revert_after_a_successful_cross_vm_call_leaves_nothing() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let r = send(&rt, payer, "", pay(PAY_THEN_REVERT, token, &BOB, 300), 0);
    assert!(r.result.as_ref().unwrap_err().message.contains("changed my mind"), "{r:?}");
    reverted(&r);
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD, 0));
}

#[test]
fn value_moves_from_the_evm_contract_to_the_callee() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(ALICE, Balance::from_u128(1_000)).unwrap());
    block.commit().unwrap();
    let balance = |a: &Address| rt.balance(a).unwrap().to_u128().unwrap();
    let here = Address(evm::COVE_CALL_ADDRESS);

    let r = send(&rt, payer, "", forward(token, "balance", &payer.0), 250);
    assert_eq!(returned_bytes(&ok(&r)), HELD.to_le_bytes(), "the token's answer");
    assert_eq!((balance(&ALICE), balance(&payer), balance(&token), balance(&here)), (750, 0, 250, 0));
    // A failed callee: the value goes back with everything else.
    let r = send(&rt, payer, "", forward(token, "transfer", &transfer_input(&BOB, HELD + 1)), 250);
    reverted(&r);
    assert_eq!((balance(&ALICE), balance(&payer), balance(&token), balance(&here)), (750, 0, 250, 0));
}

#[test]
fn a_query_runs_the_callee_read_only() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let q = |input: Vec<u8>| rt.query(ALICE, payer, "", input, None).unwrap();
    let out = ok(&q(calldata(BALANCE_IN, &[word_addr(&token), word_addr(&payer)])));
    assert_eq!(out, word_u64(HELD), "read through STATICCALL");
    // A write below is refused: the token traps, the payer reverts, nothing changes.
    assert_eq!(reverted(&q(pay(PAY, token, &BOB, 1))), Vec::<u8>::new());
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD, 0));
    // In a transaction, STATICCALL alone makes the callee read-only too.
    let r = send(&rt, payer, "", calldata(BALANCE_IN, &[word_addr(&token), word_addr(&payer)]), 0);
    assert_eq!(ok(&r), word_u64(HELD));
}

/// A call from an inner EVM frame runs; a frame that reverts after a successful call
/// undoes exactly that call (the payment, its events, the value it moved), and what the
/// EVM read after the call inside that frame is read again after it.
#[test]
fn an_inner_frame_may_call_and_its_revert_undoes_exactly_its_calls() {
    const PAY_TWICE_ONCE_UNDONE: [u8; 4] = [0x91, 0xd5, 0xed, 0x78];
    const BALANCE_AFTER_UNDONE_SEND: [u8; 4] = [0x06, 0x7f, 0xd9, 0xad];
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    ok(&send(&rt, payer, "", pay(PAY_FROM_INNER_FRAME, token, &BOB, 300), 0));
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD - 300, 300));

    let r = send(&rt, payer, "", pay(PAY_TWICE_ONCE_UNDONE, token, &BOB, 100), 0);
    ok(&r);
    assert_eq!((tokens(&rt, token, &payer), tokens(&rt, token, &BOB)), (HELD - 400, 400), "paid once");
    let contracts: Vec<Address> = r.events.iter().map(|e| e.contract).collect();
    assert_eq!(contracts, [token, payer], "the undone payment's events are gone");

    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(ALICE, Balance::from_u128(1_000)).unwrap());
    block.commit().unwrap();
    let balance = |a: &Address| rt.balance(a).unwrap().to_u128().unwrap();
    let mut input = forward(token, "balance", &payer.0);
    input[..4].copy_from_slice(&BALANCE_AFTER_UNDONE_SEND);
    let out = ok(&send(&rt, payer, "", input, 250));
    assert_eq!((out[..32].to_vec(), out[32..].to_vec()), (word_u64(250), word_u64(0)), "inside, then after");
    assert_eq!((balance(&ALICE), balance(&payer), balance(&token)), (750, 250, 0));

    // Refused: a call in a constructor (a message that creates a contract).
    let init = hex_code(include_str!("../../../../examples/evm/CallsInConstructor.bin"));
    let r = create_evm(&rt, &init, word_addr(&token));
    let message = r.result.as_ref().unwrap_err().message.clone();
    assert!(message.contains("created or destroyed a contract"), "{message}");
}

#[test]
fn the_depth_limit_and_reentrancy_hold_across_vms() {
    for (max_call_depth, expected) in [(1, 9), (2, 0)] {
        let rt = runtime(CallsConfig { max_call_depth, ..CallsConfig::default() });
        let (_, payer) = setup(&rt);
        let (proxy, erc20) = (deploy_wat(&rt, PROXY_WAT, None), deploy_token(&rt));
        // EVM (depth 0) -> proxy (1) -> ERC-20 (2).
        let balance_of = calldata(BALANCE_OF, &[word_addr(&ALICE)]);
        let inner = forward_mode(0, erc20, 0, 1_000_000, "", &balance_of);
        ok(&send(&rt, payer, "", forward(proxy, "forward", &inner), 0));
        let status = rt.contract_state(&proxy).unwrap().into_iter().find(|(k, _)| k == b"status").unwrap().1;
        assert_eq!(
            u32::from_le_bytes(status.try_into().unwrap()),
            expected,
            "max_call_depth {max_call_depth}"
        );
    }
    // The EVM contract is on the call stack: the proxy cannot call it back under deny.
    let rt = runtime(CallsConfig { reentrancy: Reentrancy::Deny, ..CallsConfig::default() });
    let (token, payer) = setup(&rt);
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let back = calldata(BALANCE_IN, &[word_addr(&token), word_addr(&payer)]);
    let inner = forward_mode(0, payer, 0, 1_000_000, "", &back);
    ok(&send(&rt, payer, "", forward(proxy, "forward", &inner), 0));
    let status = rt.contract_state(&proxy).unwrap().into_iter().find(|(k, _)| k == b"status").unwrap().1;
    assert_eq!(u32::from_le_bytes(status.try_into().unwrap()), 10, "reentrancy");
}

/// A message's gas at three rates: the caller's own part `C` does not depend on the
/// rate, the callee's `u` converts, rounding up: `G(rate) = C + ceil(u * rate)`.
#[test]
fn gas_converts_between_the_evm_and_cove_at_the_configured_rate() {
    let at = |evm, cove, run: &dyn Fn(&Runtime) -> Receipt| {
        let rt = runtime(CallsConfig { evm_gas_rate: GasRate { evm, cove }, ..CallsConfig::default() });
        let r = run(&rt);
        ok(&r);
        r.gas_used
    };
    // EVM -> cove: one cove gas is `evm / cove` EVM gas.
    let pay_bob = |rt: &Runtime| {
        let (token, payer) = setup(rt);
        send(rt, payer, "", pay(PAY, token, &BOB, 300), 0)
    };
    let (one, two) = (at(1, 1, &pay_bob), at(2, 1, &pay_bob));
    let used = two - one;
    assert!(used > 0);
    assert_eq!(at(3, 2, &pay_bob), one - used + (3 * used).div_ceil(2), "u = {used}");
    // cove -> EVM: one EVM gas is `cove / evm` cove gas.
    let proxy_to_erc20 = |rt: &Runtime| {
        let (proxy, erc20) = (deploy_wat(rt, PROXY_WAT, None), deploy_token(rt));
        let inner = forward_mode(0, erc20, 0, 1_000_000, "", &calldata(BALANCE_OF, &[word_addr(&ALICE)]));
        send(rt, proxy, "forward", inner, 0)
    };
    let (one, two) = (at(1, 1, &proxy_to_erc20), at(1, 2, &proxy_to_erc20));
    let used = two - one;
    assert!(used > 21_000, "the callee's EVM gas, intrinsic included: {used}");
    assert_eq!(at(3, 2, &proxy_to_erc20), one - used + (2 * used).div_ceil(3), "e = {used}");
    // A transfer of the ERC-20 through the proxy still works at a rate (its limit converts).
    let transfer = |rt: &Runtime| {
        let (proxy, erc20) = (deploy_wat(rt, PROXY_WAT, None), deploy_token(rt));
        let inner =
            forward_mode(1, erc20, 0, 1_000_000, "", &calldata(TRANSFER, &[word_addr(&BOB), word_u64(0)]));
        send(rt, proxy, "forward", inner, 0)
    };
    at(7, 3, &transfer);
}

/// Under `allow`, the callee enters the calling EVM contract again (a message of its
/// own): it sees the counter the EVM wrote before the call (1), and the EVM sees its
/// bump (+10) after it: 1 + 10 + 100. A lost flush would give 110, a stale cache 101.
#[test]
fn the_callee_sees_the_evm_s_writes_and_the_evm_sees_the_callee_s() {
    const BUMP: [u8; 4] = [0xb2, 0x0e, 0xb4, 0xc4]; // bump(uint256)
    const BUMP_AROUND: [u8; 4] = [0x02, 0x54, 0xb2, 0x56]; // bumpAround(address,bytes)
    const COUNTER: [u8; 4] = [0x61, 0xbc, 0x22, 0x1a]; // counter()
    for (reentrancy, expected) in [(Reentrancy::Allow, 111), (Reentrancy::Deny, 101)] {
        let rt = runtime(CallsConfig { reentrancy, ..CallsConfig::default() });
        let init = hex_code(include_str!("../../../../examples/evm/Reentered.bin"));
        let evm = create_evm(&rt, &init, vec![]).address.expect("Reentered deploys");
        let proxy = deploy_wat(&rt, PROXY_WAT, None);
        let inner = forward_mode(0, evm, 0, 1_000_000, "", &calldata(BUMP, &[word_u64(10)]));
        let mut input = calldata(BUMP_AROUND, &[word_addr(&proxy), word_u64(64)]);
        input.extend_from_slice(&tail(&inner));
        ok(&send(&rt, evm, "", input, 0));
        let counter = ok(&rt.query(ALICE, evm, "", COUNTER.to_vec(), None).unwrap());
        assert_eq!(counter, word_u64(expected), "{reentrancy:?}");
    }
}

/// Every receipt and every block's state root of a run of cross-VM calls that succeed,
/// fail, revert after succeeding, move value and re-enter, at a gas rate of 3:2, on a
/// fresh data directory.
fn run_cross_vm(compiler: cove_runtime::Compiler) -> (Vec<Receipt>, Vec<Option<cove_runtime::Hash>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.wasm.compiler = compiler;
    config.calls = CallsConfig {
        reentrancy: Reentrancy::Allow,
        evm_gas_rate: GasRate { evm: 3, cove: 2 },
        ..CallsConfig::default()
    };
    let rt = Runtime::open(dir.path(), config).unwrap();
    let (token, payer) = setup(&rt);
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let reentered = hex_code(include_str!("../../../../examples/evm/Reentered.bin"));
    let reentered = create_evm(&rt, &reentered, vec![]).address.expect("Reentered deploys");
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(ALICE, Balance::from_u128(1_000)).unwrap());
    block.commit().unwrap();
    let bump =
        forward_mode(0, reentered, 0, 1_000_000, "", &calldata([0xb2, 0x0e, 0xb4, 0xc4], &[word_u64(10)]));
    let mut bump_around = calldata([0x02, 0x54, 0xb2, 0x56], &[word_addr(&proxy), word_u64(64)]);
    bump_around.extend_from_slice(&tail(&bump));
    let messages = [
        (payer, pay(PAY, token, &BOB, 300), 0),
        (payer, pay(PAY, token, &BOB, HELD), 0),
        (payer, pay(PAY_THEN_REVERT, token, &BOB, 1), 0),
        (payer, forward(token, "balance", &payer.0), 250),
        (
            payer,
            forward(proxy, "forward", &forward_mode(1, token, 0, 0, "transfer", &transfer_input(&BOB, 1))),
            0,
        ),
        (reentered, bump_around, 0),
    ];
    let (mut receipts, mut roots) = (Vec::new(), Vec::new());
    for (to, input, value) in messages {
        let mut block = rt.begin_block(T0).unwrap();
        receipts.push(block.call_with_value(ALICE, to, "", input, Balance::from_u128(value), None).unwrap());
        roots.push(block.commit().unwrap().root);
    }
    (receipts, roots)
}

#[test]
fn cross_vm_calls_give_identical_gas_events_and_roots_in_every_mode() {
    use cove_runtime::Compiler;
    let baseline = run_cross_vm(Compiler::Baseline);
    assert!(baseline.1.iter().all(Option::is_some), "an authenticated store has roots");
    let oks: Vec<bool> = baseline.0.iter().map(Receipt::is_ok).collect();
    assert_eq!(oks, [true, false, false, true, false, true], "{:?}", baseline.0);
    for mode in [Compiler::Optimizing, Compiler::Interpreter, Compiler::Hybrid] {
        assert_eq!(baseline, run_cross_vm(mode), "{mode:?}");
    }
    assert_eq!(baseline, run_cross_vm(Compiler::Baseline), "and on a second fresh data directory");
}

/// A slot written before a call (so written out to the journal for the callee) and
/// set back to its value at the start of the message after it ends as it began: the
/// write-back writes every slot of a touched account once the message has called.
#[test]
fn a_slot_set_back_after_a_call_ends_as_it_began() {
    const SET_AROUND: [u8; 4] = [0x4a, 0x17, 0xcf, 0xe2]; // setAround(address,uint256)
    const COUNTER: [u8; 4] = [0x61, 0xbc, 0x22, 0x1a]; // counter()
    let rt = runtime(CallsConfig::default());
    let (token, _) = setup(&rt);
    let init = hex_code(include_str!("../../../../examples/evm/Reentered.bin"));
    let evm = create_evm(&rt, &init, vec![]).address.expect("Reentered deploys");
    ok(&send(&rt, evm, "", calldata(SET_AROUND, &[word_addr(&token), word_u64(5)]), 0));
    let counter = ok(&rt.query(ALICE, evm, "", COUNTER.to_vec(), None).unwrap());
    assert_eq!(counter, word_u64(0));
    assert!(rt.contract_state(&evm).unwrap().is_empty(), "no slot left behind");
}

/// Calldata that is not `call(address,string,bytes)`, and `DELEGATECALL`, are refused
/// with an `Error(string)`, running nothing; the well-formed call through the same
/// path runs.
#[test]
fn malformed_calldata_and_delegatecall_are_refused() {
    const RAW: [u8; 4] = [0x03, 0x90, 0xd1, 0x51]; // raw(bytes,bool)
    let rt = runtime(CallsConfig::default());
    let (token, _) = setup(&rt);
    let init = hex_code(include_str!("../../../../examples/evm/Reentered.bin"));
    let evm = create_evm(&rt, &init, vec![]).address.expect("Reentered deploys");
    let raw = |data: &[u8], delegate: bool| {
        let mut input = calldata(RAW, &[word_u64(64), word_u64(delegate as u64)]);
        input.extend_from_slice(&tail(data));
        send(&rt, evm, "", input, 0)
    };
    // call(token, "balance", evm): the precompile's own calldata.
    let entry = tail(b"balance");
    let mut good =
        calldata(evm::CALL_SELECTOR, &[word_addr(&token), word_u64(96), word_u64(96 + entry.len() as u64)]);
    good.extend_from_slice(&entry);
    good.extend_from_slice(&tail(&evm.0));
    let out = returned_bytes(&ok(&raw(&good, false)));
    assert_eq!(returned_bytes(&out), 0u64.to_le_bytes(), "the token's answer, as bytes");
    for (data, delegate, reason) in [
        (&good[..good.len() - 13], false, "not call(address,string,bytes)"),
        (&[0xde, 0xad][..], false, "not call(address,string,bytes)"),
        (&good[..], true, "with CALL or STATICCALL"),
    ] {
        let r = raw(data, delegate);
        let message = r.result.as_ref().unwrap_err().message.clone();
        assert!(message.contains(reason), "{message}");
        reverted(&r);
    }
}

/// An EVM contract executes and queries a CosmWasm contract (hackatom) through the
/// precompile: entry `execute` with the JSON message and value as funds, `query`
/// read-only; a contract error reverts with its error string.
#[test]
fn an_evm_contract_executes_and_queries_a_cosmwasm_contract() {
    let rt = runtime(CallsConfig::default());
    let (_, payer) = setup(&rt);
    let mine = crate::cosmwasm_calls::hackatom(&rt, payer);
    let alices = crate::cosmwasm_calls::hackatom(&rt, ALICE);
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(ALICE, Balance::from_u128(1_000)).unwrap());
    block.commit().unwrap();
    let balance = |a: &Address| rt.balance(a).unwrap().to_u128().unwrap();
    let release = br#"{"release":{}}"#;

    // The payer is the verifier: `info.sender` is the EVM contract; the 300 sent with
    // the message arrive as funds and release sends them on to BOB.
    let r = send(&rt, payer, "", forward(mine, "execute", release), 300);
    assert_eq!(returned_bytes(&ok(&r)), [0xF0, 0x0B, 0xAA], "hackatom's response data");
    assert_eq!((balance(&ALICE), balance(&payer), balance(&mine), balance(&BOB)), (700, 0, 0, 300));
    // Not the verifier: hackatom's error reverts the EVM message; the value is back.
    let r = send(&rt, payer, "", forward(alices, "execute", release), 300);
    assert!(String::from_utf8_lossy(&reverted(&r)).contains("Unauthorized"), "{r:?}");
    assert_eq!((balance(&ALICE), balance(&alices)), (700, 0));
    // A query through eth_call's path: read-only all the way; `execute` there is refused.
    let verifier = rt.query(ALICE, payer, "", forward(mine, "query", br#"{"verifier":{}}"#), None).unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&returned_bytes(&ok(&verifier))).unwrap();
    assert!(answer["verifier"].as_str().is_some_and(|v| !v.is_empty()), "{answer}");
    let r = rt.query(ALICE, payer, "", forward(mine, "execute", release), None).unwrap();
    reverted(&r);
}

/// A contract of cove's ABI sends value with a call to an EVM contract (which forwards
/// it on to another cove contract); a failure below sends it back.
#[test]
fn a_cove_contract_sends_value_to_an_evm_contract() {
    let rt = runtime(CallsConfig::default());
    let (token, payer) = setup(&rt);
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(proxy, Balance::from_u128(100)).unwrap());
    block.commit().unwrap();
    let balance = |a: &Address| rt.balance(a).unwrap().to_u128().unwrap();
    let status = || {
        let state = rt.contract_state(&proxy).unwrap();
        let (_, v) = state.iter().find(|(k, _)| k == b"status").expect("a status");
        u32::from_le_bytes(v.as_slice().try_into().unwrap())
    };
    let via_payer = |entry: &str, input: &[u8]| {
        crate::calls::forward(false, payer, 30, 1_000_000, "", &forward(token, entry, input))
    };

    ok(&send(&rt, proxy, "forward", via_payer("balance", &payer.0), 0));
    assert_eq!(status(), 0);
    assert_eq!((balance(&proxy), balance(&payer), balance(&token)), (70, 0, 30));
    // The token has no such entry point: the payer reverts, the 30 come back.
    ok(&send(&rt, proxy, "forward", via_payer("missing", b""), 0));
    assert_eq!(status(), 4);
    assert_eq!((balance(&proxy), balance(&payer), balance(&token)), (70, 0, 30));
}

/// The precompile is for EVM contracts: a message sent straight to it (whose sender
/// counts gas in another unit, or is an account) is refused, running nothing.
#[test]
fn a_message_straight_to_the_precompile_is_refused() {
    let rt = runtime(CallsConfig { evm_gas_rate: GasRate { evm: 1_000, cove: 1 }, ..CallsConfig::default() });
    let (token, _) = setup(&rt);
    let here = Address(evm::COVE_CALL_ADDRESS);
    let input = forward(token, "transfer", &transfer_input(&BOB, 1));
    // `forward`'s calldata minus its selector is `call(...)`'s arguments; the
    // precompile's own selector is not checked against the message's.
    let r = send(&rt, here, "", input, 0);
    let data = reverted(&r);
    assert!(String::from_utf8_lossy(&data).contains("called by EVM contracts"), "{r:?}");
    // From a contract of cove's ABI too.
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let inner = forward(token, "transfer", &transfer_input(&BOB, 1));
    ok(&send(&rt, proxy, "forward", crate::calls::forward(false, here, 0, 100_000, "", &inner), 0));
    assert_eq!(tokens(&rt, token, &BOB), 0, "nothing moved");
}

mod relay {
    //! `examples/evm/Relay.sol`: calls on, counts its entries, keeps a guard and values
    //! in transient storage.
    pub(super) const COUNT: [u8; 4] = [0x06, 0x66, 0x1a, 0xbd]; // count()
    pub(super) const HITS: [u8; 4] = [0xcf, 0x24, 0x70, 0xf6]; // hits()
    pub(super) const RELAY: [u8; 4] = [0xc2, 0x8e, 0x83, 0xfd]; // relay(address,bytes)
    pub(super) const GUARDED: [u8; 4] = [0xae, 0x44, 0x9d, 0x42]; // guarded(address,bytes)
    pub(super) const POKE: [u8; 4] = [0x80, 0x29, 0xe7, 0xc0]; // poke(uint256,uint256)
    pub(super) const PEEK: [u8; 4] = [0x78, 0x61, 0xd2, 0x69]; // peek(uint256)
    // pokeThenRelay(uint256,uint256,address,bytes)
    pub(super) const POKE_THEN_RELAY: [u8; 4] = [0x78, 0xec, 0xfd, 0x15];
    // relayThenPeek(address,bytes,uint256)
    pub(super) const RELAY_THEN_PEEK: [u8; 4] = [0x99, 0xe7, 0xda, 0xec];
    // undoneThenPeek(address,bytes,uint256)
    pub(super) const UNDONE_THEN_PEEK: [u8; 4] = [0x9b, 0x97, 0x7b, 0xcd];
}

fn deploy_relay(rt: &Runtime) -> Address {
    let init = hex_code(include_str!("../../../../examples/evm/Relay.bin"));
    create_evm(rt, &init, vec![]).address.expect("Relay deploys")
}

/// `selector(next, data)` of a function taking `(address, bytes)`.
fn relay_call(selector: [u8; 4], next: Address, data: &[u8]) -> Vec<u8> {
    let mut out = calldata(selector, &[word_addr(&next), word_u64(64)]);
    out.extend_from_slice(&tail(data));
    out
}

/// `selector(next, data, slot)` of a function taking `(address, bytes, uint256)`.
fn relay_then(selector: [u8; 4], next: Address, data: &[u8], slot: u64) -> Vec<u8> {
    let mut out = calldata(selector, &[word_addr(&next), word_u64(96), word_u64(slot)]);
    out.extend_from_slice(&tail(data));
    out
}

/// The proxy's status and result after its last `forward` in mode 0.
fn proxy_outcome(rt: &Runtime, proxy: &Address) -> (u32, Vec<u8>) {
    let state = rt.contract_state(proxy).unwrap();
    let get = |key: &[u8]| state.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let status = get(b"status").expect("a status");
    (u32::from_le_bytes(status.try_into().unwrap()), get(b"result").unwrap_or_default())
}

fn hits(rt: &Runtime, relay: Address) -> Vec<u8> {
    ok(&rt.query(ALICE, relay, "", relay::HITS.to_vec(), None).unwrap())
}

/// EVM contract X calls EVM contract A, which calls B (`CovePayer`), which calls a
/// contract of cove's ABI through the precompile, which calls A back. A is neither the
/// EVM message's contract nor the precompile's caller, only an EVM frame in between:
/// under `deny` the call back is refused all the same; under `allow` it runs.
#[test]
fn an_evm_frame_between_the_message_and_the_precompile_is_on_the_call_stack() {
    for (reentrancy, status, expected_hits) in [(Reentrancy::Deny, 10, 0), (Reentrancy::Allow, 0, 1)] {
        let rt = runtime(CallsConfig { reentrancy, ..CallsConfig::default() });
        let (_, payer) = setup(&rt);
        let (x, a) = (deploy_relay(&rt), deploy_relay(&rt));
        let proxy = deploy_wat(&rt, PROXY_WAT, None);
        let back = forward_mode(0, a, 0, 1_000_000, "", &relay::COUNT);
        let via_payer = forward(proxy, "forward", &back);
        let input = relay_call(relay::RELAY, a, &relay_call(relay::RELAY, payer, &via_payer));
        ok(&send(&rt, x, "", input, 0));
        assert_eq!(proxy_outcome(&rt, &proxy).0, status, "{reentrancy:?}");
        assert_eq!(hits(&rt, a), word_u64(expected_hits), "{reentrancy:?}");
    }
}

/// A guard kept in transient storage sees the first entry when the contract is entered
/// again through a contract of another VM (here under `allow`, so the runtime's own
/// policy does not refuse it first).
#[test]
fn a_transient_storage_guard_sees_the_first_entry_across_vms() {
    let rt = runtime(CallsConfig { reentrancy: Reentrancy::Allow, ..CallsConfig::default() });
    let (_, payer) = setup(&rt);
    let a = deploy_relay(&rt);
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    // A.guarded -> payer -> proxy -> A.guarded: the inner entry reverts, the proxy
    // records it and goes on, so the transaction succeeds.
    let again = relay_call(relay::GUARDED, BOB, &[]);
    let back = forward_mode(0, a, 0, 1_000_000, "", &again);
    let input = relay_call(relay::GUARDED, payer, &forward(proxy, "forward", &back));
    ok(&send(&rt, a, "", input, 0));
    let (status, result) = proxy_outcome(&rt, &proxy);
    assert_eq!(status, 4, "reverted");
    assert!(String::from_utf8_lossy(&result).contains("reentered"), "{result:?}");
    // Entered once, the guard lets it through (it was cleared at the end).
    let back = forward_mode(0, a, 0, 1_000_000, "", &relay_call(relay::GUARDED, BOB, &[]));
    ok(&send(&rt, payer, "", forward(proxy, "forward", &back), 0));
    assert_eq!(proxy_outcome(&rt, &proxy).0, 0, "a fresh transaction: no guard left over");
}

/// Transient storage is one per transaction across VMs: a nested EVM message sees what
/// the outer one wrote and the outer one sees what it wrote; a frame that reverts
/// undoes the transient writes made below it, through the other VM too; a new
/// transaction starts empty.
#[test]
fn transient_storage_is_shared_across_vms_and_undone_with_its_frame() {
    let rt = runtime(CallsConfig { reentrancy: Reentrancy::Allow, ..CallsConfig::default() });
    let (_, payer) = setup(&rt);
    let a = deploy_relay(&rt);
    let proxy = deploy_wat(&rt, PROXY_WAT, None);
    let through_cove = |data: &[u8]| forward(proxy, "forward", &forward_mode(0, a, 0, 1_000_000, "", data));

    // Outer writes slot 1 = 5, the nested message reads it.
    let peek = calldata(relay::PEEK, &[word_u64(1)]);
    let mut input =
        calldata(relay::POKE_THEN_RELAY, &[word_u64(1), word_u64(5), word_addr(&payer), word_u64(128)]);
    input.extend_from_slice(&tail(&through_cove(&peek)));
    ok(&send(&rt, a, "", input, 0));
    assert_eq!(proxy_outcome(&rt, &proxy), (0, word_u64(5)), "the nested message sees the outer write");

    // The nested message writes slot 2 = 7, the outer reads it after the call.
    let poke = calldata(relay::POKE, &[word_u64(2), word_u64(7)]);
    let out = ok(&send(&rt, a, "", relay_then(relay::RELAY_THEN_PEEK, payer, &through_cove(&poke), 2), 0));
    assert_eq!(out, word_u64(7), "the outer message sees the nested write");

    // The same, in a frame that reverts afterwards: the write is undone.
    let out = ok(&send(&rt, a, "", relay_then(relay::UNDONE_THEN_PEEK, payer, &through_cove(&poke), 2), 0));
    assert_eq!(out, word_u64(0), "undone with the frame");

    // The next transaction in the same block starts with empty transient storage,
    // though the nested message of the one before left slot 2 in the journal.
    let mut block = rt.begin_block(T0).unwrap();
    let input = relay_then(relay::RELAY_THEN_PEEK, payer, &through_cove(&poke), 2);
    let first = block.call_with_value(ALICE, a, "", input, Balance::ZERO, None).unwrap();
    let peek_2 = calldata(relay::PEEK, &[word_u64(2)]);
    let next = block.call_with_value(ALICE, a, "", peek_2, Balance::ZERO, None).unwrap();
    block.commit().unwrap();
    assert_eq!((ok(&first), ok(&next)), (word_u64(7), word_u64(0)));
}
