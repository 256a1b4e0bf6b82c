//! CosmWasm figures of `cove bench`: cyberpunk's `noop` (per-call overhead) and
//! `argon2` (compute) executed through the runtime, as a chain runs them. The
//! comparison with cosmwasm-vm itself is `benches/cosmwasm-compare` (outside the
//! workspace: it builds wasmer).

use std::time::Instant;

use cosmwasm::{Action, Request};
use types::Address;

use crate::{median, sender};
use runtime::{Config, Runtime};

/// The argon2 message, as cosmwasm-vm's own benchmark sends it.
pub const ARGON2_MSG: &[u8] = br#"{"argon2":{"mem_cost":256,"time_cost":3}}"#;

/// A runtime with cyberpunk instantiated, and its address.
fn cyberpunk(config: &Config) -> Result<(Runtime, Address), String> {
    let code = crate::fixtures::load("cyberpunk")?;
    // Many calls in one block (argon2 uses ~10^8 gas each): lift `max_block_gas`.
    let config = Config { max_block_gas: types::MAX_GAS_LIMIT, ..config.clone() };
    let rt = Runtime::in_memory(config).map_err(|e| e.to_string())?;
    let mut block = rt.begin_block(1).map_err(|e| e.to_string())?;
    let request = Request {
        sender: sender(),
        action: Action::Instantiate { code: &code, label: "cyberpunk", admin: None },
        msg: b"{}",
        funds: &[],
        gas_limit: None,
    };
    let (receipt, _) = block.cosmwasm(request).map_err(|e| e.to_string())?;
    let address =
        receipt.address.ok_or_else(|| format!("instantiating cyberpunk failed: {:?}", receipt.result))?;
    block.commit().map_err(|e| e.to_string())?;
    Ok((rt, address))
}

/// Median time of `calls` executions of cyberpunk with `msg`, each a transaction of
/// one open block, in microseconds. Measured once the contract is hot: after enough
/// untimed calls for the tiered compiler to move it to Cranelift, and that finished.
fn execute_us(config: &Config, msg: &[u8], calls: usize) -> Result<f64, String> {
    let (rt, contract) = cyberpunk(config)?;
    let mut block = rt.begin_block(2).map_err(|e| e.to_string())?;
    let mut call = || {
        let request = Request {
            sender: sender(),
            action: Action::Execute { contract },
            msg,
            funds: &[],
            gas_limit: None,
        };
        let t = Instant::now();
        let (receipt, _) = block.cosmwasm(request).map_err(|e| e.to_string())?;
        let elapsed = t.elapsed();
        match &receipt.result {
            Ok(_) => Ok(elapsed),
            Err(e) => Err(format!("cyberpunk {}: {e:?}", String::from_utf8_lossy(msg))),
        }
    };
    for _ in 0..config.wasm.tier_up_after_calls.max(3) {
        call()?;
    }
    rt.settle();
    let mut samples = (0..calls).map(|_| call()).collect::<Result<Vec<_>, String>>()?;
    Ok(median(&mut samples).as_secs_f64() * 1e6)
}

/// Median latency of cyberpunk's `{"noop":{}}` execute, in microseconds.
pub fn noop_execute_us(config: &Config, calls: usize) -> Result<f64, String> {
    execute_us(config, br#"{"noop":{}}"#, calls)
}

/// Median time of cyberpunk's [`ARGON2_MSG`] execute, in milliseconds.
pub fn argon2_ms(config: &Config, runs: usize) -> Result<f64, String> {
    execute_us(config, ARGON2_MSG, runs).map(|us| us / 1e3)
}
