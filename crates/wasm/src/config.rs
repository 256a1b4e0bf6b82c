//! Deploy-time limits and the gas schedule.
//!
//! Every value has a documented default and can be overridden (from Rust or from the
//! `[wasm]` table of the CLI's TOML config). Values that change compiled code (the whole
//! [`GasSchedule`] and [`Limits::max_stack_bytes`]) are part of the module's identity:
//! see [`Config::fingerprint`].

use serde::{Deserialize, Serialize};

/// A wasm page: 64 KiB.
pub const WASM_PAGE: u64 = 64 * 1024;

/// The largest per-byte or per-page price accepted in a [`GasSchedule`].
///
/// Dynamic charges multiply a 32-bit count by a price inside instrumented code; keeping
/// prices at or below `2^24` keeps every product below `2^56`, far from `i64` overflow.
pub const MAX_UNIT_PRICE: u64 = 1 << 24;

/// The largest static price of one instruction class accepted in [`OpCosts`].
///
/// A segment's price is the sum of its instructions' prices and is subtracted from the
/// `i64` gas global before the segment runs; one function's segments, all charged
/// between two balance checks at worst, stay below `2^16 x` its instruction count (at
/// most the code size, `2^20` by default): far from wrapping the balance around.
pub const MAX_OP_PRICE: u64 = 1 << 16;

/// The largest base price of a host function accepted in [`HostCosts`].
///
/// Host charges saturate (a charge larger than the gas left ends the call out of gas),
/// so this bound is one of sanity: a price above `2^32` exceeds every gas cap.
pub const MAX_HOST_PRICE: u64 = 1 << 32;

/// The largest conversion rate from EVM gas to cove gas accepted
/// ([`HostCosts::precompile_per_evm_gas`]).
pub const MAX_PRECOMPILE_RATE: u64 = 1 << 10;

/// The blocks of life [`HostCosts::storage_life_per_byte`] prices: a lived entry pays
/// `ceil(bytes x life x storage_life_per_byte / LIFE_PRICE_BLOCKS)`.
pub const LIFE_PRICE_BLOCKS: u64 = 1_024;

/// The longest life, in blocks, a host function of storage with a life accepts
/// (`storage_write_lived`, `storage_extend_life`); 2^32 blocks outlast any chain, and
/// keep `height + life` far from overflow.
pub const MAX_STORAGE_LIFE: u64 = 1 << 32;

/// The largest deterministic stack budget accepted, in accounted bytes.
///
/// The budget is counted in an `i32` global; 256 MiB keeps every sum far from overflow.
pub const MAX_STACK_BUDGET: u32 = 256 * 1024 * 1024;

/// Structural limits checked at deploy, before any code runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted module, in bytes. By default 1 MiB.
    pub max_code_bytes: usize,
    /// Largest linear memory, in bytes, for both the initial size and the maximum a
    /// module declares; a module that declares no maximum is capped here. By default
    /// 32 MiB (512 pages).
    pub max_memory_bytes: u64,
    /// Largest table, in elements (initial and maximum). By default 10,000.
    pub max_table_elements: u32,
    /// Most functions (imported + defined). By default 10,000.
    pub max_functions: u32,
    /// Most globals. By default 256.
    pub max_globals: u32,
    /// Most locals in one function, parameters excluded. By default 1,000.
    pub max_locals: u32,
    /// Most parameters of one function type. By default 64.
    pub max_params: u32,
    /// Deterministic call-stack budget in accounted bytes (see `docs/gas.md`, "Stack
    /// limit"). By default 1 MiB, the seed's stack size.
    pub max_stack_bytes: u32,
    /// Largest function body (locals and code), in bytes. By default 256 KiB.
    /// Compilers' time and memory grow faster than linearly in a function's size.
    pub max_function_body_bytes: u32,
    /// Deepest nesting of `block`, `loop` and `if` in a function (the function's own
    /// frame counts as one). By default 1,024.
    pub max_control_depth: u32,
    /// Most `block`, `loop` and `if` instructions in one function. By default 65,536.
    pub max_blocks_per_function: u32,
    /// Most targets of one `br_table` (its default included). By default 16,384.
    pub max_br_table_targets: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_code_bytes: 1024 * 1024,
            max_memory_bytes: 32 * 1024 * 1024,
            max_table_elements: 10_000,
            max_functions: 10_000,
            max_globals: 256,
            max_locals: 1_000,
            max_params: 64,
            max_stack_bytes: 1024 * 1024,
            max_function_body_bytes: 256 * 1024,
            max_control_depth: 1_024,
            max_blocks_per_function: 65_536,
            max_br_table_targets: 16_384,
        }
    }
}

