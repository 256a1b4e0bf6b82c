//! `cove demo`: deploys and exercises the example contracts on a fresh in-memory state
//! with the embedded default configuration, printing what happens.

use std::process::ExitCode;

use anyhow::{Result, bail};
use bench::{COUNTER_WAT, TOKEN_WAT};
use runtime::{Balance, Config, Receipt, Runtime};
use serde_json::{Value, json};
use types::{Address, VmType};

use crate::args::Cli;

struct Demo {
    steps: Vec<Value>,
    json: bool,
}

impl Demo {
    fn step(&mut self, what: &str, r: &Receipt) {
        let result = match &r.result {
            Ok(bytes) => json!({"status": "ok", "return_hex": hex::encode(bytes)}),
            Err(e) => json!({"status": "error", "kind": e.kind.as_str(), "message": e.message}),
        };
        let events = crate::output::events_json(&r.events);
        if !self.json {
            let shown = match &r.result {
                Ok(b) if b.is_empty() => "ok".to_string(),
                Ok(b) => format!("ok, returned {}", hex::encode(b)),
                Err(e) => format!("failed as expected: {} ({})", e.kind, e.message),
            };
            println!("  {what:<52} {shown}  [gas {}]", r.gas_used);
            for e in r.events.iter() {
                println!(
                    "  {:<52} event topics=[{}] data={}",
                    "",
                    e.topics.iter().map(|t| readable(t)).collect::<Vec<_>>().join(", "),
                    hex::encode(&e.data)
                );
            }
        }
        self.steps.push(json!({"step": what, "result": result, "gas_used": r.gas_used, "events": events}));
    }

    fn say(&self, text: &str) {
        if !self.json {
            println!("{text}");
        }
    }
}

