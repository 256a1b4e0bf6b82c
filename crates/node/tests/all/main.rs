//! The node driven over raw JSON-RPC on a free port, with transactions signed here.

mod abi_args;
mod compat;
mod dev;
mod dev_rpc;
mod explorer;
mod external;
mod harness;
mod history;
mod logs;
mod native;
mod rpc;
mod snapshot;
mod subscribe;
mod timeout;
mod txs;
