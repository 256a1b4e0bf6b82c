//! Exact gas estimation for both VMs: the call succeeds at the estimate, fails at one
//! less, and estimation changes no state, including when gas depends on state.

use cove_runtime::{Balance, Config, EstimateRequest, Runtime};
use types::{Address, ErrorKind, Gas};

use crate::evm::{TRANSFER, calldata, deploy_token, word_addr, word_u64};
use crate::support::{ALICE, BOB, T0, token};

/// Checks the defining property on throwaway blocks: success at `gas`, out of gas at
/// `gas - 1`.
fn assert_exact(rt: &Runtime, sender: Address, to: Address, method: &str, input: &[u8], gas: Gas) {
    let mut block = rt.begin_block(T0 + 50).unwrap();
    let r = block.call(sender, to, method, input.to_vec(), Some(gas)).unwrap();
    assert!(r.is_ok(), "must succeed with the estimate {gas}: {r:?}");
    drop(block);
    let mut block = rt.begin_block(T0 + 50).unwrap();
    let r = block.call(sender, to, method, input.to_vec(), Some(gas - 1)).unwrap();
    assert_eq!(r.result.map_err(|e| e.kind), Err(ErrorKind::OutOfGas), "must fail with {}", gas - 1);
}

fn estimate(rt: &Runtime, sender: Address, address: Address, method: &str, input: &[u8]) -> Gas {
    let req =
        EstimateRequest { sender, address, method, input: input.to_vec(), value: Balance::ZERO, cap: None };
    rt.estimate_gas(req).unwrap().expect("the call succeeds at the cap")
}

fn wasm_transfer_input(to: &Address, amount: u64) -> Vec<u8> {
    let mut input = to.0.to_vec();
    input.extend_from_slice(&amount.to_le_bytes());
    input
}

#[test]
fn wasm_estimates_are_exact_and_follow_state() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let t = block
        .deploy(ALICE, &token(), Some(("init", 1_000_000u64.to_le_bytes().to_vec())), None)
        .unwrap()
        .address
        .unwrap();
    block.commit().unwrap();
    let before = rt.contract_state(&t).unwrap();

    let to_new = wasm_transfer_input(&BOB, 5);
    let first = estimate(&rt, ALICE, t, "transfer", &to_new);
    assert_exact(&rt, ALICE, t, "transfer", &to_new, first);
    assert_eq!(rt.contract_state(&t).unwrap(), before, "estimation wrote nothing");

    // Once BOB holds a balance, reading it copies 8 more bytes: the estimate moves.
    let mut block = rt.begin_block(T0 + 1).unwrap();
    assert!(block.call(ALICE, t, "transfer", to_new.clone(), None).unwrap().is_ok());
    block.commit().unwrap();
    let second = estimate(&rt, ALICE, t, "transfer", &to_new);
    assert_ne!(first, second, "the gas of a transfer depends on the recipient's balance");
    assert_exact(&rt, ALICE, t, "transfer", &to_new, second);
}

#[test]
fn evm_estimates_are_exact_and_follow_state() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let token = deploy_token(&rt);
    let before = rt.contract_state(&token).unwrap();
    let send = calldata(TRANSFER, &[word_addr(&BOB), word_u64(5)]);

    // To an address with no balance: a zero-to-nonzero SSTORE.
    let fresh = estimate(&rt, ALICE, token, "", &send);
    assert_exact(&rt, ALICE, token, "", &send, fresh);
    assert_eq!(rt.contract_state(&token).unwrap(), before, "estimation wrote nothing");

    let mut block = rt.begin_block(T0 + 1).unwrap();
    assert!(block.call(ALICE, token, "", send.clone(), None).unwrap().is_ok());
    block.commit().unwrap();
    // BOB now holds tokens: the same transfer is a nonzero-to-nonzero SSTORE, cheaper.
    let again = estimate(&rt, ALICE, token, "", &send);
    assert!(again < fresh, "{again} < {fresh}");
    assert_exact(&rt, ALICE, token, "", &send, again);
}

#[test]
fn a_call_that_fails_at_the_cap_reports_why() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let token = deploy_token(&rt);
    // BOB holds nothing: the transfer reverts whatever the gas.
    let req = EstimateRequest {
        sender: BOB,
        address: token,
        method: "",
        input: calldata(TRANSFER, &[word_addr(&ALICE), word_u64(1)]),
        value: Balance::ZERO,
        cap: None,
    };
    let failed = rt.estimate_gas(req.clone()).unwrap().expect_err("reverts at the cap");
    assert_eq!(failed.result.map_err(|e| e.kind), Err(ErrorKind::Reverted));
    // A cap below what the call needs is reported as out of gas.
    let req = EstimateRequest {
        sender: ALICE,
        cap: Some(25_000),
        input: calldata(TRANSFER, &[word_addr(&BOB), word_u64(1)]),
        ..req
    };
    let failed = rt.estimate_gas(req).unwrap().expect_err("the cap is too low");
    assert_eq!(failed.result.map_err(|e| e.kind), Err(ErrorKind::OutOfGas));
}

#[test]
fn a_plain_value_transfer_estimates_to_the_intrinsic_gas() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    assert!(block.fund(ALICE, Balance::from_u128(10)).unwrap().is_ok());
    block.commit().unwrap();
    let req = EstimateRequest {
        sender: ALICE,
        address: Address([0xcc; 20]),
        method: "",
        input: Vec::new(),
        value: Balance::from_u128(3),
        cap: None,
    };
    assert_eq!(rt.estimate_gas(req).unwrap(), Ok(21_000));
}
