//! `cove batch FILE.jsonl`: many transactions as one block.
//!
//! Every line is parsed and checked (code files read) before the block starts, so a bad
//! line commits nothing (a usage error, kind `invalid_argument`, naming the line), and so
//! does a batch of more lines than a block may hold (`block.max_transactions`). Then each
//! line runs as its own transaction: one that fails is rolled back alone, and its result
//! says why. One that the runtime drops from the block (it hit the wall-clock backstop, a
//! node fault, would pass `block.max_event_bytes`, or its gas limit no longer fits in the
//! block's `max_block_gas`) leaves no trace in the block: its
//! result says `"committed": false` and the exit code is 3. The block commits once, at
//! the end, with every line that was not dropped. The lines run as one batch, in
//! parallel on `[execution] threads`, with the results of running them in order.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use runtime::Balance;
use serde::Deserialize;
use serde_json::{Value, json};
use types::Address;

use crate::args::{
    CallArgs, Cli, DeployArgs, Funds, Json, TxArgs, parse_address, parse_amount, parse_coins, parse_funds,
    parse_hex, parse_vm,
};
use crate::input;
use crate::output::{self, Usage};

/// The largest batch file: 1 GiB. Each line is held in memory until the block commits.
pub(crate) const MAX_BATCH_BYTES: u64 = 1 << 30;

/// One line of the file: the fields of the matching command, by their flag names
/// (`args_hex` for `--args-hex`); amounts are decimal strings or numbers.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Deploy {
        file: Option<PathBuf>,
        code_hex: Option<String>,
        vm: Option<String>,
        init: Option<String>,
        args_hex: Option<String>,
        msg: Option<Value>,
        value: Option<Value>,
        funds: Option<String>,
        label: Option<String>,
        admin: Option<String>,
        sender: Option<String>,
        gas_limit: Option<u64>,
    },
    Call {
        address: String,
        method: Option<String>,
        args_hex: Option<String>,
        calldata: Option<String>,
        msg: Option<Value>,
        value: Option<Value>,
        funds: Option<String>,
        sender: Option<String>,
        gas_limit: Option<u64>,
    },
    Fund {
        address: String,
        amount: Value,
    },
}

/// A line, checked.
pub(crate) enum Tx {
    Deploy(Box<DeployArgs>),
    Call(Box<CallArgs>),
    Fund(Address, Funds),
}

