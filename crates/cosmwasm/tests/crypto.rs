//! The secp256r1 and BLS12-381 host functions through the real host: a hand-written
//! CosmWasm module (WAT) copies its message into memory as an *image* the test lays out
//! (arguments, region descriptors, data), calls one import with the arguments, and
//! stores what it returned (and the output region after it) under the key `r`.

mod common;

use std::sync::Arc;

use cove_cosmwasm::abi::HOST_FUNCTIONS;
use cove_cosmwasm::config::{MAX_BLS12_381_AGGREGATE_LEN, MAX_BLS12_381_DST_LEN, MAX_BLS12_381_MESSAGE_LEN};
use cove_cosmwasm::{Action, Config, CosmWasmVm, Request};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CallError, ErrorKind, Gas};

use common::OK_FUNC;

/// Where the module copies the message: the image's byte 0.
const IMAGE: u32 = 65536;
/// Image layout: six `u32` arguments, the key and value region pointers, the 8-byte
/// result, then a 96-byte output buffer; data and descriptors follow.
const KEY_SLOT: usize = 6;
const RESULT: u32 = 32;
const OUT: u32 = 40;
const HEADER: usize = 40 + 96;
/// Linear memory: room for a region of 5 MiB + 1 beyond the image.
const PAGES: u32 = 100;
/// Where over-long regions point (zeroed memory after the image).
const FAR: u32 = 1 << 20;

/// A module calling `import` (with `params` i32 arguments, returning `result`).
fn module(import: &str, params: usize, result: &str) -> Vec<u8> {
    let args: String =
        (0..params).map(|i| format!("(i32.load (i32.const {}))", IMAGE as usize + 4 * i)).collect();
    let (key, value, res) =
        (IMAGE as usize + 4 * KEY_SLOT, IMAGE as usize + 4 * KEY_SLOT + 4, IMAGE + RESULT);
    let params_wat = vec!["i32"; params].join(" ");
    let call = if result == "i64" {
        // A pointer in the low half (high half zero) is a region the host allocated.
        format!(
            "(i64.store (i32.const {res}) (call $f {args}))
             (if (i32.eqz (i32.load (i32.const {high})))
               (then (call $w (i32.load (i32.const {key})) (i32.load (i32.const {res}))))
               (else (call $w (i32.load (i32.const {key})) (i32.load (i32.const {value})))))",
            high = res + 4
        )
    } else {
        format!(
            "(i32.store (i32.const {res}) (call $f {args}))
             (call $w (i32.load (i32.const {key})) (i32.load (i32.const {value})))"
        )
    };
    wat::parse_str(format!(
        r#"(module
          (import "env" "{import}" (func $f (param {params_wat}) (result {result})))
          (import "env" "db_write" (func $w (param i32 i32)))
          (memory (export "memory") {PAGES})
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32)
            (i32.store (i32.const 2048) (i32.const 8192))
            (i32.store (i32.const 2052) (i32.const 57344))
            (i32.store (i32.const 2056) (i32.const 0))
            (i32.const 2048))
          (func (export "deallocate") (param i32))
          (func (export "instantiate") (param i32 i32 i32) (result i32)
            (call $ok))
          (func (export "execute") (param i32 i32 i32) (result i32)
            (memory.copy (i32.const {IMAGE}) (i32.load (local.get 2)) (i32.load offset=8 (local.get 2)))
            {call}
            (call $ok))
          {OK_FUNC})"#
    ))
    .unwrap()
}

/// The memory image a call reads its arguments from.
struct Image(Vec<u8>);

