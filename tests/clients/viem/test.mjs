// viem against `cove node --dev`, as a wallet and a dapp use it: chain reads, a signed
// value transfer, an ERC-20 compiled by solc-js deployed, called, transferred and its
// `Transfer` logs read, exact gas estimates, a revert's reason, and the mempool's
// rejections surfaced as viem's typed errors.
//
// Run by scripts/client-tests.sh, which sets COVE_BIN (the cove binary) and
// COVE_TOKEN_ARTIFACT (compile.mjs's output).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BaseError,
  ContractFunctionRevertedError,
  InsufficientFundsError,
  InvalidInputRpcError,
  NonceTooLowError,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  http,
  parseEther,
  parseEventLogs,
  webSocket,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const here = dirname(fileURLToPath(import.meta.url));
const COVE_BIN = process.env.COVE_BIN;
const ARTIFACT = process.env.COVE_TOKEN_ARTIFACT;
if (!COVE_BIN || !ARTIFACT) throw new Error('set COVE_BIN and COVE_TOKEN_ARTIFACT (scripts/client-tests.sh does)');
const token = JSON.parse(readFileSync(ARTIFACT, 'utf8'));

// The node's first two dev accounts (docs/node.md: the standard test mnemonic).
const DEV0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const DEV1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
// The last dev account, which no test spends from or pays.
const UNTOUCHED = '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720';
const CHAIN_ID = 49278;

let node;
let dataDir;
let chain;
let pub;
let wallet;
let alice;
let bob;