impl Limits {
    /// The memory limit in wasm pages.
    pub fn max_memory_pages(&self) -> u64 {
        self.max_memory_bytes / WASM_PAGE
    }
}

/// Gas prices of wasm instructions, charged per basic block before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpCosts {
    /// Constants, locals, globals, `drop`, `select`, comparisons, add/sub, bitwise logic,
    /// shifts, conversions, reference ops. By default 1.
    pub base: u64,
    /// Integer and float multiplication. By default 2.
    pub mul: u64,
    /// Division, remainder and square root. By default 5.
    pub div: u64,
    /// Any memory load. By default 10.
    pub load: u64,
    /// Any memory store. By default 20.
    pub store: u64,
    /// `br`, `br_if`, `br_table`, `if`, `return`. By default 1.
    pub branch: u64,
    /// `call` and `call_indirect` (the callee's body is charged on its own), and the
    /// static part of the bulk operations (`memory.grow/copy/fill/init`, `data.drop`,
    /// `table.grow/fill/copy/init`, `elem.drop`), which call into the engine. By default 5.
    pub call: u64,
    /// `memory.size`, `table.size`, `table.get`, `table.set`. By default 2.
    pub table_memory_meta: u64,
    /// `memory.grow`, per page requested (charged even if the grow fails). By default 1,000.
    pub memory_grow_per_page: u64,
    /// `memory.copy`, `memory.fill`, `memory.init`, per byte. By default 1.
    pub bulk_memory_per_byte: u64,
    /// `table.grow`, `table.fill`, `table.copy`, `table.init`, per element. By default 10.
    pub bulk_table_per_element: u64,
}

impl Default for OpCosts {
    fn default() -> Self {
        OpCosts {
            base: 1,
            mul: 2,
            div: 5,
            load: 10,
            store: 20,
            branch: 1,
            call: 5,
            table_memory_meta: 2,
            memory_grow_per_page: 1_000,
            bulk_memory_per_byte: 1,
            bulk_table_per_element: 10,
        }
    }
}

/// Gas prices of host functions: a base price per call plus per-byte prices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostCosts {
    /// Base price of the cheap context calls (`get_caller`, `get_block_number`,
    /// `input_len`, ...). By default 30.
    pub context: u64,
    /// `storage_read` base. By default 300.
    pub storage_read: u64,
    /// Per byte of key and of value returned by `storage_read`. By default 1.
    pub storage_read_per_byte: u64,
    /// `storage_write` base. By default 1,000.
    pub storage_write: u64,
    /// Per byte of key and value written. By default 10.
    pub storage_write_per_byte: u64,
    /// `storage_delete` base. By default 500.
    pub storage_delete: u64,
    /// Storage with a life: gas per byte of key and value per [`LIFE_PRICE_BLOCKS`]
    /// blocks of life bought, rounded up (`docs/gas.md`, "Storage with a life"). By
    /// default 1.
    pub storage_life_per_byte: u64,
    /// `crypto_hash` base. By default 200.
    pub hash: u64,
    /// Per byte hashed (`crypto_hash`, and the message digest in `crypto_verify`). By default 3.
    pub hash_per_byte: u64,
    /// `crypto_verify` base. By default 60,000 (an Ed25519 verification took ~80 µs on
    /// this machine class).
    pub verify: u64,
    /// `log_event` base. By default 375.
    pub event: u64,
    /// Per byte of topic and data logged. By default 8.
    pub event_per_byte: u64,
    /// Per byte copied between the host and linear memory by `input_read`,
    /// `return_data`, `abort`, `precompile` and the `get_*` address calls. By default 1.
    pub copy_per_byte: u64,
    /// `precompile` base, on top of the precompile's own gas. By default 100.
    pub precompile: u64,
    /// Cove gas charged per unit of EVM gas a precompile uses (`precompile`), in
    /// `1..=MAX_PRECOMPILE_RATE`. EVM gas prices precompiles for an EVM interpreter, which
    /// is slower per gas than compiled WASM; measured on this machine class, the worst
    /// precompile per EVM gas (the BLS12-381 pairing) is ~11 ns, against under 2 ns per
    /// cove gas for contract code (`docs/gas.md`, Calibration). By default 20.
    pub precompile_per_evm_gas: u64,
    /// `call` base, on top of the per-byte copy of the address, entry point, input and
    /// value and of the gas the callee uses (`docs/gas.md`, "Calls between contracts").
    /// A call instantiates the callee afresh: a few microseconds. By default 2,500.
    pub call: u64,
    /// `create` base, on top of the per-byte copy of its arguments and of the gas the
    /// init entry point uses: a call plus a contract record. By default 10,000.
    pub create: u64,
}

