//! Native transactions: a cove-ABI contract and a CosmWasm contract deployed, called
//! and queried over JSON-RPC with signed native transactions, their fees charged to
//! their senders, the refusals with geth's messages, and one nonce sequence shared with
//! Ethereum transactions.

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, Signature, U256};
use cove_node::native::{
    MAX_NATIVE_ENTRY_BYTES, MAX_NATIVE_INPUT_BYTES, MAX_NATIVE_LABEL_BYTES, MAX_NATIVE_TX_BYTES,
    NATIVE_BASE_GAS, NATIVE_GAS_PER_BYTE, NativeTx,
};
use cove_node::pool::MAX_POOL_BYTES;
use serde_json::{Value, json};

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;
const GAS: u64 = 5_000_000;

/// A native transaction of `kind` from `nonce` at [`PRICE`], the other fields empty.
pub(crate) fn tx(kind: u8, nonce: u64) -> NativeTx {
    NativeTx { chain_id: CHAIN_ID, nonce, gas_price: PRICE, gas_limit: GAS, kind, ..NativeTx::default() }
}

pub(crate) fn send(c: &Client, raw: &[u8]) -> String {
    c.call("cove_sendRawTransaction", json!([Bytes::copy_from_slice(raw)]))
        .as_str()
        .expect("hash")
        .to_string()
}

fn refused(c: &Client, raw: &[u8]) -> String {
    let e = c.error("cove_sendRawTransaction", json!([Bytes::copy_from_slice(raw)]));
    assert_eq!(e["code"], -32000, "{e}");
    e["message"].as_str().expect("message").to_string()
}

/// Sends `tx` signed by `w` and returns its receipt, checking that the sender paid
/// exactly gas used × price + `value` and that its nonce went up by one.
fn run(c: &Client, w: &Wallet, tx: &NativeTx) -> Value {
    let before = c.balance(w.address);
    let nonce = c.nonce(w.address);
    let r = c.receipt(&send(c, &w.native(tx)));
    let used = quantity(&r["gasUsed"]);
    assert_eq!(quantity(&r["effectiveGasPrice"]), PRICE as u64, "{r}");
    // A dev fund credits its value out of nowhere.
    let value = if r["status"] == "0x1" && tx.kind != 8 { tx.value } else { U256::ZERO };
    assert_eq!(before - c.balance(w.address), U256::from(used) * U256::from(PRICE) + value, "{r}");
    assert_eq!(c.nonce(w.address), nonce + 1, "{r}");
    assert_eq!(r["type"], "0x63", "{r}");
    r
}

pub(crate) fn address(r: &Value) -> Address {
    r["contractAddress"].as_str().expect("contract address").parse().expect("address")
}

