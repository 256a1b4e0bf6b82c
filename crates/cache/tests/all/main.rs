//! Integration tests of the module cache, driven directly (no runtime): one module per
//! topic, fixtures in `support`.

mod artifacts;
mod clear;
mod concurrency;
mod configs;
mod errors;
mod lru;
mod pins;
mod support;
mod tier_up;
