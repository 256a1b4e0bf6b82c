//! The CosmWasm staking and distribution modules with real contracts built from
//! crates.io sources (`scripts/build-cosmwasm-contracts.sh`): cw-plus's cw1-whitelist,
//! which requires the `staking` capability, deploys and proxies messages; cove's staking
//! example (`examples/cosmwasm/staking`, cosmwasm-std's `staking` feature) delegates,
//! undelegates, redelegates and withdraws rewards through `StakingMsg`,
//! `DistributionMsg` and protobuf `AnyMsg`s, and its `StakingQuery`/`DistributionQuery`
//! answers match the module's state. Each scenario runs on fresh data dirs under both
//! compilers and must give identical receipts and roots.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use cosmwasm::gov::ProposalConfig;
use cosmwasm::staking::{StakingConfig, ValidatorConfig, dev_validator, module_address};
use cosmwasm::{Action, Coin, Request};
use cove_runtime::{Balance, Compiler, Config, Receipt, Runtime};
use serde_json::{Value, json};
use types::Address;

use crate::support::{ALICE, BOB, T0, ok};

/// `target/cosmwasm-contracts/NAME.wasm`, built once per process by the script; a test
/// fails naming the script if it cannot build, never skips.
fn contract(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let built = BUILT.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/build-cosmwasm-contracts.sh"))
            .output()
            .map_err(|e| format!("bash scripts/build-cosmwasm-contracts.sh: {e}"))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    });
    if let Err(e) = built {
        panic!(
            "`bash scripts/build-cosmwasm-contracts.sh` failed; it needs Debian's rustc-web, cargo-web, \
             rust-web-src and lld-19 and the crates.io registry:\n{e}"
        );
    }
    let path = root.join("target/cosmwasm-contracts").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const UNBONDING: u64 = 100;
const DENOM: &str = "ucove";

fn config(compiler: Compiler) -> Config {
    let mut c = Config::default();
    c.wasm.compiler = compiler;
    let second = ValidatorConfig { address: v2(), commission: "0.1".into(), ..dev_validator() };
    c.cosmwasm.staking = StakingConfig {
        validators: vec![dev_validator(), second],
        unbonding_seconds: UNBONDING,
        reward_rate: "0.001".into(),
    };
    c
}

fn v1() -> String {
    dev_validator().address
}

/// The second validator: `covevaloper1` of 20 bytes of 2.
fn v2() -> String {
    cosmwasm::Addresses::new("covevaloper").unwrap().humanize(&Address([2; 20]))
}

/// A chain in a fresh data dir whose block `h` has time `T0 + 10 h`.
struct Chain {
    rt: Runtime,
    _dir: tempfile::TempDir,
    receipts: Vec<Receipt>,
}

impl Chain {
    fn new(compiler: Compiler) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(dir.path(), config(compiler)).unwrap();
        Chain { rt, _dir: dir, receipts: Vec::new() }
    }

    fn height(&self) -> u64 {
        self.rt.block_record(None).map_or(0, |b| b.height)
    }

    fn block(
        &mut self,
        run: impl FnOnce(&mut cove_runtime::Block<'_>) -> Option<Receipt>,
    ) -> Option<Receipt> {
        let h = self.height() + 1;
        let mut block = self.rt.begin_block(T0 + 10 * h).unwrap();
        let r = run(&mut block);
        block.commit().unwrap();
        if let Some(r) = &r {
            self.receipts.push(r.clone());
        }
        r
    }

    fn fund(&mut self, who: Address, amount: u128) {
        self.block(|b| Some(b.fund(who, Balance::from_u128(amount)).unwrap()));
    }

    fn instantiate(&mut self, code: &[u8], msg: Value) -> Address {
        let msg = msg.to_string();
        let r = self
            .block(|b| {
                let action = Action::Instantiate { code, label: "c", admin: None };
                let request =
                    Request { sender: ALICE, action, msg: msg.as_bytes(), funds: &[], gas_limit: None };
                Some(b.cosmwasm(request).unwrap().0)
            })
            .unwrap();
        r.address.unwrap_or_else(|| panic!("{r:?}"))
    }

    fn execute(&mut self, sender: Address, contract: Address, msg: Value, funds: u128) -> Receipt {
        let msg = msg.to_string();
        let funds = if funds == 0 { vec![] } else { vec![Coin { denom: DENOM.into(), amount: funds }] };
        self.block(|b| {
            let action = Action::Execute { contract };
            let request = Request { sender, action, msg: msg.as_bytes(), funds: &funds, gas_limit: None };
            Some(b.cosmwasm(request).unwrap().0)
        })
        .unwrap()
    }

    /// Empty blocks until the head is at `height`.
    fn advance_to(&mut self, height: u64) {
        while self.height() < height {
            self.block(|_| None);
        }
    }

    fn query(&self, contract: Address, msg: Value) -> Value {
        let (r, _) =
            self.rt.at(None).unwrap().cosmwasm_query(contract, msg.to_string().as_bytes(), None).unwrap();
        serde_json::from_slice(&ok(&r)).unwrap()
    }

    fn human(&self, a: &Address) -> String {
        self.rt.vms().cosmwasm().addresses().humanize(a)
    }

    fn balance(&self, a: &Address) -> u128 {
        self.rt.balance(a).unwrap().to_u128().unwrap()
    }

    /// The module's delegations of `a` by validator, and its unbonding amounts.
    fn module(&self, a: &Address) -> (BTreeMap<String, u128>, Vec<u128>) {
        let (d, u) = self.rt.at(None).unwrap().delegations(a).unwrap();
        (d.into_iter().map(|d| (d.validator, d.amount)).collect(), u.into_iter().map(|u| u.amount).collect())
    }

    fn roots(&self) -> Vec<[u8; 32]> {
        (1..=self.height()).map(|h| self.rt.block_record(Some(h)).unwrap().root.unwrap()).collect()
    }
}