#[test]
fn a_cove_abi_contract_is_deployed_called_and_read_with_native_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(2);
    let fees = Address::repeat_byte(0xfe);
    let code =
        wat::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat")).expect("wat");

    // Deploy with value: the contract holds it, the sender paid it and the gas.
    let fees_before = c.balance(fees);
    let mut deploy = tx(1, 0);
    deploy.code = code.clone().into();
    deploy.flags = 1;
    deploy.value = U256::from(1234);
    let r = run(&c, &w, &deploy);
    assert_eq!(r["status"], "0x1", "{r}");
    let used = quantity(&r["gasUsed"]);
    assert!(used >= NATIVE_BASE_GAS + NATIVE_GAS_PER_BYTE * code.len() as u64, "{r}");
    assert_eq!(c.balance(fees) - fees_before, U256::from(used) * U256::from(PRICE));
    let counter = address(&r);
    assert_eq!(c.balance(counter), U256::from(1234));
    assert_eq!(c.call("cove_getContract", json!([counter]))["vm"], "wasm");
    let code_id = r["cove"]["codeId"].as_str().expect("code id").to_string();

    // Calls: the output comes back in the receipt; a read sees the state.
    for (n, want) in [(1u64, "0x01000000"), (2, "0x02000000")] {
        let mut call = tx(4, n);
        call.to = counter.to_vec().into();
        call.entry = "increment".as_bytes().to_vec().into();
        let r = run(&c, &w, &call);
        assert_eq!((r["status"].as_str(), r["cove"]["output"].as_str()), (Some("0x1"), Some(want)), "{r}");
        assert_eq!((&r["to"], &r["contractAddress"]), (&json!(counter), &Value::Null));
    }
    let read = c.call("cove_call", json!([counter, "get", "0x"]));
    assert_eq!(read["output"], "0x02000000", "{read}");
    // At an older block: one increment.
    let head = quantity(&c.call("eth_blockNumber", json!([])));
    assert_eq!(
        c.call("cove_call", json!([counter, "get", null, format!("{:#x}", head - 1)]))["output"],
        "0x01000000"
    );

    // The state root and a proof of the counter's value against it.
    let root = c.call("cove_getStateRoot", json!([]));
    let block = c.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(root["root"], block["stateRoot"], "{root}");
    let p = c.call("cove_getProof", json!([counter, format!("0x{}", hex::encode("counter"))]));
    assert_eq!(p["value_hex"], "02000000", "{p}");
    assert_eq!((&p["root"], &p["height"]), (&root["root"], &root["height"]), "{p}");
    assert!(p["height"].as_str().is_some_and(|h| h.starts_with("0x")), "{p}");
    let bytes = |v: &Value| {
        let s = v.as_str().expect("hex");
        hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("hex")
    };
    let hash = |v: &Value| <[u8; 32]>::try_from(bytes(v)).expect("32 bytes");
    let proof = runtime::Proof {
        depth: p["proof"]["depth"].as_u64().expect("depth") as u8,
        key: bytes(&p["proof"]["key_hex"]),
        value: Some(bytes(&p["proof"]["value_hex"])),
        others: p["proof"]["others"]
            .as_array()
            .expect("others")
            .iter()
            .map(|o| (hash(&o[0]), hash(&o[1])))
            .collect(),
        siblings: p["proof"]["siblings"].as_array().expect("siblings").iter().map(hash).collect(),
    };
    proof.verify(&hash(&p["root"])).expect("the proof verifies");
    // A key is bounded.
    let long = format!("0x{}", "ab".repeat(cove_node::rpc::MAX_PROOF_KEY_BYTES + 1));
    let e = c.error("cove_getProof", json!([counter, long]));
    assert_eq!(
        (&e["code"], e["message"].as_str()),
        (
            &json!(-32602),
            Some(format!("key longer than {} bytes", cove_node::rpc::MAX_PROOF_KEY_BYTES).as_str())
        ),
        "{e}"
    );
    let at_max = format!("0x{}", "ab".repeat(cove_node::rpc::MAX_PROOF_KEY_BYTES));
    assert_eq!(c.call("cove_getProof", json!([counter, at_max]))["value_hex"], Value::Null);

    // A failed transaction pays for its gas and uses its nonce.
    let mut missing = tx(4, 3);
    missing.to = counter.to_vec().into();
    missing.entry = "nope".as_bytes().to_vec().into();
    let r = run(&c, &w, &missing);
    assert_eq!(r["status"], "0x0", "{r}");
    assert_eq!(r["cove"]["error"]["kind"], "not_found", "{r}");

    // Store, then instantiate the stored code: a second counter, from zero.
    let mut store = tx(2, 4);
    store.code = code.into();
    let r = run(&c, &w, &store);
    assert_eq!(
        (r["status"].as_str(), r["cove"]["codeId"].as_str()),
        (Some("0x1"), Some(code_id.as_str())),
        "{r}"
    );
    let mut instantiate = tx(3, 5);
    instantiate.code_id = hex::decode(code_id.trim_start_matches("0x")).expect("hex").into();
    instantiate.flags = 1;
    let r = run(&c, &w, &instantiate);
    assert_eq!(r["status"], "0x1", "{r}");
    let second = address(&r);
    assert_ne!(second, counter);
    assert_eq!(c.call("cove_call", json!([second, "get"]))["output"], "0x00000000");

    // The transaction and the block show it.
    let t = c.call("eth_getTransactionByHash", json!([r["transactionHash"]]));
    assert_eq!((t["type"].as_str(), t["cove"]["kind"].as_str()), (Some("0x63"), Some("instantiate")), "{t}");
    assert_eq!(t["nonce"], "0x5");
    let b = c.call("eth_getBlockByNumber", json!([r["blockNumber"], true]));
    assert_eq!(b["transactions"][0]["hash"], r["transactionHash"]);

    // Reads that cannot be: an error, not a panic.
    let e = c.error("cove_call", json!([Address::repeat_byte(7), "get"]));
    assert_eq!(e["code"], -32000, "{e}");
    let e = c.error("cove_call", json!([counter, "nope"]));
    assert_eq!((e["code"].as_i64(), e["data"]["kind"].as_str()), (Some(-32000), Some("not_found")), "{e}");
    // cove_query to a cove-ABI contract takes {method, args}, encoded by an ABI this
    // module does not carry.
    let e = c.error("cove_query", json!([counter, {"x": {}}]));
    assert_eq!(e["code"], -32602, "{e}");
    assert!(e["message"].as_str().expect("message").contains("{method, args}"), "{e}");
    let e = c.error("cove_query", json!([counter, {"method": "get"}]));
    assert!(e["message"].as_str().expect("message").contains("no cove_abi section"), "{e}");
    node.stop().expect("stop");
}