/// A line ready to run: a deploy with its code read.
pub(crate) enum Ready<'a> {
    Deploy(super::deploy::Deploy<'a>),
    Call(&'a CallArgs),
    Fund(Address, &'a Funds),
}

pub(crate) fn run(cli: &Cli, file: &Path) -> Result<ExitCode> {
    let txs = read(cli, file)?;
    let ready = prepare(file, &txs)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let Applied { results, failed, dropped } = apply(&mut block, &ready, file)?;
    let record = block.commit()?;
    let root = record.root.map(hex::encode);
    if cli.json {
        let body = json!({
            "status": "ok",
            "height": record.height,
            "timestamp": record.timestamp,
            "root": root,
            "transactions": results.len() - dropped,
            "failed": failed,
            "dropped": dropped,
            "results": results,
        });
        println!("{body}");
    } else {
        for r in &results {
            let line = r["line"].as_u64().unwrap_or(0);
            match r["status"].as_str() {
                Some("ok") => println!("line {line}: ok, gas_used {}", r["gas_used"]),
                _ if r["committed"] == false => println!(
                    "line {line}: dropped, not in the block ({}): {}",
                    r["error"]["kind"].as_str().unwrap_or("?"),
                    r["error"]["message"].as_str().unwrap_or("")
                ),
                _ => println!(
                    "line {line}: error ({}): {}",
                    r["error"]["kind"].as_str().unwrap_or("?"),
                    r["error"]["message"].as_str().unwrap_or("")
                ),
            }
        }
        println!(
            "block {}: {} transactions, {failed} failed, {dropped} dropped, root {}",
            record.height,
            results.len() - dropped,
            root.as_deref().unwrap_or("(none)")
        );
    }
    Ok(if dropped > 0 { ExitCode::from(output::EXIT_DROPPED) } else { ExitCode::SUCCESS })
}

/// The lines of `file`, parsed and checked: a usage error names the first bad line, or
/// a batch of more lines than a block may hold.
pub(crate) fn read(cli: &Cli, file: &Path) -> Result<Vec<(usize, Tx)>> {
    let limit = input::Limit { max: MAX_BATCH_BYTES, name: "MAX_BATCH_BYTES", what: "batch file" };
    let text = input::read_text(file, &limit)?;
    let mut txs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let tx = parse(line).map_err(|e| Usage(format!("{} line {}: {e:#}", file.display(), i + 1)))?;
        txs.push((i + 1, tx));
    }
    let config = super::load_config(cli)?;
    let max = config.block.max_transactions;
    if txs.len() > max as usize {
        return Err(Usage(format!(
            "{} has {} transactions; a block holds at most {max} (block.max_transactions)",
            file.display(),
            txs.len()
        ))
        .into());
    }
    Ok(txs)
}

/// The lines ready to run: deploys read their code now, so a missing file fails before
/// the block starts.
pub(crate) fn prepare<'a>(file: &Path, txs: &'a [(usize, Tx)]) -> Result<Vec<(usize, Ready<'a>)>> {
    txs.iter()
        .map(|(n, tx)| {
            let ready = match tx {
                Tx::Deploy(a) => Ready::Deploy(super::deploy::prepare(a).map_err(|e| {
                    // An unreadable file is an I/O error; anything else the line got wrong.
                    let io = e.chain().any(|c| c.is::<std::io::Error>());
                    let e = if io { e } else { Usage(format!("{e:#}")).into() };
                    e.context(format!("{} line {n}", file.display()))
                })?),
                Tx::Call(a) => Ready::Call(a),
                Tx::Fund(address, amount) => Ready::Fund(*address, amount),
            };
            Ok((*n, ready))
        })
        .collect()
}

/// What running the lines gave: one JSON result per line, and how many failed or were
/// dropped from the block.
pub(crate) struct Applied {
    pub results: Vec<Value>,
    pub failed: usize,
    pub dropped: usize,
}

