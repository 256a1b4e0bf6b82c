//! `cove testnet init`: the homes of N validators of one new chain (glue over
//! `cove-consensus`'s `testnet`; the files are described in docs/consensus.md).

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{Cli, TestnetInitArgs};

#[cfg(feature = "consensus")]
pub(crate) fn init(cli: &Cli, a: &TestnetInitArgs) -> Result<ExitCode> {
    use anyhow::Context;
    use consensus::testnet::{self, TestnetOptions};
    use consensus::{HomeError, genesis};
    use serde_json::json;

    use crate::output::Usage;

    let mut execution = runtime::ExecutionConfig::of(&super::load_config(cli)?);
    if let Some(id) = a.chain_id {
        execution.evm.chain_id = id;
    }
    let opts = TestnetOptions {
        validators: a.validators,
        out: a.out.clone(),
        force: a.force,
        base_port: a.base_port,
        execution,
        genesis_time: super::now(),
        accounts: genesis::dev_accounts(),
        block_time: a.block_time,
    };
    let net = match testnet::init(&opts) {
        Ok(net) => net,
        Err(HomeError::Usage(m)) => return Err(Usage(m).into()),
        Err(e) => return Err(e).with_context(|| format!("writing the node homes in {}", a.out.display())),
    };
    let hash = net.genesis.hash_hex();
    if cli.json {
        let homes: Vec<String> = net.homes.iter().map(|h| h.display().to_string()).collect();
        let body = json!({
            "status": "ok",
            "chain_id": net.genesis.chain_id,
            "genesis_hash": hash,
            "genesis_time": net.genesis.genesis_time,
            "homes": homes,
            "validators": net.genesis.validators,
        });
        println!("{body}");
    } else {
        println!("chain {} (genesis {hash}): {} validators", net.genesis.chain_id, net.homes.len());
        for (i, home) in net.homes.iter().enumerate() {
            let (p2p, rpc) = (
                testnet::p2p_port(a.base_port, i).unwrap_or_default(),
                testnet::rpc_port(a.base_port, i).unwrap_or_default(),
            );
            println!("  {}  p2p 127.0.0.1:{p2p}  rpc http://127.0.0.1:{rpc}", home.display());
        }
        println!("start each with: cove node --home {}", a.out.join("nodeK").display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "consensus"))]
pub(crate) fn init(_: &Cli, _: &TestnetInitArgs) -> Result<ExitCode> {
    Err(crate::output::Usage("this cove was built without the `consensus` feature".into()).into())
}