fn map(pairs: &[(String, u128)]) -> BTreeMap<String, u128> {
    pairs.iter().cloned().collect()
}

fn has_event(r: &Receipt, ty: &str) -> bool {
    r.events.iter().any(|e| e.topics.first().is_some_and(|t| t == ty.as_bytes()))
}

/// Rewards of `amount` over `blocks` at the test's rate (0.001) and `commission`
/// (in thousandths), in thousandths of a unit: exact for these numbers.
fn rewards_milli(amount: u128, blocks: u128, commission_milli: u128) -> u128 {
    amount * blocks * (1_000 - commission_milli) / 1_000
}

fn staking_scenario(compiler: Compiler) -> (Vec<Receipt>, Vec<[u8; 32]>) {
    let mut chain = Chain::new(compiler);
    chain.fund(ALICE, 1_000_000);
    let s = chain.instantiate(&contract("cove_staking_example"), json!({}));

    // The queries answer what the module holds.
    assert_eq!(chain.query(s, json!({"bonded_denom": {}})), json!(DENOM));
    let validators = chain.query(s, json!({"all_validators": {}}));
    assert_eq!(
        validators[1],
        json!({"address": v2(), "commission": "0.1", "max_commission": "0.2", "max_change_rate": "0.01"})
    );
    assert_eq!(chain.query(s, json!({"validator": {"address": v2()}}))["address"], v2());
    assert_eq!(chain.query(s, json!({"validator": {"address": "covevaloper1nobody"}})), json!(null));

    // Delegate 1,000 to the first validator.
    let r = chain.execute(ALICE, s, json!({"delegate": {"validator": v1()}}), 1_000);
    ok(&r);
    assert!(has_event(&r, "delegate"), "{:?}", r.events);
    let delegated_at = chain.height();
    assert_eq!(chain.module(&s), (map(&[(v1(), 1_000)]), vec![]));
    assert_eq!(chain.balance(&module_address("bonded_tokens_pool")), 1_000);
    assert_eq!(chain.balance(&s), 0);
    let me = chain.human(&s);
    assert_eq!(
        chain.query(s, json!({"all_delegations": {}})),
        json!([{"delegator": me, "validator": v1(), "amount": {"denom": DENOM, "amount": "1000"}}])
    );

    // Ten blocks later: 1,000 x 10 x 0.001 x 0.95 = 9.5 units of rewards.
    chain.advance_to(delegated_at + 10);
    let expected = rewards_milli(1_000, 10, 50);
    assert_eq!(expected, 9_500);
    assert_eq!(
        chain.query(s, json!({"rewards": {"validator": v1()}})),
        json!([{"denom": DENOM, "amount": "9.5"}])
    );
    let d = chain.query(s, json!({"delegation": {"validator": v1()}}));
    assert_eq!(d["amount"]["amount"], "1000");
    assert_eq!(d["can_redelegate"]["amount"], "1000");
    assert_eq!(d["accumulated_rewards"], json!([{"denom": DENOM, "amount": "9"}]));
    assert_eq!(chain.query(s, json!({"delegator_validators": {}})), json!([v1()]));
    assert_eq!(chain.query(s, json!({"withdraw_address": {}})), json!(me));

    // Withdrawn in the next block: 11 blocks' rewards, 10.45: 10 paid, 0.45 kept.
    let r = chain.execute(ALICE, s, json!({"withdraw": {"validator": v1()}}), 0);
    ok(&r);
    assert!(has_event(&r, "withdraw_rewards"));
    assert_eq!(chain.balance(&s), 10);
    assert_eq!(
        chain.query(s, json!({"rewards": {"validator": v1()}})),
        json!([{"denom": DENOM, "amount": "0.45"}])
    );

    // Redelegate 400 to the second validator: instant; the first's rewards are withdrawn.
    let r = chain.execute(ALICE, s, json!({"redelegate": {"src": v1(), "dst": v2(), "amount": "400"}}), 0);
    ok(&r);
    assert!(has_event(&r, "redelegate"));
    assert_eq!(chain.module(&s).0, map(&[(v1(), 600), (v2(), 400)]));
    assert_eq!(chain.balance(&s), 10 + 1, "0.45 + 1000 x 0.00095 = 1.4 units: 1 paid");
    let total = chain.query(s, json!({"total_rewards": {}}));
    assert_eq!(total["rewards"].as_array().unwrap().len(), 2);

    // Undelegate 100 from the second: it leaves the bonded pool for the unbonding one,
    // and comes back with the first block at or past its completion time.
    let r = chain.execute(ALICE, s, json!({"undelegate": {"validator": v2(), "amount": "100"}}), 0);
    ok(&r);
    assert!(has_event(&r, "unbond"));
    assert_eq!(chain.module(&s), (map(&[(v1(), 600), (v2(), 300)]), vec![100]));
    assert_eq!(chain.balance(&module_address("not_bonded_tokens_pool")), 100);
    assert_eq!(chain.balance(&module_address("bonded_tokens_pool")), 900);
    let before = chain.balance(&s);
    chain.advance_to(chain.height() + UNBONDING / 10 - 1);
    assert_eq!((chain.balance(&s), chain.module(&s).1), (before, vec![100]), "not yet complete");
    chain.advance_to(chain.height() + 1);
    assert_eq!((chain.balance(&s), chain.module(&s).1), (before + 100, vec![]), "paid back");
    assert_eq!(chain.balance(&module_address("not_bonded_tokens_pool")), 0);

    // The protobuf messages: MsgDelegate and bank MsgSend, signed by the contract.
    chain.fund(s, 1_000);
    ok(&chain.execute(ALICE, s, json!({"delegate_any": {"validator": v1(), "amount": "50"}}), 0));
    assert_eq!(chain.module(&s).0[&v1()], 650);
    ok(&chain.execute(ALICE, s, json!({"send_any": {"to": chain.human(&BOB), "amount": "7"}}), 0));
    assert_eq!(chain.balance(&BOB), 7);

    // Rewards never go to a module account, which holds exactly what it accounts for.
    let pool = chain.human(&module_address("bonded_tokens_pool"));
    let r = chain.execute(ALICE, s, json!({"set_withdraw_address": {"address": pool}}), 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("module account")), "{r:?}");
    // Rewards go to the withdraw address once set.
    ok(&chain.execute(ALICE, s, json!({"set_withdraw_address": {"address": chain.human(&BOB)}}), 0));
    chain.advance_to(chain.height() + 20);
    ok(&chain.execute(ALICE, s, json!({"withdraw": {"validator": v2()}}), 0));
    assert!(chain.balance(&BOB) > 7, "BOB received the rewards");

    // Refusals change nothing.
    let r = chain.execute(ALICE, s, json!({"undelegate": {"validator": v2(), "amount": "1000000"}}), 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("invalid shares amount")), "{r:?}");
    let r = chain.execute(ALICE, s, json!({"delegate": {"validator": "covevaloper1nobody"}}), 5);
    assert!(r.result.is_err(), "{r:?}");
    assert_eq!(chain.module(&s).0, map(&[(v1(), 650), (v2(), 300)]));
    assert_eq!(chain.balance(&module_address("bonded_tokens_pool")), 950);
    (chain.receipts.clone(), chain.roots())
}

