//! `cove node --home HOME`: runs the validator of a node home (`cove testnet init`) on
//! Malachite BFT consensus until SIGINT or SIGTERM, with its JSON-RPC. The home is
//! checked first (`cove-consensus`'s `Home::load`): a home whose files disagree with
//! its genesis is refused with each differing setting named, before anything opens.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::args::Cli;

#[cfg(feature = "consensus")]
pub(crate) fn run(cli: &Cli, dir: &Path, rpc: Option<SocketAddr>) -> Result<ExitCode> {
    use anyhow::Context;
    use consensus::Home;

    use crate::output::Usage;

    log::set_max_level(log::LevelFilter::Info);
    if cli.config.is_some() {
        return Err(Usage(
            "--config does not apply with --home: node-local runtime settings go in the [runtime] table of \
             HOME/config.toml, execution settings come from HOME/genesis.json"
                .into(),
        )
        .into());
    }
    let home = Home::load(dir).with_context(|| format!("checking the node home {}", dir.display()))?;
    home.record_genesis()?;
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    tokio.block_on(serve(&home, rpc))
}

/// Starts the node of `home`, prints where it listens, and runs it until a signal
/// (exit 0) or until it halts (the error).
#[cfg(feature = "consensus")]
async fn serve(home: &consensus::Home, rpc: Option<SocketAddr>) -> Result<ExitCode> {
    use anyhow::{Context, anyhow};
    use consensus::ValidatorNode;

    let cfg = home.validator_config(rpc)?;
    let (moniker, chain_id) = (cfg.moniker.clone(), cfg.chain_id);
    let node = ValidatorNode::start(cfg)
        .await
        .with_context(|| format!("starting the node in {}", home.dir().display()))?;
    let head = node.external().head()?.number;
    let role =
        if home.is_validator() { "validator" } else { "follower (its key is not in the validator set)" };
    let hash = home.genesis().hash_hex();
    println!("{moniker}: {role} {} of chain {chain_id} (genesis {hash}), head {head}", home.address());
    if let Some(addr) = node.rpc() {
        println!("listening on http://{addr}");
    }
    let halted = wait(&node).await?;
    if halted {
        return match node.kill().await {
            Some(Err(e)) => Err(anyhow!(e).context("the node halted")),
            _ => Err(anyhow!("the consensus engine stopped")),
        };
    }
    println!("shutting down");
    match node.kill().await {
        Some(Err(e)) => Err(anyhow!(e).context("the node had halted")),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Waits for SIGINT or SIGTERM (false) or the node halting (true).
#[cfg(feature = "consensus")]
async fn wait(node: &consensus::ValidatorNode) -> Result<bool> {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        #[cfg(unix)]
        let terminated = term.recv();
        #[cfg(not(unix))]
        let terminated = std::future::pending::<Option<()>>();
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                r?;
                return Ok(false);
            }
            _ = terminated => return Ok(false),
            _ = tick.tick() => {
                if node.halted() {
                    return Ok(true);
                }
            }
        }
    }
}

#[cfg(not(feature = "consensus"))]
pub(crate) fn run(_: &Cli, _: &Path, _: Option<SocketAddr>) -> Result<ExitCode> {
    Err(crate::output::Usage("this cove was built without the `consensus` feature: no --home".into()).into())
}
