//! The application loop: answers every message Malachite's engine sends, building,
//! checking and committing blocks through the node's [`External`] handle.
//!
//! Rules it keeps (`docs/consensus.md`):
//! * a block is persisted in the consensus store before the engine hears of it (the
//!   reply to `GetValue` or `ReceivedProposalPart`), so a WAL replay finds it;
//! * a decided block is recorded with its certificate, then committed through the node
//!   (one block, one commit), and only then is `Decided` answered; a height the node
//!   already committed is never committed again;
//! * a block is valid only if it carries the local state root of its parent (the app
//!   hash), extends the local head and runs with every transaction given a receipt; a
//!   decided block whose parent root differs from the local one halts the node with
//!   [`AppError::Diverged`], one whose parent hash differs with
//!   [`AppError::ParentDiverged`].
//!
//! Storage and execution are synchronous: they run under `block_in_place`, so the
//! engine's timers and gossip keep their threads.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address as EthAddress, B256};
use bytes::Bytes;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::engine::util::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, Context, ExtendedCommitCertificate, LinearTimeouts, Round, Validity,
};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, PeerId, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use node::tx::SignedTx;
use node::{External, Prepared};
use tokio::task::block_in_place;

use crate::CoveContext;
use crate::block::{BlockTx, MAX_BLOCK_BYTES, MAX_PART_BYTES, ProposedBlock, id_of};
use crate::signing::{CoveSigner, CoveVerifier, Signature};
use crate::store::{Store, StoreError};
use crate::types::{Address, BlockId, Height, ProposalPart, ValidatorSet};

/// Most proposal streams reassembled at once: 64 (the oldest is dropped past it).
pub const MAX_STREAMS: usize = 64;
/// How far ahead of the local clock a block's time may be for this node to vote for
/// it: 60 s. The one clock-dependent check; it decides a vote, never a result.
pub const MAX_FUTURE_SECS: u64 = 60;
/// Most transactions a proposer puts in a block: 5,000.
pub const MAX_PROPOSAL_TXS: usize = 5_000;
/// A proposer runs transactions for its block for at most the round's propose timeout
/// divided by this (3): the validators must still receive the block and run it before
/// their own propose timeout, and running it costs them about what it cost the
/// proposer. What is left in the mempool waits for the next block. The proposer's
/// choice only: validators run whatever block they are given.
pub const BUILD_SHARE_OF_PROPOSE_TIMEOUT: u32 = 3;
/// Most blocks kept executed (built or checked, not yet committed) at once: 8. Each
/// holds its block's write set and receipts; past it the lowest height goes, and is run
/// again if decided.
pub const MAX_PREPARED: usize = 8;

/// Why the application stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The decided block was built on another state root than this node's: the node's
    /// state diverged from the network's, and it stops rather than fork.
    #[error(
        "state diverged at height {height}: the decided block builds on state root {decided}, this node has {local}"
    )]
    Diverged {
        /// The decided height.
        height: u64,
        /// The parent root the decided block carries.
        decided: B256,
        /// This node's root at the parent.
        local: B256,
    },
    /// The decided block names another parent than this node's head (its state root
    /// may agree): the block history diverged, as when a node started from a snapshot
    /// was given a block entry that is not the chain's.
    #[error(
        "chain diverged at height {height}: the decided block's parent is {decided}, this node's head is {local}"
    )]
    ParentDiverged {
        /// The decided height.
        height: u64,
        /// The parent hash the decided block carries.
        decided: B256,
        /// This node's hash of its head.
        local: B256,
    },
    /// A decided block is not in the store (never received or not decodable).
    #[error("decided block {0} at height {1} is missing or malformed")]
    MissingBlock(BlockId, u64),
    /// The node failed to commit.
    #[error("commit of height {0}: {1}")]
    Commit(u64, node::NodeError),
    /// The consensus store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The node's index failed.
    #[error(transparent)]
    Node(#[from] node::NodeError),
    /// A decided block that does not follow the node's head.
    #[error("decided block {height} does not follow this node's head {head}")]
    OutOfOrder {
        /// The decided height.
        height: u64,
        /// The node's head.
        head: u64,
    },
    /// The engine went away.
    #[error("the consensus engine stopped")]
    EngineGone,
}

