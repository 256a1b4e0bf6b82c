//! Criterion benchmarks of the engine's hot paths. Figures and how to read them:
//! docs/benchmarks.md. Run: `cargo bench -p cove-bench`.

use cove_bench as bench;
use criterion::{Criterion, criterion_group, criterion_main};
use runtime::{Config, DEFAULT_SENDER, Runtime};

/// The allocator the `cove` binary uses, so these figures match `cove bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn token_transfer(c: &mut Criterion) {
    let (rt, token) = bench::token_runtime(&Config::default());
    let mut block = rt.begin_block(2).expect("in-memory");
    let mut i = 0u64;
    c.bench_function("token_transfer_in_block", |b| {
        b.iter(|| {
            i += 1;
            block.call(DEFAULT_SENDER, token, "transfer", bench::transfer_input(i), None).expect("in-memory")
        })
    });
}

fn counter_increment(c: &mut Criterion) {
    let rt = Runtime::in_memory(Config::default()).expect("valid config");
    let mut block = rt.begin_block(1).expect("in-memory");
    let code = wat::parse_str(bench::COUNTER_WAT).expect("valid WAT");
    let counter =
        block.deploy(DEFAULT_SENDER, &code, None, None).expect("in-memory").address.expect("address");
    c.bench_function("counter_increment", |b| {
        b.iter(|| block.call(DEFAULT_SENDER, counter, "increment", Vec::new(), None).expect("in-memory"))
    });
}

fn deploy_200kb(c: &mut Criterion) {
    let rt = Runtime::in_memory(Config::default()).expect("valid config");
    let module = bench::generated_module(200 * 1024);
    let mut group = c.benchmark_group("deploy");
    group.sample_size(10);
    group.bench_function("validate_instrument_compile_200kb", |b| {
        b.iter(|| rt.vm().engine().compile(&module).expect("valid"))
    });
    group.bench_function("validate_instrument_200kb", |b| {
        b.iter(|| rt.vm().engine().instrument(&module).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, token_transfer, counter_increment, deploy_200kb);
criterion_main!(benches);
