//! Every host function of the ABI: what it does, how it fails on bad pointers and on
//! lengths over its documented maximum.

use crate::support::*;
use cove_wasm::abi::HOST_FUNCTIONS;
use cove_wasm::{
    Config, MAX_ABORT_MSG_LEN, MAX_EVENT_DATA_LEN, MAX_HASH_INPUT_LEN, MAX_INPUT_LEN, MAX_KEY_LEN,
    MAX_PRECOMPILE_INPUT_LEN, MAX_PUBLIC_KEY_LEN, MAX_RETURN_LEN, MAX_SIGNATURE_LEN, MAX_TOPIC_LEN,
    MAX_VALUE_LEN,
};
use types::{ErrorKind, Event};

/// A one-page module importing every host function, with `body` spliced in.
fn m(body: &str) -> String {
    module(&all_imports(), body)
}

/// RFC 8032 section 7.1, test 1: the empty message.
const ED25519_PK: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const ED25519_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/// `(if (i32.ne <expr> (i32.const want)) (then unreachable))`: a check inside the contract.
fn assert_i32(expr: &str, want: i32) -> String {
    format!("(if (i32.ne {expr} (i32.const {want})) (then unreachable))")
}

// ---------------------------------------------------------------------------------------
// Success paths, one per host function.
// ---------------------------------------------------------------------------------------

#[test]
fn storage_read_returns_pointer_and_length_of_an_allocated_copy() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "key")
  (data (i32.const 8) "nope")
  (func (export "packed") (result i64) (call $storage_read (i32.const 0) (i32.const 3)))
  (func (export "absent") (result i64) (call $storage_read (i32.const 8) (i32.const 4)))
  (func (export "bytes") (local $r i64)
    (local.set $r (call $storage_read (i32.const 0) (i32.const 3)))
    (call $return_data
      (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
      (i32.wrap_i64 (local.get $r))))
  (func (export "twice") (result i64)
    (drop (call $storage_read (i32.const 0) (i32.const 3)))
    (call $storage_read (i32.const 0) (i32.const 3)))"#));
    h.storage.0.insert(b"key".to_vec(), b"value!".to_vec());

    // allocate bumps from 1024: the first value lands there.
    let packed = u64::from_le_bytes(h.ok("packed", &[]).try_into().unwrap());
    assert_eq!(packed, (1024 << 32) | 6);
    assert_eq!(h.ok("bytes", &[]), b"value!");
    // A second read in the same call gets a fresh allocation.
    let twice = u64::from_le_bytes(h.ok("twice", &[]).try_into().unwrap());
    assert_eq!(twice, ((1024 + 6) << 32) | 6);
    // An absent key is 0 (no allocation).
    assert_eq!(h.ok("absent", &[]), 0u64.to_le_bytes());
}

#[test]
fn storage_write_stores_the_bytes_and_returns_zero() {
    let mut h = Harness::new(&m(&format!(
        r#"
  (data (i32.const 0) "k1")
  (data (i32.const 16) "hello")
  (data (i32.const 32) "bye")
  (func (export "write") (result i32) (call $storage_write (i32.const 0) (i32.const 2) (i32.const 16) (i32.const 5)))
  (func (export "overwrite") {})
  (func (export "empty_key") (result i32) (call $storage_write (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 3)))"#,
        assert_i32("(call $storage_write (i32.const 0) (i32.const 2) (i32.const 32) (i32.const 3))", 0)
    )));
    assert_eq!(h.ok("write", &[]), 0i32.to_le_bytes());
    assert_eq!(h.storage.0.get(&b"k1"[..]).map(Vec::as_slice), Some(&b"hello"[..]));
    h.ok("overwrite", &[]);
    assert_eq!(h.storage.0.get(&b"k1"[..]).map(Vec::as_slice), Some(&b"bye"[..]));
    // The empty key is a key like any other.
    assert_eq!(h.ok("empty_key", &[]), 0i32.to_le_bytes());
    assert_eq!(h.storage.0.get(&b""[..]).map(Vec::as_slice), Some(&b"bye"[..]));
    assert_eq!(h.storage.0.len(), 2);
}

#[test]
fn storage_write_of_an_empty_value_is_invalid_argument() {
    let mut h = Harness::new(&m(r#"
  (func (export "go") (drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0))))"#));
    let msg = expect_err(&h.call("go", &[]), ErrorKind::InvalidArgument);
    assert!(msg.contains("storage_write") && msg.contains("non-empty"), "{msg}");
    assert!(h.storage.0.is_empty());
}

#[test]
fn storage_delete_returns_one_then_zero() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "gone")
  (func (export "go") (result i32) (call $storage_delete (i32.const 0) (i32.const 4)))"#));
    h.storage.0.insert(b"gone".to_vec(), b"v".to_vec());
    h.storage.0.insert(b"kept".to_vec(), b"w".to_vec());
    assert_eq!(h.ok("go", &[]), 1i32.to_le_bytes());
    assert!(!h.storage.0.contains_key(&b"gone"[..]));
    assert_eq!(h.ok("go", &[]), 0i32.to_le_bytes());
    assert_eq!(h.storage.0.len(), 1, "other keys untouched");
}