/// What the loop needs, fixed for its life.
pub struct AppConfig {
    /// The chain's validators.
    pub validators: ValidatorSet,
    /// This node's consensus key (a validator of `validators`, or not: then it follows).
    pub signer: CoveSigner,
    /// The chain id (signatures are domain-separated by it).
    pub chain_id: u64,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// The least time between heights (`None`: as fast as decisions come).
    pub block_time: Option<Duration>,
}

#[derive(Default)]
struct Partial {
    parts: BTreeMap<u64, StreamContent<ProposalPart>>,
    bytes: usize,
    born: u64,
}

/// A reassembled proposal.
struct Assembled {
    height: Height,
    round: Round,
    pol_round: Round,
    proposer: Address,
    block: Bytes,
    signature: Signature,
}

struct App {
    cfg: AppConfig,
    address: Address,
    verifier: CoveVerifier,
    external: External,
    store: Arc<Store>,
    height: Height,
    round: Round,
    streams: HashMap<(Vec<u8>, StreamId), Partial>,
    born: u64,
    /// Proposals for heights above the current one, checked when it starts.
    pending: Vec<Assembled>,
    /// Blocks this node built or found valid, executed and kept by id (at most
    /// [`MAX_PREPARED`]): the decided one is committed from here, not run again.
    prepared: HashMap<BlockId, Prepared>,
}

/// Re-applies decided blocks the store holds above the node's head (a crash between
/// recording a decision and committing it); returns the height to start at.
pub fn recover(external: &External, store: &Store) -> Result<Height, AppError> {
    loop {
        let head = external.head()?;
        let next = head.number + 1;
        let Some((bytes, cert)) = store.decided(next)? else { return Ok(Height(next)) };
        log::info!("re-applying decided block {next} after a restart");
        commit(external, &bytes, &cert, None)?;
    }
}

/// Runs the loop until the engine stops (`Ok`) or the node must halt (`Err`).
pub async fn run(
    cfg: AppConfig,
    external: External,
    store: Arc<Store>,
    mut channels: Channels<CoveContext>,
) -> Result<(), AppError> {
    let address = cfg.signer.address();
    let verifier = CoveVerifier::new(cfg.chain_id);
    let mut app = App {
        cfg,
        address,
        verifier,
        external,
        store,
        height: Height(0),
        round: Round::Nil,
        streams: HashMap::new(),
        born: 0,
        pending: Vec::new(),
        prepared: HashMap::new(),
    };
    while let Some(msg) = channels.consensus.recv().await {
        app.handle(msg, &channels.network).await?;
    }
    Ok(())
}

impl App {
    fn params(&self) -> HeightParams<CoveContext> {
        HeightParams::new(self.cfg.validators.clone(), self.cfg.timeouts, self.cfg.block_time)
    }