/// The CosmWasm fixture `name`, fetched by `../shared/tools/cosmwasm-fixtures.sh` when
/// missing (as `cove-bench`'s fixtures are).
fn fixture(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("COVE_COSMWASM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/cosmwasm-fixtures"));
    let path = dir.join(format!("{name}.wasm"));
    if !path.exists() {
        let private = dir.with_extension(format!("tmp{}", std::process::id()));
        let script = root.join("../shared/tools/cosmwasm-fixtures.sh");
        let status = std::process::Command::new("bash").arg(&script).arg(&private).status().expect("bash");
        assert!(status.success(), "{} could not fetch the fixtures", script.display());
        std::fs::create_dir_all(&dir).expect("fixture dir");
        for entry in std::fs::read_dir(&private).expect("fetched") {
            let entry = entry.expect("entry");
            std::fs::rename(entry.path(), dir.join(entry.file_name())).expect("rename");
        }
        let _ = std::fs::remove_dir_all(&private);
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn human(a: Address) -> String {
    cosmwasm::Addresses::new("cove").expect("prefix").humanize(&types::Address(a.into_array()))
}

#[test]
fn a_cosmwasm_contract_is_instantiated_executed_migrated_and_queried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(3);
    let beneficiary = Address::repeat_byte(0xbb);
    let wasm = fixture("hackatom");

    let mut instantiate = tx(5, 0);
    instantiate.gas_limit = 20_000_000;
    instantiate.code = wasm.clone().into();
    instantiate.input = json!({"verifier": human(w.address), "beneficiary": human(beneficiary)})
        .to_string()
        .into_bytes()
        .into();
    instantiate.value = U256::from(1000);
    instantiate.label = "hack".as_bytes().to_vec().into();
    instantiate.admin = w.address.to_vec().into();
    let r = run(&c, &w, &instantiate);
    assert_eq!(r["status"], "0x1", "{r}");
    let hack = address(&r);
    assert_eq!(c.call("cove_getContract", json!([hack]))["vm"], "cosmwasm");
    assert_eq!(c.balance(hack), U256::from(1000));
    let verifier = c.call("cove_query", json!([hack, {"verifier": {}}]));
    assert_eq!(verifier, json!({"verifier": human(w.address)}));
    // The message may come as text too.
    assert_eq!(c.call("cove_query", json!([hack, r#"{"verifier":{}}"#])), verifier);

    // A stranger may not release: the transaction fails, pays and uses its nonce.
    let stranger = Wallet::dev(4);
    let mut release = tx(6, 0);
    release.to = hack.to_vec().into();
    release.input = br#"{"release":{}}"#.to_vec().into();
    let r = run(&c, &stranger, &release);
    assert_eq!(r["status"], "0x0", "{r}");
    assert_eq!(r["cove"]["error"]["message"], "Unauthorized", "{r}");
    assert_eq!(c.balance(hack), U256::from(1000));

    // The verifier releases the funds to the beneficiary.
    let mut release = tx(6, 1);
    release.to = hack.to_vec().into();
    release.input = br#"{"release":{}}"#.to_vec().into();
    let r = run(&c, &w, &release);
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(c.balance(beneficiary), U256::from(1000));
    assert_eq!(c.balance(hack), U256::ZERO);

    // Another key may not migrate it: the transaction fails, pays and uses its nonce.
    let mut foreign = tx(7, 1);
    foreign.gas_limit = 20_000_000;
    foreign.to = hack.to_vec().into();
    foreign.code = wasm.clone().into();
    foreign.input = json!({"verifier": human(stranger.address)}).to_string().into_bytes().into();
    let r = run(&c, &stranger, &foreign);
    assert_eq!(r["status"], "0x0", "{r}");
    assert_eq!(r["cove"]["error"]["kind"], "unauthorized", "{r}");
    assert!(
        r["cove"]["error"]["message"].as_str().is_some_and(|m| m.starts_with("only the admin of")),
        "{r}"
    );
    assert_eq!(c.call("cove_query", json!([hack, {"verifier": {}}])), verifier);

    // The admin migrates it; hackatom's migrate sets the verifier.
    let mut migrate = tx(7, 2);
    migrate.gas_limit = 20_000_000;
    migrate.to = hack.to_vec().into();
    migrate.code = wasm.into();
    migrate.input = json!({"verifier": human(beneficiary)}).to_string().into_bytes().into();
    let r = run(&c, &w, &migrate);
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(
        c.call("cove_query", json!([hack, {"verifier": {}}])),
        json!({"verifier": human(beneficiary)})
    );

    // A query the contract refuses is an error with its message.
    let e = c.error("cove_query", json!([hack, {"nonsense": {}}]));
    assert_eq!(e["code"], -32000, "{e}");
    node.stop().expect("stop");
}

#[test]
fn bad_native_transactions_are_refused_with_geths_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(5);
    let mut fund = tx(8, 0);
    fund.to = Address::repeat_byte(0x11).to_vec().into();
    fund.value = U256::from(5);
    let r = run(&c, &w, &fund);
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(c.balance(Address::repeat_byte(0x11)), U256::from(5));

    assert_eq!(refused(&c, &w.native(&fund)), "nonce too low: next nonce 1, tx nonce 0");
    let mut other_chain = tx(8, 1);
    other_chain.chain_id = 1;
    other_chain.to = fund.to.clone();
    assert_eq!(refused(&c, &w.native(&other_chain)), "invalid chain id for signer: have 1 want 49278");

    // The other signature of the same key and message (high s) is refused.
    let mut next = fund.clone();
    next.nonce = 1;
    let (sig, recid) = {
        let raw = w.native(&next);
        let (_, sig) = cove_node::native::parse_signed(&raw).expect("parse");
        (sig, sig.v())
    };
    let n = U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
        .expect("n");
    let high = Signature::new(sig.r(), n - sig.s(), !recid);
    assert_eq!(refused(&c, &next.encode_signed(&high)), "invalid sender");
    // A tampered transaction (the price changed under the same signature) recovers
    // another sender, who has nothing: the signature's r is a curve point, so recovery
    // always gives some key.
    let tampered = NativeTx { gas_price: PRICE + 1, ..next.clone() }.encode_signed(&sig);
    let e = refused(&c, &tampered);
    assert!(e.starts_with("insufficient funds for gas * price + value: balance 0, tx cost"), "{e}");

    let poor = Wallet::from_secret(&[0x42; 32]);
    let mut call = tx(4, 0);
    call.to = Address::repeat_byte(1).to_vec().into();
    let e = refused(&c, &poor.native(&call));
    assert!(e.starts_with("insufficient funds for gas * price + value: balance 0"), "{e}");

    let mut low = call.clone();
    low.gas_limit = NATIVE_BASE_GAS - 1;
    assert_eq!(refused(&c, &w.native(&low)), "intrinsic gas too low: gas 20999, minimum needed 21000");
    let mut extra = call.clone();
    extra.code = vec![0; 4].into();
    assert_eq!(refused(&c, &w.native(&extra)), "invalid native transaction: call takes no code");
    let mut unknown = call.clone();
    unknown.kind = 9;
    assert_eq!(refused(&c, &w.native(&unknown)), "invalid native transaction: unknown kind 9");
    // Every field is bounded.
    let mut long = call.clone();
    long.input = vec![b'x'; MAX_NATIVE_INPUT_BYTES + 1].into();
    long.gas_limit = 29_000_000;
    assert_eq!(
        refused(&c, &w.native(&long)),
        format!(
            "invalid native transaction: input of {} bytes exceeds {MAX_NATIVE_INPUT_BYTES}",
            MAX_NATIVE_INPUT_BYTES + 1
        )
    );
    let mut long = call.clone();
    long.entry = vec![b'e'; MAX_NATIVE_ENTRY_BYTES + 1].into();
    assert_eq!(
        refused(&c, &w.native(&long)),
        format!("invalid native transaction: entry must be UTF-8 of at most {MAX_NATIVE_ENTRY_BYTES} bytes")
    );
    let mut long = tx(5, 1);
    long.code = vec![0; 8].into();
    long.input = b"{}".to_vec().into();
    long.label = vec![b'l'; MAX_NATIVE_LABEL_BYTES + 1].into();
    assert_eq!(
        refused(&c, &w.native(&long)),
        format!("invalid native transaction: label must be UTF-8 of at most {MAX_NATIVE_LABEL_BYTES} bytes")
    );
    let mut big = tx(1, 1);
    big.gas_limit = 30_000_000;
    big.code = vec![0; MAX_NATIVE_TX_BYTES].into();
    let e = refused(&c, &w.native(&big));
    assert!(e.starts_with("oversized data: transaction size"), "{e}");
    // An Ethereum transaction is not a native one, and the other way round.
    let e = refused(&c, &w.legacy(Some(CHAIN_ID), 1, Address::repeat_byte(1), U256::from(1)));
    assert!(e.starts_with("rlp: not a native transaction"), "{e}");
    let e = c.error("eth_sendRawTransaction", json!([Bytes::from(w.native(&next))]));
    assert_eq!(e["code"], -32000, "{e}");
    assert_eq!(e["message"], "rlp: unexpected tx type", "{e}");
    assert_eq!(c.nonce(w.address), 1);
    node.stop().expect("stop");
}

#[test]
fn native_and_ethereum_transactions_share_one_nonce_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(6);
    let to = Address::repeat_byte(0x22);
    let mut fund = tx(8, 0);
    fund.to = to.to_vec().into();
    fund.value = U256::from(1);
    run(&c, &w, &fund);
    // The Ethereum transaction takes nonce 1 ...
    let r = c.receipt(&c.send(&w.legacy(Some(CHAIN_ID), 1, to, U256::from(2))));
    assert_eq!(r["status"], "0x1", "{r}");
    // ... so a native one at 1 is too low, and at 2 goes through.
    assert_eq!(
        refused(&c, &w.native(&NativeTx { nonce: 1, ..fund.clone() })),
        "nonce too low: next nonce 2, tx nonce 1"
    );
    run(&c, &w, &NativeTx { nonce: 2, ..fund.clone() });
    let e = c.error(
        "eth_sendRawTransaction",
        json!([Bytes::from(w.legacy(Some(CHAIN_ID), 2, to, U256::from(1)))]),
    );
    assert_eq!(e["message"], "nonce too low: next nonce 3, tx nonce 2");
    assert_eq!(c.balance(to), U256::from(4));
    assert_eq!(c.nonce(w.address), 3);
    node.stop().expect("stop");
}

#[test]
fn fund_is_refused_outside_dev_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = cove_node::Node::open(cove_node::NodeConfig::new(dir.path().to_path_buf())).expect("open");
    let mut fund = tx(8, 0);
    fund.to = Address::repeat_byte(0x11).to_vec().into();
    fund.value = U256::from(5);
    let e = node.submit_native(&Wallet::dev(0).native(&fund)).expect_err("refused");
    assert_eq!(e.to_string(), "invalid native transaction: fund is taken only by a node in dev mode");
}

/// A WASM event topic longer than a log topic's 32 bytes used to panic the block
/// builder; it appears as its keccak-256.
#[test]
fn a_long_wasm_event_topic_is_logged_as_its_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(7);
    let topic = "a topic that is longer than thirty-two bytes";
    let code = wat::parse_str(format!(
        r#"(module
             (import "env" "log_event" (func $log_event (param i32 i32 i32 i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "{topic}")
             (func (export "shout")
               (call $log_event (i32.const 0) (i32.const {}) (i32.const 0) (i32.const 4))))"#,
        topic.len()
    ))
    .expect("wat");
    let mut deploy = tx(1, 0);
    deploy.code = code.into();
    deploy.flags = 1;
    let contract = address(&run(&c, &w, &deploy));
    let mut shout = tx(4, 1);
    shout.to = contract.to_vec().into();
    shout.entry = b"shout".to_vec().into();
    let r = run(&c, &w, &shout);
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"][0]["topics"][0], json!(alloy_primitives::keccak256(topic)), "{r}");
    assert_eq!(r["logs"][0]["address"], json!(contract));
    node.stop().expect("stop");
}

/// The example of `docs/node.md` ("Encoding"), byte for byte, built by hand here rather
/// than by the encoder under test.
#[test]
fn the_encoding_is_the_documented_one() {
    let tx = NativeTx {
        chain_id: 49278,
        nonce: 0,
        gas_price: 1_000_000_000,
        gas_limit: 100_000,
        kind: 4,
        to: vec![0x11; 20].into(),
        entry: b"get".to_vec().into(),
        ..NativeTx::default()
    };
    let fields = format!("82c07e80843b9aca00830186a00494{}8080836765748080808080", "11".repeat(20));
    let body = format!("ee{fields}");
    assert_eq!(hex::encode(alloy_rlp::encode(&tx)), body);
    let mut signed = b"cove native transaction v1".to_vec();
    signed.extend(hex::decode(&body).expect("hex"));
    assert_eq!(tx.signing_hash(), alloy_primitives::keccak256(&signed));

    let raw = Wallet::dev(0).native(&tx);
    let (_, sig) = cove_node::native::parse_signed(&raw).expect("parse");
    let (r, s) = (sig.r().to_be_bytes::<32>(), sig.s().to_be_bytes::<32>());
    let rest = format!("{}a0{}a0{}", if sig.v() { "01" } else { "80" }, hex::encode(r), hex::encode(s));
    let list = format!("{body}{rest}");
    let expected = format!("636f766501f8{:02x}{list}", list.len() / 2);
    assert_eq!(hex::encode(&raw), expected);
    // k256 signs deterministically (RFC 6979): the documented vector.
    assert_eq!(
        format!("{}", tx.signing_hash()),
        "0xac58d12ca865d9173bcef95dd7aa32904e10a3731ddaa7443b256f5d2abf2ef1"
    );
    assert_eq!(
        sig.r().to_be_bytes::<32>(),
        hex_32("ad8ef2d8547388ebdbe3ff873deda97ad5883d1797db47bad09167146b36dfd7")
    );
    assert_eq!(
        sig.s().to_be_bytes::<32>(),
        hex_32("21be13e04422a45a01732e597314dddb1576efe0a08c025310f40aa81393f396")
    );
    assert_eq!(
        format!("{}", alloy_primitives::keccak256(&raw)),
        "0xb1d74f7202fcbdd58a366f70b727d1fc74a178b4cbd8a0aeb6985bd38cfe31a3"
    );
}

fn hex_32(s: &str) -> [u8; 32] {
    <[u8; 32]>::try_from(hex::decode(s).expect("hex")).expect("32 bytes")
}

#[test]
fn the_mempool_holds_at_most_max_pool_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(8);
    // Deploys of a 1 MiB module behind a nonce gap: they wait, filling the pool.
    let mut deploy = tx(1, 1);
    deploy.code = vec![0; 1 << 20].into();
    deploy.gas_limit = deploy.intrinsic_gas();
    let fits = MAX_POOL_BYTES / w.native(&deploy).len();
    let hashes: Vec<String> =
        (1..=fits as u64).map(|nonce| send(&c, &w.native(&NativeTx { nonce, ..deploy.clone() }))).collect();
    let next = NativeTx { nonce: fits as u64 + 1, ..deploy.clone() };
    assert_eq!(refused(&c, &w.native(&next)), "txpool is full");
    // A small one still fits, and what waits is still there.
    let mut fund = tx(8, fits as u64 + 1);
    fund.to = Address::repeat_byte(0x33).to_vec().into();
    send(&c, &w.native(&fund));
    for hash in [&hashes[0], &hashes[fits - 1]] {
        let t = c.call("eth_getTransactionByHash", json!([hash]));
        assert_eq!((t["hash"].as_str(), &t["blockNumber"]), (Some(hash.as_str()), &Value::Null), "{t}");
    }
    node.stop().expect("stop");
}

