//! Gas calibration (`cove bench gas-calibration`): the nanoseconds per unit of gas of
//! every instruction class, host function, precompile and CosmWasm store import, on this
//! machine, so the gas caps can be checked against the wall-clock backstop
//! (`docs/gas.md`, "Calibration").
//!
//! Each item is a loop that does one kind of work many times. Contract code runs on
//! Winch (the baseline tier every module starts on, slower per gas than Cranelift); an
//! item's figure is the median of a few timed calls divided by the gas they used.
//! Precompiles are timed through the registry the `precompile` host function calls, and
//! priced as that function prices them (EVM gas x `precompile_per_evm_gas`).

use std::time::Instant;

use types::Precompiles;

use runtime::{Config, Runtime};

/// One measured item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    /// What was measured (class, function or precompile, with its input size).
    pub name: String,
    /// Gas one timed run used.
    pub gas: u64,
    /// Median wall time of one run, in nanoseconds.
    pub ns: f64,
    /// `ns / gas`.
    pub ns_per_gas: f64,
}

/// Gas a timed contract run aims for: long enough to time, short enough to stay quick.
const TARGET_GAS: u64 = 20_000_000;
/// Wall time a timed contract run aims for, in nanoseconds, if it reaches it before
/// [`TARGET_GAS`].
const TARGET_NS: f64 = 50e6;
/// Iterations of the sizing run.
const PROBE: u64 = 16;
/// The gas limit of a timed call: far above what any item uses (the caps are lifted
/// for the calibration).
pub(crate) const CALL_GAS: u64 = 1 << 40;
/// Timed runs per item (the median is kept).
const RUNS: usize = 5;

/// The loop every contract item runs: `go` reads an iteration count (u64 LE) from its
/// input and runs `body` that many times; `setup` runs `setup` once.
fn module(imports: &str, setup: &str, body: &str, pages: u32) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "env" "input_read" (func $input_read (param i32)))
  {imports}
  (type $t (func))
  (memory (export "memory") {pages} 512)
  (table $tab 16 10000 funcref)
  (elem (i32.const 0) $empty)
  (func (export "allocate") (param i32) (result i32) (i32.const 1048576))
  (func $empty)
  (func (export "setup") {setup})
  (func (export "go") (local $n i64) (local $x i64) (local $y i32)
    (call $input_read (i32.const 0))
    (local.set $n (i64.load (i32.const 0)))
    (local.set $x (i64.const 3))
    (block $done
      (loop $l
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        {body}
        (br $l)))))"#
    );
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("calibration module: {e}\n{wat}"))
}

fn repeat(body: &str, times: usize) -> String {
    vec![body; times].join("\n")
}

/// A contract item: its name, imports, setup, loop body, pages, and the most
/// iterations one call may run (host limits such as the events per call).
struct Contract {
    name: &'static str,
    imports: &'static str,
    setup: String,
    body: String,
    pages: u32,
    max_iterations: u64,
}

impl Contract {
    fn new(name: &'static str, body: String) -> Contract {
        Contract { name, imports: "", setup: String::new(), body, pages: 32, max_iterations: u64::MAX }
    }
    fn imports(mut self, imports: &'static str) -> Contract {
        self.imports = imports;
        self
    }
    fn setup(mut self, setup: &str) -> Contract {
        self.setup = setup.to_owned();
        self
    }
    fn pages(mut self, pages: u32) -> Contract {
        self.pages = pages;
        self
    }
    fn at_most(mut self, iterations: u64) -> Contract {
        self.max_iterations = iterations;
        self
    }
}

const IMPORT_STORAGE: &str = r#"(import "env" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "storage_read" (func $storage_read (param i32 i32) (result i64)))
  (import "env" "storage_delete" (func $storage_delete (param i32 i32) (result i32)))"#;
const IMPORT_CONTEXT: &str = r#"(import "env" "get_caller" (func $get_caller (param i32) (result i32)))
  (import "env" "get_block_number" (func $get_block_number (result i64)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))"#;
const IMPORT_CRYPTO: &str = r#"(import "env" "crypto_hash" (func $crypto_hash (param i32 i32 i32) (result i32)))
  (import "env" "crypto_verify" (func $crypto_verify (param i32 i32 i32 i32 i32 i32) (result i32)))"#;
const IMPORT_EVENT: &str = r#"(import "env" "log_event" (func $log_event (param i32 i32 i32 i32)))"#;
const IMPORT_PRECOMPILE: &str =
    r#"(import "env" "precompile" (func $precompile (param i32 i32 i32) (result i64)))"#;