/// Runs each line as its own transaction of `block`, as one batch: in parallel on
/// `[execution] threads`, with the results of running them in order
/// ([`runtime::Block::run_batch`]).
pub(crate) fn apply(
    block: &mut runtime::Block<'_>,
    ready: &[(usize, Ready<'_>)],
    file: &Path,
) -> Result<Applied> {
    let fatal = |r: &Result<(runtime::Receipt, Value)>| match r {
        Err(e) => !e.downcast_ref::<runtime::RuntimeError>().is_some_and(|e| e.is_dropped_transaction()),
        Ok(_) => false,
    };
    let ran = block.run_batch(
        ready.len(),
        |block, i| match &ready[i].1 {
            Ready::Deploy(d) => d.apply(block),
            Ready::Call(a) => super::call::apply(block, a),
            Ready::Fund(address, amount) => super::account::apply_fund(block, address, amount),
        },
        // A line that fails the batch ends it.
        |_, prev| !prev.is_some_and(fatal),
    );
    let mut results = Vec::with_capacity(ready.len());
    let (mut failed, mut dropped) = (0usize, 0usize);
    for ((line, _), applied) in ready.iter().zip(ran) {
        let mut v = match applied {
            Ok((receipt, v)) => {
                failed += usize::from(receipt.result.is_err());
                v
            }
            // Not in the block: the others go on without it.
            Err(e) => match e.downcast_ref::<runtime::RuntimeError>() {
                Some(e) if e.is_dropped_transaction() => {
                    dropped += 1;
                    output::dropped_json(e)
                }
                _ => return Err(e.context(format!("{} line {line}", file.display()))),
            },
        };
        v["line"] = json!(line);
        results.push(v);
    }
    Ok(Applied { results, failed, dropped })
}

fn parse(line: &str) -> Result<Tx> {
    let parsed: Line = serde_json::from_str(line)?;
    let address = |s: &str| parse_address(s).map_err(anyhow::Error::msg);
    let hex = |s: &Option<String>| s.as_deref().map(parse_hex).transpose().map_err(anyhow::Error::msg);
    let tx = |sender: Option<String>, gas_limit| -> Result<TxArgs> {
        Ok(TxArgs {
            sender: sender.as_deref().map(address).transpose()?,
            gas_limit,
            debug: false,
            remote: Default::default(),
        })
    };
    let coins = |s: &Option<String>| s.as_deref().map(parse_coins).transpose().map_err(anyhow::Error::msg);
    Ok(match parsed {
        Line::Deploy {
            file,
            code_hex,
            vm,
            init,
            args_hex,
            msg,
            value,
            funds,
            label,
            admin,
            sender,
            gas_limit,
        } => {
            if file.is_some() == code_hex.is_some() {
                bail!("a deploy names exactly one of file and code_hex");
            }
            if msg.is_none() && (funds.is_some() || label.is_some() || admin.is_some()) {
                bail!("funds, label and admin are for a CosmWasm deploy, which has a msg");
            }
            Tx::Deploy(Box::new(DeployArgs {
                file,
                code_id: None,
                code_hex: hex(&code_hex)?,
                vm: vm.as_deref().map(parse_vm).transpose().map_err(anyhow::Error::msg)?,
                init,
                args_hex: hex(&args_hex)?,
                msg: msg.as_ref().map(json_msg),
                // JSON arguments are a command-line feature (`--args`); lines take hex.
                args: None,
                value: value.as_ref().map(amount).transpose()?,
                funds: coins(&funds)?,
                label,
                admin: admin.as_deref().map(address).transpose()?,
                // App flags are a command-line feature (`--flags`); a batch deploys with
                // the defaults.
                flags: None,
                tx: tx(sender, gas_limit)?,
            }))
        }
        Line::Call { address: to, method, args_hex, calldata, msg, value, funds, sender, gas_limit } => {
            if [args_hex.is_some(), calldata.is_some(), msg.is_some()].into_iter().filter(|b| *b).count() > 1
            {
                bail!("a call takes one of args_hex, calldata and msg");
            }
            if msg.is_none() && funds.is_some() {
                bail!("funds are for a CosmWasm call, which has a msg");
            }
            Tx::Call(Box::new(CallArgs {
                address: address(&to)?,
                method,
                args_hex: hex(&args_hex)?,
                calldata: hex(&calldata)?,
                msg: msg.as_ref().map(json_msg),
                args: None,
                value: value.as_ref().map(amount).transpose()?,
                funds: coins(&funds)?,
                tx: tx(sender, gas_limit)?,
            }))
        }
        Line::Fund { address: to, amount: a } => Tx::Fund(address(&to)?, fund_amount(&a)?),
    })
}

/// A CosmWasm message given as a JSON value in the line.
fn json_msg(v: &Value) -> Json {
    Json(serde_json::to_vec(v).expect("JSON values serialize"))
}

/// What a fund line credits: an amount of the native token, or coins (`"100ucove,5uatom"`).
fn fund_amount(v: &Value) -> Result<Funds> {
    match v {
        Value::String(s) if !s.bytes().all(|b| b.is_ascii_digit()) => {
            parse_funds(s).map_err(anyhow::Error::msg)
        }
        v => amount(v).map(Funds::Native),
    }
}

/// An amount: a decimal string, or a JSON integer.
fn amount(v: &Value) -> Result<Balance> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        other => bail!("an amount is a decimal string or a non-negative integer, not {other}"),
    };
    parse_amount(&text).map_err(anyhow::Error::msg)
}
