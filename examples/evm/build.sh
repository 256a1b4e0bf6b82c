#!/usr/bin/env bash
# Regenerates the checked-in init code (hex, no 0x) of the example contracts with
# solc-js 0.8.28 from npm: Token.bin from Token.sol; CovePayer.bin,
# CallsInConstructor.bin and Reentered.bin from CovePayer.sol (which imports ICove.sol,
# the interface of cove's cross-VM precompile); Relay.bin from Relay.sol. The output is checked in so tests and
# the demo need no Solidity compiler.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent solc@0.8.28 >/dev/null)
"$work/node_modules/.bin/solcjs" --bin --optimize --optimize-runs 200 -o "$work/out" Token.sol
"$work/node_modules/.bin/solcjs" --bin --optimize --optimize-runs 200 -o "$work/out" CovePayer.sol
cp "$work/out/Token_sol_Token.bin" Token.bin
cp "$work/out/CovePayer_sol_CovePayer.bin" CovePayer.bin
cp "$work/out/CovePayer_sol_CallsInConstructor.bin" CallsInConstructor.bin
cp "$work/out/CovePayer_sol_Reentered.bin" Reentered.bin
"$work/node_modules/.bin/solcjs" --bin --optimize --optimize-runs 200 -o "$work/out" Relay.sol
cp "$work/out/Relay_sol_Relay.bin" Relay.bin
for f in Token.bin CovePayer.bin CallsInConstructor.bin Reentered.bin Relay.bin; do
  echo "$f: $(wc -c < "$f") hex chars"
done
