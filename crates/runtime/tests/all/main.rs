//! Integration tests of the runtime, one module per topic.

mod backends;
mod block_limits;
mod cache;
mod calls;
mod cosmwasm_cache;
mod cosmwasm_calls;
mod cross_vm;
mod dispatch;
mod estimate;
mod evm;
mod fault;
mod flags;
mod gas;
mod gas_caps;
mod gzip;
mod isolation;
mod lifecycle;
mod not_found;
mod persistence;
mod precompiles;
mod rollback;
mod scan;
mod support;
mod tiers;
mod timeouts;
mod upgrade;
