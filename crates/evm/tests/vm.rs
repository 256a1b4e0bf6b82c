//! The EVM behind the `VirtualMachine` trait, on a bare journal.

use std::sync::Arc;

use cove_evm::{EvmConfig, EvmVm};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo};
use vm::{Balance, Env, Message, Target, VirtualMachine};

/// Init code returning a one-byte runtime code (STOP).
const INIT: [u8; 10] = [0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3];

#[test]
fn create_addresses_follow_the_senders_nonce_in_state() {
    let evm = EvmVm::new(EvmConfig::default()).unwrap();
    let mut journal = Journal::new(Arc::new(MemBackend::new()));
    let sender = Address([0x5e; 20]);
    let block = BlockInfo { height: 1, timestamp: 1 };
    for nonce in 0..3u64 {
        let msg = Message {
            sender,
            target: Target::Create(&INIT),
            entry: "",
            input: Vec::new(),
            value: Balance::ZERO,
            gas_limit: None,
            read_only: false,
            callee: None,
        };
        let out = evm.execute(&mut journal, &Env::detached(&block), msg).unwrap();
        assert!(out.result.is_ok(), "{out:?}");
        let expected = revm::primitives::Address::from(sender.0).create(nonce);
        assert_eq!(out.address.map(|a| a.0), Some(expected.into_array()), "nonce {nonce}");
    }
}