/// Default of [`HostCosts::precompile_per_evm_gas`].
pub const DEFAULT_PRECOMPILE_PER_EVM_GAS: u64 = 20;

impl Default for HostCosts {
    fn default() -> Self {
        HostCosts {
            context: 30,
            storage_read: 300,
            storage_read_per_byte: 1,
            storage_write: 1_000,
            storage_write_per_byte: 10,
            storage_delete: 500,
            storage_life_per_byte: 1,
            hash: 200,
            hash_per_byte: 3,
            verify: 60_000,
            event: 375,
            event_per_byte: 8,
            copy_per_byte: 1,
            precompile: 100,
            precompile_per_evm_gas: DEFAULT_PRECOMPILE_PER_EVM_GAS,
            call: 2_500,
            create: 10_000,
        }
    }
}

/// The smallest energy surcharge divisor accepted ([`GasSchedule::surcharge_divisor`]).
///
/// With a divisor of at least 2 a charge made while the balance is non-negative adds at
/// most half of the gas used so far (itself at most `MAX_GAS_LIMIT`), so the balance
/// stays above `-2^62 - 2^56` and the instrumented `i64` arithmetic never wraps
/// (`docs/gas.md`, "Energy surcharge").
pub const MIN_SURCHARGE_DIVISOR: u64 = 2;

/// The largest energy surcharge divisor accepted: `MAX_GAS_LIMIT` (`2^63 - 1`). A larger
/// one could never add anything, and the divisor is an `i64` constant in the bytecode.
pub const MAX_SURCHARGE_DIVISOR: u64 = types::MAX_GAS_LIMIT;

/// What storing code costs (`[wasm.gas.deploy]`): charged before the code is validated,
/// instrumented or compiled, by its size after inflation (`docs/gas.md`, "Deploy gas").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployCosts {
    /// Per stored module. By default 32,000 (Ethereum's `CREATE`); in
    /// `0..=MAX_HOST_PRICE`.
    pub base: u64,
    /// Per byte of the module (inflated, if it came gzip-compressed). By default 64; in
    /// `0..=MAX_UNIT_PRICE`.
    pub per_byte: u64,
}

impl Default for DeployCosts {
    fn default() -> Self {
        DeployCosts { base: 32_000, per_byte: 64 }
    }
}

impl DeployCosts {
    /// Free: what a chain recorded before deploy gas existed keeps
    /// (`docs/chain-config.md`).
    pub const FREE: DeployCosts = DeployCosts { base: 0, per_byte: 0 };

    /// The gas storing a module of `bytes` bytes costs: `base + per_byte x bytes`,
    /// saturating.
    pub fn of(&self, bytes: usize) -> u64 {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.base.saturating_add(self.per_byte.saturating_mul(bytes))
    }
}