/// Writes the loop counter into the first 8 bytes of the key at 4096: a new key each
/// iteration.
const FRESH_KEY: &str = "(i64.store (i32.const 4096) (local.get $n))";

/// The ed25519 base point (a valid public key) at 8192 and a well-formed signature
/// (R = the base point, s = 1) at 8256: verification runs in full and fails.
const ED25519: &str = r#"(data (i32.const 8192) "\58\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66")
  (data (i32.const 8256) "\58\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\66\01")"#;

fn contracts() -> Vec<Contract> {
    let k = 32; // operations per loop iteration
    vec![
        Contract::new("op base (i64.xor)", repeat("(local.set $x (i64.xor (local.get $x) (i64.const 7)))", k)),
        Contract::new("op mul (i64.mul)", repeat("(local.set $x (i64.mul (local.get $x) (i64.const 7)))", k)),
        Contract::new(
            "op div (i64.div_u)",
            repeat("(local.set $x (i64.div_u (i64.const 1000000007) (i64.or (local.get $x) (i64.const 1))))", k),
        ),
        Contract::new("op div (f64.sqrt)", repeat("(drop (f64.sqrt (f64.convert_i64_u (local.get $x))))", k)),
        Contract::new("op load", repeat("(local.set $x (i64.load (i32.wrap_i64 (i64.and (local.get $x) (i64.const 4095)))))", k)),
        Contract::new("op store", repeat("(i64.store (i32.const 64) (local.get $x))", k)),
        Contract::new("op branch (br_if not taken)", repeat("(block (br_if 0 (i32.const 0)))", k)),
        Contract::new("op branch (empty loop)", String::new()),
        Contract::new("op call (empty function)", repeat("(call $empty)", k)),
        Contract::new("op call (call_indirect)", repeat("(call_indirect (type $t) (i32.const 0))", k)),
        Contract::new("op table_memory_meta (memory.size)", repeat("(local.set $y (memory.size))", k)),
        Contract::new("op memory_grow_per_page (1 page)", "(drop (memory.grow (i32.const 1)))".into())
            .pages(1)
            .at_most(511),
        Contract::new(
            "op bulk_memory_per_byte (memory.fill 64 KiB)",
            "(memory.fill (i32.const 65536) (i32.wrap_i64 (local.get $n)) (i32.const 65536))".into(),
        ),
        Contract::new(
            "op bulk_memory_per_byte (memory.copy 64 KiB)",
            "(memory.copy (i32.const 65536) (i32.const 262144) (i32.const 65536))".into(),
        ),
        Contract::new(
            "op bulk_memory_per_byte (memory.fill 1 byte)",
            repeat("(memory.fill (i32.const 64) (i32.const 0) (i32.const 1))", k),
        ),
        Contract::new(
            "op bulk_table_per_element (table.fill 16)",
            "(table.fill $tab (i32.const 0) (ref.null func) (i32.const 16))".into(),
        ),
        Contract::new("host get_caller", repeat("(drop (call $get_caller (i32.const 64)))", k))
            .imports(IMPORT_CONTEXT),
        Contract::new("host get_block_number", repeat("(drop (call $get_block_number))", k))
            .imports(IMPORT_CONTEXT),
        Contract::new("host return_data (0 B)", repeat("(call $return_data (i32.const 64) (i32.const 0))", k))
            .imports(IMPORT_CONTEXT),
        Contract::new("host return_data (128 KiB)", "(call $return_data (i32.const 65536) (i32.const 131072))".into())
            .imports(IMPORT_CONTEXT),
        Contract::new(
            "host storage_write (new 8 B key, 8 B value)",
            format!("{FRESH_KEY} (drop (call $storage_write (i32.const 4096) (i32.const 8) (i32.const 64) (i32.const 8)))"),
        )
        .imports(IMPORT_STORAGE),
        Contract::new(
            "host storage_write (new 1 KiB key, 128 KiB value)",
            format!(
                "{FRESH_KEY} (drop (call $storage_write (i32.const 4096) (i32.const 1024) (i32.const 65536) (i32.const 131072)))"
            ),
        )
        .imports(IMPORT_STORAGE),
        Contract::new(
            "host storage_read (committed 8 B key, 8 B value)",
            "(drop (call $storage_read (i32.const 8) (i32.const 8)))".into(),
        )
        .imports(IMPORT_STORAGE)
        .setup("(drop (call $storage_write (i32.const 8) (i32.const 8) (i32.const 64) (i32.const 8)))"),
        Contract::new(
            "host storage_read (committed 1 KiB key, 128 KiB value)",
            "(drop (call $storage_read (i32.const 8192) (i32.const 1024)))".into(),
        )
        .imports(IMPORT_STORAGE)
        .setup("(drop (call $storage_write (i32.const 8192) (i32.const 1024) (i32.const 65536) (i32.const 131072)))"),
        Contract::new(
            "host storage_read (missing 1 KiB key)",
            format!("{FRESH_KEY} (drop (call $storage_read (i32.const 4096) (i32.const 1024)))"),
        )
        .imports(IMPORT_STORAGE),
        Contract::new(
            "host storage_delete (missing 1 KiB key)",
            format!("{FRESH_KEY} (drop (call $storage_delete (i32.const 4096) (i32.const 1024)))"),
        )
        .imports(IMPORT_STORAGE),
        Contract::new(
            "host crypto_hash (32 B)",
            repeat("(drop (call $crypto_hash (i32.const 64) (i32.const 32) (i32.const 128)))", k),
        )
        .imports(IMPORT_CRYPTO),
        Contract::new(
            "host crypto_hash (1 MiB)",
            "(drop (call $crypto_hash (i32.const 65536) (i32.const 1048576) (i32.const 128)))".into(),
        )
        .imports(IMPORT_CRYPTO)
        .pages(20),
        Contract::new(
            "host crypto_verify (ed25519, 32 B message)",
            "(drop (call $crypto_verify (i32.const 64) (i32.const 32) (i32.const 8256) (i32.const 64) (i32.const 8192) (i32.const 32)))"
                .into(),
        )
        .imports(IMPORT_CRYPTO),
        Contract::new(
            "host crypto_verify (ed25519, 1 MiB message)",
            "(drop (call $crypto_verify (i32.const 65536) (i32.const 1048576) (i32.const 8256) (i32.const 64) (i32.const 8192) (i32.const 32)))"
                .into(),
        )
        .imports(IMPORT_CRYPTO)
        .pages(20),
        Contract::new(
            "host log_event (0 B)",
            "(call $log_event (i32.const 64) (i32.const 0) (i32.const 64) (i32.const 0))".into(),
        )
        .imports(IMPORT_EVENT)
        .at_most(1024),
        Contract::new(
            "host log_event (256 B topic, 64 KiB data)",
            "(call $log_event (i32.const 64) (i32.const 256) (i32.const 65536) (i32.const 65536))".into(),
        )
        .imports(IMPORT_EVENT)
        .at_most(1024),
        Contract::new(
            "host precompile (identity, 0 B)",
            "(drop (call $precompile (i32.const 8192) (i32.const 64) (i32.const 0)))".into(),
        )
        .imports(IMPORT_PRECOMPILE)
        .setup("(i32.store8 (i32.const 8211) (i32.const 4))"),
    ]
}