/// Printable ASCII as a quoted string (WASM topics are names), anything else as hex
/// (EVM topics are 32-byte words).
fn readable(bytes: &[u8]) -> String {
    if !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

pub(crate) fn run(cli: &Cli) -> Result<ExitCode> {
    let rt = Runtime::in_memory(Config::default())?;
    let mut d = Demo { steps: Vec::new(), json: cli.json };
    let alice = runtime::DEFAULT_SENDER;
    let bob: Address = "0x000000000000000000000000000000000000b0b0".parse().expect("valid literal");

    d.say("cove demo: the example contracts on a fresh in-memory state (default config)\n");
    d.say("counter (examples/counter.wat)");
    let mut block = rt.begin_block(1_700_000_000)?;
    let r = block.deploy(alice, &wat::parse_str(COUNTER_WAT)?, None, None)?;
    let counter = r.address.expect("deploy returns an address");
    d.step(&format!("deploy -> {counter}"), &r);
    block.commit()?;
    for _ in 0..3 {
        let mut block = rt.begin_block(1_700_000_010)?;
        let r = block.call(alice, counter, "increment", Vec::new(), None)?;
        d.step("call increment (one block each)", &r);
        block.commit()?;
    }
    let r = rt.query(alice, counter, "increment", Vec::new(), None)?;
    d.step("query increment (queries may not write)", &r);
    let r = rt.query(alice, counter, "get", Vec::new(), None)?;
    d.step("query get (still 3)", &r);

    d.say("\ntoken (examples/token.wat)");
    let mut block = rt.begin_block(1_700_000_020)?;
    let r = block.deploy(alice, &wat::parse_str(TOKEN_WAT)?, Some(("init", Vec::new())), None)?;
    let token = r.address.expect("deploy returns an address");
    d.step(&format!("deploy + init (mints 1,000,000) -> {token}"), &r);
    let transfer = |amount: u64| [&bob.0[..], &amount.to_le_bytes()].concat();
    let r = block.call(alice, token, "transfer", transfer(250), None)?;
    d.step("transfer 250 to bob", &r);
    let r = block.call(bob, token, "transfer", transfer(1_000), None)?;
    d.step("bob transfers 1,000 (he has 250)", &r);
    let r = block.call(alice, token, "transfer", transfer(10), Some(500))?;
    d.step("transfer with a 500 gas limit (rolled back)", &r);
    block.commit()?;
    let balance = |who: Address| rt.query(alice, token, "balance", who.0.to_vec(), None);
    let (ra, rb) = (balance(alice)?, balance(bob)?);
    d.step("query balance(alice)", &ra);
    d.step("query balance(bob)", &rb);
    let decode = |r: &Receipt| {
        r.result.as_ref().ok().and_then(|b| b.as_slice().try_into().ok()).map(u64::from_le_bytes)
    };
    let (a, b) = (decode(&ra), decode(&rb));
    d.say(&format!(
        "\nbalances: alice {a:?}, bob {b:?} (total unchanged: {})",
        a.unwrap_or(0) + b.unwrap_or(0) == 1_000_000
    ));
    if (a, b) != (Some(999_750), Some(250)) {
        bail!("demo balances are wrong: alice {a:?}, bob {b:?}");
    }
    evm_token(&rt, &mut d, alice, bob)?;
    if cli.json {
        println!("{}", json!({"status": "ok", "steps": d.steps}));
    }
    Ok(ExitCode::SUCCESS)
}

/// The same story on the EVM: the solc-compiled ERC-20 (examples/evm/Token.sol).
fn evm_token(rt: &Runtime, d: &mut Demo, alice: Address, bob: Address) -> Result<()> {
    let word = |v: u128| {
        let mut w = [0u8; 32];
        w[16..].copy_from_slice(&v.to_be_bytes());
        w
    };
    let address_word = |a: Address| {
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(&a.0);
        w
    };
    let transfer = |to: Address, amount: u128| {
        [&[0xa9, 0x05, 0x9c, 0xbb][..], &address_word(to), &word(amount)].concat()
    };
    let balance_of = |who: Address| [&[0x70, 0xa0, 0x82, 0x31][..], &address_word(who)].concat();

    d.say(
        "
ERC-20 on the EVM (examples/evm/Token.sol, solc 0.8.28)",
    );
    let code = hex::decode(bench::EVM_TOKEN_BIN.trim())?;
    let mut block = rt.begin_block(1_700_000_030)?;
    let r = block.create(VmType::Evm, alice, &code, "", word(1_000_000).to_vec(), Balance::ZERO, None)?;
    let token = r.address.ok_or_else(|| anyhow::anyhow!("the ERC-20 did not deploy: {:?}", r.result))?;
    d.step(&format!("deploy (constructor mints 1,000,000) -> {token}"), &r);
    let r = block.call(alice, token, "", transfer(bob, 250), None)?;
    d.step("transfer(bob, 250): a Transfer event with 3 topics", &r);
    let r = block.call(bob, token, "", transfer(alice, 1_000), None)?;
    d.step("bob transfers 1,000 (he has 250): reverted", &r);
    block.commit()?;
    let req = runtime::EstimateRequest {
        sender: alice,
        address: token,
        method: "",
        input: transfer(bob, 1),
        value: Balance::ZERO,
        cap: None,
    };
    match rt.estimate_gas(req)? {
        Ok(gas) => d.say(&format!(
            "  {:<52} {gas} gas (succeeds at it, fails at one less)",
            "estimate-gas transfer(bob, 1)"
        )),
        Err(r) => d.step("estimate-gas transfer(bob, 1)", &r),
    }
    let of = |who: Address| -> Result<Option<u128>> {
        let r = rt.query(alice, token, "", balance_of(who), None)?;
        Ok(r.result.ok().and_then(|b| b.get(16..32).and_then(|w| w.try_into().ok())).map(u128::from_be_bytes))
    };
    let (a, b) = (of(alice)?, of(bob)?);
    d.say(&format!("\nERC-20 balances: alice {a:?}, bob {b:?}"));
    if (a, b) != (Some(999_750), Some(250)) {
        bail!("demo ERC-20 balances are wrong: alice {a:?}, bob {b:?}");
    }
    Ok(())
}
