//! Precompiles from both VMs: a WASM contract calling `precompile` gets the same answers
//! as an EVM contract calling the same address, and pays the precompile's gas.

use cove_runtime::{Balance, Config, Runtime};
use types::{Address, VmType};

use crate::support::{ALICE, T0};

/// A WASM contract whose `call` entry takes `address(20) ++ input`, calls `precompile`
/// and returns the output (empty if the call returned 0).
const CALLER_WAT: &str = r#"(module
  (import "env" "precompile" (func $precompile (param i32 i32 i32) (result i64)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))
  (func (export "call") (local $r i64)
    (call $input_read (i32.const 0))
    (local.set $r (call $precompile (i32.const 0) (i32.const 20) (i32.sub (call $input_len) (i32.const 20))))
    (if (i64.eqz (local.get $r)) (then (return)))
    (call $return_data
      (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
      (i32.wrap_i64 (local.get $r)))))"#;

/// EVM init code deploying a proxy: calldata goes to the precompile at `address` by
/// STATICCALL and its return data comes back.
fn evm_proxy(address: u8) -> Vec<u8> {
    let runtime = [
        0x36, 0x5f, 0x5f, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
        0x5f, 0x5f, 0x36, 0x5f, // retSize 0, retOffset 0, argsSize CALLDATASIZE, argsOffset 0
        0x60, address, 0x5a, 0xfa, 0x50, // PUSH1 address, GAS, STATICCALL, POP
        0x3d, 0x5f, 0x5f, 0x3e, // RETURNDATACOPY(0, 0, RETURNDATASIZE)
        0x3d, 0x5f, 0xf3, // RETURN(0, RETURNDATASIZE)
    ];
    let n = runtime.len() as u8;
    // CODECOPY(0, 10, n); RETURN(0, n); then the runtime code at offset 10.
    let mut init = vec![0x60, n, 0x60, 0x0a, 0x5f, 0x39, 0x60, n, 0x5f, 0xf3];
    init.extend_from_slice(&runtime);
    init
}

fn precompile_address(n: u8) -> [u8; 20] {
    let mut a = [0u8; 20];
    a[19] = n;
    a
}

struct Both {
    rt: Runtime,
    wasm: Address,
}

impl Both {
    fn new() -> Both {
        let rt = Runtime::in_memory(Config::default()).unwrap();
        let mut block = rt.begin_block(T0).unwrap();
        let wasm =
            block.deploy(ALICE, &wat::parse_str(CALLER_WAT).unwrap(), None, None).unwrap().address.unwrap();
        block.commit().unwrap();
        Both { rt, wasm }
    }

    fn wasm_call(&self, precompile: u8, input: &[u8]) -> (Vec<u8>, u64) {
        let mut msg = precompile_address(precompile).to_vec();
        msg.extend_from_slice(input);
        let r = self.rt.query(ALICE, self.wasm, "call", msg, None).unwrap();
        (r.result.expect("the WASM caller succeeds"), r.gas_used)
    }

    fn evm_call(&self, precompile: u8, input: &[u8]) -> Vec<u8> {
        let mut block = self.rt.begin_block(T0 + 1).unwrap();
        let r = block
            .create(VmType::Evm, ALICE, &evm_proxy(precompile), "", Vec::new(), Balance::ZERO, None)
            .unwrap();
        let proxy = r.address.expect("proxy deployed");
        let r = block.call(ALICE, proxy, "", input.to_vec(), None).unwrap();
        r.result.expect("the EVM proxy succeeds")
    }
}

#[test]
fn sha256_is_the_same_from_wasm_and_from_the_evm() {
    let both = Both::new();
    for input in [&b""[..], b"abc", &[0x5a; 100]] {
        let (wasm, _) = both.wasm_call(0x02, input);
        assert_eq!(wasm, types::sha256(input).to_vec(), "{input:?}");
        assert_eq!(both.evm_call(0x02, input), wasm);
    }
}

#[test]
fn ecrecover_is_the_same_from_wasm_and_from_the_evm() {
    use k256::ecdsa::SigningKey;
    let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let hash = types::sha256(b"cove");
    let (sig, recid) = key.sign_prehash_recoverable(&hash).unwrap();
    let mut input = hash.to_vec();
    let mut v = [0u8; 32];
    v[31] = 27 + recid.to_byte();
    input.extend_from_slice(&v);
    input.extend_from_slice(&sig.to_bytes());
    let both = Both::new();
    let (wasm, _) = both.wasm_call(0x01, &input);
    assert_eq!(wasm.len(), 32, "a recovered address, left-padded");
    assert!(wasm[..12].iter().all(|b| *b == 0) && wasm[12..].iter().any(|b| *b != 0));
    assert_eq!(both.evm_call(0x01, &input), wasm);
    // A different key recovers a different address, the same from both VMs.
    let other = SigningKey::from_bytes(&[8u8; 32].into()).unwrap();
    let (sig2, recid2) = other.sign_prehash_recoverable(&hash).unwrap();
    let mut input2 = hash.to_vec();
    v[31] = 27 + recid2.to_byte();
    input2.extend_from_slice(&v);
    input2.extend_from_slice(&sig2.to_bytes());
    let (wasm2, _) = both.wasm_call(0x01, &input2);
    assert_ne!(wasm2, wasm);
    assert_eq!(both.evm_call(0x01, &input2), wasm2);
    // An invalid v recovers nothing: empty output from both.
    input2[63] = 30;
    assert_eq!(both.wasm_call(0x01, &input2).0, Vec::<u8>::new());
    assert_eq!(both.evm_call(0x01, &input2), Vec::<u8>::new());
}

#[test]
fn wasm_pays_the_precompiles_own_gas() {
    let both = Both::new();
    // SHA-256 costs 60 + 12 per 32-byte word of EVM gas, each unit 20 cove gas
    // (`precompile_per_evm_gas`): 37 bytes are one word more than 5. The host adds 1 per
    // byte copied in (32 more) and the same 32 bytes copied out.
    let (_, five) = both.wasm_call(0x02, &[1; 5]);
    let (_, thirty_seven) = both.wasm_call(0x02, &[1; 37]);
    let input_copy = 32; // input_read copies 32 more bytes too
    assert_eq!(thirty_seven - five, 12 * 20 + 32 + input_copy);
}

#[test]
fn the_registry_lists_the_forks_precompiles() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let list = rt.vms().evm().precompiles().list();
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    for expected in [
        "ECREC",
        "SHA256",
        "RIPEMD160",
        "ID",
        "MODEXP",
        "BN254_ADD",
        "BLAKE2F",
        "KZG_POINT_EVALUATION",
        "P256VERIFY",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("BLS12")), "{names:?}");
}