impl Image {
    fn new() -> Image {
        Image(vec![0; HEADER])
    }
    fn at(&self) -> u32 {
        IMAGE + self.0.len() as u32
    }
    /// Sets argument `i`.
    fn arg(mut self, i: usize, v: u32) -> Image {
        self.0[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
    /// A region descriptor; returns its address.
    fn region(&mut self, offset: u32, capacity: u32, length: u32) -> u32 {
        let at = self.at();
        for v in [offset, capacity, length] {
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        at
    }
    /// A region holding `data`; returns its descriptor's address.
    fn input(&mut self, data: &[u8]) -> u32 {
        let offset = self.at();
        self.0.extend_from_slice(data);
        self.region(offset, data.len() as u32, data.len() as u32)
    }
    /// The output region: the buffer after the result, with `capacity` bytes.
    fn out(&mut self, capacity: u32) -> u32 {
        self.region(IMAGE + OUT, capacity, 0)
    }
    /// Adds the key region (`r`) and the value region (result and output buffer).
    fn finish(mut self) -> Vec<u8> {
        let key = self.input(b"r");
        let value = self.region(IMAGE + RESULT, 8 + 96, 8 + 96);
        self.0[4 * KEY_SLOT..4 * KEY_SLOT + 4].copy_from_slice(&key.to_le_bytes());
        self.0[4 * KEY_SLOT + 4..4 * KEY_SLOT + 8].copy_from_slice(&value.to_le_bytes());
        self.0
    }
}

/// A call's outcome: what the contract stored under `r`, and the gas used.
type Run = (Result<Vec<u8>, CallError>, Gas);

fn run_with(config: Config, code: &[u8], image: Vec<u8>) -> Run {
    let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
    let vm = CosmWasmVm::new(engine, config).unwrap();
    let mut journal = Journal::new(Arc::new(MemBackend::new()));
    let block = BlockInfo { height: 1, timestamp: 1 };
    let sender = Address([1; 20]);
    let deploy = Request {
        sender,
        action: Action::Instantiate { code, label: "", admin: None },
        msg: b"{}",
        funds: &[],
        gas_limit: None,
    };
    let (o, _) = vm.run(&mut journal, &block, deploy).unwrap();
    let contract = o.address.unwrap_or_else(|| panic!("{o:?}"));
    let call =
        Request { sender, action: Action::Execute { contract }, msg: &image, funds: &[], gas_limit: None };
    let (o, _) = vm.run(&mut journal, &block, call).unwrap();
    let stored = journal.get(&vm::keys::storage(&contract, b"r")).unwrap();
    (o.result.map(|_| stored.expect("the contract stored its result")), o.gas_used)
}

/// Runs with gas enough for the largest inputs the limits allow (a 2 MiB point list
/// costs more than the default limit), so each limit is what ends the call.
fn run(code: &[u8], image: Vec<u8>) -> Result<Vec<u8>, CallError> {
    run_with(
        Config { default_gas_limit: 100 * Config::default().default_gas_limit, ..Config::default() },
        code,
        image,
    )
    .0
}

/// The `u32` result the module stored.
fn code_of(stored: &[u8]) -> u32 {
    u32::from_le_bytes(stored[..4].try_into().unwrap())
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn hash_to_g1() -> Vec<u8> {
    module("bls12_381_hash_to_g1", 4, "i32")
}

/// A region holding `data`, or `Err(len)`: `len` zero bytes far from the image.
fn data_or_zeros(image: &mut Image, r: Result<&[u8], u32>) -> u32 {
    match r {
        Ok(data) => image.input(data),
        Err(len) => image.region(FAR, len, len),
    }
}

/// The image of `bls12_381_hash_to_g*(0, msg, dst, out)`.
fn hash_image(msg: Result<&[u8], u32>, dst: Result<&[u8], u32>, out_capacity: u32) -> Vec<u8> {
    let mut image = Image::new();
    let msg = data_or_zeros(&mut image, msg);
    let dst = data_or_zeros(&mut image, dst);
    let out = image.out(out_capacity);
    image.arg(0, 0).arg(1, msg).arg(2, dst).arg(3, out).finish()
}

const RFC9380_G1_DST: &[u8] = b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_";

#[test]
fn every_cosmwasm_import_links() {
    // A module importing all of cosmwasm-vm 2.3.5's `env` functions deploys.
    let wat_type = |t: &wasmparser::ValType| format!("{t:?}").to_lowercase();
    let imports: String = HOST_FUNCTIONS
        .iter()
        .map(|f| {
            let params: Vec<String> = f.params.iter().map(wat_type).collect();
            let results: Vec<String> = f.results.iter().map(wat_type).collect();
            format!(
                r#"(import "env" "{}" (func (param {}) (result {})))"#,
                f.name,
                params.join(" "),
                results.join(" ")
            )
        })
        .collect();
    assert!(imports.contains("bls12_381_pairing_equality") && imports.contains("secp256r1_recover_pubkey"));
    let code = wat::parse_str(format!(
        r#"(module {imports}
          (memory (export "memory") 1)
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32)
            (i32.store (i32.const 2048) (i32.const 8192))
            (i32.store (i32.const 2052) (i32.const 57344))
            (i32.const 2048))
          (func (export "deallocate") (param i32))
          (func (export "instantiate") (param i32 i32 i32) (result i32)
            (call $ok))
          {OK_FUNC})"#
    ))
    .unwrap();
    let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
    let vm = CosmWasmVm::new(engine, Config::default()).unwrap();
    let mut journal = Journal::new(Arc::new(MemBackend::new()));
    let deploy = Request {
        sender: Address([1; 20]),
        action: Action::Instantiate { code: &code, label: "", admin: None },
        msg: b"{}",
        funds: &[],
        gas_limit: None,
    };
    let (o, _) = vm.run(&mut journal, &BlockInfo { height: 1, timestamp: 1 }, deploy).unwrap();
    assert!(o.address.is_some(), "{o:?}");
}

#[test]
fn hash_to_g1_rfc9380_vector() {
    let stored = run(&hash_to_g1(), hash_image(Ok(b"abc"), Ok(RFC9380_G1_DST), 48)).unwrap();
    assert_eq!(code_of(&stored), 0);
    let want =
        "83567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903";
    assert_eq!(hex::encode(&stored[8..56]), want);
}

#[test]
fn hash_to_curve_limits_and_bad_regions() {
    let code = hash_to_g1();
    let e = run(&code, hash_image(Ok(b"abc"), Err(MAX_BLS12_381_DST_LEN as u32 + 1), 48)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e:?}");
    assert!(e.message.contains(&format!("limit of {MAX_BLS12_381_DST_LEN} bytes")), "{e:?}");
    let e = run(&code, hash_image(Err(MAX_BLS12_381_MESSAGE_LEN as u32 + 1), Ok(b"d"), 48)).unwrap_err();
    assert!(e.message.contains(&format!("limit of {MAX_BLS12_381_MESSAGE_LEN} bytes")), "{e:?}");
    // Both at their limits: fine.
    let limits = hash_image(Err(MAX_BLS12_381_MESSAGE_LEN as u32), Err(MAX_BLS12_381_DST_LEN as u32), 48);
    assert_eq!(code_of(&run(&code, limits).unwrap()), 0);
    // A message region reaching one byte past the end of memory.
    let mut image = Image::new();
    let (msg, dst) = (image.region(PAGES * 65536 - 10, 11, 11), image.input(b"d"));
    let out = image.out(48);
    let e = run(&code, image.arg(0, 0).arg(1, msg).arg(2, dst).arg(3, out).finish()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Trap, "{e:?}");
    assert!(e.message.contains("out of bounds"), "{e:?}");
    // An output region too small for the point, and one whose descriptor is outside memory.
    let e = run(&code, hash_image(Ok(b"abc"), Ok(b"d"), 47)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Trap, "{e:?}");
    assert!(e.message.contains("capacity 47"), "{e:?}");
    let mut image = Image::new();
    let (msg, dst) = (image.input(b"abc"), image.input(b"d"));
    let image = image.arg(0, 0).arg(1, msg).arg(2, dst).arg(3, u32::MAX - 4).finish();
    let e = run(&code, image).unwrap_err();
    assert!(e.message.contains("out of bounds"), "{e:?}");
    // An unknown hash function is a code for the contract, not a failure.
    let image = hash_image(Ok(b"abc"), Ok(b"d"), 48);
    let image = Image(image).arg(0, 1).0;
    assert_eq!(code_of(&run(&code, image).unwrap()), 9);
}

#[test]
fn aggregate_and_pairing_limits() {
    let code = module("bls12_381_aggregate_g1", 2, "i32");
    let aggregate = |len: u32| {
        let mut image = Image::new();
        let points = image.region(FAR, len, len);
        let out = image.out(48);
        image.arg(0, points).arg(1, out).finish()
    };
    // 2 MiB is not a multiple of 48: a code, after the limit check passed.
    assert_eq!(code_of(&run(&code, aggregate(MAX_BLS12_381_AGGREGATE_LEN as u32)).unwrap()), 15);
    let e = run(&code, aggregate(MAX_BLS12_381_AGGREGATE_LEN as u32 + 1)).unwrap_err();
    assert!(e.message.contains(&format!("limit of {MAX_BLS12_381_AGGREGATE_LEN} bytes")), "{e:?}");
    // 48 zero bytes: not a point (no compression flag).
    assert_eq!(code_of(&run(&code, aggregate(48)).unwrap()), 8);

    let code = module("bls12_381_pairing_equality", 4, "i32");
    let pairing = |r_len: u32, s_len: u32| {
        let mut image = Image::new();
        let (ps, qs) = (image.input(&[]), image.input(&[]));
        let (r, s) = (image.region(FAR, r_len, r_len), image.region(FAR, s_len, s_len));
        image.arg(0, ps).arg(1, qs).arg(2, r).arg(3, s).finish()
    };
    assert_eq!(code_of(&run(&code, pairing(48, 96)).unwrap()), 8, "zero bytes are no point");
    let e = run(&code, pairing(49, 96)).unwrap_err();
    assert!(e.message.contains("limit of 48 bytes"), "{e:?}");
    let e = run(&code, pairing(48, 97)).unwrap_err();
    assert!(e.message.contains("limit of 96 bytes"), "{e:?}");
}

#[test]
fn bls_gas_follows_the_configured_prices() {
    // e(G1, H) = e(G1, H): one pair on the left, so n + 1 = 2 pairings are charged.
    let g1 =
        h("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb");
    let hashed = {
        let image = hash_image(Ok(b"m"), Ok(b"d"), 96);
        let stored = run(&module("bls12_381_hash_to_g2", 4, "i32"), image).unwrap();
        assert_eq!(code_of(&stored), 0);
        stored[8..104].to_vec()
    };
    let mut image = Image::new();
    let (ps, qs, r, s) = (image.input(&g1), image.input(&hashed), image.input(&g1), image.input(&hashed));
    let image = image.arg(0, ps).arg(1, qs).arg(2, r).arg(3, s).finish();
    let code = module("bls12_381_pairing_equality", 4, "i32");
    let (stored, gas) = run_with(Config::default(), &code, image.clone());
    assert_eq!(code_of(&stored.unwrap()), 0);
    let mut config = Config::default();
    config.costs.bls12_381_pairing_equality += 1_000;
    config.costs.bls12_381_pairing_equality_per_pair += 10;
    let (stored, dearer) = run_with(config, &code, image);
    assert_eq!(code_of(&stored.unwrap()), 0);
    assert_eq!(dearer - gas, 1_000 + 2 * 10);
}

/// NIST CAVP 186-4 `SigGen.txt` `[P-256,SHA-256]`, first vector: SHA-256 of its
/// message, `r || s`, and the uncompressed key.
const NIST_HASH: &str = "44acf6b7e36c1342c2c5897204fe09504e1e2efb1a900377dbc4e7a6a133ec56";
const NIST_SIG: &str = "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac\
                        8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903";
const NIST_PK: &str = "041ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83\
                       ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9";

#[test]
fn secp256r1_verify_through_the_host() {
    let code = module("secp256r1_verify", 3, "i32");
    let verify = |hash: &[u8], sig: &[u8], pk: &[u8]| {
        let mut image = Image::new();
        let (a, b, c) = (image.input(hash), image.input(sig), image.input(pk));
        run(&code, image.arg(0, a).arg(1, b).arg(2, c).finish())
    };
    let (hash, sig, pk) = (h(NIST_HASH), h(NIST_SIG), h(NIST_PK));
    assert_eq!(code_of(&verify(&hash, &sig, &pk).unwrap()), 0);
    assert_eq!(code_of(&verify(&[0; 32], &sig, &pk).unwrap()), 1);
    assert_eq!(code_of(&verify(&hash[..31], &sig, &pk).unwrap()), 3);
    // Over the limits: an error, not a code.
    for (hash, sig, pk, max) in [(&[0u8; 33][..], &sig[..], &pk[..], 32), (&hash, &[0; 65], &pk, 64)] {
        let e = verify(hash, sig, pk).unwrap_err();
        assert!(e.message.contains(&format!("limit of {max} bytes")), "{e:?}");
    }
    let e = verify(&hash, &sig, &[4; 66]).unwrap_err();
    assert!(e.message.contains("limit of 65 bytes"), "{e:?}");
}

#[test]
fn secp256r1_recover_through_the_host() {
    let code = module("secp256r1_recover_pubkey", 3, "i64");
    let recover = |param: u32| {
        let mut image = Image::new();
        let (hash, sig) = (image.input(&h(NIST_HASH)), image.input(&h(NIST_SIG)));
        run_with(Config::default(), &code, image.arg(0, hash).arg(1, sig).arg(2, param).finish())
    };
    let keys: Vec<Vec<u8>> = (0..2).map(|id| recover(id).0.unwrap()).collect();
    assert!(keys.contains(&h(NIST_PK)), "one recovery id gives the signer");
    // The error code comes back in the high half.
    let high_half =
        |stored: Result<Vec<u8>, CallError>| u64::from_le_bytes(stored.unwrap()[..8].try_into().unwrap());
    let (stored, gas_256) = recover(256);
    assert_eq!(high_half(stored), 6 << 32);
    let (stored, gas_4) = recover(4);
    assert_eq!(high_half(stored), 6 << 32);
    // A parameter beyond a byte is refused before the recovery is charged (cosmwasm-vm).
    assert_eq!(gas_4 - gas_256, Config::default().costs.secp256r1_recover);
}
