//! Profiling aid: deploys the token, warms up, then runs N transfers.

/// The allocator the `cove` binary uses, so these figures match `cove bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let (rt, token) = cove_bench::token_runtime(&runtime::Config::default());
    let per_sec = cove_bench::transfers_per_sec(&rt, token, n, 1000);
    println!("{per_sec:.0} transfers/s");
}