/// Runs every item; `quick` times fewer runs.
///
/// Contract code runs on the slowest tier of the configured mode: Winch for `tiered`
/// and `baseline`, Pulley for `interpreter` and `hybrid`, Cranelift for `jit`.
pub fn calibrate(config: &Config, quick: bool) -> Vec<Item> {
    let mut config = config.clone();
    config.wasm.compiler = slowest_tier(config.wasm.compiler);
    // The calibration runs long calls on purpose: lift the caps for it.
    config.max_tx_gas = CALL_GAS;
    config.max_block_gas = types::MAX_GAS_LIMIT;
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let runs = if quick { 3 } else { RUNS };
    let mut items = Vec::new();
    for c in contracts() {
        let mut code = module(c.imports, &c.setup, &c.body, c.pages);
        if c.name.contains("ed25519") {
            // Prepend the key and signature as data segments.
            code = module(&format!("{}\n  {ED25519}", c.imports), &c.setup, &c.body, c.pages);
        }
        items.push(contract_item(&rt, c.name, &code, c.max_iterations, runs));
    }
    items.extend(precompile_items(&config, &rt, runs));
    items.extend(crate::gas_cosmwasm::items(&config, runs));
    items
}

/// The single-tier mode that runs what `mode` runs slowest.
pub fn slowest_tier(mode: wasm::Compiler) -> wasm::Compiler {
    use wasm::Compiler::*;
    match mode {
        Tiered | Baseline => Baseline,
        Interpreter | Hybrid => Interpreter,
        Optimizing => Optimizing,
    }
}

fn input(iterations: u64) -> Vec<u8> {
    iterations.to_le_bytes().to_vec()
}

