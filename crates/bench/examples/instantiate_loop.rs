//! Profiling aid: repeated queries of an empty entry point `noop`, of a generated ~230 KB
//! module or of the WAT/wasm file given as the second argument.
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let module = match args.next() {
        Some(path) => wat::parse_file(&path).expect("a WAT or wasm file"),
        None => cove_bench::generated_module(230 * 1024),
    };
    let us = cove_bench::instantiate_memory_us(&runtime::Config::default(), &module, n);
    println!("{us:.2} us per instantiate + call");
}
