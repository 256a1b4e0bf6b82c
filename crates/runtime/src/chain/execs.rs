//! The VMs of each execution configuration a runtime has run: one [`Exec`] per distinct
//! configuration (by hash), built the first time a block or a query at one of its heights
//! needs it and kept for the runtime's life, so that `&Exec` can be handed out for as long
//! as the runtime is borrowed.
//!
//! This module builds and keeps the VMs; which configuration applies at a height is
//! `chain::versions`' and the runtime's business.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use types::BlockInfo;
use vm::{AppFlags, Env, Message, Target};

use super::config::ExecutionConfig;
use crate::config::check_gas_limit;
use crate::{Config, Receipt, RuntimeError, VmFactory};

/// One execution configuration, ready to run: the node's configuration with the chain's
/// execution settings of one version, and the VMs built from it.
pub(crate) struct Exec {
    pub(crate) config: Config,
    pub(crate) vms: Arc<VmFactory>,
    /// `vms` again, as the dispatch every message's [`vm::Env`] carries.
    pub(crate) dispatch: Arc<dyn vm::Dispatch>,
    /// Where the VMs' module caches keep their disk tier.
    cache_dir: Option<PathBuf>,
    /// The same VMs again, one set per worker thread of parallel batches ([`Exec::lane`]).
    lanes: OnceLock<Vec<Exec>>,
}

impl Exec {
    /// Builds the VMs of `config`, their module caches' disk tiers under `cache_dir`.
    pub(crate) fn new(config: Config, cache_dir: Option<&Path>) -> Result<Exec, RuntimeError> {
        config.block.validate().map_err(RuntimeError::Config)?;
        let vms = Arc::new(VmFactory::new(&config, cache_dir)?);
        let dispatch: Arc<dyn vm::Dispatch> = vms.clone();
        let cache_dir = cache_dir.map(Path::to_path_buf);
        Ok(Exec { config, vms, dispatch, cache_dir, lanes: OnceLock::new() })
    }

    /// Lane `i` of `n`: this configuration's VMs built again for worker thread `i` of a
    /// parallel batch (`n` of them, built at the first call). Threads that run contracts
    /// on one wasmtime engine write the same reference counts and pool state at every
    /// instantiation (the engine's types and instance pool, each module's code), and so
    /// slow each other down; a lane's engines and module caches are its own. Its module
    /// caches share the disk tier (an artifact written by one is loaded by the others)
    /// but keep their own memory tiers and statistics. The same configuration gives the
    /// same compiled code, so a call's result, gas and effects are the same on every
    /// lane. A lane that cannot be built is this `Exec` itself. (No batch runs in
    /// parallel while coverage is on, so coverage counts on this `Exec`'s VMs alone.)
    /// The runtime's cache statistics and pins (`cove cache`) are this `Exec`'s;
    /// clearing and settling reach its lanes too ([`Exec::and_lanes`]). A lane's memory
    /// tiers hold up to the same `[cache]` limits.
    pub(crate) fn lane(&self, i: usize, n: usize) -> &Exec {
        let lanes = self.lanes.get_or_init(|| {
            (0..n)
                .map_while(|_| match Exec::new(self.config.clone(), self.cache_dir.as_deref()) {
                    Ok(exec) => Some(exec),
                    Err(e) => {
                        log::warn!("parallel execution shares one set of VMs: {e}");
                        None
                    }
                })
                .collect()
        });
        lanes.get(i).unwrap_or(self)
    }

    /// This `Exec` and the lanes built from it so far: every set of VMs of its
    /// configuration, for what reaches each one's caches (settling background
    /// compiles, clearing).
    pub(crate) fn and_lanes(&self) -> impl Iterator<Item = &Exec> {
        std::iter::once(self).chain(self.lanes.get().into_iter().flatten())
    }

    /// Runs a call in `journal` on the VM the contract was deployed with, reverting it
    /// on failure. Shared by blocks and queries.
    pub(crate) fn execute(
        &self,
        journal: &mut state::Journal,
        block: &BlockInfo,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        self.vms.execute(journal, &Env::new(block, &self.dispatch), msg)
    }

