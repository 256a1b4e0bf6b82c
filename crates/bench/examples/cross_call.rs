//! Profiling aid: `cross_contract_call_us_p50` alone (one empty call from a contract of
//! cove's ABI, above the same transaction without it), and the plain call it is
//! measured against.

/// The allocator the `cove` binary uses, so these figures match `cove bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let config = runtime::Config::default();
    let extra = cove_bench::cross_contract_call_us_p50(&config, n);
    let plain = cove_bench::counter_call_us_p50(&config, n);
    println!("cross_contract_call_us_p50 {extra:.2}  counter_call_us_p50 {plain:.2}");
}