fn contract_item(rt: &Runtime, name: &str, code: &[u8], max_iterations: u64, runs: usize) -> Item {
    let sender = runtime::DEFAULT_SENDER;
    let mut block = rt.begin_block(1).expect("in-memory");
    let receipt = block.deploy(sender, code, Some(("setup", Vec::new())), None).expect("in-memory");
    assert!(receipt.is_ok(), "{name}: deploy failed: {:?}", receipt.result);
    let address = receipt.address.expect("deploy returns an address");
    block.commit().expect("in-memory");
    let call = |iterations: u64| -> (u64, f64) {
        let mut block = rt.begin_block(2).expect("in-memory");
        let start = Instant::now();
        let r = block.call(sender, address, "go", input(iterations), Some(CALL_GAS)).expect("in-memory");
        let ns = start.elapsed().as_nanos() as f64;
        assert!(r.is_ok(), "{name}: {:?}", r.result);
        (r.gas_used, ns)
    };
    // Size the loop to about TARGET_GAS, or TARGET_NS if that is sooner (slow items).
    let (gas_one, ns_one) = call(1);
    let (gas_many, ns_many) = call(1 + PROBE.min(max_iterations - 1));
    let probe = PROBE.min(max_iterations - 1).max(1);
    let gas_per_iteration = ((gas_many - gas_one) / probe).max(1);
    let ns_per_iteration = ((ns_many - ns_one) / probe as f64).max(1.0);
    let iterations =
        (TARGET_GAS / gas_per_iteration).min((TARGET_NS / ns_per_iteration) as u64).clamp(1, max_iterations);
    call(iterations);
    let mut samples: Vec<(u64, f64)> = (0..runs).map(|_| call(iterations)).collect();
    samples.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (gas, ns) = samples[samples.len() / 2];
    Item { name: name.to_owned(), gas, ns, ns_per_gas: ns / gas as f64 }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex constant")).collect()
}

fn address(n: u16) -> [u8; 20] {
    let mut a = [0u8; 20];
    a[18..].copy_from_slice(&n.to_be_bytes());
    a
}

/// BLS12-381 G1 generator, EIP-2537 encoding (two 64-byte field elements).
const BLS_G1: &str = "0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1";
/// BLS12-381 G2 generator, EIP-2537 encoding (x.c0, x.c1, y.c0, y.c1).
const BLS_G2: &str = "00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb80000000000000000000000000000000013e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e000000000000000000000000000000000ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801000000000000000000000000000000000606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be";
/// BN254 G1 and G2 generators, EIP-196/197 encoding.
const BN_G1: &str = "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002";
const BN_G2: &str = "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
/// The BLS12-381 G1 generator, compressed (a KZG commitment and proof that decode).
const BLS_G1_COMPRESSED: &str =
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
/// The P-256 generator (a valid public key).
const P256_G: &str = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

fn scalar() -> Vec<u8> {
    vec![0xa5; 32]
}