#[test]
fn a_staking_contract_delegates_undelegates_redelegates_and_withdraws() {
    let first = staking_scenario(Compiler::Baseline);
    assert_eq!(staking_scenario(Compiler::Baseline), first, "a second fresh data dir");
    assert_eq!(staking_scenario(Compiler::Optimizing), first, "the optimizing compiler");
}

#[test]
fn cw1_whitelist_deploys_and_proxies_messages() {
    let mut chain = Chain::new(Compiler::Baseline);
    chain.fund(ALICE, 1_000);
    let admins = json!({"admins": [chain.human(&ALICE)], "mutable": false});
    let w = chain.instantiate(&contract("cw1_whitelist"), admins);
    chain.fund(w, 100);
    let send = json!({"bank": {"send": {"to_address": chain.human(&BOB), "amount": [{"denom": DENOM, "amount": "30"}]}}});
    ok(&chain.execute(ALICE, w, json!({"execute": {"msgs": [send.clone()]}}), 0));
    assert_eq!((chain.balance(&BOB), chain.balance(&w)), (30, 70));
    // Not an admin: refused, nothing moves.
    let r = chain.execute(BOB, w, json!({"execute": {"msgs": [send]}}), 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("Unauthorized")), "{r:?}");
    assert_eq!(chain.balance(&BOB), 30);
    // A staking message proxied: the whitelist delegates its own funds.
    let delegate =
        json!({"staking": {"delegate": {"validator": v1(), "amount": {"denom": DENOM, "amount": "50"}}}});
    ok(&chain.execute(ALICE, w, json!({"execute": {"msgs": [delegate]}}), 0));
    assert_eq!(chain.module(&w).0, map(&[(v1(), 50)]));
    assert_eq!(chain.balance(&w), 20);
}

