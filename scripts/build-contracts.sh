#!/usr/bin/env bash
# Builds every Rust example contract (examples/rust) and every C one (examples/c) for
# wasm32 and copies the modules to target/contracts/NAME.wasm (a C example: NAME_c.wasm),
# where the tests and docs/sdk.md expect them.
#
# Needs Debian's Rust for the web (rustc 1.96 with its library sources), LLVM 19's
# wasm-ld and clang:  apt-get install rustc-web cargo-web rust-web-src lld-19 clang-19
# rustup's toolchain has no wasm32 target here; this script uses /usr/bin/cargo and
# /usr/bin/rustc (override with COVE_WASM_CARGO / COVE_WASM_RUSTC). core and alloc are
# built from source (-Zbuild-std, hence RUSTC_BOOTSTRAP=1) the first time, a few minutes;
# later runs rebuild only what changed. Run from anywhere:  bash scripts/build-contracts.sh
#
# --debug-info: also build each Rust example with DWARF line tables (cargo profile
# `debug-info`) into target/contracts/NAME.debug.wasm, for `cove coverage` by source
# line (docs/sdk.md). The first such build compiles core and alloc again (~20 s).
set -euo pipefail
debug_info=0
for arg in "$@"; do
  case "$arg" in
    --debug-info) debug_info=1 ;;
    *) echo "build-contracts: unknown argument $arg (only --debug-info)" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo_bin="${COVE_WASM_CARGO:-/usr/bin/cargo}"
rustc_bin="${COVE_WASM_RUSTC:-/usr/bin/rustc}"
out="$root/target/contracts"
clang_bin="${COVE_WASM_CLANG:-/usr/bin/clang-19}"
for tool in "$cargo_bin" "$rustc_bin" /usr/lib/llvm-19/bin/wasm-ld "$clang_bin"; do
  if [ ! -x "$tool" ]; then
    echo "build-contracts: $tool is missing; install: apt-get install rustc-web cargo-web rust-web-src lld-19 clang-19" >&2
    exit 1
  fi
done

cd "$root/examples/rust"
# /usr/bin first so cargo's own rustc lookups (and build-std) find Debian's toolchain,
# not rustup's proxies; the rest of the environment is left as it is.
PATH="/usr/bin:$PATH" RUSTC="$rustc_bin" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$out/build" \
  "$cargo_bin" build --release --locked --quiet
if [ "$debug_info" = 1 ]; then
  PATH="/usr/bin:$PATH" RUSTC="$rustc_bin" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$out/build" \
    "$cargo_bin" build --profile debug-info --locked --quiet
fi

# C: no libc; the same CPU features as the Rust flags (the MVP, bulk memory, sign
# extension), a 32 KiB stack. cove.h documents the command.
mkdir -p "$out/build/c"
for source in "$root"/examples/c/*.c; do
  name="$(basename "$source" .c)_c"
  "$clang_bin" --target=wasm32-unknown-unknown -mcpu=mvp -mbulk-memory -msign-ext -O2 -nostdlib \
    -Wall -Wextra -Werror -I "$root/crates/sdk/include" -fuse-ld=/usr/lib/llvm-19/bin/wasm-ld \
    -Wl,--no-entry -Wl,-z,stack-size=32768 -o "$out/build/c/$name.wasm" "$source"
done

mkdir -p "$out"
for wasm in "$out"/build/wasm32-unknown-unknown/release/*.wasm "$out"/build/c/*.wasm; do
  name="$(basename "$wasm")"
  if ! cmp -s "$wasm" "$out/$name"; then
    # Copy then rename: tests running at once never read a half-written module.
    cp "$wasm" "$out/$name.$$" && mv -f "$out/$name.$$" "$out/$name"
  fi
  echo "$out/$name $(wc -c <"$out/$name") bytes"
done
if [ "$debug_info" = 1 ]; then
  for wasm in "$out"/build/wasm32-unknown-unknown/debug-info/*.wasm; do
    name="$(basename "$wasm" .wasm).debug.wasm"
    if ! cmp -s "$wasm" "$out/$name"; then
      cp "$wasm" "$out/$name.$$" && mv -f "$out/$name.$$" "$out/$name"
    fi
    echo "$out/$name $(wc -c <"$out/$name") bytes"
  done
fi
