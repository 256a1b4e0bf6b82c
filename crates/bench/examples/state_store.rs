//! Profiling aid: the authenticated-store benchmark alone (`state_*` of `cove bench`).
//! Arguments: keys, updates per block, blocks (default 1,000,000, 10,000, and the
//! default `write_back_blocks`, 32: one cycle of the block log).

/// The allocator the `cove` binary uses, so these figures match `cove bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let arg =
        |i: usize, default: u64| std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let cycle = runtime::StoreConfig::default().write_back_blocks;
    let blocks = u32::try_from(arg(3, cycle)).unwrap_or(u32::MAX);
    let t = std::time::Instant::now();
    let r = cove_bench::state_store(arg(1, 1_000_000), arg(2, 10_000), blocks);
    println!(
        "keys {}  commit {:.0} updates/s  read p50 {:.2} us  (whole run {:.1} s)",
        r.keys,
        r.commit_updates_per_sec,
        r.read_us_p50,
        t.elapsed().as_secs_f64()
    );
}