/// Starts `cove node --dev` on a free port over a fresh data dir; resolves with its URL.
function startNode() {
  dataDir = mkdtempSync(join(tmpdir(), 'cove-viem-'));
  node = spawn(COVE_BIN, ['--data-dir', dataDir, 'node', '--rpc', '127.0.0.1:0', '--dev'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  node.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 60 s:\n${out}\n${stderr}`)), 60_000);
    node.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    node.on('exit', (code) => reject(new Error(`cove node exited ${code}:\n${out}\n${stderr}`)));
  });
}

before(async () => {
  const url = await startNode();
  chain = defineChain({
    id: CHAIN_ID,
    name: 'cove dev',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  pub = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
  alice = privateKeyToAccount(DEV0);
  bob = privateKeyToAccount(DEV1);
  wallet = createWalletClient({ account: alice, chain, transport: http(url), pollingInterval: 50 });
});

after(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((resolve) => node.once('exit', (code, signal) => resolve({ code, signal })));
    node.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 0, 'cove node exits 0 on SIGTERM');
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/// The error in `e`'s cause chain that is an instance of `kind` (viem wraps them).
function find(e, kind) {
  assert.ok(e instanceof BaseError, `expected a viem error, got ${e}`);
  const found = e.walk((c) => c instanceof kind);
  assert.ok(found, `no ${kind.name} in:\n${e.message}`);
  return found;
}

test('the checked-in Token.bin is what solc-js compiles', () => {
  const bin = readFileSync(join(here, '../../../examples/evm/Token.bin'), 'utf8').trim();
  assert.equal(token.bytecode, `0x${bin}`);
});

test('chain reads: chain id, block, balance, nonce, fees', async () => {
  assert.equal(await pub.getChainId(), CHAIN_ID);
  assert.ok((await pub.getBlockNumber()) >= 1n, 'block 1 funds the dev accounts');
  assert.equal(await pub.getBalance({ address: UNTOUCHED }), parseEther('10000'));
  assert.equal(await pub.getTransactionCount({ address: UNTOUCHED }), 0);
  assert.equal(await pub.getGasPrice(), 1_000_000_000n);
  const block = await pub.getBlock({ blockTag: 'latest' });
  assert.equal(block.baseFeePerGas, 0n);
  const fees = await pub.estimateFeesPerGas();
  assert.equal(fees.maxPriorityFeePerGas, 1_000_000_000n);
  assert.ok(fees.maxFeePerGas >= fees.maxPriorityFeePerGas);
  const history = await pub.getFeeHistory({ blockCount: 2, rewardPercentiles: [25, 75] });
  assert.equal(history.baseFeePerGas.length, 3);
  assert.equal(history.reward.length, 2);
});

test('a signed value transfer is mined and charged', async () => {
  const to = privateKeyToAccount(generatePrivateKey()).address;
  const before = await pub.getBalance({ address: alice.address });
  const nonce = await pub.getTransactionCount({ address: alice.address });
  const value = parseEther('1.5');
  const hash = await wallet.sendTransaction({ to, value });
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  assert.equal(r.status, 'success');
  assert.equal(r.gasUsed, 21_000n);
  assert.equal(r.from, alice.address.toLowerCase());
  assert.equal(await pub.getBalance({ address: to }), value);
  assert.equal(
    await pub.getBalance({ address: alice.address }),
    before - value - r.gasUsed * r.effectiveGasPrice,
  );
  assert.equal(await pub.getTransactionCount({ address: alice.address }), nonce + 1);
  const tx = await pub.getTransaction({ hash });
  assert.equal(tx.value, value);
  assert.equal(tx.nonce, nonce);
  assert.equal(tx.blockNumber, r.blockNumber);
  const block = await pub.getBlock({ blockNumber: r.blockNumber });
  assert.deepEqual(block.transactions, [hash]);
});

test('an ERC-20 deploys, answers views, transfers and logs Transfer', async () => {
  const supply = 1_000_000n * 10n ** 18n;
  const deploy = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [supply] });
  const deployed = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 });
  assert.equal(deployed.status, 'success');
  const address = deployed.contractAddress;
  assert.ok(address, 'a contract address');
  assert.notEqual(await pub.getCode({ address }), undefined);
  const read = (functionName, args = []) => pub.readContract({ address, abi: token.abi, functionName, args });
  assert.equal(await read('name'), 'Cove Token');
  assert.equal(await read('symbol'), 'COVE');
  assert.equal(await read('decimals'), 18);
  assert.equal(await read('totalSupply'), supply);
  assert.equal(await read('balanceOf', [alice.address]), supply);

  const amount = 250n * 10n ** 18n;
  const { request } = await pub.simulateContract({
    account: alice,
    address,
    abi: token.abi,
    functionName: 'transfer',
    args: [bob.address, amount],
  });
  const hash = await wallet.writeContract(request);
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  assert.equal(r.status, 'success');
  assert.equal(await read('balanceOf', [bob.address]), amount);
  assert.equal(await read('balanceOf', [alice.address]), supply - amount);
  const [event] = parseEventLogs({ abi: token.abi, logs: r.logs, eventName: 'Transfer' });
  assert.deepEqual(event.args, { from: alice.address, to: bob.address, value: amount });

  // eth_getLogs: both Transfers (the mint and the transfer) by address and topic, then
  // one by an indexed argument.
  const all = await pub.getContractEvents({
    address,
    abi: token.abi,
    eventName: 'Transfer',
    fromBlock: deployed.blockNumber,
    toBlock: 'latest',
  });
  assert.equal(all.length, 2);
  assert.equal(all[0].args.from, '0x0000000000000000000000000000000000000000');
  assert.equal(all[0].args.value, supply);
  assert.equal(all[1].transactionHash, hash);
  assert.equal(all[1].logIndex, r.logs[0].logIndex);
  const toBob = await pub.getContractEvents({
    address,
    abi: token.abi,
    eventName: 'Transfer',
    args: { to: bob.address },
    fromBlock: 0n,
  });
  assert.deepEqual(
    toBob.map((l) => l.transactionHash),
    [hash],
  );
  const none = await pub.getContractEvents({
    address,
    abi: token.abi,
    eventName: 'Approval',
    fromBlock: 0n,
  });
  assert.equal(none.length, 0);
});

test('over WebSocket, viem hears new blocks and Transfer events by eth_subscribe', async () => {
  const url = chain.rpcUrls.default.http[0].replace(/^http/, 'ws');
  const ws = createPublicClient({ chain, transport: webSocket(url) });
  const deploy = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [1000n] });
  const { contractAddress: address } = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 });
  const heard = { blocks: [], events: [] };
  let unwatchBlocks;
  let unwatchEvents;
  const done = new Promise((resolve, reject) => {
    const check = () => heard.blocks.length > 0 && heard.events.length > 0 && resolve();
    unwatchBlocks = ws.watchBlocks({
      onBlock: (b) => (heard.blocks.push(b), check()),
      onError: reject,
    });
    unwatchEvents = ws.watchContractEvent({
      address,
      abi: token.abi,
      eventName: 'Transfer',
      onLogs: (logs) => (heard.events.push(...logs), check()),
      onError: reject,
    });
  });
  // Let both subscriptions be set up before the block they must hear.
  await new Promise((r) => setTimeout(r, 500));
  const hash = await wallet.writeContract({ address, abi: token.abi, functionName: 'transfer', args: [bob.address, 7n] });
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('no notification in 30 s')), 30_000))]);
  unwatchBlocks();
  unwatchEvents();
  const block = heard.blocks.find((b) => b.number === r.blockNumber);
  assert.ok(block, `the transfer's block ${r.blockNumber} was announced: ${heard.blocks.map((b) => b.number)}`);
  assert.equal(block.hash, r.blockHash);
  const event = heard.events.find((l) => l.transactionHash === hash);
  assert.ok(event, 'the Transfer was announced');
  assert.deepEqual(event.args, { from: alice.address, to: bob.address, value: 7n });
  assert.equal(event.logIndex, r.logs[0].logIndex);
  await (await ws.transport.getRpcClient()).close();
});

test('gas estimates are exact and a revert carries its reason', async () => {
  const deploy = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [1000n] });
  const { contractAddress: address } = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 });
  const data = encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [bob.address, 10n] });
  const gas = await pub.estimateGas({ account: alice, to: address, data });
  await pub.call({ account: alice.address, to: address, data, gas });
  await assert.rejects(pub.call({ account: alice.address, to: address, data, gas: gas - 1n }));

  // A transfer beyond the balance: eth_call answers code 3 with the revert data,
  // which viem decodes to the reason string.
  const e = await pub
    .simulateContract({ account: alice, address, abi: token.abi, functionName: 'transfer', args: [bob.address, 1001n] })
    .then(() => assert.fail('the transfer should revert'), (e) => e);
  const reverted = find(e, ContractFunctionRevertedError);
  assert.equal(reverted.reason, 'ERC20: insufficient balance');
  assert.equal(reverted.data?.errorName, 'Error');
});