    /// Instantiates stored code `code_id` for `msg` (its sender, init entry point,
    /// input, value and gas; its target is ignored) at the sender's next
    /// nonce-derived address with `flags`, reverting everything it did if it fails.
    pub(crate) fn instantiate(
        &self,
        journal: &mut state::Journal,
        block: &BlockInfo,
        msg: Message<'_>,
        code_id: types::CodeId,
        flags: AppFlags,
    ) -> Result<Receipt, RuntimeError> {
        check_gas_limit(self.config.max_tx_gas, msg.gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let env = Env::new(block, &self.dispatch);
        let wasm = self.vms.wasm();
        Ok(vm::in_checkpoint(journal, Receipt::is_ok, |j| {
            wasm.instantiate(j, &env, msg, code_id, None, flags)
        })?)
    }

    /// Runs the create `msg` on `vm_type` with `flags`, reverting everything it did if
    /// it fails. A WASM contract has its flags before its init entry point runs; a
    /// contract of another VM takes only the defaults (anything else is
    /// [`RuntimeError::InvalidArgument`], running nothing).
    pub(crate) fn create(
        &self,
        journal: &mut state::Journal,
        block: &BlockInfo,
        vm_type: types::VmType,
        msg: Message<'_>,
        flags: AppFlags,
    ) -> Result<Receipt, RuntimeError> {
        if let (types::VmType::Wasm, Target::Create(code)) = (vm_type, msg.target) {
            check_gas_limit(self.config.max_tx_gas, msg.gas_limit).map_err(RuntimeError::InvalidArgument)?;
            let env = Env::new(block, &self.dispatch);
            let wasm = self.vms.wasm();
            return Ok(vm::in_checkpoint(journal, Receipt::is_ok, |j| {
                wasm.create(j, &env, msg, code, flags)
            })?);
        }
        // An EVM contract's calls to EVM contracts run inside the EVM, and CosmWasm's
        // messages between CosmWasm contracts inside CosmWasm, neither of which sees the
        // flags: set on such a contract they would hold for some callers only.
        if flags != AppFlags::DEFAULT {
            return Err(RuntimeError::InvalidArgument(format!(
                "app flags are for contracts of cove's ABI; a {vm_type} contract has the defaults"
            )));
        }
        self.run(journal, block, vm_type, msg)
    }

    /// Runs `msg` on `vm_type` in `journal`, reverting everything it did if it fails.
    pub(crate) fn run(
        &self,
        journal: &mut state::Journal,
        block: &BlockInfo,
        vm_type: types::VmType,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        self.vms.run(journal, &Env::new(block, &self.dispatch), self.vms.get(vm_type), msg)
    }
}

/// Every [`Exec`] a runtime has built, by the hash of its execution configuration: an
/// append-only list whose nodes never move, so `&Exec` borrowed from it lives as long as
/// the runtime without a lock. A handful of nodes in practice (one per version a block or
/// query ran with), so lookups walk it.
pub(crate) struct Execs {
    /// The one built when the runtime was opened: index 0, `head`'s configuration.
    first: Exec,
    /// The list; `head.exec` stays empty (`first` is its `Exec`).
    head: Node,
}

/// One configuration, its `Exec` once built, and the next node.
struct Node {
    hash: [u8; 32],
    exec: OnceLock<Box<Exec>>,
    next: OnceLock<Box<Node>>,
}

impl Node {
    fn new(hash: [u8; 32]) -> Node {
        Node { hash, exec: OnceLock::new(), next: OnceLock::new() }
    }
}

impl Execs {
    /// Starts with `first`, built for the configuration of hash `hash`.
    pub(crate) fn new(first: Exec, hash: [u8; 32]) -> Execs {
        Execs { first, head: Node::new(hash) }
    }

    fn nodes(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(&self.head), |node| node.next.get().map(|b| &**b))
    }

    /// The `Exec` at `index`, if built.
    pub(crate) fn get(&self, index: usize) -> Option<&Exec> {
        match index {
            0 => Some(&self.first),
            i => self.nodes().nth(i)?.exec.get().map(|b| &**b),
        }
    }

    /// The first `Exec` built.
    pub(crate) fn first(&self) -> &Exec {
        &self.first
    }

    /// Every `Exec` built so far.
    pub(crate) fn built(&self) -> impl Iterator<Item = &Exec> {
        std::iter::once(&self.first)
            .chain(self.nodes().skip(1).filter_map(|node| node.exec.get().map(|b| &**b)))
    }

    /// The index and `Exec` of `config` (of hash `hash`) over the node's `local`
    /// configuration, built now if it has not been.
    pub(crate) fn of(
        &self,
        config: &ExecutionConfig,
        hash: [u8; 32],
        local: &Config,
        cache_dir: Option<&Path>,
    ) -> Result<(usize, &Exec), RuntimeError> {
        // Find the node of `hash`, appending one at the end if there is none (another
        // thread may append first: then walk on).
        let mut node = &self.head;
        let mut index = 0;
        while node.hash != hash {
            node = node.next.get_or_init(|| Box::new(Node::new(hash)));
            index += 1;
        }
        if let Some(exec) = self.get(index) {
            return Ok((index, exec));
        }
        // Built outside any lock (an engine takes milliseconds); a racing builder's twin
        // is dropped.
        let exec = Exec::new(config.apply_to(local), cache_dir)?;
        Ok((index, node.exec.get_or_init(|| Box::new(exec))))
    }
}
