//! `cove node`: runs a node over the data dir until SIGINT or SIGTERM.

use std::process::ExitCode;

use anyhow::{Context, Result};
use node::{DEV_ACCOUNTS, Mining, Node, NodeConfig};

use crate::args::{Cli, NodeArgs};

pub(crate) fn run(cli: &Cli, a: &NodeArgs) -> Result<ExitCode> {
    log::set_max_level(log::LevelFilter::Info);
    let mut config = NodeConfig::new(cli.data_dir.clone());
    (config.runtime, config.chain) = super::load_local(cli)?;
    config.rpc = a.rpc.unwrap_or(std::net::SocketAddr::from(([127, 0, 0, 1], 8545)));
    config.mining = match a.block_time {
        Some(every) if !a.automine => Mining::Interval(every),
        _ => Mining::Auto,
    };
    config.dev = a.dev;
    config.min_gas_price = a.gas_price;
    if let Some(r) = a.fee_recipient {
        config.fee_recipient = r.0.into();
    }
    let node =
        Node::open(config).with_context(|| format!("opening the node in {}", cli.data_dir.display()))?;
    let chain_id = node.chain_id();
    let height = node.runtime().last_block()?.height;
    let running = node.start().context("starting the node")?;
    if a.dev {
        println!("Dev accounts (10,000 ETH each at genesis; test mnemonic \"test test ... junk\"):");
        for (i, (address, key)) in DEV_ACCOUNTS.iter().enumerate() {
            println!("({i}) 0x{address}  private key 0x{key}");
        }
    }
    println!("chain id {chain_id}, head {height}");
    println!("listening on http://{}", running.addr());
    running.wait_for_signal()?;
    println!("shutting down");
    running.stop()?;
    Ok(ExitCode::SUCCESS)
}