#[test]
fn a_value_that_overflows_the_cost_or_an_overdraft_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    // gas × price + value past 2^256 − 1 would wrap to 0: a key with nothing is refused.
    let poor = Wallet::from_secret(&[0x43; 32]);
    let mut call = tx(4, 1);
    call.to = Address::repeat_byte(1).to_vec().into();
    call.value = U256::MAX - U256::from(GAS) * U256::from(PRICE) + U256::from(1);
    let e = refused(&c, &poor.native(&call));
    assert_eq!(
        e,
        format!(
            "insufficient funds for gas * price + value: balance 0, tx cost {}, overshot {}",
            U256::MAX,
            U256::MAX
        )
    );
    // A key funded for one transaction: a second one waiting behind the same nonce gap
    // overdraws it.
    let w = Wallet::dev(9);
    let one = U256::from(GAS) * U256::from(PRICE);
    let mut fund = tx(8, 0);
    fund.to = poor.address.to_vec().into();
    fund.value = one + one / U256::from(2);
    assert_eq!(run(&c, &w, &fund)["status"], "0x1");
    call.value = U256::ZERO;
    send(&c, &poor.native(&call));
    let second = NativeTx { nonce: 2, ..call.clone() };
    let e = refused(&c, &poor.native(&second));
    assert!(
        e.starts_with(&format!("insufficient funds for gas * price + value: balance {}", fund.value)),
        "{e}"
    );
    // Replacing the waiting one at a higher price is no overdraft.
    send(&c, &poor.native(&NativeTx { gas_price: PRICE + 1, gas_limit: GAS - 1_000, ..call.clone() }));
    node.stop().expect("stop");
}

