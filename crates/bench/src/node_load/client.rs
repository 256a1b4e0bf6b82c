//! A JSON-RPC client over one kept-alive HTTP/1.1 connection (hyper's client), one
//! request at a time: what each of the load generator's client tasks uses.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// Most calls one batch request carries: 1,000 (the node answers each with a receipt of
/// about a kilobyte, well under the server's 10 MB response cap).
pub(crate) const MAX_BATCH: usize = 1000;

/// A call's answer: its result, or the node's error object.
pub(crate) type Answer = Result<Value, Value>;

/// One connection to the node.
pub(crate) struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    /// Connects to `addr` (the connection's driver runs as a task of the current
    /// runtime).
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Client, String> {
        let stream =
            tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connecting to {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
        // A connection that fails fails the next request, which reports it.
        tokio::spawn(conn);
        Ok(Client { sender, host: addr.to_string() })
    }

    /// POSTs a JSON body; returns the response's body parsed.
    pub(crate) async fn post(&mut self, body: Bytes) -> Result<Value, String> {
        self.sender.ready().await.map_err(|e| format!("connection lost: {e}"))?;
        let request = hyper::Request::post("/")
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        let response = self.sender.send_request(request).await.map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| format!("response: {e}"))?.to_bytes();
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("response is not JSON ({e})"))
    }

    /// One call.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Result<Answer, String> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        Ok(answer(self.post(Bytes::from(body)).await?))
    }

    /// One call whose error is a failure.
    pub(crate) async fn result(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.call(method, params).await?.map_err(|e| format!("{method}: {e}"))
    }

    /// Calls of `method`, one per item of `params`, in batch requests of at most
    /// [`MAX_BATCH`]; the answers in the same order.
    pub(crate) async fn batch(&mut self, method: &str, params: &[Value]) -> Result<Vec<Answer>, String> {
        let mut out = Vec::with_capacity(params.len());
        for chunk in params.chunks(MAX_BATCH) {
            let calls: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(id, p)| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": p}))
                .collect();
            let Value::Array(answers) = self.post(Bytes::from(Value::Array(calls).to_string())).await? else {
                return Err(format!("{method}: a batch answered with something else than an array"));
            };
            let mut ordered: Vec<Option<Answer>> = vec![None; chunk.len()];
            for a in answers {
                let id = a["id"].as_u64().and_then(|i| usize::try_from(i).ok());
                let Some(slot) = id.and_then(|i| ordered.get_mut(i)) else {
                    return Err(format!("{method}: a batch answer with an unknown id: {a}"));
                };
                *slot = Some(answer(a));
            }
            for a in ordered {
                out.push(a.ok_or_else(|| format!("{method}: a batch left a call unanswered"))?);
            }
        }
        Ok(out)
    }
}

fn answer(mut v: Value) -> Answer {
    match v.get_mut("error") {
        Some(e) => Err(e.take()),
        None => Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
    }
}

/// A hex quantity (`0x1f`) as a number.
pub(crate) fn quantity(v: &Value) -> Result<u64, String> {
    let s = v.as_str().ok_or_else(|| format!("expected a hex quantity, got {v}"))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("bad quantity {s}: {e}"))
}
