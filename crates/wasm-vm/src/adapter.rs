//! The WASM VM behind [`VirtualMachine`]: `cove-wasm` plus the module cache.

use state::Journal;
use types::{Address, CallError, CodeId, ErrorKind, Gas, VmType};
use vm::{
    AppFlags, CacheStats, CompiledModules, ContractInfo, Env, LibraryCall, Message, Outcome, Target, Tier,
    VirtualMachine, VmError, VmVersion, accounts, keys,
};
use wasm::profile::{FunctionNames, GasProfile};
use wasm::{CallContext, Vm};

use crate::coverage::Coverage;
use crate::view::ContractView;

/// The module cache of cove's ABI.
pub type ModuleCache = cache::ModuleCache<Vm<ContractView>>;

/// cove's WebAssembly VM: compiled modules from the tiered cache, one fresh instance
/// per call, each contract's storage under its own key prefix.
pub struct WasmVm {
    modules: ModuleCache,
    default_gas_limit: Gas,
    /// Set once coverage is on: every call then runs from a coverage compile.
    coverage: std::sync::OnceLock<Coverage>,
}

impl WasmVm {
    /// A VM over `modules`, running calls that name no gas limit with `default_gas_limit`.
    pub fn new(modules: ModuleCache, default_gas_limit: Gas) -> WasmVm {
        WasmVm { modules, default_gas_limit, coverage: Default::default() }
    }

    /// Turns coverage on for the rest of this VM's life ([`crate::coverage`]): every
    /// call that follows runs from a coverage compile of its code and counts what it
    /// ran, with the result, gas and effects of an ordinary call. Returns the session.
    pub fn enable_coverage(&self) -> &Coverage {
        self.coverage.get_or_init(Coverage::default)
    }

    /// The coverage session, if coverage is on.
    pub fn coverage(&self) -> Option<&Coverage> {
        self.coverage.get()
    }

    /// The module cache.
    pub fn modules(&self) -> &ModuleCache {
        &self.modules
    }

    /// The underlying VM.
    pub fn vm(&self) -> &Vm<ContractView> {
        self.modules.linker()
    }

    /// The most bytes a module may have (`[wasm.limits] max_code_bytes`), also the bound
    /// of a gzip-compressed module's inflated size.
    fn max_code_bytes(&self) -> usize {
        self.vm().engine().config().limits.max_code_bytes
    }

    /// Stores `code` (gzip-compressed or not, [`VirtualMachine::store_code`]) and
    /// instantiates a contract of it with `flags` ([`WasmVm::instantiate`]), paying
    /// [`WasmVm::store_priced`]'s deploy gas first out of the message's gas; the init
    /// entry point runs with what is left. The caller reverts a failure.
    pub fn create(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        code: &[u8],
        flags: AppFlags,
    ) -> Result<Outcome, VmError> {
        let gas_limit = msg.gas_limit.unwrap_or(self.default_gas_limit);
        let (stored, deploy_gas) = self.store_priced(state, code, gas_limit).map_err(engine_fault)?;
        let id = match stored {
            Ok(id) => id,
            Err(e) => return Ok(Outcome { gas_used: deploy_gas, ..Outcome::failed(e) }),
        };
        let msg = Message { gas_limit: Some(gas_limit - deploy_gas), ..msg };
        let mut outcome = self.instantiate(state, env, msg, id, None, flags).map_err(engine_fault)?;
        outcome.gas_used = outcome.gas_used.saturating_add(deploy_gas);
        Ok(outcome)
    }

    /// Stores `code` as [`VirtualMachine::store_code`] does, after charging its deploy
    /// gas ([`wasm::DeployCosts::of`] its inflated size, `docs/gas.md`) against
    /// `gas_limit`, before the module is validated or compiled. Returns the
    /// outcome and the gas used: all of `gas_limit`, storing nothing, if the deploy gas
    /// is above it (kind `out_of_gas`); the deploy gas otherwise, whether or not the
    /// module then passes validation.
    pub fn store_priced(
        &self,
        state: &mut Journal,
        code: &[u8],
        gas_limit: Gas,
    ) -> Result<(Result<CodeId, CallError>, Gas), VmError> {
        let code = match wasm::inflate_code(code, self.max_code_bytes()) {
            Ok(code) => code,
            Err(e) => return Ok((Err(e), 0)),
        };
        let cost = self.vm().engine().config().gas.deploy.of(code.len());
        if cost > gas_limit {
            let e = format!(
                "storing {} bytes of code costs {cost} gas (wasm.gas.deploy); the limit is {gas_limit}",
                code.len()
            );
            return Ok((Err(CallError::new(ErrorKind::OutOfGas, e)), gas_limit));
        }
        Ok((self.store_inflated(state, &code)?, cost))
    }

