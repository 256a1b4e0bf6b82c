//! The node: its configuration, its shared state, and the threads that run it (the
//! block producer and the RPC server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use alloy_primitives::{Address as EthAddress, B256, U256};
use revm::primitives::hardfork::SpecId;
use runtime::{Balance, Runtime, RuntimeError};
use types::Address;

use crate::NodeError;
use crate::chain::Chain;
use crate::pool::{Pool, PoolError};
use crate::tx::{SignedTx, TxError};

/// The ten accounts of the standard test mnemonic ("test test test test test test test
/// test test test test junk", paths `m/44'/60'/0'/0/0..9`): address and private key.
/// `tests/all/dev.rs` derives them from the mnemonic.
pub const DEV_ACCOUNTS: [(&str, &str); 10] = [
    (
        "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    (
        "70997970c51812dc3a010c7d01b50e0d17dc79c8",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    ),
    (
        "3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
        "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    ),
    (
        "90f79bf6eb2c4f870365e785982e1f101e93b906",
        "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    ),
    (
        "15d34aaf54267db7d7c367839aaf71a00a2c6a65",
        "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    ),
    (
        "9965507d1a55bcc2695c58ba16fb37d819b0a4dc",
        "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    ),
    (
        "976ea74026e726554db657fa54763abd0c3a0aa9",
        "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    ),
    (
        "14dc79964da2c08b23698b3d3cc7ca32193d9955",
        "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    ),
    (
        "23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
        "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    ),
    (
        "a0ee7a142d267c1f36714e4a8f75612f20a79720",
        "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ),
];

/// What `--dev` credits each account: 10,000 ether (10^22 wei), as anvil.
pub const DEV_BALANCE_WEI: u128 = 10_000 * 10u128.pow(18);

/// When blocks are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    /// One block per transaction, as soon as it arrives.
    Auto,
    /// One block every interval, holding whatever is ready (possibly nothing).
    Interval(Duration),
    /// No producer: blocks come from outside, through [`crate::External`] (a consensus
    /// engine decides them).
    External,
}

/// The node's settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The data dir (state store, module cache, `node.redb`).
    pub data_dir: PathBuf,
    /// Where JSON-RPC listens (port 0: any free port).
    pub rpc: SocketAddr,
    /// When blocks are made.
    pub mining: Mining,
    /// Fund the ten dev accounts in the first block (only on an empty chain).
    pub dev: bool,
    /// Who receives the fees. By default the zero address.
    pub fee_recipient: EthAddress,
    /// The least price per gas admitted, and what `eth_gasPrice` answers. By default
    /// 1 gwei.
    pub min_gas_price: u128,
    /// The runtime's configuration (chain id, fork, limits). Its execution settings are
    /// compared with the chain's as `chain` says; blocks run with the chain's
    /// (`docs/chain-config.md`).
    pub runtime: runtime::Config,
    /// Where snapshots served over RPC are written (a directory of the node's own is
    /// made inside, and removed when the node closes). By default the system's
    /// temporary directory. Must lie outside the data dir.
    pub snapshot_dir: Option<PathBuf>,
    /// The time of the first block (the dev accounts' funding); `None`: now. Nodes of
    /// one chain share it, so their first blocks are identical.
    pub genesis_time: Option<u64>,
    /// How `runtime` is compared with the chain's execution configuration, and the
    /// chain's genesis one if known. By default every execution setting must equal the
    /// chain's.
    pub chain: runtime::ChainOptions,
    /// The balances block 1 credits on an empty chain, in place of the dev accounts (a
    /// consensus genesis's). `None`: the ten dev accounts if `dev`, else none.
    pub genesis_accounts: Option<Vec<(EthAddress, u128)>>,
}

impl NodeConfig {
    /// Defaults for `data_dir`: RPC on 127.0.0.1:8545, automine, no dev accounts.
    pub fn new(data_dir: PathBuf) -> NodeConfig {
        NodeConfig {
            data_dir,
            rpc: SocketAddr::from(([127, 0, 0, 1], 8545)),
            mining: Mining::Auto,
            dev: false,
            fee_recipient: EthAddress::ZERO,
            min_gas_price: 1_000_000_000,
            runtime: runtime::Config::default(),
            snapshot_dir: None,
            genesis_time: None,
            chain: runtime::ChainOptions::default(),
            genesis_accounts: None,
        }
    }
}

/// What the RPC methods and the producer share.
pub(crate) struct Shared {
    pub(crate) runtime: Runtime,
    pub(crate) chain: Chain,
    pub(crate) pool: Mutex<Pool>,
    /// Signalled when a transaction arrives or the node stops.
    pub(crate) wake: Condvar,
    pub(crate) stop: AtomicBool,
    pub(crate) config: NodeConfig,
    /// Serialises block building with the probes of `eth_estimateGas` for creates,
    /// which open throwaway blocks.
    pub(crate) building: Mutex<()>,
    /// The snapshots served over RPC.
    pub(crate) snapshots: crate::snapshot::Snapshots,
    /// Each committed block, for WebSocket subscribers (`crate::rpc`'s `eth_subscribe`).
    pub(crate) heads: tokio::sync::broadcast::Sender<Arc<crate::chain::StoredBlock>>,
}

/// A cove node over one data dir.
pub struct Node {
    pub(crate) shared: Arc<Shared>,
}

impl Node {
    /// Opens the data dir: the state, then the index brought in line with it; on an
    /// empty chain, credits the genesis accounts (or with `dev` the dev accounts) in
    /// block 1. The chain id and the fork it admits transactions for and answers with are
    /// always those of the chain's execution configuration for the next block, so an
    /// upgrade of either takes effect at its height, without a restart.
    pub fn open(mut config: NodeConfig) -> Result<Node, NodeError> {
        config.runtime.validate_gas().map_err(NodeError::Config)?;
        let runtime = Runtime::open_chain(&config.data_dir, config.runtime.clone(), &config.chain)?;
        // From here on the node's view of the configuration is the chain's.
        config.runtime = runtime.config().clone();
        let accounts = match &config.genesis_accounts {
            Some(accounts) => accounts.clone(),
            None if config.dev => DEV_ACCOUNTS
                .iter()
                .map(|(a, _)| a.parse::<Address>().map(|a| (EthAddress::from(a.0), DEV_BALANCE_WEI)))
                .collect::<Result<_, _>>()
                .map_err(|e| NodeError::Config(format!("{e}")))?,
            None => Vec::new(),
        };
        if !accounts.is_empty() && runtime.last_block()?.height == 0 {
            let mut block = runtime.begin_block(config.genesis_time.unwrap_or_else(now))?;
            for (address, balance) in accounts {
                let r = block.fund(Address(address.into_array()), Balance::from_u128(balance))?;
                if let Err(e) = r.result {
                    return Err(NodeError::Config(e.message));
                }
            }
            block.commit()?;
        }
        let height = runtime.last_block()?.height;
        let chain = Chain::open(&config.data_dir, height, |h| match runtime.block_record(Some(h)) {
            Ok(record) => Ok(Some((record.timestamp, B256::from(record.root.unwrap_or_default())))),
            // Below the snapshot a restored store started from: no record.
            Err(RuntimeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        })?;
        let snapshots = crate::snapshot::Snapshots::new(config.snapshot_dir.clone());
        Ok(Node {
            shared: Arc::new(Shared {
                runtime,
                chain,
                pool: Mutex::new(Pool::default()),
                wake: Condvar::new(),
                stop: AtomicBool::new(false),
                config,
                building: Mutex::new(()),
                snapshots,
                heads: tokio::sync::broadcast::channel(crate::rpc::MAX_SUBSCRIPTION_LAG).0,
            }),
        })
    }

    /// The chain id a transaction must be signed for now (the next block's).
    pub fn chain_id(&self) -> u64 {
        self.shared.chain_id()
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.shared.runtime
    }

    /// Decodes and checks a raw transaction and admits it to the mempool; returns its
    /// hash.
    pub fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        self.shared.submit(raw)
    }

    /// Decodes and checks a signed native transaction (`crate::native`) and admits it
    /// to the mempool under the same checks; returns its hash.
    pub fn submit_native(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        self.shared.submit_native(raw)
    }

    /// The handle a consensus engine builds, checks and commits blocks through.
    pub fn external(&self) -> crate::External {
        crate::External { shared: self.shared.clone() }
    }

    /// Makes one block now from what is ready (at most `max` transactions).
    pub fn mine(&self, max: usize) -> Result<u64, NodeError> {
        crate::produce::mine(&self.shared, max)
    }

    /// Starts the block producer and the RPC server on a runtime of `tokio` threads.
    pub fn start(self) -> Result<RunningNode, NodeError> {
        let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let shared = self.shared.clone();
        let (handle, addr) = tokio.block_on(crate::rpc::serve(shared.clone(), shared.config.rpc))?;
        let producer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("cove-producer".into())
                .spawn(move || crate::produce::run(&shared))?
        };
        Ok(RunningNode { shared, tokio, handle: Some(handle), producer: Some(producer), addr })
    }
}

/// A node serving RPC and making blocks. Stop it with [`RunningNode::stop`] (dropping it
/// stops it too).
pub struct RunningNode {
    shared: Arc<Shared>,
    tokio: tokio::runtime::Runtime,
    handle: Option<jsonrpsee::server::ServerHandle>,
    producer: Option<JoinHandle<Result<(), NodeError>>>,
    addr: SocketAddr,
}

impl RunningNode {
    /// The handle a consensus engine builds, checks and commits blocks through.
    pub fn external(&self) -> crate::External {
        crate::External { shared: self.shared.clone() }
    }

    /// Where RPC listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for SIGINT or SIGTERM.
    pub fn wait_for_signal(&self) -> Result<(), NodeError> {
        self.tokio.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let mut term = signal(SignalKind::terminate())?;
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r,
                    _ = term.recv() => Ok(()),
                }
            }
            #[cfg(not(unix))]
            tokio::signal::ctrl_c().await
        })?;
        Ok(())
    }

    /// Stops the RPC server, lets the producer finish the block it is making, and
    /// closes the stores.
    pub fn stop(mut self) -> Result<(), NodeError> {
        self.halt()
    }

    fn halt(&mut self) -> Result<(), NodeError> {
        if let Some(handle) = self.handle.take() {
            let _ = handle.stop();
            self.tokio.block_on(handle.stopped());
        }
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
        if let Some(producer) = self.producer.take() {
            return producer.join().map_err(|_| NodeError::Index("the block producer panicked".into()))?;
        }
        Ok(())
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        if let Err(e) = self.halt() {
            tracing::error!(error = %e, "stopping the node");
        }
    }
}

/// Why a raw transaction was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// Bad transaction.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// Refused by the pool.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// The EVM fork `config` names. The runtime refuses a configuration whose fork does not
/// parse (`EvmVm::new`), so the default is never reached.
fn spec_of(config: &runtime::Config) -> SpecId {
    config.evm.spec.parse().unwrap_or_default()
}

/// Decodes an Ethereum transaction with the stateless checks of `config`.
fn decode_eth(raw: &[u8], config: &runtime::Config) -> Result<SignedTx, TxError> {
    crate::tx::decode(raw, config.evm.chain_id, spec_of(config), config.max_tx_gas)
}

impl Shared {
    /// The chain id of the next block's execution configuration: what a transaction must
    /// be signed for now. An upgrade that changes it takes effect at its height.
    pub(crate) fn chain_id(&self) -> u64 {
        self.runtime.config().evm.chain_id
    }

    /// The EVM fork of the next block's execution configuration.
    pub(crate) fn spec(&self) -> SpecId {
        spec_of(self.runtime.config())
    }

    /// Decodes `raw` (native if it starts with cove's native magic, Ethereum otherwise)
    /// with the stateless checks of `config`: its chain id, fork and caps, read once.
    pub(crate) fn decode_for(&self, raw: &[u8], config: &runtime::Config) -> Result<SignedTx, TxError> {
        if raw.starts_with(&crate::native::NATIVE_MAGIC[..]) {
            self.decode_native(raw, config)
        } else {
            decode_eth(raw, config)
        }
    }

    fn decode_native(&self, raw: &[u8], config: &runtime::Config) -> Result<SignedTx, TxError> {
        let (max_gas, max_code) = (config.max_tx_gas, config.wasm.limits.max_code_bytes);
        crate::native::decode(raw, config.evm.chain_id, max_gas, max_code, self.config.dev)
    }

    pub(crate) fn submit(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        self.admit(decode_eth(raw, self.runtime.config())?)
    }

    pub(crate) fn submit_native(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        self.admit(self.decode_native(raw, self.runtime.config())?)
    }

    /// The mempool's checks, the same for both kinds.
    fn admit(&self, tx: SignedTx) -> Result<B256, SubmitError> {
        let sender = Address(tx.from.into_array());
        let nonce = self.runtime.nonce(&sender).map_err(NodeError::from)?;
        let balance = U256::from_be_bytes(self.runtime.balance(&sender).map_err(NodeError::from)?.0);
        let hash = tx.hash;
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.remove(&tx.from, nonce);
        pool.insert(tx, nonce, balance, self.config.min_gas_price)?;
        drop(pool);
        self.wake.notify_all();
        Ok(hash)
    }
}

/// Unix seconds now (a block's time is the proposer's choice, recorded in the block).
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
