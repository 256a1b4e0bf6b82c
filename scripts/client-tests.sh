#!/usr/bin/env bash
# Real Ethereum clients against `cove node --dev` (docs/node.md, "Client tests"):
# builds the debug `cove`, installs the pinned viem and solc-js (npm) and web3.py (PyPI,
# into a venv), compiles examples/evm/Token.sol with solc-js, then runs the viem test
# (tests/clients/viem), the explorer page in headless Chromium
# (tests/clients/viem/explorer.test.mjs) and the web3.py test (tests/clients/web3py).
# Each test starts its own node on a free port over a temporary data dir.
#
# Run from anywhere: bash scripts/client-tests.sh
# Needs node (>= 18) with npm, and python3 (>= 3.9) with venv; exits non-zero, saying
# which, if one is missing or any test fails. COVE_CLIENT_VENV sets where the venv goes
# (default target/client-tests/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fail() {
  echo "client-tests: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || fail "missing prerequisite: $1 ($2)"
}
need cargo "the Rust toolchain"
need node "Node.js >= 18, e.g. apt-get install nodejs"
need npm "npm, e.g. apt-get install npm"
need python3 "Python >= 3.9"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
  fail "Node.js >= 18 needed (node:test), found $(node --version)"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  fail "Python >= 3.9 needed, found $(python3 --version)"
chromium=${COVE_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || fail "missing prerequisite: Chromium at $chromium (apt-get install chromium, or set COVE_CHROMIUM)"
python3 -c 'import venv, ensurepip' 2>/dev/null ||
  fail "missing prerequisite: python3 venv with ensurepip (e.g. apt-get install python3-venv)"

target=${CARGO_TARGET_DIR:-$root/target}
work=$target/client-tests
mkdir -p "$work"

echo "== client tests: build cove (debug)"
cargo build --quiet -p cove-cli
cove=$target/debug/cove
[ -x "$cove" ] || fail "no cove binary at $cove"

echo "== client tests: npm dependencies (tests/clients/viem/package-lock.json)"
(cd tests/clients/viem && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed"

echo "== client tests: PyPI dependencies (tests/clients/web3py/requirements.txt)"
venv=${COVE_CLIENT_VENV:-$work/venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || fail "python3 -m venv $venv failed"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/clients/web3py/requirements.txt ||
  fail "pip install failed"

echo "== client tests: compile Token.sol with solc-js"
artifact=$work/Token.json
node tests/clients/viem/compile.mjs "$artifact" || fail "solc-js compile failed"

export COVE_BIN=$cove COVE_TOKEN_ARTIFACT=$artifact
status=0
echo "== client tests: viem"
(cd tests/clients/viem && node --test --test-reporter=spec test.mjs) || {
  echo "client-tests: the viem test FAILED" >&2
  status=1
}
echo "== client tests: the explorer page in headless Chromium"
(cd tests/clients/viem && COVE_CHROMIUM=$chromium node --test --test-reporter=spec explorer.test.mjs) || {
  echo "client-tests: the explorer test FAILED" >&2
  status=1
}
echo "== client tests: web3.py"
(cd tests/clients/web3py && "$venv/bin/python" -m unittest -v test_node) || {
  echo "client-tests: the web3.py test FAILED" >&2
  status=1
}
[ "$status" = 0 ] || fail "FAILED (see above)"
echo "client-tests: viem, the explorer and web3.py passed"