    async fn handle(
        &mut self,
        msg: AppMsg<CoveContext>,
        network: &tokio::sync::mpsc::Sender<NetworkMsg<CoveContext>>,
    ) -> Result<(), AppError> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = block_in_place(|| recover(&self.external, &self.store))?;
                self.height = start;
                let _ = reply.send((start, self.params()));
            }
            AppMsg::StartedRound { height, round, reply_value, .. } => {
                self.height = height;
                self.round = round;
                let mut values = block_in_place(|| self.store.values(height.0, round))?;
                let pending: Vec<Assembled> = std::mem::take(&mut self.pending);
                for p in pending {
                    if p.height > height {
                        self.pending.push(p);
                    } else if p.height == height
                        && let Some(v) = block_in_place(|| self.check(p))?
                        && v.round == round
                    {
                        values.push(v);
                    }
                }
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                let deadline = std::time::Instant::now() + timeout / BUILD_SHARE_OF_PROPOSE_TIMEOUT;
                let value = block_in_place(|| self.build(height, round, deadline))?;
                let _ = reply.send(LocallyProposedValue::new(height, round, value.value));
                self.stream(network, height, round, Round::Nil, &value.value).await?;
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                if address == self.address {
                    self.stream(network, height, round, valid_round, &value_id).await?;
                }
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let _ = reply.send(extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect());
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let min = block_in_place(|| self.store.decided_range())?.map_or(self.height.0, |(lo, _)| lo);
                let _ = reply.send(Height(min));
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let peer = published_by.unwrap_or(from);
                let value = match self.reassemble(peer, part) {
                    None => None,
                    Some(a) if a.height > self.height => {
                        self.pending.push(a);
                        None
                    }
                    Some(a) if a.height < self.height => None,
                    Some(a) => block_in_place(|| self.check(a))?,
                };
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, reply, .. } => {
                block_in_place(|| self.decided(&certificate))?;
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, reply, .. } => {
                let next = certificate.height.0 + 1;
                self.height = Height(next);
                self.pending.retain(|p| p.height.0 >= next);
                self.prepared.retain(|_, p| p.height() >= next);
                let _ = reply.send(Next::Start(Height(next), self.params()));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let values = block_in_place(|| self.decided_values(*range.start(), *range.end()))?;
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = match ProposedBlock::decode(&value_bytes) {
                    Err(_) => SyncedValueOutcome::PeerFault,
                    Ok(b) => {
                        let id = id_of(&value_bytes);
                        block_in_place(|| self.store.put_block(&id, &value_bytes, None))?;
                        // The engine checked the certificate; the block must be of its height. (Its
                        // builder may be another round's proposer: a re-proposed block.)
                        let validity = Validity::from_bool(b.height == height.0);
                        SyncedValueOutcome::Verdict(ProposedValue {
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            value: id,
                            validity,
                        })
                    }
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// The value this node proposes at (`height`, `round`): the one it already built
    /// there (after a restart), else a new block from its mempool.
    fn build(
        &mut self,
        height: Height,
        round: Round,
        deadline: std::time::Instant,
    ) -> Result<ProposedValue<CoveContext>, AppError> {
        let mine: Vec<_> =
            self.store.values_at(height.0)?.into_iter().filter(|v| v.proposer == self.address).collect();
        if let Some(v) = mine.iter().find(|v| v.round == round) {
            return Ok(v.clone());
        }
        // A block built for an earlier round of this height is still a block of this
        // height (its contents do not depend on the round): offer it again rather than
        // run the mempool once more.
        if let Some(v) = mine.into_iter().find(|v| v.validity.is_valid()) {
            let value = ProposedValue { round, ..v };
            if let Some(bytes) = self.store.block(&value.value)? {
                self.store.put_block(&value.value, &bytes, Some(&value))?;
                return Ok(value);
            }
        }
        let head = self.external.head()?;
        let timestamp = unix_now().max(head.timestamp);
        let fee_recipient = EthAddress::from(self.address.0);
        let mut block = ProposedBlock {
            height: height.0,
            timestamp,
            parent_hash: head.hash.unwrap_or_default().0,
            prev_state_root: head.state_root.unwrap_or_default().0,
            proposer: self.address,
            fee_recipient: fee_recipient.into_array(),
            txs: Vec::new(),
        };
        let mut size = block.encode().len();
        // Each transaction costs its tag and length prefix beside its bytes.
        let budget = MAX_BLOCK_BYTES.saturating_sub(size + 5 * MAX_PROPOSAL_TXS);
        let (txs, prepared) =
            self.external.propose(MAX_PROPOSAL_TXS, budget, timestamp, fee_recipient, Some(deadline))?;
        let proposed = txs.len();
        for t in txs {
            let raw = Bytes::from(t.raw);
            size += raw.len() + 5;
            if size > MAX_BLOCK_BYTES {
                break;
            }
            let native = raw.starts_with(&node::native::NATIVE_MAGIC[..]);
            block.txs.push(if native { BlockTx::Native(raw) } else { BlockTx::Eth(raw) });
        }
        let bytes = block.encode();
        let id = id_of(&bytes);
        let value = ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer: self.address,
            value: id,
            validity: Validity::Valid,
        };
        self.store.put_block(&id, &bytes, Some(&value))?;
        log::info!("proposing block {} round {round} with {} txs ({id})", height.0, block.txs.len());
        if let Some(p) = prepared.filter(|_| block.txs.len() == proposed) {
            self.keep(id, p);
        }
        Ok(value)
    }

    /// Streams block `id` as the proposal of (`height`, `round`).
    async fn stream(
        &self,
        network: &tokio::sync::mpsc::Sender<NetworkMsg<CoveContext>>,
        height: Height,
        round: Round,
        pol_round: Round,
        id: &BlockId,
    ) -> Result<(), AppError> {
        let Some(bytes) = block_in_place(|| self.store.block(id))? else {
            log::warn!("cannot restream block {id}: not kept");
            return Ok(());
        };
        let mut sid = height.0.to_be_bytes().to_vec();
        sid.extend_from_slice(&round.as_u32().unwrap_or(u32::MAX).to_be_bytes());
        let sid = StreamId::new(Bytes::from(sid));
        let mut parts = vec![ProposalPart::Init { height, round, pol_round, proposer: self.address }];
        parts.extend(bytes.chunks(MAX_PART_BYTES).map(|c| ProposalPart::Data(Bytes::copy_from_slice(c))));
        parts.push(ProposalPart::Fin { signature: self.cfg.signer.sign_parts(height, round, id) });
        let n = parts.len() as u64;
        let mut msgs: Vec<StreamMessage<ProposalPart>> = parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| StreamMessage::new(sid.clone(), i as u64, StreamContent::Data(p)))
            .collect();
        msgs.push(StreamMessage::new(sid, n, StreamContent::Fin));
        for m in msgs {
            network.send(NetworkMsg::PublishProposalPart(m)).await.map_err(|_| AppError::EngineGone)?;
        }
        Ok(())
    }

    /// Adds `msg` to its stream; returns the proposal once every part is in.
    fn reassemble(&mut self, peer: PeerId, msg: StreamMessage<ProposalPart>) -> Option<Assembled> {
        let key = (peer.to_bytes(), msg.stream_id.clone());
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            let oldest = self.streams.iter().min_by_key(|(_, p)| p.born).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.streams.remove(&k);
            }
        }
        self.born += 1;
        let born = self.born;
        let partial =
            self.streams.entry(key.clone()).or_insert_with(|| Partial { born, ..Partial::default() });
        if let StreamContent::Data(ProposalPart::Data(b)) = &msg.content {
            partial.bytes += b.len();
        }
        if partial.bytes > MAX_BLOCK_BYTES {
            self.streams.remove(&key);
            return None;
        }
        partial.parts.insert(msg.sequence, msg.content);
        let (&last, fin) = partial.parts.last_key_value()?;
        if !fin.is_fin() || partial.parts.len() as u64 != last + 1 {
            return None;
        }
        let partial = self.streams.remove(&key)?;
        let mut parts = partial.parts.into_values().filter_map(|c| c.into_data());
        let Some(ProposalPart::Init { height, round, pol_round, proposer }) = parts.next() else {
            return None;
        };
        let mut block = Vec::new();
        let mut signature = None;
        for p in parts {
            match (p, signature) {
                (ProposalPart::Data(b), None) => block.extend_from_slice(&b),
                (ProposalPart::Fin { signature: s }, None) => signature = Some(s),
                _ => return None,
            }
        }
        Some(Assembled {
            height,
            round,
            pol_round,
            proposer,
            block: Bytes::from(block),
            signature: signature?,
        })
    }

    /// Checks a reassembled proposal for the current height: `None` if it is not the
    /// round's proposer's (ignored), else its verdict, kept with the block.
    fn check(&mut self, a: Assembled) -> Result<Option<ProposedValue<CoveContext>>, AppError> {
        let expected = CoveContext.select_proposer(&self.cfg.validators, a.height, a.round);
        let id = id_of(&a.block);
        if expected.address != a.proposer
            || !self.verifier.verify_parts(a.height, a.round, &id, &a.signature, &expected.public_key)
        {
            log::warn!("ignored a proposal for {} round {} not signed by its proposer", a.height, a.round);
            return Ok(None);
        }
        let validity = match self.validate(&a) {
            Ok(prepared) => {
                self.keep(id, prepared);
                Validity::Valid
            }
            Err(why) => {
                log::warn!("block {id} proposed at {} round {} is invalid: {why}", a.height, a.round);
                Validity::Invalid
            }
        };
        let value = ProposedValue {
            height: a.height,
            round: a.round,
            valid_round: a.pol_round,
            proposer: a.proposer,
            value: id,
            validity,
        };
        self.store.put_block(&id, &a.block, Some(&value))?;
        Ok(Some(value))
    }

    /// Keeps the executed block `id` for its commit, making room if needed.
    fn keep(&mut self, id: BlockId, prepared: Prepared) {
        if !self.prepared.contains_key(&id) && self.prepared.len() >= MAX_PREPARED {
            let lowest = self.prepared.iter().min_by_key(|(_, p)| p.height()).map(|(k, _)| *k);
            if let Some(k) = lowest {
                self.prepared.remove(&k);
            }
        }
        self.prepared.insert(id, prepared);
    }

    /// Why block `a` may not be voted for, if it may not; else the block as it ran.
    fn validate(&self, a: &Assembled) -> Result<Prepared, String> {
        let block = ProposedBlock::decode(&a.block).map_err(|e| e.to_string())?;
        let head = self.external.head().map_err(|e| e.to_string())?;
        if block.height != a.height.0 || block.height != head.number + 1 {
            return Err(format!("height {} does not follow the head {}", block.height, head.number));
        }
        if B256::from(block.prev_state_root) != head.state_root.unwrap_or_default() {
            return Err("it builds on another state root".into());
        }
        if B256::from(block.parent_hash) != head.hash.unwrap_or_default() {
            return Err("it builds on another parent".into());
        }
        if block.timestamp < head.timestamp || block.timestamp > unix_now() + MAX_FUTURE_SECS {
            return Err(format!("time {} is out of range", block.timestamp));
        }
        let txs = decode_txs(&self.external, &block)?;
        match self.external.prepare(block.timestamp, EthAddress::from(block.fee_recipient), &txs) {
            Ok(Ok(prepared)) => Ok(prepared),
            Ok(Err(rejected)) => Err(rejected.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn decided(&mut self, cert: &CommitCertificate<CoveContext>) -> Result<(), AppError> {
        let height = cert.height.0;
        let head = self.external.head()?;
        if head.number >= height {
            log::info!("height {height} is already committed");
            return Ok(());
        }
        let bytes = self.store.block(&cert.value_id)?.ok_or(AppError::MissingBlock(cert.value_id, height))?;
        // Recorded first: a crash before the commit below is repaired by `recover`.
        self.store.put_decided(height, &bytes, cert)?;
        let prepared = self.prepared.remove(&cert.value_id);
        commit(&self.external, &bytes, cert, prepared)?;
        self.store.prune_undecided(height)?;
        Ok(())
    }

    fn decided_values(
        &self,
        from: Height,
        to: Height,
    ) -> Result<Vec<RawDecidedValue<CoveContext>>, AppError> {
        let Some((lo, hi)) = self.store.decided_range()? else { return Ok(Vec::new()) };
        let (from, to) = (from.0.max(lo), to.0.min(hi));
        let mut out = Vec::new();
        for h in from..=to {
            let Some((bytes, cert)) = self.store.decided(h)? else { break };
            let cert =
                ExtendedCommitCertificate::from_commit_certificate_and_extensions(cert, Default::default());
            out.push(RawDecidedValue::new(Bytes::from(bytes), cert));
        }
        Ok(out)
    }
}

/// Commits decided block `bytes` (certified by `cert`) through the node, after checking
/// it builds on this node's state: from `prepared` (the block as it ran when this node
/// built or checked it) if the state it ran on is still the committed one, else by
/// running it. Returns whether the kept block was committed.
fn commit(
    external: &External,
    bytes: &[u8],
    cert: &CommitCertificate<CoveContext>,
    prepared: Option<Prepared>,
) -> Result<bool, AppError> {
    let height = cert.height.0;
    let block = ProposedBlock::decode(bytes).map_err(|_| AppError::MissingBlock(cert.value_id, height))?;
    let head = external.head()?;
    let local = head.state_root.unwrap_or_default();
    let decided = B256::from(block.prev_state_root);
    if block.height != height || height != head.number + 1 {
        return Err(AppError::OutOfOrder { height, head: head.number });
    }
    if decided != local {
        return Err(AppError::Diverged { height, decided, local });
    }
    let (parent, head_hash) = (B256::from(block.parent_hash), head.hash.unwrap_or_default());
    if parent != head_hash {
        return Err(AppError::ParentDiverged { height, decided: parent, local: head_hash });
    }
    let kept = match prepared {
        Some(p) if p.height() == height => {
            external.commit_prepared(p).map_err(|e| AppError::Commit(height, e))?
        }
        _ => None,
    };
    let reused = kept.is_some();
    let stored = match kept {
        Some(stored) => stored,
        None => {
            let txs =
                decode_txs(external, &block).map_err(|_| AppError::MissingBlock(cert.value_id, height))?;
            external
                .commit(block.timestamp, EthAddress::from(block.fee_recipient), &txs)
                .map_err(|e| AppError::Commit(height, e))?
        }
    };
    log::info!(
        "committed block {height} txs={} root={} reused={reused}",
        stored.txs.len(),
        stored.state_root.unwrap_or_default()
    );
    Ok(reused)
}

fn decode_txs(external: &External, block: &ProposedBlock) -> Result<Vec<SignedTx>, String> {
    block
        .txs
        .iter()
        .map(|t| {
            let raw = match t {
                BlockTx::Eth(r) | BlockTx::Native(r) => r,
            };
            external.decode(raw).map_err(|e| e.to_string())
        })
        .collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use malachitebft_app_channel::app::types::core::CommitCertificate;

    use super::*;

    fn open(dir: &std::path::Path) -> node::Node {
        let mut c = node::NodeConfig::new(dir.to_path_buf());
        c.mining = node::Mining::External;
        c.dev = true;
        c.genesis_time = Some(1_700_000_000);
        node::Node::open(c).unwrap()
    }

    fn block_on(external: &External, prev_state_root: [u8; 32]) -> (Vec<u8>, CommitCertificate<CoveContext>) {
        let head = external.head().unwrap();
        let block = ProposedBlock {
            height: head.number + 1,
            timestamp: head.timestamp + 1,
            parent_hash: head.hash.unwrap_or_default().0,
            prev_state_root,
            proposer: Address([1; 20]),
            fee_recipient: [2; 20],
            txs: Vec::new(),
        };
        certified(&block)
    }

    /// `block`'s bytes and a certificate deciding it at round 0.
    fn certified(block: &ProposedBlock) -> (Vec<u8>, CommitCertificate<CoveContext>) {
        let bytes = block.encode();
        let cert = CommitCertificate {
            height: Height(block.height),
            round: Round::new(0),
            value_id: id_of(&bytes),
            commit_signatures: Vec::new(),
        };
        (bytes, cert)
    }

    #[test]
    fn a_decided_block_on_another_root_halts_and_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(dir.path());
        let external = node.external();
        let before = external.head().unwrap();
        let (bytes, cert) = block_on(&external, [9; 32]);
        let err = commit(&external, &bytes, &cert, None).unwrap_err();
        assert!(matches!(err, AppError::Diverged { height, .. } if height == before.number + 1), "{err}");
        assert!(err.to_string().contains("state diverged at height"), "{err}");
        assert_eq!(external.head().unwrap().number, before.number);
    }

    #[test]
    fn a_decided_block_on_another_parent_halts_and_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(dir.path());
        let external = node.external();
        let before = external.head().unwrap();
        let (bytes, _) = block_on(&external, before.state_root.unwrap_or_default().0);
        let mut block = ProposedBlock::decode(&bytes).unwrap();
        block.parent_hash = [7; 32];
        let (bytes, cert) = certified(&block);
        let err = commit(&external, &bytes, &cert, None).unwrap_err();
        assert!(
            matches!(err, AppError::ParentDiverged { height, .. } if height == before.number + 1),
            "{err}"
        );
        assert!(err.to_string().contains("chain diverged at height"), "{err}");
        assert_eq!(external.head().unwrap().number, before.number);
    }

    #[test]
    fn a_decided_block_kept_from_its_check_commits_without_running_again() {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (na, nb) = (open(da.path()), open(db.path()));
        let (ea, eb) = (na.external(), nb.external());
        let root = ea.head().unwrap().state_root.unwrap_or_default().0;
        let (bytes, cert) = block_on(&ea, root);
        let block = ProposedBlock::decode(&bytes).unwrap();
        let fee = EthAddress::from(block.fee_recipient);
        let kept = ea.prepare(block.timestamp, fee, &[]).unwrap().unwrap();
        assert!(commit(&ea, &bytes, &cert, Some(kept)).unwrap(), "the kept block is committed");
        assert!(!commit(&eb, &bytes, &cert, None).unwrap(), "without one the block runs");
        let (a, b) = (ea.head().unwrap(), eb.head().unwrap());
        assert_eq!((a.number, a.state_root, a.hash), (b.number, b.state_root, b.hash));
        // One kept on a state that moved since is not used: the block runs on the head.
        let root = a.state_root.unwrap_or_default().0;
        let stale = ea.prepare(a.timestamp + 1, fee, &[]).unwrap().unwrap();
        let (bytes, cert) = block_on(&ea, root);
        commit(&ea, &bytes, &cert, None).unwrap();
        let (bytes2, cert2) = block_on(&ea, ea.head().unwrap().state_root.unwrap_or_default().0);
        assert!(!commit(&ea, &bytes2, &cert2, Some(stale)).unwrap());
        assert_eq!(ea.head().unwrap().number, cert2.height.0);
    }

    #[test]
    fn a_decided_block_commits_once_and_chains_its_root() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(dir.path());
        let external = node.external();
        let root = external.head().unwrap().state_root.unwrap_or_default().0;
        let (bytes, cert) = block_on(&external, root);
        commit(&external, &bytes, &cert, None).unwrap();
        let head = external.head().unwrap();
        assert_eq!(head.number, cert.height.0);
        // The same decided block again is refused: it no longer follows the head.
        let err = commit(&external, &bytes, &cert, None).unwrap_err();
        assert!(matches!(err, AppError::OutOfOrder { .. }), "{err}");
        assert_eq!(external.head().unwrap().number, cert.height.0);
        // Recorded but not committed (a crash between the two): `recover` applies it once.
        let (bytes2, cert2) = block_on(&external, head.state_root.unwrap_or_default().0);
        let store = Store::open(dir.path()).unwrap();
        store.put_decided(cert2.height.0, &bytes2, &cert2).unwrap();
        assert_eq!(recover(&external, &store).unwrap(), Height(cert2.height.0 + 1));
        assert_eq!(recover(&external, &store).unwrap(), Height(cert2.height.0 + 1));
        assert_eq!(external.head().unwrap().number, cert2.height.0);
    }
}
