//! Profiling aid: the EVM transfer benchmark alone (cove's path and plain revm).

/// The allocator the `cove` binary uses, so these figures match `cove bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(70_000);
    let r = cove_bench::evm_transfers(&runtime::Config::default(), n);
    println!("cove {:.0}/s  revm {:.0}/s  ratio {:.3}", r.cove_per_sec, r.revm_per_sec, r.ratio);
}