    /// Validates, instruments, compiles and stores the inflated module `code`.
    fn store_inflated(&self, state: &mut Journal, code: &[u8]) -> Result<Result<CodeId, CallError>, VmError> {
        let id = CodeId::of(code);
        if let Err(e) = self.modules.prepare(id, code)? {
            return Ok(Err(CallError::new(ErrorKind::Validation, e.to_string())));
        }
        let key = keys::code(&id);
        if state.get(&key)?.is_none() {
            state.set(&key, code);
        }
        Ok(Ok(id))
    }

    /// Creates a contract from the stored code `code_id` at `address` (by default
    /// `Address::contract(sender, nonce)`, bumping the sender's nonce), records it with
    /// the sender as creator and admin and with `flags` (in force before its init runs),
    /// and runs `msg.entry` (the init entry point; empty for none) with `msg.value`.
    /// Fails with `not_found` if no such code is stored, `validation` if it is not code
    /// of cove's ABI, `invalid_argument` if `address` already holds a contract. The
    /// caller reverts a failure.
    pub fn instantiate(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        code_id: CodeId,
        address: Option<Address>,
        flags: AppFlags,
    ) -> Result<Outcome, VmError> {
        let Some(code) = state.get(&keys::code(&code_id))? else {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::NotFound,
                format!("no stored code {code_id}"),
            )));
        };
        if let Err(e) = self.modules.prepare(code_id, &code)? {
            return Ok(Outcome::failed(CallError::new(ErrorKind::Validation, e.to_string())));
        }
        let address = match address {
            Some(address) => address,
            None => {
                let nonce_key = keys::nonce(&msg.sender);
                let nonce = state.get(&nonce_key)?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
                state.set(&nonce_key, &(nonce + 1).to_be_bytes());
                Address::contract(&msg.sender, nonce)
            }
        };
        if vm::load_contract(state, &address)?.is_some() {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::InvalidArgument,
                format!("a contract already exists at {address}"),
            )));
        }
        let info = ContractInfo {
            vm: VmType::Wasm,
            code_id,
            creator: msg.sender,
            admin: Some(msg.sender),
            created_height: env.block.height,
            flags,
        };
        state.set(&keys::contract(&address), &info.encode());
        let mut outcome = if msg.entry.is_empty() {
            match transfer(state, &msg.sender, &address, msg.value)? {
                Ok(()) => Outcome::done(None, None),
                Err(e) => Outcome::failed(e),
            }
        } else {
            self.call(state, env, Message { target: Target::Call(address), ..msg }, address, &info)?
        };
        if outcome.is_ok() {
            outcome.address = Some(address);
            outcome.code_id = Some(code_id);
        }
        Ok(outcome)
    }

    fn call(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        address: Address,
        info: &ContractInfo,
    ) -> Result<Outcome, VmError> {
        let gas_limit = msg.gas_limit.unwrap_or(self.default_gas_limit);
        if msg.entry.is_empty() && info.flags.public {
            return self.plain_transfer(state, &msg, address, gas_limit);
        }
        if let Err(e) = transfer(state, &msg.sender, &address, msg.value)? {
            return Ok(Outcome::failed(e));
        }
        let ctx = CallContext {
            caller: msg.sender,
            contract: address,
            block: *env.block,
            read_only: msg.read_only,
        };
        self.run(state, env, &info.code_id, &ctx, msg.entry, msg.input, gas_limit)
    }

    /// A message with no entry point to a public contract: its value moves, no code
    /// runs, and it costs the price of the two balance writes (`docs/gas.md`).
    fn plain_transfer(
        &self,
        state: &mut Journal,
        msg: &Message<'_>,
        address: Address,
        gas_limit: Gas,
    ) -> Result<Outcome, VmError> {
        let gas = 2 * self.vm().engine().config().gas.host.storage_write;
        if gas > gas_limit {
            let e = format!("a transfer to a public contract costs {gas} gas; the limit is {gas_limit}");
            let mut out = Outcome::failed(CallError::new(ErrorKind::OutOfGas, e));
            out.gas_used = gas_limit;
            return Ok(out);
        }
        if msg.read_only && !msg.value.is_zero() {
            let e = "a read-only message cannot send value";
            return Ok(Outcome::failed(CallError::new(ErrorKind::ReadOnly, e)));
        }
        let mut out = match transfer(state, &msg.sender, &address, msg.value)? {
            Ok(()) => Outcome::done(None, None),
            Err(e) => Outcome::failed(e),
        };
        out.gas_used = gas;
        Ok(out)
    }

    /// Runs the code of the importable WASM contract `library` in the context of
    /// `call.sender`: its address, its storage, its caller `call.caller`. No value moves.
    /// Fails with `not_found` if `library` holds no contract, `unauthorized` if it is
    /// not importable, `invalid_argument` if it is not a contract of cove's ABI. The
    /// caller reverts a failure.
    pub fn library_call(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        call: LibraryCall<'_>,
        library: Option<&ContractInfo>,
    ) -> Result<Outcome, VmError> {
        let refused = |kind, message: String| Ok(Outcome::failed(CallError::new(kind, message)));
        let Some(info) = library else {
            return refused(ErrorKind::NotFound, format!("no contract at {}", call.library));
        };
        if info.vm != VmType::Wasm {
            let m = format!(
                "{} is an {} contract; only cove's ABI code runs as a library",
                call.library, info.vm
            );
            return refused(ErrorKind::InvalidArgument, m);
        }
        if !info.flags.importable {
            return refused(ErrorKind::Unauthorized, format!("{} is not importable", call.library));
        }
        let ctx = CallContext {
            caller: call.caller,
            contract: call.sender,
            block: *env.block,
            read_only: call.read_only,
        };
        self.run(state, env, &info.code_id, &ctx, call.entry, call.input, call.gas_limit)
    }

    /// Runs `entry` of the code `code_id` as `ctx.contract`, in its storage.
    #[expect(clippy::too_many_arguments, reason = "the parts of one run; callers build them differently")]
    fn run(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        code_id: &CodeId,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
    ) -> Result<Outcome, VmError> {
        let covered = match self.coverage.get() {
            Some(coverage) => coverage.module(self.vm(), code_id, &|| stored_code(state, code_id))?,
            None => None,
        };
        let plain = match covered {
            Some(_) => None,
            None => Some(self.modules.for_call(code_id, &|| stored_code(state, code_id))?),
        };
        let taken = std::mem::replace(state, Journal::stand_in());
        let view = ContractView::new(taken, keys::storage_prefix(&ctx.contract)).in_env(env);
        let (view, outcome) = match (covered, plain) {
            (Some(c), _) => {
                self.vm().call_covered(&c.module, ctx, entry, input, gas_limit, view, c.counts.clone())
            }
            (None, module) => match module {
                Some(module) => self.vm().call(&module, ctx, entry, input, gas_limit, view),
                None => (view, Err(wasm::VmError::Engine("no module to run".into()))),
            },
        };
        *state = view.journal;
        let o = outcome.map_err(|e| match e {
            wasm::VmError::Storage(s) => VmError::Storage(s),
            e => VmError::Engine(e.to_string()),
        })?;
        Ok(Outcome { result: o.result, gas_used: o.gas_used, events: o.events, address: None, code_id: None })
    }

    /// Runs `msg`, a call of the contract `info` at its target, as [`VirtualMachine::execute`]
    /// would, on a profiling compile of its code that bypasses the module cache, and
    /// returns the outcome with its gas profile (whose total is the outcome's `gas_used`).
    /// The root frame is `[ENTRY]`. Contracts it calls run ordinarily: their gas shows
    /// under the `call` host function. What the call wrote stays in `state`, which the
    /// caller discards.
    pub fn profile(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        info: &ContractInfo,
    ) -> Result<(Outcome, GasProfile), VmError> {
        let root = format!("[{}]", msg.entry);
        let Target::Call(address) = msg.target else {
            let e = CallError::new(ErrorKind::InvalidArgument, "only a call of a contract is profiled");
            return Ok((Outcome::failed(e), GasProfile::default()));
        };
        if let Err(e) = transfer(state, &msg.sender, &address, msg.value)? {
            return Ok((Outcome::failed(e), GasProfile::default()));
        }
        let code = stored_code(state, &info.code_id)?;
        let compiled = self
            .vm()
            .engine()
            .compile_profiling_for(&code, &wasm::abi::COVE)
            .map_err(|e| VmError::Corrupt(format!("code {} no longer validates: {e}", info.code_id)))?;
        let module = self.vm().link(&compiled).map_err(|e| VmError::Engine(e.to_string()))?;
        let ctx = CallContext {
            caller: msg.sender,
            contract: address,
            block: *env.block,
            read_only: msg.read_only,
        };
        let gas_limit = msg.gas_limit.unwrap_or(self.default_gas_limit);
        let taken = std::mem::replace(state, Journal::stand_in());
        let view = ContractView::new(taken, keys::storage_prefix(&address)).in_env(env);
        let (view, outcome) = self.vm().call_profiled(&module, &ctx, msg.entry, msg.input, gas_limit, view);
        *state = view.journal;
        let (o, profile) = outcome.map_err(|e| match e {
            wasm::VmError::Storage(s) => VmError::Storage(s),
            e => VmError::Engine(e.to_string()),
        })?;
        let profile = profile.map(|p| p.named(&FunctionNames::of(&code), &root)).unwrap_or_default();
        let outcome = Outcome {
            result: o.result,
            gas_used: o.gas_used,
            events: o.events,
            address: None,
            code_id: None,
        };
        Ok((outcome, profile))
    }
}

