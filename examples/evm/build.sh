#!/usr/bin/env bash
# Regenerates Token.bin (init code, hex, no 0x) from Token.sol with solc-js 0.8.28
# from npm. The output is checked in so tests and the demo need no Solidity compiler.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent solc@0.8.28 >/dev/null)
"$work/node_modules/.bin/solcjs" --bin --optimize --optimize-runs 200 -o "$work/out" Token.sol
cp "$work/out/Token_sol_Token.bin" Token.bin
echo "Token.bin: $(wc -c < Token.bin) hex chars"
