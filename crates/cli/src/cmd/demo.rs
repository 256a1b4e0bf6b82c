//! `cove demo`: deploys and exercises the example contracts on a fresh in-memory state
//! with the embedded default configuration, printing what happens.

use std::process::ExitCode;

use anyhow::{Result, bail};
use runtime::bench::{COUNTER_WAT, TOKEN_WAT};
use runtime::{Config, Receipt, Runtime};
use serde_json::{Value, json};
use types::Address;

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
                    "  {:<52} event topics={:?} data={}",
                    "",
                    e.topics.iter().map(|t| String::from_utf8_lossy(t)).collect::<Vec<_>>(),
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
    if cli.json {
        println!("{}", json!({"status": "ok", "steps": d.steps}));
    }
    Ok(ExitCode::SUCCESS)
}
