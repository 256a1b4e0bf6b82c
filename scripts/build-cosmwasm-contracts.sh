#!/usr/bin/env bash
# Builds the CosmWasm contracts the tests deploy that are compiled from crates.io
# sources with cosmwasm-std, into target/cosmwasm-contracts/NAME.wasm:
#   cove_staking_example.wasm  examples/cosmwasm/staking (delegates, undelegates,
#                              redelegates, withdraws rewards; staking queries)
#   cw1_whitelist.wasm         cw-plus's cw1-whitelist 2.0.0, from its crates.io package
#                              (never copied into the project: extracted by cargo into
#                              its registry cache and built there as the root package)
#
# Needs what scripts/build-contracts.sh needs (Debian's rustc-web, cargo-web,
# rust-web-src and lld-19) and the crates.io registry. The first build compiles std from
# source (a few minutes on 2 cores); later runs rebuild only what changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo_bin="${COVE_WASM_CARGO:-/usr/bin/cargo}"
rustc_bin="${COVE_WASM_RUSTC:-/usr/bin/rustc}"
out="$root/target/cosmwasm-contracts"
for tool in "$cargo_bin" "$rustc_bin" /usr/lib/llvm-19/bin/wasm-ld; do
  if [ ! -x "$tool" ]; then
    echo "build-cosmwasm-contracts: $tool is missing; install: apt-get install rustc-web cargo-web rust-web-src lld-19" >&2
    exit 1
  fi
done
mkdir -p "$out"
# One build at a time: tests run this script from many processes at once.
exec 9>"$out/.lock"
flock 9
wasm_cargo() {
  PATH="/usr/bin:$PATH" RUSTC="$rustc_bin" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$out/build" "$cargo_bin" "$@"
}

# cove's own example, in its workspace (examples/cosmwasm/.cargo/config.toml sets the
# target, build-std and the linker).
(cd "$root/examples/cosmwasm" && wasm_cargo build --release --locked --quiet)

# cw1-whitelist 2.0.0: let cargo fetch the package, then build it where cargo put it,
# with the same settings. A copy of the package (with its own lock file) is built, so the
# registry cache is never written to.
version=2.0.0
home=${CARGO_HOME:-$HOME/.cargo}
find_src() { ls -d "$home"/registry/src/*/cw1-whitelist-$version 2>/dev/null | head -1; }
src=$(find_src || true)
if [ -z "$src" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && "$cargo_bin" init -q --name cw1_whitelist_probe &&
   printf 'cw1-whitelist = { version = "=%s", default-features = false }\n' "$version" >> Cargo.toml &&
   "$cargo_bin" fetch -q)
  rm -rf "$tmp"
  src=$(find_src || true)
fi
[ -n "$src" ] || { echo "build-cosmwasm-contracts: could not obtain cw1-whitelist $version from crates.io" >&2; exit 1; }
work="$out/src/cw1-whitelist-$version"
if [ ! -f "$work/.copied" ]; then
  rm -rf "$work"
  mkdir -p "$out/src"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  # Its own root (it sits under cove's workspace directory), and cove's wasm32 settings
  # instead of the package's cargo aliases.
  printf '\n[workspace]\n' >> "$work/Cargo.toml"
  rm -rf "$work/.cargo"
  mkdir -p "$work/.cargo"
  cp "$root/examples/cosmwasm/.cargo/config.toml" "$work/.cargo/config.toml"
  touch "$work/.copied"
fi
(cd "$work" && wasm_cargo build --release --lib --quiet)

for name in cove_staking_example cw1_whitelist; do
  wasm="$out/build/wasm32-unknown-unknown/release/$name.wasm"
  if ! cmp -s "$wasm" "$out/$name.wasm"; then
    # Copy then rename: tests running at once never read a half-written module.
    cp "$wasm" "$out/$name.wasm.tmp"
    mv "$out/$name.wasm.tmp" "$out/$name.wasm"
  fi
done
echo "build-cosmwasm-contracts: cove_staking_example cw1_whitelist -> $out"