/// The full gas schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GasSchedule {
    /// Instruction prices.
    pub ops: OpCosts,
    /// Host function prices.
    pub host: HostCosts,
    /// What storing code costs.
    pub deploy: DeployCosts,
    /// The energy surcharge (`[wasm.gas] surcharge_divisor`): when not 0, every charge of
    /// a call (instruction segments, per-unit instruction charges, host functions) also
    /// adds the gas the call has been charged so far, this one included, divided by this
    /// divisor: `used += amount; used += used / divisor` (`docs/gas.md`, "Energy
    /// surcharge"). 0, the default, turns it off; otherwise in
    /// `MIN_SURCHARGE_DIVISOR..=MAX_SURCHARGE_DIVISOR`. Left out of the encoded
    /// configuration when 0, so a configuration without it encodes as it always did.
    #[serde(skip_serializing_if = "is_zero")]
    pub surcharge_divisor: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl GasSchedule {
    /// Checks every price against its range: instruction prices in `1..=MAX_OP_PRICE`,
    /// per-unit and per-byte prices in `1..=MAX_UNIT_PRICE`, host base prices in
    /// `1..=MAX_HOST_PRICE`, the precompile rate in `1..=MAX_PRECOMPILE_RATE`. No price
    /// may be 0: free work would escape the bound gas puts on a call's time.
    pub fn validate(&self) -> Result<(), String> {
        let (o, h) = (&self.ops, &self.host);
        let ops = [
            ("base", o.base),
            ("mul", o.mul),
            ("div", o.div),
            ("load", o.load),
            ("store", o.store),
            ("branch", o.branch),
            ("call", o.call),
            ("table_memory_meta", o.table_memory_meta),
        ];
        let units = [
            ("memory_grow_per_page", o.memory_grow_per_page),
            ("bulk_memory_per_byte", o.bulk_memory_per_byte),
            ("bulk_table_per_element", o.bulk_table_per_element),
        ];
        let host_bases = [
            ("context", h.context),
            ("storage_read", h.storage_read),
            ("storage_write", h.storage_write),
            ("storage_delete", h.storage_delete),
            ("hash", h.hash),
            ("verify", h.verify),
            ("event", h.event),
            ("precompile", h.precompile),
            ("call", h.call),
            ("create", h.create),
        ];
        let host_units = [
            ("storage_read_per_byte", h.storage_read_per_byte),
            ("storage_write_per_byte", h.storage_write_per_byte),
            ("storage_life_per_byte", h.storage_life_per_byte),
            ("hash_per_byte", h.hash_per_byte),
            ("event_per_byte", h.event_per_byte),
            ("copy_per_byte", h.copy_per_byte),
        ];
        let check = |table: &str, fields: &[(&str, u64)], max: u64, max_name: &str| {
            for &(name, price) in fields {
                if price == 0 || price > max {
                    return Err(format!("gas.{table}.{name} must be in 1..={max} ({max_name}), got {price}"));
                }
            }
            Ok(())
        };
        check("ops", &ops, MAX_OP_PRICE, "MAX_OP_PRICE")?;
        check("ops", &units, MAX_UNIT_PRICE, "MAX_UNIT_PRICE")?;
        check("host", &host_bases, MAX_HOST_PRICE, "MAX_HOST_PRICE")?;
        check("host", &host_units, MAX_UNIT_PRICE, "MAX_UNIT_PRICE")?;
        check(
            "host",
            &[("precompile_per_evm_gas", h.precompile_per_evm_gas)],
            MAX_PRECOMPILE_RATE,
            "MAX_PRECOMPILE_RATE",
        )?;
        let deploy = &self.deploy;
        if deploy.base > MAX_HOST_PRICE {
            return Err(format!(
                "gas.deploy.base must be in 0..={MAX_HOST_PRICE} (MAX_HOST_PRICE), got {}",
                deploy.base
            ));
        }
        if deploy.per_byte > MAX_UNIT_PRICE {
            return Err(format!(
                "gas.deploy.per_byte must be in 0..={MAX_UNIT_PRICE} (MAX_UNIT_PRICE), got {}",
                deploy.per_byte
            ));
        }
        let d = self.surcharge_divisor;
        if d != 0 && !(MIN_SURCHARGE_DIVISOR..=MAX_SURCHARGE_DIVISOR).contains(&d) {
            return Err(format!(
                "gas.surcharge_divisor must be 0 (off) or in {MIN_SURCHARGE_DIVISOR}..={MAX_SURCHARGE_DIVISOR}, got {d}"
            ));
        }
        Ok(())
    }

    /// The energy surcharge's divisor, `None` when it is off.
    pub fn surcharge(&self) -> Option<u64> {
        (self.surcharge_divisor != 0).then_some(self.surcharge_divisor)
    }
}