/// The precompile inputs measured: name, address, input.
pub fn precompile_inputs() -> Vec<(String, u16, Vec<u8>)> {
    let mut v: Vec<(String, u16, Vec<u8>)> = Vec::new();
    let mut ecrecover = types::sha256(b"cove").to_vec();
    ecrecover.extend_from_slice(&[0; 31]);
    ecrecover.push(27);
    ecrecover.extend_from_slice(&[0x11; 64]);
    v.push(("ecrecover".into(), 0x01, ecrecover));
    for (name, n) in [("sha256", 0x02), ("ripemd160", 0x03), ("identity", 0x04)] {
        v.push((format!("{name} (32 B)"), n, vec![7; 32]));
        v.push((format!("{name} (128 KiB)"), n, vec![7; 128 * 1024]));
    }
    // modexp: base, exponent, modulus lengths then the values.
    let modexp = |b: usize, e: usize, m: usize, even: bool| {
        let mut input = Vec::new();
        for len in [b, e, m] {
            let mut word = [0u8; 32];
            word[24..].copy_from_slice(&(len as u64).to_be_bytes());
            input.extend_from_slice(&word);
        }
        input.extend(std::iter::repeat_n(0xfe, b));
        input.extend(std::iter::repeat_n(0xff, e));
        input.extend(std::iter::repeat_n(0xfd, m));
        if even {
            *input.last_mut().expect("m > 0") = 0xfc;
        }
        input
    };
    for (b, e, m) in
        [(1, 32, 1), (32, 32, 32), (64, 64, 64), (256, 256, 256), (512, 32, 512), (1024, 1024, 1024)]
    {
        v.push((format!("modexp ({b}/{e}/{m} B, odd)"), 0x05, modexp(b, e, m, false)));
        v.push((format!("modexp ({b}/{e}/{m} B, even)"), 0x05, modexp(b, e, m, true)));
    }
    let bn_g1 = hex(BN_G1);
    let bn_g2 = hex(BN_G2);
    v.push(("bn254 add".into(), 0x06, [bn_g1.clone(), bn_g1.clone()].concat()));
    v.push(("bn254 mul".into(), 0x07, [bn_g1.clone(), scalar()].concat()));
    for pairs in [1, 2, 8] {
        let input = [bn_g1.clone(), bn_g2.clone()].concat().repeat(pairs);
        v.push((format!("bn254 pairing ({pairs} pairs)"), 0x08, input));
    }
    for rounds in [1u32, 1_000, 100_000] {
        let mut input = rounds.to_be_bytes().to_vec();
        input.extend_from_slice(&[0x42; 64 + 128 + 16]);
        input.push(1);
        v.push((format!("blake2f ({rounds} rounds)"), 0x09, input));
    }
    let commitment = hex(BLS_G1_COMPRESSED);
    let mut versioned = types::sha256(&commitment).to_vec();
    versioned[0] = 1;
    let kzg = [versioned, vec![0; 32], vec![0; 32], commitment.clone(), commitment].concat();
    v.push(("KZG point evaluation (verifies, proof rejected)".into(), 0x0a, kzg));
    let g1 = hex(BLS_G1);
    let g2 = hex(BLS_G2);
    v.push(("BLS12 G1ADD".into(), 0x0b, [g1.clone(), g1.clone()].concat()));
    for k in [1, 8, 128] {
        let input = [g1.clone(), scalar()].concat().repeat(k);
        v.push((format!("BLS12 G1MSM ({k} pairs)"), 0x0c, input));
    }
    v.push(("BLS12 G2ADD".into(), 0x0d, [g2.clone(), g2.clone()].concat()));
    for k in [1, 8, 128] {
        let input = [g2.clone(), scalar()].concat().repeat(k);
        v.push((format!("BLS12 G2MSM ({k} pairs)"), 0x0e, input));
    }
    for pairs in [1, 2, 8, 32] {
        let input = [g1.clone(), g2.clone()].concat().repeat(pairs);
        v.push((format!("BLS12 PAIRING_CHECK ({pairs} pairs)"), 0x0f, input));
    }
    v.push(("BLS12 MAP_FP_TO_G1".into(), 0x10, g1[..64].to_vec()));
    v.push(("BLS12 MAP_FP2_TO_G2".into(), 0x11, g2[..128].to_vec()));
    let mut p256 = types::sha256(b"cove").to_vec();
    p256.extend_from_slice(&[0x11; 64]);
    p256.extend_from_slice(&hex(P256_G));
    v.push(("P256VERIFY".into(), 0x100, p256));
    v
}

fn precompile_items(config: &Config, rt: &Runtime, runs: usize) -> Vec<Item> {
    let rate = config.wasm.gas.host.precompile_per_evm_gas;
    let registry = rt.vms().evm().precompiles().clone();
    let mut items = Vec::new();
    for (name, n, input) in precompile_inputs() {
        let addr = address(n);
        let run = || {
            let start = Instant::now();
            let out = registry.call(&addr, &input, 1 << 40);
            (out, start.elapsed().as_nanos() as f64)
        };
        let (evm_gas, _) = match run() {
            (Some(types::PrecompileCall::Success { gas_used, .. }), ns) => (gas_used, ns),
            // A well-formed input the precompile rejects after doing the work (the KZG
            // proof): priced as the success it would have been.
            (Some(types::PrecompileCall::Failure), ns) if n == 0x0a => (50_000, ns),
            (other, _) => {
                eprintln!("cove bench: precompile {name}: {other:?}");
                continue;
            }
        };
        // Repeat short ones so each sample is at least ~1 ms.
        let (_, one) = run();
        let reps = ((1_000_000.0 / one.max(1.0)) as usize).clamp(1, 10_000);
        let mut samples: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..reps {
                    std::hint::black_box(registry.call(&addr, &input, 1 << 40));
                }
                start.elapsed().as_nanos() as f64 / reps as f64
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        let ns = samples[samples.len() / 2];
        let host = config.wasm.gas.host.precompile;
        let copy = config.wasm.gas.host.copy_per_byte.saturating_mul(20 + input.len() as u64);
        let gas = evm_gas.saturating_mul(rate).saturating_add(host).saturating_add(copy);
        items.push(Item { name: format!("precompile {name}"), gas, ns, ns_per_gas: ns / gas as f64 });
    }
    items
}

/// The worst item.
pub fn worst(items: &[Item]) -> Option<&Item> {
    items.iter().max_by(|a, b| a.ns_per_gas.total_cmp(&b.ns_per_gas))
}
