//! Deploy gas: storing code costs `base + per_byte x bytes` of its gas limit before the
//! module compiles; a limit below that fails `out_of_gas` and stores nothing.

use cove_runtime::Config;
use types::{CodeId, ErrorKind};

use crate::support::*;

fn cost(code: &[u8]) -> u64 {
    Config::default().wasm.gas.deploy.of(code.len())
}

#[test]
fn a_deploy_one_gas_short_of_its_cost_fails_and_stores_nothing() {
    let rt = mem_runtime();
    let code = counter();
    let cost = cost(&code);
    assert_eq!(cost, 32_000 + 64 * code.len() as u64, "the default prices");

    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &code, None, Some(cost - 1)).unwrap();
    let message = failed(&r, ErrorKind::OutOfGas);
    assert!(message.contains(&format!("costs {cost} gas (wasm.gas.deploy)")), "{message}");
    assert_eq!((r.gas_used, r.address, r.code_id), (cost - 1, None, None));
    let r = block.store_code(&code, Some(cost - 1)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    assert_eq!((r.gas_used, r.code_id), (cost - 1, None));
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap(), Vec::new(), "nothing stored");
    assert_eq!(rt.nonce(&ALICE).unwrap(), 0, "no address taken");

    // At exactly its cost it deploys: with no init entry point, that is all it pays.
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.deploy(ALICE, &code, None, Some(cost)).unwrap();
    ok(&r);
    assert_eq!(r.gas_used, cost);
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap().len(), 1);
}

#[test]
fn the_cost_grows_with_the_code_and_init_runs_with_what_is_left() {
    let rt = mem_runtime();
    let (small, large) = (counter(), token());
    assert!(large.len() > small.len());
    let mut block = rt.begin_block(T0).unwrap();
    let a = block.store_code(&small, None).unwrap();
    let b = block.store_code(&large, None).unwrap();
    ok(&a);
    ok(&b);
    assert_eq!((a.gas_used, b.gas_used), (cost(&small), cost(&large)));
    assert!(b.gas_used > a.gas_used);

    // A deploy with an init entry point pays the deploy gas and then the call's gas.
    let code = counter();
    let r = block.deploy(ALICE, &code, Some(("increment", Vec::new())), None).unwrap();
    ok(&r);
    let init = r.gas_used - cost(&code);
    assert!(init > 0, "the init call used gas");
    // One gas less than both: the deploy gas is paid, the init runs out and nothing stays.
    let r = block.deploy(BOB, &code, Some(("increment", Vec::new())), Some(cost(&code) + init - 1)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    assert_eq!((r.gas_used, r.address), (cost(&code) + init - 1, None));
    block.commit().unwrap();
    assert_eq!(rt.nonce(&BOB).unwrap(), 0);
}

#[test]
fn an_upgrade_pays_for_its_new_code() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    let new = counter_plus_ten();
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.upgrade(ALICE, c, &new, Some(cost(&new) - 1)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    assert_eq!(r.gas_used, cost(&new) - 1);
    assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, CodeId::of(&counter()));
    let r = block.upgrade(ALICE, c, &new, None).unwrap();
    ok(&r);
    assert_eq!(r.gas_used, cost(&new));
    block.commit().unwrap();
    assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, CodeId::of(&new));
}

#[test]
fn deploying_is_free_where_the_chain_prices_it_at_zero() {
    let mut config = Config::default();
    config.wasm.gas.deploy = wasm::DeployCosts::FREE;
    let rt = cove_runtime::Runtime::in_memory(config).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &counter(), None, Some(1)).unwrap();
    ok(&r);
    assert_eq!(r.gas_used, 0);
}

#[test]
fn cosmwasm_code_pays_the_same_deploy_gas_before_it_is_checked() {
    use cosmwasm::{Action, Request};
    let rt = mem_runtime();
    let code = wat::parse_str(crate::cosmwasm_calls::ECHO_WAT).unwrap();
    let cost = cost(&code);
    let instantiate = |block: &mut cove_runtime::Block<'_>, gas_limit| {
        let action = Action::Instantiate { code: &code, label: "echo", admin: None };
        let request = Request { sender: ALICE, action, msg: b"{}", funds: &[], gas_limit };
        block.cosmwasm(request).unwrap().0
    };
    let mut block = rt.begin_block(T0).unwrap();
    let r = instantiate(&mut block, Some(cost - 1));
    let message = failed(&r, ErrorKind::OutOfGas);
    assert!(message.contains(&format!("costs {cost} gas (wasm.gas.deploy)")), "{message}");
    assert_eq!((r.gas_used, r.address), (cost - 1, None));
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap(), Vec::new(), "nothing stored");

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = instantiate(&mut block, None);
    ok(&r);
    assert!(r.gas_used > cost, "the deploy gas and then the instantiate call: {}", r.gas_used);
}

#[test]
fn deploy_gas_is_the_same_on_fresh_data_dirs_and_under_every_compiler() {
    let run = |compiler: cove_runtime::Compiler| {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.wasm.compiler = compiler;
        let rt = cove_runtime::Runtime::open(dir.path(), config).unwrap();
        let mut block = rt.begin_block(T0).unwrap();
        let deployed = block.deploy(ALICE, &counter(), Some(("increment", Vec::new())), None).unwrap();
        let stored = block.store_code(&token(), None).unwrap();
        let root = block.commit().unwrap().root;
        (deployed, stored, root)
    };
    let first = run(cove_runtime::Compiler::Baseline);
    ok(&first.0);
    assert_eq!(first.1.gas_used, cost(&token()));
    assert!(first.0.gas_used > cost(&counter()), "the deploy gas, then the init call's");
    for compiler in [
        cove_runtime::Compiler::Baseline,
        cove_runtime::Compiler::Optimizing,
        cove_runtime::Compiler::Interpreter,
    ] {
        assert_eq!(run(compiler), first, "{compiler:?}");
    }
}
