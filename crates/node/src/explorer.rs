//! The explorer page: `GET /` on the RPC address answers one HTML page (embedded in the
//! binary, no other asset) that reads the chain through the node's own JSON-RPC from the
//! browser: latest blocks, a block's transactions, a transaction's receipt with its
//! events decoded, an account or contract (balance, nonce, VM, code id, storage).
//!
//! It is an HTTP layer in front of jsonrpsee's service: every other request (the JSON-RPC
//! `POST /`) passes through untouched. It must not serve anything but the page: no file
//! system, no state of its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};

/// The page, as served.
pub const PAGE: &str = include_str!("../assets/explorer.html");

/// Serves [`PAGE`] for `GET /` (and `HEAD /`) and hands everything else on (a
/// WebSocket upgrade included).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExplorerLayer;

impl<S> tower::Layer<S> for ExplorerLayer {
    type Service = Explorer<S>;

    fn layer(&self, inner: S) -> Explorer<S> {
        Explorer { inner }
    }
}

/// The service of [`ExplorerLayer`].
#[derive(Debug, Clone)]
pub struct Explorer<S> {
    inner: S,
}

impl<S, B> tower::Service<HttpRequest<B>> for Explorer<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: HttpRequest<B>) -> Self::Future {
        // A WebSocket upgrade on `/` is JSON-RPC's, not the page's.
        let upgrade =
            req.headers().get("upgrade").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
        let page = matches!(req.method().as_str(), "GET" | "HEAD") && req.uri().path() == "/" && !upgrade;
        if !page {
            return Box::pin(self.inner.call(req));
        }
        let mut response = HttpResponse::new(HttpBody::from(PAGE));
        let headers = response.headers_mut();
        headers.insert("content-type", "text/html; charset=utf-8".parse().expect("a valid header value"));
        // The page loads nothing from elsewhere and runs only its own inline script.
        headers.insert(
            "content-security-policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:"
                .parse()
                .expect("a valid header value"),
        );
        Box::pin(async move { Ok(response) })
    }
}
