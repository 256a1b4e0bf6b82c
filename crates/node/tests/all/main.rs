//! The node driven over raw JSON-RPC on a free port, with transactions signed here.

mod dev;
mod harness;
mod rpc;
mod txs;