/// Maxima of the byte strings host functions accept or produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostLimits {
    /// Longest storage key. By default 1 KiB (`MAX_KEY_LEN`).
    pub max_key_len: u32,
    /// Longest storage value. By default 128 KiB (`MAX_VALUE_LEN`).
    pub max_value_len: u32,
    /// Longest event topic. By default 256 bytes (`MAX_TOPIC_LEN`).
    pub max_topic_len: u32,
    /// Longest event data. By default 64 KiB (`MAX_EVENT_DATA_LEN`).
    pub max_event_data_len: u32,
    /// Most events one call may log. By default 1,024 (`MAX_EVENTS`).
    pub max_events: u32,
    /// Longest input to `crypto_hash` / message to `crypto_verify`. By default 1 MiB (`MAX_HASH_INPUT_LEN`).
    pub max_hash_input_len: u32,
    /// Longest return data. By default 128 KiB (`MAX_RETURN_LEN`).
    pub max_return_len: u32,
    /// Longest abort message; longer ones are truncated, not rejected. By default 1 KiB (`MAX_ABORT_MSG_LEN`).
    pub max_abort_msg_len: u32,
    /// Longest call input. By default 128 KiB (`MAX_INPUT_LEN`).
    pub max_input_len: u32,
    /// Longest input to `precompile`. By default 128 KiB (`MAX_PRECOMPILE_INPUT_LEN`).
    pub max_precompile_input_len: u32,
    /// Longest entry-point name a contract may name in `call`. By default 256 bytes
    /// (`MAX_ENTRY_LEN`).
    pub max_entry_len: u32,
}

/// Default of [`HostLimits::max_key_len`].
pub const MAX_KEY_LEN: u32 = 1024;
/// Default of [`HostLimits::max_value_len`].
pub const MAX_VALUE_LEN: u32 = 128 * 1024;
/// Default of [`HostLimits::max_topic_len`].
pub const MAX_TOPIC_LEN: u32 = 256;
/// Default of [`HostLimits::max_event_data_len`].
pub const MAX_EVENT_DATA_LEN: u32 = 64 * 1024;
/// Default of [`HostLimits::max_events`].
pub const MAX_EVENTS: u32 = 1024;
/// Default of [`HostLimits::max_hash_input_len`].
pub const MAX_HASH_INPUT_LEN: u32 = 1024 * 1024;
/// Default of [`HostLimits::max_return_len`].
pub const MAX_RETURN_LEN: u32 = 128 * 1024;
/// Default of [`HostLimits::max_abort_msg_len`].
pub const MAX_ABORT_MSG_LEN: u32 = 1024;
/// Default of [`HostLimits::max_input_len`].
pub const MAX_INPUT_LEN: u32 = 128 * 1024;
/// Default of [`HostLimits::max_precompile_input_len`].
pub const MAX_PRECOMPILE_INPUT_LEN: u32 = 128 * 1024;
/// Default of [`HostLimits::max_entry_len`].
pub const MAX_ENTRY_LEN: u32 = 256;

impl Default for HostLimits {
    fn default() -> Self {
        HostLimits {
            max_key_len: MAX_KEY_LEN,
            max_value_len: MAX_VALUE_LEN,
            max_topic_len: MAX_TOPIC_LEN,
            max_event_data_len: MAX_EVENT_DATA_LEN,
            max_events: MAX_EVENTS,
            max_hash_input_len: MAX_HASH_INPUT_LEN,
            max_return_len: MAX_RETURN_LEN,
            max_abort_msg_len: MAX_ABORT_MSG_LEN,
            max_input_len: MAX_INPUT_LEN,
            max_precompile_input_len: MAX_PRECOMPILE_INPUT_LEN,
            max_entry_len: MAX_ENTRY_LEN,
        }
    }
}