#[test]
fn get_caller_and_get_contract_address_write_twenty_bytes() {
    let mut h = Harness::new(&m(&format!(
        r#"
  (func (export "caller") {} (call $return_data (i32.const 100) (i32.const 20)))
  (func (export "contract") {} (call $return_data (i32.const 100) (i32.const 20)))
  (func (export "last_byte") (result i32) (call $get_caller (i32.const 65516)))"#,
        assert_i32("(call $get_caller (i32.const 100))", 20),
        assert_i32("(call $get_contract_address (i32.const 100))", 20),
    )));
    assert_eq!(h.ok("caller", &[]), CALLER.as_bytes());
    assert_eq!(h.ok("contract", &[]), CONTRACT.as_bytes());
    // The last 20 bytes of memory are a valid destination.
    assert_eq!(h.ok("last_byte", &[]), 20i32.to_le_bytes());
}

#[test]
fn block_number_and_timestamp_come_from_the_call_context() {
    let mut h = Harness::new(&m(r#"
  (func (export "number") (result i64) (call $get_block_number))
  (func (export "time") (result i64) (call $get_block_timestamp))"#));
    assert_eq!(h.ok("number", &[]), BLOCK.height.to_le_bytes());
    assert_eq!(h.ok("time", &[]), BLOCK.timestamp.to_le_bytes());
}

#[test]
fn crypto_hash_is_sha256() {
    let mut h = Harness::new(&m(&format!(
        r#"
  (data (i32.const 0) "abc")
  (func (export "abc") {} (call $return_data (i32.const 200) (i32.const 32)))
  (func (export "empty") {} (call $return_data (i32.const 200) (i32.const 32)))
  (func (export "in_place") (drop (call $crypto_hash (i32.const 0) (i32.const 3) (i32.const 0)))
    (call $return_data (i32.const 0) (i32.const 32)))"#,
        assert_i32("(call $crypto_hash (i32.const 0) (i32.const 3) (i32.const 200))", 32),
        assert_i32("(call $crypto_hash (i32.const 0) (i32.const 0) (i32.const 200))", 32),
    )));
    let abc = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(h.ok("abc", &[]), abc);
    assert_eq!(h.ok("empty", &[]), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    // The result may overlap the input: the digest is computed before it is written.
    assert_eq!(h.ok("in_place", &[]), abc);
}

fn verify_module(pk: &[u8], sig: &[u8], msg: &[u8]) -> String {
    m(&format!(
        r#"
  (data (i32.const 0) "{}")
  (data (i32.const 200) "{}")
  (data (i32.const 300) "{}")
  (func (export "go") (result i32)
    (call $crypto_verify (i32.const 300) (i32.const {}) (i32.const 200) (i32.const {}) (i32.const 0) (i32.const {})))"#,
        wat_bytes(pk),
        wat_bytes(sig),
        wat_bytes(msg),
        msg.len(),
        sig.len(),
        pk.len()
    ))
}

#[test]
fn crypto_verify_accepts_the_rfc8032_vector_and_rejects_a_flipped_bit() {
    let (pk, sig) = (hex(ED25519_PK), hex(ED25519_SIG));
    assert_eq!(Harness::new(&verify_module(&pk, &sig, b"")).ok("go", &[]), 1i32.to_le_bytes());

    let mut bad_sig = sig.clone();
    bad_sig[10] ^= 0x04;
    assert_eq!(Harness::new(&verify_module(&pk, &bad_sig, b"")).ok("go", &[]), 0i32.to_le_bytes());
    let mut bad_pk = pk.clone();
    bad_pk[0] ^= 0x01;
    assert_eq!(Harness::new(&verify_module(&bad_pk, &sig, b"")).ok("go", &[]), 0i32.to_le_bytes());
    assert_eq!(Harness::new(&verify_module(&pk, &sig, b"x")).ok("go", &[]), 0i32.to_le_bytes());
    // Lengths within the maxima but of no known scheme: simply invalid.
    let (long_sig, long_pk) = (vec![1u8; MAX_SIGNATURE_LEN as usize], vec![2u8; MAX_PUBLIC_KEY_LEN as usize]);
    assert_eq!(Harness::new(&verify_module(&long_pk, &long_sig, b"m")).ok("go", &[]), 0i32.to_le_bytes());
}

#[test]
fn crypto_verify_accepts_secp256k1_low_s_signatures() {
    use k256::ecdsa::{Signature, SigningKey, signature::hazmat::PrehashSigner};
    let sk = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let msg = b"cove contract message";
    let sig: Signature = sk.sign_prehash(&types::sha256(msg)).unwrap();
    let sig = sig.normalize_s().unwrap_or(sig).to_bytes();
    let pk = sk.verifying_key().to_encoded_point(true);
    assert_eq!(Harness::new(&verify_module(pk.as_bytes(), &sig, msg)).ok("go", &[]), 1i32.to_le_bytes());
    assert_eq!(Harness::new(&verify_module(pk.as_bytes(), &sig, b"other")).ok("go", &[]), 0i32.to_le_bytes());
}

#[test]
fn log_event_records_topic_data_and_contract_in_order() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "transfer")
  (data (i32.const 16) "\01\02\03")
  (func (export "go")
    (call $log_event (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 3))
    (call $log_event (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 0)))"#));
    let out = h.call("go", &[]);
    assert_eq!(out.result, Ok(vec![]));
    assert_eq!(
        out.events,
        vec![
            Event { contract: CONTRACT, topics: vec![b"transfer".to_vec()], data: vec![1, 2, 3] },
            Event { contract: CONTRACT, topics: vec![vec![]], data: vec![] },
        ]
    );
}

#[test]
fn input_len_and_input_read_expose_the_call_input() {
    let mut h = Harness::new(&m(r#"
  (func (export "len") (result i32) (call $input_len))
  (func (export "echo")
    (call $input_read (i32.const 300))
    (call $return_data (i32.const 300) (call $input_len)))
  (func (export "at_end") (call $input_read (i32.const 65526)) (call $return_data (i32.const 65526) (i32.const 10)))"#));
    assert_eq!(h.ok("len", &[]), 0i32.to_le_bytes());
    assert_eq!(h.ok("len", b"hello"), 5i32.to_le_bytes());
    assert_eq!(h.ok("echo", b"hello, contract"), b"hello, contract");
    assert_eq!(h.ok("echo", b""), b"");
    // An input that exactly fits before the end of memory.
    assert_eq!(h.ok("at_end", b"0123456789"), b"0123456789");
}

#[test]
fn input_of_exactly_the_maximum_is_accepted() {
    let mut h = Harness::new(&m(r#"(func (export "len") (result i32) (call $input_len))"#));
    let input = vec![7u8; MAX_INPUT_LEN as usize];
    assert_eq!(h.ok("len", &input), (MAX_INPUT_LEN as i32).to_le_bytes());
    let msg = expect_err(&h.call("len", &vec![7u8; MAX_INPUT_LEN as usize + 1]), ErrorKind::InvalidArgument);
    assert!(msg.contains(&MAX_INPUT_LEN.to_string()), "{msg}");
}

#[test]
fn return_data_sets_the_result_and_the_last_call_wins() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "first")
  (data (i32.const 8) "second")
  (func (export "one") (call $return_data (i32.const 0) (i32.const 5)))
  (func (export "last") (result i32)
    (call $return_data (i32.const 0) (i32.const 5))
    (call $return_data (i32.const 8) (i32.const 6))
    (i32.const 99))
  (func (export "empty") (call $return_data (i32.const 0) (i32.const 0)))"#));
    assert_eq!(h.ok("one", &[]), b"first");
    // return_data overrides the entry point's own result.
    assert_eq!(h.ok("last", &[]), b"second");
    assert_eq!(h.ok("empty", &[]), b"");
}

#[test]
fn entry_results_without_return_data_are_little_endian_bytes() {
    let mut h = Harness::new(&m(r#"
  (func (export "i32") (result i32) (i32.const -2))
  (func (export "i64") (result i64) (i64.const 0x0102030405060708))
  (func (export "unit"))"#));
    assert_eq!(h.ok("i32", &[]), (-2i32).to_le_bytes());
    assert_eq!(h.ok("i64", &[]), 0x0102030405060708i64.to_le_bytes());
    assert_eq!(h.ok("unit", &[]), Vec::<u8>::new());
}

#[test]
fn abort_ends_the_call_with_its_message() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "insufficient balance")
  (data (i32.const 32) "\ff\fe")
  (data (i32.const 64) "k")
  (func (export "go")
    (drop (call $storage_write (i32.const 64) (i32.const 1) (i32.const 64) (i32.const 1)))
    (call $abort (i32.const 0) (i32.const 20))
    (drop (call $storage_write (i32.const 64) (i32.const 1) (i32.const 0) (i32.const 1))))
  (func (export "invalid_utf8") (call $abort (i32.const 32) (i32.const 2)))
  (func (export "empty") (call $abort (i32.const 0) (i32.const 0)))"#));
    let out = h.call("go", &[]);
    assert_eq!(expect_err(&out, ErrorKind::Aborted), "insufficient balance");
    assert!(out.events.is_empty());
    assert!(h.storage.0.is_empty());
    // Invalid UTF-8 is shown lossily, never refused.
    assert_eq!(expect_err(&h.call("invalid_utf8", &[]), ErrorKind::Aborted), "\u{fffd}\u{fffd}");
    assert_eq!(expect_err(&h.call("empty", &[]), ErrorKind::Aborted), "");
}

#[test]
fn abort_messages_over_the_maximum_are_truncated_not_rejected() {
    let mut h = Harness::new(&m(&format!(
        r#"
  (data (i32.const 0) "{}")
  (func (export "long") (call $abort (i32.const 0) (i32.const 3000)))
  (func (export "huge") (call $abort (i32.const 0) (i32.const -1)))"#,
        "x".repeat(3000)
    )));
    let max = MAX_ABORT_MSG_LEN as usize;
    assert_eq!(expect_err(&h.call("long", &[]), ErrorKind::Aborted), "x".repeat(max));
    // A negative (huge unsigned) length is truncated the same way.
    assert_eq!(expect_err(&h.call("huge", &[]), ErrorKind::Aborted), "x".repeat(max));
}

// ---------------------------------------------------------------------------------------
// Pointers out of bounds: kind `trap`, naming the function.
// ---------------------------------------------------------------------------------------

/// Calls of each pointer-taking host function; `{p}` is the pointer under test and `{l}`
/// its length (unused for fixed-size results).
const POINTER_CASES: &[(&str, &str, Option<u32>)] = &[
    ("storage_read", "(drop (call $storage_read (i32.const {p}) (i32.const {l})))", None),
    (
        "storage_write",
        "(drop (call $storage_write (i32.const {p}) (i32.const {l}) (i32.const 0) (i32.const 1)))",
        None,
    ),
    (
        "storage_write",
        "(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const {p}) (i32.const {l})))",
        None,
    ),
    ("storage_delete", "(drop (call $storage_delete (i32.const {p}) (i32.const {l})))", None),
    ("get_caller", "(drop (call $get_caller (i32.const {p})))", Some(20)),
    ("get_contract_address", "(drop (call $get_contract_address (i32.const {p})))", Some(20)),
    ("crypto_hash", "(drop (call $crypto_hash (i32.const {p}) (i32.const {l}) (i32.const 0)))", None),
    ("crypto_hash", "(drop (call $crypto_hash (i32.const 0) (i32.const 1) (i32.const {p})))", Some(32)),
    (
        "crypto_verify",
        "(drop (call $crypto_verify (i32.const {p}) (i32.const {l}) (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 32)))",
        None,
    ),
    (
        "crypto_verify",
        "(drop (call $crypto_verify (i32.const 0) (i32.const 1) (i32.const {p}) (i32.const {l}) (i32.const 0) (i32.const 32)))",
        None,
    ),
    (
        "crypto_verify",
        "(drop (call $crypto_verify (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 64) (i32.const {p}) (i32.const {l})))",
        None,
    ),
    ("log_event", "(call $log_event (i32.const {p}) (i32.const {l}) (i32.const 0) (i32.const 1))", None),
    ("log_event", "(call $log_event (i32.const 0) (i32.const 1) (i32.const {p}) (i32.const {l}))", None),
    ("return_data", "(call $return_data (i32.const {p}) (i32.const {l}))", None),
    ("abort", "(call $abort (i32.const {p}) (i32.const {l}))", None),
    ("precompile", "(drop (call $precompile (i32.const {p}) (i32.const 0) (i32.const 0)))", Some(20)),
    ("precompile", "(drop (call $precompile (i32.const 0) (i32.const {p}) (i32.const {l})))", None),
];

/// (pointer, length) pairs that leave the one-page memory.
fn bad_ranges(fixed: Option<u32>) -> Vec<(i64, u32)> {
    match fixed {
        // One byte past the end, far past it, and the top of the address space.
        Some(n) => vec![(65536 - n as i64 + 1, n), (65536, n), (-1, n)],
        None => vec![(65530, 10), (65536, 1), (-1, 1), (-10, 20)],
    }
}

#[test]
fn every_pointer_out_of_bounds_is_a_trap_naming_the_function() {
    let mut body = String::new();
    let mut cases = Vec::new();
    for (name, call, fixed) in POINTER_CASES {
        for (p, l) in bad_ranges(*fixed) {
            let i = cases.len();
            let call = call.replace("{p}", &p.to_string()).replace("{l}", &l.to_string());
            body.push_str(&format!("\n  (func (export \"case{i}\") {call})"));
            cases.push((*name, call));
        }
    }
    let mut h = Harness::new(&m(&body));
    h.storage.0.insert(b"\0".to_vec(), b"present".to_vec());
    for (i, (name, call)) in cases.iter().enumerate() {
        let out = h.call(&format!("case{i}"), &[]);
        let msg = expect_err(&out, ErrorKind::Trap);
        assert!(msg.contains(name) && msg.contains("out of bounds"), "{call}: {msg}");
        assert_eq!(h.storage.0.len(), 1, "{call}: nothing written");
    }
}

#[test]
fn ranges_ending_exactly_at_the_end_of_memory_are_in_bounds() {
    let mut h = Harness::new(&m(&format!(
        r#"
  (func (export "write") (drop (call $storage_write (i32.const 65535) (i32.const 1) (i32.const 65526) (i32.const 10))))
  (func (export "hash") {})
  (func (export "ret") (call $return_data (i32.const 65536) (i32.const 0)))
  (func (export "event") (call $log_event (i32.const 65536) (i32.const 0) (i32.const 65280) (i32.const 256)))"#,
        assert_i32("(call $crypto_hash (i32.const 65536) (i32.const 0) (i32.const 65504))", 32)
    )));
    h.ok("write", &[]);
    assert_eq!(h.storage.0.get(&[0u8][..]), Some(&vec![0u8; 10]));
    h.ok("hash", &[]);
    assert_eq!(h.ok("ret", &[]), b"");
    assert_eq!(h.call("event", &[]).events.len(), 1);
}

#[test]
fn input_that_does_not_fit_at_the_destination_is_a_trap() {
    let mut h = Harness::new(&m(r#"
  (func (export "near_end") (call $input_read (i32.const 65530)))
  (func (export "minus_one") (call $input_read (i32.const -1)))"#));
    for (entry, input) in [("near_end", &b"0123456789"[..]), ("minus_one", b"x"), ("minus_one", b"")] {
        let msg = expect_err(&h.call(entry, input), ErrorKind::Trap);
        assert!(msg.contains("input_read") && msg.contains("out of bounds"), "{entry}: {msg}");
    }
    // Empty input at the very end of memory is fine.
    let mut h = Harness::new(&m(r#"(func (export "go") (call $input_read (i32.const 65536)))"#));
    assert_eq!(h.ok("go", b""), b"");
}

// ---------------------------------------------------------------------------------------
// Lengths over their documented maximum: kind `invalid_argument`.
// ---------------------------------------------------------------------------------------

/// Calls with one length under test (`{l}`), its maximum, and what the message names.
fn length_cases() -> Vec<(&'static str, &'static str, u32)> {
    vec![
        ("storage_read", "(drop (call $storage_read (i32.const 0) (i32.const {l})))", MAX_KEY_LEN),
        (
            "storage_write",
            "(drop (call $storage_write (i32.const 0) (i32.const {l}) (i32.const 0) (i32.const 1)))",
            MAX_KEY_LEN,
        ),
        (
            "storage_write",
            "(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const {l})))",
            MAX_VALUE_LEN,
        ),
        ("storage_delete", "(drop (call $storage_delete (i32.const 0) (i32.const {l})))", MAX_KEY_LEN),
        (
            "crypto_hash",
            "(drop (call $crypto_hash (i32.const 0) (i32.const {l}) (i32.const 0)))",
            MAX_HASH_INPUT_LEN,
        ),
        (
            "crypto_verify",
            "(drop (call $crypto_verify (i32.const 0) (i32.const {l}) (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 32)))",
            MAX_HASH_INPUT_LEN,
        ),
        (
            "crypto_verify",
            "(drop (call $crypto_verify (i32.const 0) (i32.const 1) (i32.const 0) (i32.const {l}) (i32.const 0) (i32.const 32)))",
            MAX_SIGNATURE_LEN,
        ),
        (
            "crypto_verify",
            "(drop (call $crypto_verify (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 64) (i32.const 0) (i32.const {l})))",
            MAX_PUBLIC_KEY_LEN,
        ),
        (
            "log_event",
            "(call $log_event (i32.const 0) (i32.const {l}) (i32.const 0) (i32.const 1))",
            MAX_TOPIC_LEN,
        ),
        (
            "log_event",
            "(call $log_event (i32.const 0) (i32.const 1) (i32.const 0) (i32.const {l}))",
            MAX_EVENT_DATA_LEN,
        ),
        ("return_data", "(call $return_data (i32.const 0) (i32.const {l}))", MAX_RETURN_LEN),
        (
            "precompile",
            "(drop (call $precompile (i32.const 0) (i32.const 0) (i32.const {l})))",
            MAX_PRECOMPILE_INPUT_LEN,
        ),
    ]
}

#[test]
fn every_length_over_its_maximum_is_invalid_argument() {
    let mut body = String::new();
    let mut cases = Vec::new();
    for (name, call, max) in length_cases() {
        // One over, and a negative length (huge as unsigned). Both are checked before the
        // pointer, so they are `invalid_argument` even where the range would not fit.
        for l in [max as i64 + 1, -1] {
            let i = cases.len();
            let call = call.replace("{l}", &l.to_string());
            body.push_str(&format!("\n  (func (export \"case{i}\") {call})"));
            cases.push((name, call, max));
        }
    }
    let mut h = Harness::new(&m(&body));
    for (i, (name, call, max)) in cases.iter().enumerate() {
        let out = h.call(&format!("case{i}"), &[]);
        let msg = expect_err(&out, ErrorKind::InvalidArgument);
        assert!(msg.contains(name) && msg.contains(&format!("maximum {max}")), "{call}: {msg}");
        assert!(h.storage.0.is_empty() && out.events.is_empty(), "{call}");
    }
}

#[test]
fn lengths_at_their_maximum_are_accepted() {
    // Three pages hold a maximal value (128 KiB) and return (128 KiB); 17 a maximal hash input.
    let wat = format!(
        r#"(module
  {}
  (memory (export "memory") 17)
  (func (export "allocate") (param i32) (result i32) (i32.const 0))
  (func (export "key") (drop (call $storage_write (i32.const 0) (i32.const {MAX_KEY_LEN}) (i32.const 0) (i32.const 1))))
  (func (export "value") (drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const {MAX_VALUE_LEN}))))
  (func (export "ret") (call $return_data (i32.const 0) (i32.const {MAX_RETURN_LEN})))
  (func (export "event") (call $log_event (i32.const 0) (i32.const {MAX_TOPIC_LEN}) (i32.const 0) (i32.const {MAX_EVENT_DATA_LEN})))
  (func (export "hash") (result i32) (call $crypto_hash (i32.const 0) (i32.const {MAX_HASH_INPUT_LEN}) (i32.const 0)))
  (func (export "read") (result i32) (i32.wrap_i64 (call $storage_read (i32.const 0) (i32.const 1)))))"#,
        all_imports()
    );
    let mut h = Harness::new(&wat);
    h.ok("key", &[]);
    assert!(h.storage.0.contains_key(&vec![0u8; MAX_KEY_LEN as usize]));
    h.ok("value", &[]);
    assert_eq!(h.storage.0.get(&[0u8][..]).map(Vec::len), Some(MAX_VALUE_LEN as usize));
    // A maximal value can be read back.
    assert_eq!(h.ok("read", &[]), MAX_VALUE_LEN.to_le_bytes());
    assert_eq!(h.ok("ret", &[]).len(), MAX_RETURN_LEN as usize);
    let out = h.call("event", &[]);
    assert_eq!(out.events[0].topics[0].len(), MAX_TOPIC_LEN as usize);
    assert_eq!(out.events[0].data.len(), MAX_EVENT_DATA_LEN as usize);
    assert_eq!(h.ok("hash", &[]), 32i32.to_le_bytes());
}

#[test]
fn configured_host_limits_are_honoured() {
    let mut config = Config::default();
    config.host_limits.max_key_len = 4;
    config.host_limits.max_return_len = 2;
    config.host_limits.max_abort_msg_len = 3;
    config.host_limits.max_input_len = 1;
    let mut h = Harness::with_config(
        &m(r#"
  (data (i32.const 0) "abcdef")
  (func (export "key4") (drop (call $storage_write (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 1))))
  (func (export "key5") (drop (call $storage_write (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 1))))
  (func (export "ret3") (call $return_data (i32.const 0) (i32.const 3)))
  (func (export "abort") (call $abort (i32.const 0) (i32.const 6)))"#),
        config,
    );
    h.ok("key4", &[]);
    assert!(expect_err(&h.call("key5", &[]), ErrorKind::InvalidArgument).contains("maximum 4"));
    assert!(expect_err(&h.call("ret3", &[]), ErrorKind::InvalidArgument).contains("maximum 2"));
    assert_eq!(expect_err(&h.call("abort", &[]), ErrorKind::Aborted), "abc");
    expect_err(&h.call("key4", b"xy"), ErrorKind::InvalidArgument);
}

// ---------------------------------------------------------------------------------------
// Read-only calls, `allocate`, and the import table.
// ---------------------------------------------------------------------------------------

#[test]
fn read_only_calls_may_read_but_not_write_or_delete() {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "k")
  (func (export "read") (result i64) (call $storage_read (i32.const 0) (i32.const 1)))
  (func (export "write") (drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))))
  (func (export "delete") (drop (call $storage_delete (i32.const 0) (i32.const 1))))
  (func (export "delete_absent") (drop (call $storage_delete (i32.const 8) (i32.const 1))))"#));
    h.storage.0.insert(b"k".to_vec(), b"v".to_vec());
    h.read_only = true;
    assert_eq!(h.ok("read", &[]), ((1024u64 << 32) | 1).to_le_bytes());
    for entry in ["write", "delete", "delete_absent"] {
        let msg = expect_err(&h.call(entry, &[]), ErrorKind::ReadOnly);
        assert!(msg.contains("read-only"), "{entry}: {msg}");
    }
    assert_eq!(h.storage.0.get(&b"k"[..]).map(Vec::as_slice), Some(&b"v"[..]));
    h.read_only = false;
    h.ok("write", &[]);
    h.ok("delete", &[]);
    assert!(h.storage.0.is_empty());
}

fn allocate_module(allocate_body: &str) -> String {
    format!(
        r#"(module
  {}
  (memory (export "memory") 1)
  (func (export "allocate") (param $n i32) (result i32) {allocate_body})
  (data (i32.const 0) "k")
  (func (export "go") (result i64) (call $storage_read (i32.const 0) (i32.const 1))))"#,
        all_imports()
    )
}

#[test]
fn allocate_returning_an_out_of_bounds_pointer_is_a_trap() {
    for (body, what) in [
        ("(i32.const 65535)", "one byte short"),
        ("(i32.const 65536)", "at the end"),
        ("(i32.const -1)", "minus one"),
        ("(i32.sub (i32.const 65536) (local.get $n))", "exactly fits"),
    ] {
        let mut h = Harness::new(&allocate_module(body));
        h.storage.0.insert(b"k".to_vec(), b"value".to_vec());
        let out = h.call("go", &[]);
        if what == "exactly fits" {
            assert_eq!(out.result, Ok(((65531u64 << 32) | 5).to_le_bytes().to_vec()), "{what}");
        } else {
            let msg = expect_err(&out, ErrorKind::Trap);
            assert!(msg.contains("allocate") && msg.contains("out of bounds"), "{what}: {msg}");
        }
    }
}

#[test]
fn allocate_is_not_called_for_an_absent_key() {
    let mut h = Harness::new(&allocate_module("unreachable"));
    assert_eq!(h.ok("go", &[]), 0u64.to_le_bytes());
    h.storage.0.insert(b"k".to_vec(), b"v".to_vec());
    expect_err(&h.call("go", &[]), ErrorKind::Trap);
}

#[test]
fn host_functions_called_from_allocate_trap() {
    for call in [
        "(drop (call $get_block_number))",
        "(drop (call $input_len))",
        "(drop (call $storage_read (i32.const 0) (i32.const 1)))",
        "(call $abort (i32.const 0) (i32.const 1))",
    ] {
        let mut h = Harness::new(&allocate_module(&format!("{call} (i32.const 100)")));
        h.storage.0.insert(b"k".to_vec(), b"v".to_vec());
        let msg = expect_err(&h.call("go", &[]), ErrorKind::Trap);
        assert!(msg.contains("allocate"), "{call}: {msg}");
        // `allocate` is not an entry point either.
        expect_err(&h.call("allocate", &[]), ErrorKind::NotFound);
    }
}

#[test]
fn importing_storage_read_requires_an_allocate_export() {
    let read = import("storage_read");
    let no_allocate = format!(r#"(module {read} (memory (export "memory") 1))"#);
    assert_eq!(compile_err(&no_allocate).rule, "allocate-export");
    let wrong_sig = format!(
        r#"(module {read} (memory (export "memory") 1) (func (export "allocate") (param i64) (result i32) (i32.const 0)))"#
    );
    assert_eq!(compile_err(&wrong_sig).rule, "allocate-export");
    // Re-exporting an import as `allocate` does not count, even with the right signature.
    let reexport = format!(
        r#"(module {read} {} (memory (export "memory") 1) (export "allocate" (func $get_caller)))"#,
        import("get_caller")
    );
    assert_eq!(compile_err(&reexport).rule, "allocate-export");
    // Other host functions need no allocate.
    let others: String = HOST_FUNCTIONS
        .iter()
        .filter(|h| !["storage_read", "precompile", "storage_read_lived"].contains(&h.name))
        .map(|h| import(h.name))
        .collect();
    Harness::new(&format!(r#"(module {others} (memory (export "memory") 1))"#));
}

#[test]
fn every_host_function_links_with_its_abi_signature() {
    assert_eq!(HOST_FUNCTIONS.len(), 25);
    let mut h = Harness::new(&m(r#"
  (func (export "go") (result i64)
    (i64.add (call $get_block_number) (i64.extend_i32_u (call $input_len))))"#));
    assert_eq!(h.ok("go", b"abc"), 45u64.to_le_bytes());
    // Each one alone links too (no hidden dependency between imports).
    for f in HOST_FUNCTIONS {
        let wat = module(&import(f.name), r#"(func (export "go") (result i32) (i32.const 1))"#);
        assert_eq!(Harness::new(&wat).ok("go", &[]), 1i32.to_le_bytes(), "{}", f.name);
    }
}

// ---------------------------------------------------------------------------------------
// `precompile`, against a test double (the real registry is tested in cove-runtime).
// ---------------------------------------------------------------------------------------

/// Address 0x..04 echoes its input for `10 + len` gas; 0x..66 always fails; nothing else
/// exists.
struct EchoPrecompiles;

impl types::Precompiles for EchoPrecompiles {
    fn call(&self, address: &[u8; 20], input: &[u8], gas_limit: u64) -> Option<types::PrecompileCall> {
        let cost = 10 + input.len() as u64;
        match address[19] {
            0x04 if address[..19] == [0; 19] && cost <= gas_limit => {
                Some(types::PrecompileCall::Success { gas_used: cost, output: input.to_vec() })
            }
            0x04 | 0x66 if address[..19] == [0; 19] => Some(types::PrecompileCall::Failure),
            _ => None,
        }
    }
}

fn precompile_harness() -> Harness {
    let mut h = Harness::new(&m(r#"
  (data (i32.const 0) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\04")
  (data (i32.const 32) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\66")
  (data (i32.const 64) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\99")
  (data (i32.const 96) "hello")
  (func (export "echo") (local $r i64)
    (local.set $r (call $precompile (i32.const 0) (i32.const 96) (i32.const 5)))
    (call $return_data
      (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
      (i32.wrap_i64 (local.get $r))))
  (func (export "failing") (result i64) (call $precompile (i32.const 32) (i32.const 96) (i32.const 5)))
  (func (export "missing") (result i64) (call $precompile (i32.const 64) (i32.const 96) (i32.const 5)))
  (func (export "nothing") (result i64) (call $precompile (i32.const 0) (i32.const 96) (i32.const 0)))"#));
    h.vm = cove_wasm::Vm::new(h.vm.engine().clone()).with_precompiles(std::sync::Arc::new(EchoPrecompiles));
    h
}

#[test]
fn precompile_returns_an_allocated_copy_of_the_output_and_charges_its_gas() {
    let mut h = precompile_harness();
    assert_eq!(h.ok("echo", &[]), b"hello");
    // An empty output is still an allocation: (ptr << 32) | 0, never 0.
    assert_eq!(h.ok("nothing", &[]), (1024u64 << 32).to_le_bytes());
    // The echo's own gas (10 + 5) is charged on top of the base and per-byte prices.
    let c = Config::default().gas.host;
    let base = |o: &cove_wasm::CallOutcome| o.gas_used;
    let echo = base(&h.call("echo", &[]));
    let missing = base(&h.call("missing", &[]));
    let copy_out = c.copy_per_byte * 5;
    assert!(echo > missing + 15 + copy_out, "echo {echo}, missing {missing}");
}

#[test]
fn a_missing_precompile_returns_zero_and_a_failing_one_consumes_what_it_was_given() {
    let mut h = precompile_harness();
    let missing = h.call("missing", &[]);
    assert_eq!(missing.result, Ok(0u64.to_le_bytes().to_vec()));
    // A failure returns 0 and costs all but 1/64 of the gas left, like an EVM call.
    let gas = 1_000_000;
    let failing = h.call_with_gas("failing", &[], gas);
    assert_eq!(failing.result, Ok(0u64.to_le_bytes().to_vec()));
    assert!(failing.gas_used > gas - gas / 64 && failing.gas_used < gas, "{}", failing.gas_used);
    // Without a registry every call fails the same way, without consuming the gas.
    let mut plain = Harness::new(&m(
        r#"(func (export "go") (result i64) (call $precompile (i32.const 0) (i32.const 0) (i32.const 0)))"#,
    ));
    let out = plain.call_with_gas("go", &[], gas);
    assert_eq!(out.result, Ok(0u64.to_le_bytes().to_vec()));
    assert!(out.gas_used < 1_000, "{}", out.gas_used);
}

#[test]
fn a_precompile_import_requires_allocate() {
    let wat =
        format!(r#"(module {} (memory (export "memory") 1) (func (export "go")))"#, import("precompile"));
    let e = compile_err(&wat);
    assert!(e.to_string().contains("allocate"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Entry points: their types are read once, when the module is linked.
// ---------------------------------------------------------------------------------------

#[test]
fn an_entry_point_returns_nothing_an_i32_or_an_i64_and_no_other_export_runs() {
    let mut h = Harness::new(&m(r#"
  (global $ran (mut i32) (i32.const 0))
  (func (export "unit") (global.set $ran (i32.const 1)))
  (func (export "small") (result i32) (i32.const -2))
  (func (export "large") (result i64) (i64.const 0x0102030405060708))
  (func (export "takes") (param i32) (global.set $ran (i32.const 1)))
  (func (export "float") (result f32) (f32.const 1))
  (global (export "answer") i32 (i32.const 42))"#));
    assert_eq!(h.ok("unit", &[]), b"");
    assert_eq!(h.ok("small", &[]), (-2i32).to_le_bytes());
    assert_eq!(h.ok("large", &[]), 0x0102_0304_0506_0708_i64.to_le_bytes());
    for entry in ["takes", "float"] {
        let outcome = h.call(entry, &[]);
        let msg = expect_err(&outcome, ErrorKind::InvalidArgument);
        assert!(msg.contains("must take no parameters"), "{entry}: {msg}");
        // Refused before anything ran: no gas.
        assert_eq!(outcome.gas_used, 0, "{entry}");
    }
    for entry in ["answer", "memory", "missing"] {
        let msg = expect_err(&h.call(entry, &[]), ErrorKind::NotFound);
        assert!(msg.contains("no exported function"), "{entry}: {msg}");
    }
}