test('the mempool rejects with the messages viem recognises', async () => {
  const to = bob.address;
  // Nonce too low: a nonce already used. viem maps the node's -32000 message to its
  // typed error, as for geth.
  const low = await wallet.sendTransaction({ to, value: 1n, nonce: 0 }).then(
    () => assert.fail('nonce 0 is used'),
    (e) => e,
  );
  find(low, NonceTooLowError);
  assert.match(low.message, /nonce too low: next nonce \d+, tx nonce 0/);

  // Insufficient funds: a fresh account with nothing.
  const poor = privateKeyToAccount(generatePrivateKey());
  const poorWallet = createWalletClient({ account: poor, chain, transport: http(chain.rpcUrls.default.http[0]) });
  const broke = await poorWallet
    .sendTransaction({ to, value: 1n, gas: 21_000n, maxFeePerGas: 1_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n })
    .then(() => assert.fail('nothing to pay with'), (e) => e);
  find(broke, InsufficientFundsError);
  assert.match(broke.message, /insufficient funds for gas \* price \+ value/);

  // A wrong chain id: signed for chain 1.
  const other = await alice.signTransaction({
    chainId: 1,
    type: 'eip1559',
    to,
    value: 1n,
    nonce: await pub.getTransactionCount({ address: alice.address }),
    gas: 21_000n,
    maxFeePerGas: 1_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  });
  const wrong = await pub.sendRawTransaction({ serializedTransaction: other }).then(
    () => assert.fail('chain 1 is not this chain'),
    (e) => e,
  );
  const rpc = find(wrong, InvalidInputRpcError);
  assert.equal(rpc.code, -32000);
  assert.match(rpc.details, /^invalid chain id for signer: have 1 want 49278$/);

  // A nonce gap waits (as geth queues it) and is mined once the gap is filled.
  const next = await pub.getTransactionCount({ address: bob.address });
  const bobWallet = createWalletClient({ account: bob, chain, transport: http(chain.rpcUrls.default.http[0]) });
  const gapped = await bobWallet.sendTransaction({ to: alice.address, value: 1n, nonce: next + 1, gas: 21_000n });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await pub.getTransactionCount({ address: bob.address, blockTag: 'pending' }), next);
  const fill = await bobWallet.sendTransaction({ to: alice.address, value: 1n, nonce: next, gas: 21_000n });
  for (const hash of [fill, gapped]) {
    assert.equal((await pub.waitForTransactionReceipt({ hash, timeout: 30_000 })).status, 'success');
  }
  assert.equal(await pub.getTransactionCount({ address: bob.address }), next + 2);
});

