//! The baseline for `evm_vs_revm_ratio`: plain revm with its own in-memory database
//! (`CacheDB<EmptyDB>`), one EVM built once and reused, `transact_commit` per transfer —
//! the way a program embedding revm directly would run the same transfers.

use std::time::Instant;

use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::{Address, Bytes, TxKind, U256};
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

/// A deployed contract on plain revm, ready for transfers.
pub struct RawRevm {
    evm: revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
    sender: Address,
    nonce: u64,
    contract: Address,
}

impl RawRevm {
    /// Funds `sender` and deploys `init_code` (+ `constructor_args`) from it.
    pub fn deploy(sender: [u8; 20], init_code: &[u8], constructor_args: &[u8]) -> RawRevm {
        let sender = Address::from(sender);
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(sender, AccountInfo::from_balance(U256::from(1u64) << 100));
        let mut evm = Context::mainnet().with_db(db).build_mainnet();
        let tx = TxEnv {
            caller: sender,
            gas_limit: 10_000_000,
            kind: TxKind::Create,
            data: Bytes::from([init_code, constructor_args].concat()),
            ..Default::default()
        };
        let result = evm.transact_commit(tx).expect("the bundled contract deploys");
        let contract = match result.output() {
            Some(_) if result.is_success() => sender.create(0),
            _ => panic!("deploy failed: {result:?}"),
        };
        RawRevm { evm, sender, nonce: 1, contract }
    }

    /// Runs `n` calls with calldata `calldata(i)`; returns calls per second.
    pub fn calls_per_sec(&mut self, n: u64, calldata: &dyn Fn(u64) -> Vec<u8>) -> f64 {
        let start = Instant::now();
        for i in 0..n {
            let tx = TxEnv {
                caller: self.sender,
                gas_limit: 1_000_000,
                kind: TxKind::Call(self.contract),
                data: Bytes::from(calldata(i)),
                nonce: self.nonce,
                ..Default::default()
            };
            let result = self.evm.transact_commit(tx).expect("valid transaction");
            assert!(result.is_success(), "{result:?}");
            self.nonce += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    }
}