/// The execution mode (`[wasm] mode`): which tiers turn instrumented code into
/// something runnable, and when (`docs/modes.md`). Whatever the mode, the instrumented
/// bytecode is the same, and so is every result and gas figure: only compile time and
/// run time differ (docs/benchmarks.md). The mode is therefore node-local: nodes of one
/// chain may each pick their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compiler {
    /// Deploy with Winch (baseline: compiles ~4x faster than Cranelift), then recompile
    /// modules that get hot (`jit_threshold` calls) with Cranelift in the background and
    /// switch to that code.
    #[default]
    Tiered,
    /// Winch only.
    Baseline,
    /// `jit`: Cranelift only (`opt_level = speed`), before the first call. Also read
    /// as `optimizing`.
    #[serde(rename = "jit", alias = "optimizing")]
    Optimizing,
    /// Pulley only: Cranelift lowers each module to Pulley bytecode, which wasmtime's
    /// interpreter runs. No native code is generated.
    Interpreter,
    /// Pulley first; a module called `jit_threshold` times is recompiled by Cranelift in
    /// the background and switched to native code when that is ready. Calls never wait
    /// for the compile.
    Hybrid,
}

impl Compiler {
    /// Every execution mode, for tests and benchmarks that run under each.
    pub const ALL: [Compiler; 5] =
        [Compiler::Tiered, Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter, Compiler::Hybrid];

    /// The mode's name in the `[wasm]` table.
    pub fn name(self) -> &'static str {
        match self {
            Compiler::Tiered => "tiered",
            Compiler::Baseline => "baseline",
            Compiler::Optimizing => "jit",
            Compiler::Interpreter => "interpreter",
            Compiler::Hybrid => "hybrid",
        }
    }
}

/// Everything the WASM VM is configured by. Built once into an [`crate::Engine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Deploy-time structural limits.
    pub limits: Limits,
    /// Gas prices.
    pub gas: GasSchedule,
    /// Host-function byte limits.
    pub host_limits: HostLimits,
    /// The execution mode, `mode` in TOML (also read as `compiler`). By default
    /// [`Compiler::Tiered`]. Node-local: it changes no result or gas.
    #[serde(rename = "mode", alias = "compiler")]
    pub compiler: Compiler,
    /// With [`Compiler::Tiered`] and [`Compiler::Hybrid`], calls to a module before it
    /// is recompiled by Cranelift; `jit_threshold` in TOML (also read as
    /// `tier_up_after_calls`). By default 100.
    #[serde(rename = "jit_threshold", alias = "tier_up_after_calls")]
    pub tier_up_after_calls: u32,
    /// Wall-clock backstop per call, in milliseconds. By default 2,000. Firing is a node
    /// fault (kind `timeout`), never a consensus result: gas bounds every honest call.
    pub timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            gas: GasSchedule::default(),
            host_limits: HostLimits::default(),
            compiler: Compiler::default(),
            tier_up_after_calls: 100,
            timeout_ms: 2_000,
        }
    }
}

impl Config {
    /// Checks the values against their documented ranges: every price of the gas
    /// schedule, the deploy limits and the timeout.
    pub fn validate(&self) -> Result<(), String> {
        self.gas.validate()?;
        let l = &self.limits;
        if l.max_stack_bytes == 0 || l.max_stack_bytes > MAX_STACK_BUDGET {
            return Err(format!(
                "limits.max_stack_bytes must be in 1..={MAX_STACK_BUDGET}, got {}",
                l.max_stack_bytes
            ));
        }
        if !l.max_memory_bytes.is_multiple_of(WASM_PAGE) || l.max_memory_pages() > 65_536 {
            return Err(format!(
                "limits.max_memory_bytes must be a multiple of 64 KiB and at most 4 GiB, got {}",
                l.max_memory_bytes
            ));
        }
        if self.timeout_ms == 0 {
            return Err("timeout_ms must be positive".into());
        }
        Ok(())
    }

    /// A hash of every value that changes the instrumented code (the gas schedule and
    /// the deploy limits), for compiled-module cache keys. Which compiler runs the code
    /// is not part of it: cache keys name the tier separately.
    pub fn fingerprint(&self) -> [u8; 32] {
        // `Debug` of these plain structs is deterministic (fields in declaration order).
        let text = format!("{:?}{:?}", self.gas, self.limits);
        types::sha256(text.as_bytes())
    }
}
