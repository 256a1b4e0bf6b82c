#!/usr/bin/env bash
# Builds every Rust example contract (examples/rust) for wasm32 and copies the modules
# to target/contracts/NAME.wasm, where the CLI's tests and docs/sdk.md expect them.
#
# Needs Debian's Rust for the web (rustc 1.96 with its library sources) and LLVM 19's
# wasm-ld:  apt-get install rustc-web cargo-web rust-web-src lld-19
# rustup's toolchain has no wasm32 target here; this script uses /usr/bin/cargo and
# /usr/bin/rustc (override with COVE_WASM_CARGO / COVE_WASM_RUSTC). core and alloc are
# built from source (-Zbuild-std, hence RUSTC_BOOTSTRAP=1) the first time, a few minutes;
# later runs rebuild only what changed. Run from anywhere:  bash scripts/build-contracts.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo_bin="${COVE_WASM_CARGO:-/usr/bin/cargo}"
rustc_bin="${COVE_WASM_RUSTC:-/usr/bin/rustc}"
out="$root/target/contracts"
for tool in "$cargo_bin" "$rustc_bin" /usr/lib/llvm-19/bin/wasm-ld; do
  if [ ! -x "$tool" ]; then
    echo "build-contracts: $tool is missing; install: apt-get install rustc-web cargo-web rust-web-src lld-19" >&2
    exit 1
  fi
done

cd "$root/examples/rust"
# /usr/bin first so cargo's own rustc lookups (and build-std) find Debian's toolchain,
# not rustup's proxies; the rest of the environment is left as it is.
PATH="/usr/bin:$PATH" RUSTC="$rustc_bin" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$out/build" \
  "$cargo_bin" build --release --locked --quiet

mkdir -p "$out"
for wasm in "$out"/build/wasm32-unknown-unknown/release/*.wasm; do
  name="$(basename "$wasm")"
  if ! cmp -s "$wasm" "$out/$name"; then
    # Copy then rename: tests running at once never read a half-written module.
    cp "$wasm" "$out/$name.$$" && mv -f "$out/$name.$$" "$out/$name"
  fi
  echo "$out/$name $(wc -c <"$out/$name") bytes"
done
