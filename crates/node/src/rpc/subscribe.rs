//! WebSocket subscriptions on the RPC port (jsonrpsee serves WebSocket and HTTP on
//! one port), as geth's:
//!
//! - `eth_subscribe("newHeads")`: each new block's header (the block as
//!   `eth_getBlockByNumber` shows it, without its transactions);
//! - `eth_subscribe("logs", {address?, topics?})`: each log of each new block that
//!   matches, one notification per log, under `eth_getLogs`' bounds on the filter;
//! - `eth_unsubscribe(id)`: `true` if the subscription was this connection's.
//!
//! Notifications are `eth_subscription` with `{subscription, result}`. Bounds: at most
//! [`MAX_SUBSCRIPTIONS_PER_CONNECTION`] at once on one connection; a subscriber that
//! falls more than [`MAX_SUBSCRIPTION_LAG`] blocks behind is closed, so a slow client
//! never holds blocks in memory. Subscribing over HTTP is refused by the server.
//!
//! Subscribers hear blocks once they are committed and indexed: never a block a
//! restart could lose.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jsonrpsee::server::{IdProvider, PendingSubscriptionSink, RpcModule};
use jsonrpsee::types::{ErrorObjectOwned, Params, SubscriptionId};
use serde_json::Value;

use super::logs::{Criteria, LogsFilter, log_json};
use super::{arg, block_json, invalid, params_of};
use crate::chain::StoredBlock;
use crate::node::Shared;

/// Most subscriptions one connection holds at once: 64.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 64;
/// Most committed blocks a subscriber may be behind before it is closed: 256.
pub const MAX_SUBSCRIPTION_LAG: usize = 256;

/// Subscription ids as geth's: hex quantities (unique in the process; subscriptions
/// belong to their connection, so they need not be unguessable).
#[derive(Debug, Default)]
pub(super) struct HexIds(AtomicU64);

impl IdProvider for HexIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(format!("{:#x}", self.0.fetch_add(1, Ordering::Relaxed) + 1).into())
    }
}

enum Kind {
    Heads,
    Logs(Criteria),
}

fn kind(params: &Params<'_>) -> Result<Kind, ErrorObjectOwned> {
    let a = params_of(params)?;
    let name: String = arg(&a, 0, "subscription kind")?;
    match name.as_str() {
        "newHeads" => Ok(Kind::Heads),
        "logs" => {
            Ok(Kind::Logs(Criteria::of(arg::<Option<LogsFilter>>(&a, 1, "filter")?.unwrap_or_default())?))
        }
        other => Err(invalid(format!("no \"{other}\" subscription in eth namespace"))),
    }
}

/// What `kind` sends for `block`.
fn notifications(kind: &Kind, block: &StoredBlock) -> Result<Vec<Value>, ErrorObjectOwned> {
    match kind {
        Kind::Heads => {
            let mut header = block_json(block, false)?;
            if let Some(h) = header.as_object_mut() {
                h.remove("transactions");
            }
            Ok(vec![header])
        }
        Kind::Logs(criteria) => {
            let mut out = Vec::new();
            let mut log_index = 0;
            for (tx_index, t) in block.txs.iter().enumerate() {
                for l in &t.logs {
                    if criteria.matches(l) {
                        out.push(log_json(block, tx_index, log_index, l));
                    }
                    log_index += 1;
                }
            }
            Ok(out)
        }
    }
}

async fn serve(params: Params<'static>, pending: PendingSubscriptionSink, shared: Arc<Shared>) {
    let kind = match kind(&params) {
        Ok(k) => k,
        Err(e) => return pending.reject(e).await,
    };
    // Listening before the answer: no block committed after it is missed.
    let mut heads = shared.heads.subscribe();
    let Ok(sink) = pending.accept().await else { return };
    loop {
        let block = tokio::select! {
            _ = sink.closed() => return,
            // Closed (the node stops) or lagged too far: the subscription ends.
            r = heads.recv() => match r {
                Ok(b) => b,
                Err(_) => return,
            },
        };
        let Ok(items) = notifications(&kind, &block) else { return };
        for v in items {
            let Ok(raw) = serde_json::value::to_raw_value(&v) else { return };
            if sink.send(raw).await.is_err() {
                return;
            }
        }
    }
}

/// Registers `eth_subscribe` and `eth_unsubscribe`.
pub(super) fn register(
    module: &mut RpcModule<Arc<Shared>>,
) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, shared, _| serve(params, pending, Arc::clone(&shared)),
    )?;
    Ok(())
}
