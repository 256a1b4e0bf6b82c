//! Contracts that compose, in Rust: the pool, the factory and the vault with its
//! attacker (`examples/rust/{pool,factory,vault,attacker}`) over the Rust token.

use cove_testvm::{Address, CallError, ErrorKind, TestVM};
use runtime::{CallsConfig, Config, Reentrancy};

use crate::contract;

/// Alice with two tokens of 1,000,000 each; the VM, alice, bob, token A, token B.
fn two_tokens(config: Config) -> (TestVM, Address, Address, Address, Address) {
    let mut vm = TestVM::with_config(config).unwrap();
    let alice = vm.create_account(0).unwrap();
    let bob = vm.create_account(0).unwrap();
    vm.set_caller(alice);
    let a = vm.deploy(&contract("token"), "init", ("Token A", "A", 1_000_000u64)).unwrap();
    let b = vm.deploy(&contract("token"), "init", ("Token B", "B", 1_000_000u64)).unwrap();
    (vm, alice, bob, a, b)
}

fn balance(vm: &mut TestVM, token: &Address, who: Address) -> u64 {
    vm.call_view(token, "balance", who).unwrap()
}

fn transfer(vm: &mut TestVM, token: &Address, to: Address, amount: u64) {
    vm.call::<()>(token, "transfer", (to, amount)).unwrap();
}

/// A pool holding 1,000 of each token, synced.
fn funded_pool(vm: &mut TestVM, pool: Address, a: Address, b: Address) {
    transfer(vm, &a, pool, 1_000);
    transfer(vm, &b, pool, 1_000);
    vm.call::<()>(&pool, "sync", ()).unwrap();
    assert_eq!(vm.call_view::<(u64, u64)>(&pool, "reserves", ()).unwrap(), (1_000, 1_000));
}

#[test]
fn a_swap_moves_both_tokens_exactly_and_a_bad_one_moves_nothing() {
    let (mut vm, alice, bob, a, b) = two_tokens(Config::default());
    let pool = vm.deploy(&contract("pool"), "init", (a, b)).unwrap();
    funded_pool(&mut vm, pool, a, b);

    // 100 A in buys at most 90 B: 1,000 x 100 / 1,100 = 90.9.
    transfer(&mut vm, &a, pool, 100);
    assert_eq!(vm.call::<u64>(&pool, "swap", (a, 90u64, bob)).unwrap(), 100);
    let topics: Vec<_> = vm.last_events().iter().map(|e| (e.contract.0, e.topics[0].clone())).collect();
    assert_eq!(topics, [(b.0, b"transfer".to_vec()), (pool.0, b"swap".to_vec())], "the token's event first");
    assert_eq!(
        (balance(&mut vm, &a, pool), balance(&mut vm, &b, pool), balance(&mut vm, &b, bob)),
        (1_100, 910, 90)
    );
    assert_eq!(balance(&mut vm, &a, alice), 1_000_000 - 1_100);
    assert_eq!(vm.call_view::<(u64, u64)>(&pool, "reserves", ()).unwrap(), (1_100, 910));

    // 10 A in, asking 100 B: (1,110 x 810) < (1,100 x 910): refused, and the transfer
    // of B the pool made before checking is undone with it.
    transfer(&mut vm, &a, pool, 10);
    let before = (vm.storage(&a).unwrap(), vm.storage(&b).unwrap(), vm.storage(&pool).unwrap());
    let err = vm.call::<u64>(&pool, "swap", (a, 100u64, bob)).unwrap_err();
    assert_eq!((err.kind(), err.message()), (Some(ErrorKind::Aborted), Some("invariant broken")));
    assert!(vm.last_events().is_empty());
    assert_eq!((vm.storage(&a).unwrap(), vm.storage(&b).unwrap(), vm.storage(&pool).unwrap()), before);
    // The same 10 A buy what the invariant allows (910 x 10 / 1,110 = 8.2), and B pays
    // for A the other way round.
    assert_eq!(vm.call::<u64>(&pool, "swap", (a, 8u64, bob)).unwrap(), 10);
    assert_eq!((balance(&mut vm, &b, pool), balance(&mut vm, &b, bob)), (902, 98));
    transfer(&mut vm, &b, pool, 100);
    vm.call::<u64>(&pool, "swap", (b, 100u64, alice)).unwrap();
    assert_eq!(vm.call_view::<(u64, u64)>(&pool, "reserves", ()).unwrap(), (1_010, 1_002));
}

