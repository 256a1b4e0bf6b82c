// Compiles examples/evm/Token.sol with solc-js (npm `solc`, pinned in package.json) and
// writes {abi, bytecode} as JSON to the path given, for the viem and web3.py tests.
//   node compile.mjs OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const out = process.argv[2];
if (!out) throw new Error('usage: node compile.mjs OUT.json');
const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '../../../examples/evm/Token.sol'), 'utf8');
// The settings examples/evm/build.sh gives solcjs: optimizer on, 200 runs.
const input = {
  language: 'Solidity',
  sources: { 'Token.sol': { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const result = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (result.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
const token = result.contracts['Token.sol'].Token;
writeFileSync(out, JSON.stringify({ solc: solc.version(), abi: token.abi, bytecode: `0x${token.evm.bytecode.object}` }));
console.log(`compiled Token.sol with solc ${solc.version()}: ${token.evm.bytecode.object.length / 2} bytes of init code`);
