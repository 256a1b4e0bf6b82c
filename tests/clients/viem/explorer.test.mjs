// The explorer page that `cove node` serves at `/`, in headless Chromium (Debian's
// `chromium`, driven by playwright-core): latest blocks, a block's transactions, a
// transfer's receipt with its ERC-20 event decoded, a contract's record, an account.
//
// Run by scripts/client-tests.sh, which sets COVE_BIN and COVE_TOKEN_ARTIFACT; set
// COVE_EXPLORER_SCREENSHOT=FILE to save a screenshot of the receipt view (docs/node.md's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const COVE_BIN = process.env.COVE_BIN;
const ARTIFACT = process.env.COVE_TOKEN_ARTIFACT;
if (!COVE_BIN || !ARTIFACT) throw new Error('set COVE_BIN and COVE_TOKEN_ARTIFACT (scripts/client-tests.sh does)');
const CHROMIUM = process.env.COVE_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const token = JSON.parse(readFileSync(ARTIFACT, 'utf8'));
const DEV0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const BOB = '0x00000000000000000000000000000000000000b0';

let node, dataDir, url, browser, page;
const deployed = {};

function startNode() {
  dataDir = mkdtempSync(join(tmpdir(), 'cove-explorer-'));
  node = spawn(COVE_BIN, ['--data-dir', dataDir, 'node', '--rpc', '127.0.0.1:0', '--dev'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 60 s:\n${out}`)), 60_000);
    node.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    node.on('exit', (code) => reject(new Error(`cove node exited ${code}:\n${out}`)));
  });
}

before(async () => {
  url = await startNode();
  const chain = defineChain({
    id: 49278,
    name: 'cove dev',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const pub = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
  const account = privateKeyToAccount(DEV0);
  const wallet = createWalletClient({ account, chain, transport: http(url), pollingInterval: 50 });
  const deploy = await wallet.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [1000n] });
  const receipt = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 });
  deployed.token = receipt.contractAddress;
  deployed.from = account.address;
  deployed.transfer = await wallet.writeContract({
    address: deployed.token, abi: token.abi, functionName: 'transfer', args: [BOB, 250n],
  });
  deployed.block = Number((await pub.waitForTransactionReceipt({ hash: deployed.transfer, timeout: 30_000 })).blockNumber);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (e) => { throw e; });
});

after(async () => {
  if (browser) await browser.close();
  if (node && node.exitCode === null) {
    const exited = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the home page lists the latest blocks, newest first', async () => {
  await page.goto(url + '/');
  await page.waitForSelector('#blocks tbody tr');
  const first = await page.locator('#blocks tbody tr').first().getAttribute('data-block');
  assert.equal(Number(first), deployed.block, 'the transfer\'s block is the head');
  assert.match(await page.locator('#chain').textContent(), /chain 49278/);
});

test('a block lists its transactions', async () => {
  await page.goto(`${url}/#/block/${deployed.block}`);
  await page.waitForSelector('#txs');
  assert.match(await page.locator('#txs').textContent(), new RegExp(deployed.transfer));
});

test('a receipt shows its status and the Transfer event decoded', async () => {
  await page.goto(`${url}/#/tx/${deployed.transfer}`);
  await page.waitForSelector('#events .event');
  assert.equal(await page.locator('#status').textContent(), 'success');
  const event = await page.locator('#events .event').first().textContent();
  assert.match(event, /Transfer\(from: /);
  assert.ok(event.toLowerCase().includes(deployed.from.toLowerCase()), event);
  assert.ok(event.includes(BOB), event);
  assert.match(event, /value: 250/);
  if (process.env.COVE_EXPLORER_SCREENSHOT) {
    await page.screenshot({ path: process.env.COVE_EXPLORER_SCREENSHOT, fullPage: true });
  }
});

test('a contract shows its VM and code id; an account its balance and nonce', async () => {
  await page.goto(`${url}/#/address/${deployed.token}`);
  await page.waitForSelector('#vm');
  assert.equal(await page.locator('#vm').textContent(), 'evm');
  // Only the hash changes: wait for the new view, not the contract's (which also has
  // a balance).
  await page.goto(`${url}/#/address/${deployed.from}`);
  await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Account');
  assert.ok(Number(await page.locator('#balance').textContent()) > 9000);
});

test('the search box finds a transaction by hash', async () => {
  await page.goto(`${url}/`);
  await page.fill('#q', deployed.transfer);
  await page.click('#search button');
  await page.waitForSelector('#status');
  assert.ok(page.url().endsWith(`#/tx/${deployed.transfer}`));
});