#[test]
fn a_block_holds_no_more_native_gas_than_max_block_gas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = cove_node::NodeConfig::new(dir.path().to_path_buf());
    config.rpc = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.dev = true;
    config.runtime.max_tx_gas = 100_000;
    config.runtime.max_block_gas = 100_000;
    config.runtime.default_gas_limit = 100_000;
    config.runtime.cosmwasm.default_gas_limit = 100_000;
    config.runtime.evm.default_gas_limit = 100_000;
    // Deploying free on this chain, so a store uses only its intrinsic gas.
    config.runtime.wasm.gas.deploy.base = 0;
    config.runtime.wasm.gas.deploy.per_byte = 0;
    let node = cove_node::Node::open(config).expect("open");
    // Five transactions of 30,000 gas each, mostly or wholly intrinsic: two stores and
    // three calls, from five senders.
    for i in 0..5 {
        let mut t = if i < 2 { tx(2, 0) } else { tx(4, 0) };
        if i < 2 {
            t.code = vec![i as u8; 8].into();
        } else {
            t.to = Address::repeat_byte(0x21).to_vec().into();
        }
        t.gas_limit = 30_000;
        node.submit_native(&Wallet::dev(i).native(&t)).expect("submit");
    }
    let first = node.mine(100).expect("mine");
    let second = node.mine(100).expect("mine");
    let node = node.start().expect("start");
    let c = Client::new(&node);
    let counts: Vec<(usize, u64)> = [first, second]
        .iter()
        .map(|n| {
            let b = c.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]));
            (b["transactions"].as_array().expect("txs").len(), quantity(&b["gasUsed"]))
        })
        .collect();
    // Each uses its intrinsic gas only (21,128 a store, 21,000 a call): 105,256 in all,
    // more than a block holds. A fourth limit of 30,000 fits after three used at most
    // 63,384, a fifth after four (at least 84,000) waits for the next block.
    assert_eq!((counts[0].0, counts[1].0), (4, 1), "{counts:?}");
    assert_eq!(counts[0].1 + counts[1].1, 2 * 21_128 + 3 * 21_000, "{counts:?}");
    assert!(counts.iter().all(|(_, gas)| *gas <= 100_000), "{counts:?}");
    node.stop().expect("stop");
}