test('a transfer beyond the balance fails its estimate as insufficient funds', async () => {
  const balance = await pub.getBalance({ address: bob.address });
  const bobWallet = createWalletClient({ account: bob, chain, transport: http(chain.rpcUrls.default.http[0]) });
  const e = await bobWallet.sendTransaction({ to: alice.address, value: balance + 1n }).then(
    () => assert.fail('more than bob has'),
    (e) => e,
  );
  find(e, InsufficientFundsError);
  assert.match(e.message, /insufficient funds for gas \* price \+ value/);
});

test('a reverted transaction is mined, pays its gas and bumps the nonce', async () => {
  const deploy = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [5n] });
  const { contractAddress: address } = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 });
  const before = await pub.getBalance({ address: alice.address });
  const nonce = await pub.getTransactionCount({ address: alice.address });
  // An explicit gas limit skips the estimate, so the node takes the failing transfer.
  const hash = await wallet.writeContract({
    address,
    abi: token.abi,
    functionName: 'transfer',
    args: [bob.address, 6n],
    gas: 100_000n,
  });
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  assert.equal(r.status, 'reverted');
  assert.equal(r.logs.length, 0);
  assert.ok(r.gasUsed > 21_000n && r.gasUsed < 100_000n, `gas used ${r.gasUsed}`);
  assert.equal(await pub.getBalance({ address: alice.address }), before - r.gasUsed * r.effectiveGasPrice);
  assert.equal(await pub.getTransactionCount({ address: alice.address }), nonce + 1);
  assert.equal(await pub.readContract({ address, abi: token.abi, functionName: 'balanceOf', args: [bob.address] }), 0n);
});

test('blocks by number and hash, their transaction counts and positions', async () => {
  const hash = await wallet.sendTransaction({ to: bob.address, value: 7n });
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  assert.equal(await pub.getBlockTransactionCount({ blockNumber: r.blockNumber }), 1);
  assert.equal(await pub.getBlockTransactionCount({ blockHash: r.blockHash }), 1);
  const byNumber = await pub.getTransaction({ blockNumber: r.blockNumber, index: 0 });
  assert.equal(byNumber.hash, hash);
  const byHash = await pub.getTransaction({ blockHash: r.blockHash, index: 0 });
  assert.equal(byHash.hash, hash);
  const full = await pub.getBlock({ blockHash: r.blockHash, includeTransactions: true });
  assert.equal(full.transactions[0].hash, hash);
  assert.equal(full.transactions[0].value, 7n);
  // A balance at an older block.
  const earlier = await pub.getBalance({ address: bob.address, blockNumber: r.blockNumber - 1n });
  assert.equal(await pub.getBalance({ address: bob.address, blockNumber: r.blockNumber }), earlier + 7n);
});