impl VirtualMachine for WasmVm {
    fn vm_type(&self) -> VmType {
        VmType::Wasm
    }

    fn vm_version(&self) -> VmVersion {
        VmVersion {
            vm: VmType::Wasm,
            engine: format!("wasmtime {}", wasm::WASMTIME_VERSION),
            detail: format!("instrumentation v{}", wasm::INSTRUMENT_VERSION),
        }
    }

    fn default_gas_limit(&self) -> Gas {
        self.default_gas_limit
    }

    fn validate_code(&self, code: &[u8]) -> Result<(), CallError> {
        let code = wasm::inflate_code(code, self.max_code_bytes())?;
        self.modules.validate(CodeId::of(&code), &code)
    }

    fn execute(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError> {
        let result = match msg.target {
            Target::Create(code) => self.create(state, env, msg, code, AppFlags::DEFAULT),
            Target::Call(address) => {
                // The runtime passes the record it loaded to dispatch; load it only if not.
                let loaded = match msg.callee {
                    Some(_) => None,
                    None => vm::load_contract(state, &address)?,
                };
                match msg.callee.or(loaded.as_ref()) {
                    Some(info) if info.vm == VmType::Wasm => self.call(state, env, msg, address, info),
                    _ => Ok(Outcome::failed(CallError::new(
                        ErrorKind::NotFound,
                        format!("no WASM contract at {address}"),
                    ))),
                }
            }
        };
        result.map_err(engine_fault)
    }

    fn modules(&self) -> Option<&dyn CompiledModules> {
        Some(self)
    }

    fn upgradable(&self) -> bool {
        true
    }

    /// Inflates `code` if it is gzip-compressed (bounded by `max_code_bytes`), then
    /// validates, compiles and caches it and stores it (once per distinct code). The id
    /// is that of the inflated module.
    fn store_code(&self, state: &mut Journal, code: &[u8]) -> Result<Result<CodeId, CallError>, VmError> {
        match wasm::inflate_code(code, self.max_code_bytes()) {
            Ok(code) => self.store_inflated(state, &code),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl CompiledModules for WasmVm {
    /// Any stored code: cove's ABI records nothing beside the code itself, so a VM whose
    /// code has a record of its own is registered before this one.
    fn claims(&self, state: &Journal, code_id: &CodeId) -> Result<bool, VmError> {
        Ok(state.get(&keys::code(code_id))?.is_some())
    }

    fn pin(&self, state: &Journal, code_id: &CodeId) -> Result<(), VmError> {
        self.modules.pin(code_id, &|| stored_code(state, code_id))
    }

    fn unpin(&self, code_id: &CodeId) -> Result<bool, VmError> {
        Ok(self.modules.unpin(code_id)?)
    }

    fn clear(&self) -> Result<(), VmError> {
        Ok(self.modules.clear()?)
    }

    fn tier(&self, code_id: &CodeId) -> Option<Tier> {
        self.modules.tier(code_id)
    }

    fn settle(&self) {
        self.modules.settle();
    }

    fn stats(&self) -> CacheStats {
        self.modules.stats()
    }
}

/// A module the cache cannot produce for a message is the engine's failure.
fn engine_fault(e: VmError) -> VmError {
    match e {
        VmError::Cache(e) => VmError::Engine(e.to_string()),
        e => e,
    }
}

/// Moves `value` from `from` to `to`; a failure if `from` has too little.
pub fn transfer(
    state: &mut Journal,
    from: &Address,
    to: &Address,
    value: vm::Balance,
) -> Result<Result<(), CallError>, VmError> {
    if value.is_zero() {
        return Ok(Ok(()));
    }
    let have = accounts::balance(state, from)?;
    let Some(left) = have.checked_sub(value) else {
        return Ok(Err(CallError::new(
            ErrorKind::InvalidArgument,
            format!("insufficient balance: {from} has {have}, the message sends {value}"),
        )));
    };
    accounts::set_balance(state, from, left)?;
    let Some(credited) = accounts::balance(state, to)?.checked_add(value) else {
        return Ok(Err(CallError::new(
            ErrorKind::InvalidArgument,
            format!("the balance of {to} would overflow"),
        )));
    };
    accounts::set_balance(state, to, credited)?;
    Ok(Ok(()))
}

/// The wasm of `id` as stored (the cache checks it against `id`).
pub fn stored_code(journal: &Journal, id: &CodeId) -> Result<Vec<u8>, VmError> {
    journal
        .get(&keys::code(id))?
        .ok_or_else(|| VmError::Corrupt(format!("code {id} is referenced but not stored")))
}
