"""web3.py against `cove node --dev`, as a wallet and a script use it: chain reads, a
signed value transfer, an ERC-20 compiled by solc-js deployed, called, transferred and
its `Transfer` logs read, exact gas estimates, a revert's reason, and the mempool's
rejections with geth's codes and messages.

Run by scripts/client-tests.sh, which sets COVE_BIN (the cove binary) and
COVE_TOKEN_ARTIFACT (tests/clients/viem/compile.mjs's output):
    python -m unittest -v test_node
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

# The node's first two dev accounts (docs/node.md: the standard test mnemonic).
DEV0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
CHAIN_ID = 49278
# The last dev account, which no test spends from or pays.
UNTOUCHED = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
GWEI = 10**9


def start_node(data_dir):
    """Starts `cove node --dev` on a free port; returns the process and its URL."""
    proc = subprocess.Popen(
        [os.environ["COVE_BIN"], "--data-dir", data_dir, "node", "--rpc", "127.0.0.1:0", "--dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found = {}

    def read():
        for line in proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m and "url" not in found:
                found["url"] = m.group(1)
        # Keep draining so the node never blocks on a full pipe.

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    while "url" not in found:
        if proc.poll() is not None:
            raise RuntimeError(f"cove node exited {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError('no "listening on" within 60 s')
        time.sleep(0.02)
    return proc, found["url"]


class NodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.environ["COVE_TOKEN_ARTIFACT"]) as f:
            artifact = json.load(f)
        cls.abi, cls.bytecode = artifact["abi"], artifact["bytecode"]
        cls.dir = tempfile.mkdtemp(prefix="cove-web3py-")
        cls.proc, url = start_node(cls.dir)
        cls.w3 = Web3(Web3.HTTPProvider(url))
        cls.alice = Account.from_key(DEV0)
        cls.bob = Account.from_key(DEV1)
        # A wallet's way: transactions from alice are signed locally and sent raw.
        cls.w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(cls.alice), layer=0)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        code = cls.proc.wait(timeout=30)
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, f"cove node exited {code} on SIGTERM"

    def receipt(self, tx_hash):
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)

    def deploy(self, supply):
        token = self.w3.eth.contract(abi=self.abi, bytecode=self.bytecode)
        r = self.receipt(token.constructor(supply).transact({"from": self.alice.address}))
        self.assertEqual(r.status, 1)
        return self.w3.eth.contract(address=r.contractAddress, abi=self.abi), r

    def rpc_error(self, call):
        """The JSON-RPC error object `call` raised."""
        with self.assertRaises(Web3RPCError) as caught:
            call()
        return caught.exception.rpc_response["error"]

    def test_chain_reads(self):
        w3 = self.w3
        self.assertTrue(w3.is_connected())
        self.assertEqual(w3.eth.chain_id, CHAIN_ID)
        self.assertEqual(w3.net.version, str(CHAIN_ID))
        self.assertTrue(w3.client_version.startswith("cove/v"))
        self.assertGreaterEqual(w3.eth.block_number, 1)
        self.assertEqual(w3.eth.get_balance(UNTOUCHED), w3.to_wei(10_000, "ether"))
        self.assertEqual(w3.eth.get_transaction_count(UNTOUCHED), 0)
        self.assertEqual(w3.eth.gas_price, GWEI)
        self.assertEqual(w3.eth.max_priority_fee, GWEI)
        latest = w3.eth.get_block("latest")
        self.assertEqual(latest.baseFeePerGas, 0)
        self.assertEqual(w3.eth.get_block(latest.hash).number, latest.number)
        history = w3.eth.fee_history(2, "latest", [10, 90])
        self.assertEqual(len(history.baseFeePerGas), 3)
        self.assertEqual(len(history.reward), 2)

    def test_signed_value_transfer(self):
        w3 = self.w3
        to = Account.create().address
        before = w3.eth.get_balance(self.alice.address)
        nonce = w3.eth.get_transaction_count(self.alice.address)
        value = w3.to_wei(2, "ether")
        # Signed here by hand (a legacy, EIP-155 transaction), sent raw.
        tx = {
            "to": to,
            "value": value,
            "gas": 21_000,
            "gasPrice": w3.eth.gas_price,
            "nonce": nonce,
            "chainId": w3.eth.chain_id,
        }
        signed = self.alice.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        r = self.receipt(tx_hash)
        self.assertEqual(r.status, 1)
        self.assertEqual(r.gasUsed, 21_000)
        self.assertEqual(w3.eth.get_balance(to), value)
        self.assertEqual(w3.eth.get_balance(self.alice.address), before - value - r.gasUsed * r.effectiveGasPrice)
        self.assertEqual(w3.eth.get_transaction_count(self.alice.address), nonce + 1)
        got = w3.eth.get_transaction(tx_hash)
        self.assertEqual(got["from"], self.alice.address)
        self.assertEqual(got.value, value)
        self.assertEqual(got.blockNumber, r.blockNumber)

    def test_erc20_deploy_call_transfer_and_logs(self):
        w3 = self.w3
        supply = 5_000 * 10**18
        token, deployed = self.deploy(supply)
        self.assertGreater(len(w3.eth.get_code(token.address)), 100)
        self.assertEqual(token.functions.name().call(), "Cove Token")
        self.assertEqual(token.functions.symbol().call(), "COVE")
        self.assertEqual(token.functions.totalSupply().call(), supply)
        self.assertEqual(token.functions.balanceOf(self.alice.address).call(), supply)

        bob_before = token.functions.balanceOf(self.bob.address).call()
        r = self.receipt(token.functions.transfer(self.bob.address, 123).transact({"from": self.alice.address}))
        self.assertEqual(r.status, 1)
        self.assertEqual(token.functions.balanceOf(self.bob.address).call(), bob_before + 123)
        (event,) = token.events.Transfer().process_receipt(r)
        self.assertEqual(dict(event.args), {"from": self.alice.address, "to": self.bob.address, "value": 123})

        # eth_getLogs: the mint and the transfer, then only the one to bob.
        logs = token.events.Transfer.get_logs(from_block=deployed.blockNumber, to_block="latest")
        self.assertEqual([l.args.value for l in logs], [supply, 123])
        self.assertEqual(logs[1].transactionHash, r.transactionHash)
        self.assertEqual(logs[1].logIndex, r.logs[0].logIndex)
        to_bob = token.events.Transfer.get_logs(from_block=0, argument_filters={"to": self.bob.address})
        self.assertEqual([l.transactionHash for l in to_bob], [r.transactionHash])
        by_hash = w3.eth.get_logs({"blockHash": r.blockHash, "address": token.address})
        self.assertEqual(len(by_hash), 1)

    def test_exact_estimate_and_revert_reason(self):
        token, _ = self.deploy(1_000)
        transfer = token.functions.transfer(self.bob.address, 10)
        gas = transfer.estimate_gas({"from": self.alice.address})
        self.assertTrue(transfer.call({"from": self.alice.address, "gas": gas}))
        with self.assertRaises(Web3RPCError):
            transfer.call({"from": self.alice.address, "gas": gas - 1})

        with self.assertRaises(ContractLogicError) as caught:
            token.functions.transfer(self.bob.address, 1_001).call({"from": self.alice.address})
        self.assertEqual(caught.exception.message, "execution reverted: ERC20: insufficient balance")
        # The revert data: Error(string)'s selector, then the ABI-encoded reason.
        self.assertTrue(caught.exception.data.startswith("0x08c379a0"), caught.exception.data)

    def test_mempool_rejections(self):
        w3 = self.w3
        to = self.bob.address
        nonce = w3.eth.get_transaction_count(self.alice.address)

        def send(nonce, value=1, chain_id=CHAIN_ID, account=None):
            tx = {"to": to, "value": value, "gas": 21_000, "gasPrice": GWEI, "nonce": nonce, "chainId": chain_id}
            signed = (account or self.alice).sign_transaction(tx)
            return w3.eth.send_raw_transaction(signed.raw_transaction)

        self.receipt(send(nonce))
        e = self.rpc_error(lambda: send(nonce))
        self.assertEqual(e["code"], -32000)
        self.assertEqual(e["message"], f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}")

        poor = Account.create()
        e = self.rpc_error(lambda: send(0, account=poor))
        self.assertEqual(e["code"], -32000)
        self.assertEqual(
            e["message"],
            f"insufficient funds for gas * price + value: balance 0, tx cost {21_000 * GWEI + 1}, "
            f"overshot {21_000 * GWEI + 1}",
        )

        e = self.rpc_error(lambda: send(nonce + 1, chain_id=1))
        self.assertEqual(e["code"], -32000)
        self.assertEqual(e["message"], f"invalid chain id for signer: have 1 want {CHAIN_ID}")

        # A nonce gap waits until the gap is filled, as geth queues it.
        gapped = send(nonce + 2)
        time.sleep(0.3)
        self.assertEqual(w3.eth.get_transaction_count(self.alice.address, "pending"), nonce + 1)
        self.assertIsNone(w3.eth.get_transaction(gapped).blockNumber)
        fill = send(nonce + 1)
        self.assertEqual(self.receipt(fill).status, 1)
        self.assertEqual(self.receipt(gapped).status, 1)
        self.assertEqual(w3.eth.get_transaction_count(self.alice.address), nonce + 3)

    def test_blocks_by_hash_and_position(self):
        w3 = self.w3
        before = w3.eth.get_balance(self.bob.address)
        tx_hash = w3.eth.send_transaction({"from": self.alice.address, "to": self.bob.address, "value": 9})
        r = self.receipt(tx_hash)
        self.assertFalse(w3.eth.syncing)
        self.assertEqual(w3.eth.get_block_transaction_count(r.blockNumber), 1)
        self.assertEqual(w3.eth.get_block_transaction_count(r.blockHash), 1)
        self.assertEqual(w3.eth.get_transaction_by_block(r.blockNumber, 0).hash, tx_hash)
        self.assertEqual(w3.eth.get_transaction_by_block(r.blockHash, 0).hash, tx_hash)
        full = w3.eth.get_block(r.blockNumber, full_transactions=True)
        self.assertEqual(full.transactions[0].hash, tx_hash)
        self.assertEqual(full.transactions[0].value, 9)
        # State at a block named by its hash, and at the block before.
        self.assertEqual(w3.eth.get_balance(self.bob.address, block_identifier=r.blockHash), before + 9)
        self.assertEqual(w3.eth.get_balance(self.bob.address, block_identifier=r.blockNumber - 1), before)
        parent = w3.eth.get_block(r.blockNumber - 1).hash
        self.assertEqual(w3.eth.get_balance(self.bob.address, block_identifier=parent), before)

    def test_estimate_beyond_the_balance(self):
        w3 = self.w3
        balance = w3.eth.get_balance(self.bob.address)
        e = self.rpc_error(
            lambda: w3.eth.estimate_gas({"from": self.bob.address, "to": self.alice.address, "value": balance + 1})
        )
        self.assertEqual(e["code"], -32000)
        self.assertEqual(
            e["message"],
            f"insufficient funds for gas * price + value: address {self.bob.address} have {balance} "
            f"want {balance + 1}",
        )


if __name__ == "__main__":
    unittest.main()