#[test]
fn code_past_max_code_bytes_is_refused_at_decode_compressed_or_not() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(3);
    let max = wasm::Config::default().limits.max_code_bytes;
    let mut deploy = tx(1, 0);
    deploy.code = vec![0; max + 1].into();
    deploy.gas_limit = deploy.intrinsic_gas();
    assert_eq!(
        refused(&c, &w.native(&deploy)),
        format!("invalid native transaction: code of {} bytes exceeds max_code_bytes ({max})", max + 1)
    );
    // A few KiB that inflate past the limit (a gzip bomb) are refused too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0; max + 1]).expect("gzip");
    let mut store = tx(2, 0);
    store.code = gz.finish().expect("gzip").into();
    assert!(store.code.len() < 16 * 1024, "{}", store.code.len());
    assert_eq!(
        refused(&c, &w.native(&store)),
        format!(
            "invalid native transaction: the gzip-compressed code inflates to more than {max} bytes (max_code_bytes)"
        )
    );
    assert_eq!(c.nonce(w.address), 0);
    node.stop().expect("stop");
}

#[test]
fn a_failed_cosmwasm_instantiate_with_value_moves_no_funds_but_pays_its_fee() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(6);
    let fees = Address::repeat_byte(0xfe);
    let fees_before = c.balance(fees);
    // hackatom refuses an instantiate message without its fields.
    let mut instantiate = tx(5, 0);
    instantiate.gas_limit = 20_000_000;
    instantiate.code = fixture("hackatom").into();
    instantiate.input = b"{}".to_vec().into();
    instantiate.value = U256::from(1000);
    instantiate.label = "hack".as_bytes().to_vec().into();
    // `run` checks the sender paid exactly gas used × price: the value stayed.
    let r = run(&c, &w, &instantiate);
    assert_eq!(r["status"], "0x0", "{r}");
    assert_eq!(r["contractAddress"], Value::Null, "{r}");
    assert_eq!(
        r["cove"]["error"],
        json!({"kind": "aborted", "message": "Error parsing into type hackatom::msg::InstantiateMsg: missing field `verifier`"}),
        "{r}"
    );
    let used = quantity(&r["gasUsed"]);
    assert!(used > instantiate.intrinsic_gas(), "{r}");
    assert_eq!(c.balance(fees) - fees_before, U256::from(used) * U256::from(PRICE));
    node.stop().expect("stop");
}

#[test]
fn a_native_call_to_an_evm_contract_pays_both_intrinsic_gases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(7);
    let (token, _) = deploy_token(&c, &w, CHAIN_ID, 1_000_000);
    // The same transfer (to a fresh recipient each, same calldata bytes) as an Ethereum
    // transaction and as a native call with the calldata as input.
    let hash = c.send(&w.eip1559(CHAIN_ID, 1, Some(token), transfer(Address::repeat_byte(0x71), 5), 200_000));
    let eth = c.receipt(&hash);
    assert_eq!(eth["status"], "0x1", "{eth}");
    let mut call = tx(4, 2);
    call.to = token.to_vec().into();
    call.input = transfer(Address::repeat_byte(0x72), 5).into();
    let native = run(&c, &w, &call);
    assert_eq!(native["status"], "0x1", "{native}");
    // The native one pays its own intrinsic gas on top of the EVM's (documented).
    assert_eq!(quantity(&native["gasUsed"]), call.intrinsic_gas() + quantity(&eth["gasUsed"]), "{native}");
    node.stop().expect("stop");
}