#[test]
fn a_failed_create_propagates_the_init_message_and_leaves_nothing() {
    let (mut vm, _alice, _bob, a, _b) = two_tokens(Config::default());
    let code = vm.store(&contract("pool")).unwrap();
    let factory = vm.deploy(&contract("factory"), "init", code).unwrap();
    let before = vm.storage(&factory).unwrap();
    // The pool's init refuses a pair of one token; the factory propagates its message.
    let err = vm.call::<Address>(&factory, "create_pool", (a, a)).unwrap_err();
    assert_eq!((err.kind(), err.message()), (Some(ErrorKind::Aborted), Some("the two tokens must differ")));
    assert_eq!(vm.storage(&factory).unwrap(), before);
    let salt = types::sha256(&[a.0, a.0].concat());
    let address = runtime::created_address(&types::Address(factory.0), &salt, &types::CodeId(code));
    assert!(vm.runtime().contract(&address).unwrap().is_none(), "no contract is left at the address");
}

#[test]
fn the_factory_creates_one_pool_per_pair_at_the_documented_address() {
    let (mut vm, alice, bob, a, b) = two_tokens(Config::default());
    let code = vm.store(&contract("pool")).unwrap();
    let factory = vm.deploy(&contract("factory"), "init", code).unwrap();
    let pool = vm.call::<Address>(&factory, "create_pool", (a, b)).unwrap();
    let salt = types::sha256(&[a.0, b.0].concat());
    let expected = runtime::created_address(&types::Address(factory.0), &salt, &types::CodeId(code));
    assert_eq!(pool.0, expected.0);
    assert_eq!(vm.call_view::<Option<Address>>(&factory, "pool", (a, b)).unwrap(), Some(pool));
    assert_eq!(vm.call_view::<Option<Address>>(&factory, "pool", (b, a)).unwrap(), None);
    // The created pool works.
    funded_pool(&mut vm, pool, a, b);
    transfer(&mut vm, &a, pool, 100);
    vm.call::<u64>(&pool, "swap", (a, 90u64, bob)).unwrap();
    assert_eq!(balance(&mut vm, &b, bob), 90);
    // The same pair again: refused by the factory. Its record removed, the host refuses
    // the same salt (tested through the runtime in calls.rs); here, the reverse pair is
    // another pool.
    let err = vm.call::<Address>(&factory, "create_pool", (a, b)).unwrap_err();
    assert_eq!(err.message(), Some("pool exists"));
    let other = vm.call::<Address>(&factory, "create_pool", (b, a)).unwrap();
    assert_ne!(other, pool);
    // A create inside a query is refused (read_only), and the factory propagates it.
    vm.set_caller(alice);
    let c = vm.deploy(&contract("token"), "init", ("Token C", "C", 1u64)).unwrap();
    let err = vm.call_view::<Address>(&factory, "create_pool", (a, c)).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted), "{err}");
    assert_eq!(err.message(), Some("pool creation failed"));
}

/// The vault holds 30 of others' tokens; the attacker gets 10 and attacks. Returns the
/// attack's result and the attacker's and the vault's token balances after it.
fn attack(reentrancy: Reentrancy) -> (Result<u32, CallError>, u64, u64) {
    let config = Config { calls: CallsConfig { reentrancy, ..CallsConfig::default() }, ..Config::default() };
    let (mut vm, _alice, bob, token, _) = two_tokens(config);
    let vault = vm.deploy(&contract("vault"), "init", token).unwrap();
    let attacker = vm.deploy(&contract("attacker"), "", ()).unwrap();
    transfer(&mut vm, &token, vault, 30);
    vm.call::<u64>(&vault, "deposit", ()).unwrap();
    transfer(&mut vm, &token, attacker, 10);
    vm.set_caller(bob);
    let result = vm.call::<u32>(&attacker, "attack", (vault, token, 10u64));
    (result, balance(&mut vm, &token, attacker), balance(&mut vm, &token, vault))
}

#[test]
fn the_vault_is_drained_under_allow_and_safe_under_deny() {
    // Allowed: four payouts of 10 (the fifth re-entry finds the vault empty and fails,
    // which the attacker ignores).
    let (result, attacker, vault) = attack(Reentrancy::Allow);
    assert_eq!(result.unwrap(), 4);
    assert_eq!((attacker, vault), (40, 0));
    // Denied: the vault's call back into the attacker, which is on the call stack, is
    // refused; the vault aborts the withdrawal, the attacker the attack: nothing moved.
    let (result, attacker, vault) = attack(Reentrancy::Deny);
    let err = result.unwrap_err();
    assert_eq!((err.kind(), err.message()), (Some(ErrorKind::Aborted), Some("withdraw hook failed")));
    assert_eq!((attacker, vault), (10, 30));
}
