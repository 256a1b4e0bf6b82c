//! `cargo run --release -p cove-bench --example parallel [TXS]`: the parallel-execution
//! speedups of `cove bench` alone (blocks of TXS, 10,000 by default), for profiling;
//! `... --example parallel TXS THREADS KIND` one side (KIND 0 WASM, 1 EVM, 2 hot, 3 mixed, 4 faucet credits):
//! microseconds per transaction for the whole block and for its batch alone, the median
//! of ROUNDS blocks (`... TXS THREADS KIND ROUNDS`, 10 by default; more for a profile).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    // `parallel N THREADS KIND`: one side only.
    let side: Vec<usize> = std::env::args().skip(2).filter_map(|s| s.parse().ok()).collect();
    if let [threads, kind, ..] = side[..] {
        let rounds = side.get(2).copied().unwrap_or(10).max(1);
        match cove_bench::parallel::one_side(&runtime::Config::default(), threads, kind, n, rounds) {
            Ok((block, batch)) => println!("{block:.3} us per transaction ({batch:.3} in the batch)"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        return;
    }
    match cove_bench::parallel::speedups(&runtime::Config::default(), n) {
        Ok(s) => println!("{s:?}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