/// The tally of proposal 1: (yes, no, abstain, no_with_veto) as decimal strings.
fn tally(chain: &Chain) -> Vec<String> {
    let all = chain.rt.at(None).unwrap().proposals().unwrap();
    all[0].options.iter().map(|(_, v)| v.clone()).collect()
}

#[test]
fn a_contract_votes_with_its_stake_until_the_voting_period_ends() {
    let mut c = config(Compiler::Baseline);
    // Block h has time T0 + 10 h: votes are taken up to block 19.
    c.cosmwasm.gov.proposals =
        vec![ProposalConfig { id: 1, title: "raise the reward rate".into(), voting_end_time: T0 + 200 }];
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain { rt: Runtime::open(dir.path(), c).unwrap(), _dir: dir, receipts: Vec::new() };
    chain.fund(ALICE, 10_000);
    let s = chain.instantiate(&contract("cove_staking_example"), json!({}));
    ok(&chain.execute(ALICE, s, json!({"delegate": {"validator": v1()}}), 1_000));

    let r = chain.execute(ALICE, s, json!({"vote": {"proposal": 1, "option": "yes"}}), 0);
    ok(&r);
    assert!(r.events.iter().any(|e| e.data.windows(3).any(|w| w == b"yes")), "{:?}", r.events);
    assert!(has_event(&r, "proposal_vote"));
    assert_eq!(tally(&chain), ["1000", "0", "0", "0"]);
    // A later vote replaces it; weights split the stake.
    let split = json!({"vote_weighted": {"proposal": 1, "options": [
        {"option": "no", "weight": "0.25"}, {"option": "abstain", "weight": "0.75"}]}});
    ok(&chain.execute(ALICE, s, split, 0));
    assert_eq!(tally(&chain), ["0", "250", "750", "0"]);
    // The protobuf MsgVote, option 4: no with veto.
    ok(&chain.execute(ALICE, s, json!({"vote_any": {"proposal": 1, "option": 4}}), 0));
    assert_eq!(tally(&chain), ["0", "0", "0", "1000"]);

    // Refused, changing nothing: weights not summing to 1, an unknown proposal, and any
    // vote once the voting period is over.
    let bad = json!({"vote_weighted": {"proposal": 1, "options": [{"option": "yes", "weight": "0.5"}]}});
    let r = chain.execute(ALICE, s, bad, 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("sum to 1")), "{r:?}");
    let r = chain.execute(ALICE, s, json!({"vote": {"proposal": 2, "option": "yes"}}), 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("unknown proposal 2")), "{r:?}");
    chain.advance_to(19);
    let r = chain.execute(ALICE, s, json!({"vote": {"proposal": 1, "option": "yes"}}), 0);
    assert!(matches!(&r.result, Err(e) if e.message.contains("voting period has ended")), "{r:?}");
    assert_eq!(tally(&chain), ["0", "0", "0", "1000"]);
    // The tally follows the voter's stake.
    ok(&chain.execute(ALICE, s, json!({"delegate": {"validator": v2()}}), 500));
    assert_eq!(tally(&chain), ["0", "0", "0", "1500"]);
}

#[test]
fn module_messages_pay_for_their_reads_and_writes() {
    // The same delegation on chains whose db_read or db_write price is one higher: the
    // gas differs by exactly the accesses the delegate message is charged (5 reads, 4
    // writes); the contract itself touches no storage on this path.
    let delegate_gas = |read: u64, write: u64| {
        let mut c = config(Compiler::Baseline);
        c.cosmwasm.costs.db_read += read;
        c.cosmwasm.costs.db_write += write;
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain { rt: Runtime::open(dir.path(), c).unwrap(), _dir: dir, receipts: Vec::new() };
        chain.fund(ALICE, 10_000);
        let s = chain.instantiate(&contract("cove_staking_example"), json!({}));
        let r = chain.execute(ALICE, s, json!({"delegate": {"validator": v1()}}), 1_000);
        ok(&r);
        r.gas_used
    };
    let base = delegate_gas(0, 0);
    assert_eq!(delegate_gas(1, 0) - base, 5);
    assert_eq!(delegate_gas(0, 1) - base, 4);
}
