//! `cove profile ADDRESS METHOD [--args JSON | --args-hex HEX | --msg JSON] --svg FILE
//! [--folded FILE]`: runs the call once against the last committed state, as the next
//! block would, and commits nothing (like `estimate-gas`); writes its gas as a flamegraph.
//!
//! Every unit of the call's gas is attributed to a stack of contract functions (names
//! from the module's `name` section), host functions as leaves, under a root frame
//! (`[METHOD]`, or `[cosmwasm execute]` with an entry frame per entry point run) that
//! keeps gas charged outside any function. The attributed total equals `gas_used`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cosmwasm::Request;
use runtime::Profiled;
use serde_json::{Value, json};

use crate::args::{Cli, ProfileArgs};
use crate::output;

/// Functions listed in the printed summary (the SVG and folded file have them all).
const TOP_FUNCTIONS: usize = 10;

pub(crate) fn run(cli: &Cli, p: &ProfileArgs) -> Result<ExitCode> {
    let a = &p.call;
    if a.calldata.is_some() {
        bail!("profiles cover cove's WASM and CosmWasm contracts, not EVM calldata");
    }
    let rt = super::open_read_only(cli)?;
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let (profiled, mut value) = if let Some(msg) = &a.msg {
        let native = rt.config().cosmwasm.native_denom.clone();
        let funds = super::cosmwasm::funds(&native, a.value, a.funds.as_ref())?;
        let request = Request {
            sender,
            action: super::cosmwasm::call_action(a.address, a.method.as_deref())?,
            msg: &msg.0,
            funds: &funds,
            gas_limit: a.tx.gas_limit,
        };
        let (profiled, debug) = rt.profile_cosmwasm(request)?;
        let mut value = output::receipt_json(&profiled.receipt, json!({}));
        if a.tx.debug {
            value["debug"] = json!(debug);
        }
        (profiled, value)
    } else {
        if a.method.is_none() {
            bail!("name the entry point to profile (METHOD)");
        }
        let sdk = super::sdk_args::input(&rt, rt.contract(&a.address)?, a)?;
        let (method, mut input) = a.message("execute");
        if let Some((_, encoded)) = &sdk {
            input = encoded.clone();
        }
        let req = runtime::EstimateRequest {
            sender,
            address: a.address,
            method,
            input,
            value: a.value.unwrap_or_default(),
            cap: a.tx.gas_limit,
        };
        let profiled = rt.profile(req)?;
        let ret = super::sdk_args::return_json(&profiled.receipt, sdk.as_ref().map(|s| &s.0));
        let value = output::receipt_json(&profiled.receipt, ret);
        (profiled, value)
    };
    write_outputs(p, &profiled)?;
    value["profile"] = summary(p, &profiled);
    Ok(output::print_receipt(&profiled.receipt, cli.json, value))
}

/// Writes the SVG and, if asked, the folded stacks.
fn write_outputs(p: &ProfileArgs, profiled: &Profiled) -> Result<()> {
    let folded = profiled.profile.folded();
    if let Some(path) = &p.folded {
        std::fs::write(path, &folded).with_context(|| format!("writing {}", path.display()))?;
    }
    let svg = flamegraph(&folded, profiled.receipt.gas_used)?;
    std::fs::write(&p.svg, svg).with_context(|| format!("writing {}", p.svg.display()))?;
    Ok(())
}

/// The flamegraph of `folded`, widths in gas.
pub(crate) fn flamegraph(folded: &str, gas_used: u64) -> Result<Vec<u8>> {
    let mut options = inferno::flamegraph::Options::default();
    options.title = "cove gas profile".into();
    options.subtitle = Some(format!("gas_used {gas_used}"));
    options.count_name = "gas".into();
    options.name_type = "Function:".into();
    // The same profile always draws the same picture (no random colours).
    options.deterministic = true;
    options.hash = true;
    let mut svg = Vec::new();
    if folded.is_empty() {
        // inferno refuses an empty profile; a call that used no gas still gets a picture.
        options.subtitle = Some("gas_used 0: nothing to draw".into());
        inferno::flamegraph::from_lines(&mut options, ["[no gas] 1"], &mut svg)
    } else {
        inferno::flamegraph::from_lines(&mut options, folded.lines(), &mut svg)
    }
    .context("drawing the flamegraph")?;
    Ok(svg)
}

/// The profile part of the printed result: the files, the attributed total and the
/// most expensive functions.
fn summary(p: &ProfileArgs, profiled: &Profiled) -> Value {
    let top: Vec<Value> = profiled
        .profile
        .functions()
        .into_iter()
        .take(TOP_FUNCTIONS)
        .map(|f| json!({"name": f.name, "self_gas": f.self_gas, "total_gas": f.total_gas}))
        .collect();
    let path = |p: &Path| p.display().to_string();
    let mut value = json!({
        "svg": path(&p.svg),
        "attributed_gas": profiled.profile.total(),
        "stacks": profiled.profile.stacks().count(),
        "top": top,
    });
    if let Some(folded) = &p.folded {
        value["folded"] = json!(path(folded));
    }
    if profiled.profile.truncated() {
        value["truncated"] = json!(true);
    }
    value
}
