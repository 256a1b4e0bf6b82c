//! Gzip-compressed uploads: a compressed module (cove's ABI or CosmWasm) is inflated,
//! then validated and stored as the module itself (its code id is the inflated one); a
//! small input inflating past `max_code_bytes` (a gzip bomb) is refused as `validation`.

use std::io::Write;

use cosmwasm::{Action, Request};
use cove_runtime::{Config, Runtime};
use types::{CodeId, ErrorKind};

use crate::support::{ALICE, BOB, T0, counter, failed, mem_runtime, ok, u32le};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// 8 MiB of zeros, compressed to a few KiB: eight times the default `max_code_bytes`.
fn bomb() -> Vec<u8> {
    let bomb = gzip(&vec![0; 8 << 20]);
    assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
    bomb
}

#[test]
fn a_gzip_compressed_module_deploys_and_runs_as_the_module() {
    let rt = mem_runtime();
    let (plain, packed) = (counter(), gzip(&counter()));
    assert_ne!(plain, packed);
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &packed, None, None).unwrap();
    ok(&r);
    assert_eq!(r.code_id, Some(CodeId::of(&plain)));
    let address = r.address.unwrap();
    ok(&block.call(ALICE, address, "increment", Vec::new(), None).unwrap());
    assert_eq!(ok(&block.call(ALICE, address, "get", Vec::new(), None).unwrap()), u32le(1));
    // Stored compressed or not, it is one code.
    let (a, b) = (block.store_code(&packed, None).unwrap(), block.store_code(&plain, None).unwrap());
    assert_eq!((a.code_id, b.code_id), (Some(CodeId::of(&plain)), Some(CodeId::of(&plain))));
    // Deploy gas is by the inflated size: the same for both.
    assert_eq!(a.gas_used, b.gas_used);
    assert_eq!(a.gas_used, Config::default().wasm.gas.deploy.of(plain.len()));
    block.commit().unwrap();
    assert_eq!(rt.code(&CodeId::of(&plain)).unwrap(), Some(plain));
    assert_eq!(rt.codes().unwrap().len(), 1);
}

#[test]
fn a_gzip_bomb_is_refused_as_validation() {
    let rt = mem_runtime();
    let bomb = bomb();
    let mut block = rt.begin_block(T0).unwrap();
    let message = failed(&block.deploy(ALICE, &bomb, None, None).unwrap(), ErrorKind::Validation);
    assert!(message.contains("inflates to more than 1048576 bytes"), "{message}");
    failed(&block.store_code(&bomb, None).unwrap(), ErrorKind::Validation);
    let (r, _) = block
        .cosmwasm(Request {
            sender: ALICE,
            action: Action::Instantiate { code: &bomb, label: "bomb", admin: None },
            msg: b"{}",
            funds: &[],
            gas_limit: None,
        })
        .unwrap();
    failed(&r, ErrorKind::Validation);
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap(), Vec::new());
}

#[test]
fn the_bound_is_the_configured_max_code_bytes() {
    let mut config = Config::default();
    config.wasm.limits.max_code_bytes = counter().len() - 1;
    let rt = Runtime::in_memory(config).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let message = failed(&block.store_code(&gzip(&counter()), None).unwrap(), ErrorKind::Validation);
    assert!(message.contains("inflates to more than"), "{message}");
}

#[test]
fn gzip_compressed_hackatom_instantiates_and_runs() {
    let rt = mem_runtime();
    let code = bench::fixtures::load("hackatom").unwrap_or_else(|e| panic!("{e}"));
    let human = |a: &types::Address| rt.vms().cosmwasm().addresses().humanize(a);
    let msg = format!(r#"{{"verifier":"{}","beneficiary":"{}"}}"#, human(&ALICE), human(&BOB));
    let mut block = rt.begin_block(T0).unwrap();
    let packed = gzip(&code);
    assert!(packed.len() < code.len());
    let action = Action::Instantiate { code: &packed, label: "hackatom", admin: None };
    let request = Request { sender: ALICE, action, msg: msg.as_bytes(), funds: &[], gas_limit: None };
    let (receipt, _) = block.cosmwasm(request).unwrap();
    ok(&receipt);
    assert_eq!(receipt.code_id, Some(CodeId::of(&code)));
    block.commit().unwrap();
    let contract = receipt.address.unwrap();
    let (r, _) = rt.at(None).unwrap().cosmwasm_query(contract, br#"{"verifier":{}}"#, None).unwrap();
    let answer = String::from_utf8(ok(&r)).unwrap();
    assert!(answer.contains(&human(&ALICE)), "{answer}");
    assert_eq!(rt.code(&CodeId::of(&code)).unwrap(), Some(code));
}
