// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// cove's precompile through which an EVM contract calls a contract of another VM
/// (cove's ABI; any contract the runtime dispatches to). docs/evm.md, "Calling other
/// VMs", gives the rules; in short:
/// - `msg.value` moves from the calling contract to `target`;
/// - gas: 2,600 plus 3 per 32-byte word of calldata plus 100 per account and storage
///   slot the message holds, plus what the callee used,
///   converted from cove gas at the chain's rate (`[calls] evm_gas_rate`);
/// - inside a STATICCALL or a query the callee runs read-only;
/// - an EVM frame that reverts after a call undoes the call too;
/// - it refuses, with an `Error(string)` revert, a call in a message that created or
///   destroyed a contract, a DELEGATECALL or CALLCODE, and malformed calldata.
interface ICove {
    /// Runs `entry` of the contract at `target` with `input` and returns its result;
    /// reverts with its failure data (its revert data or abort message; empty for a
    /// trap, running out of gas or a refused call).
    function call(address target, string calldata entry, bytes calldata input)
        external
        payable
        returns (bytes memory);
}

// The precompile's address.
ICove constant COVE = ICove(0x00000000000000000000000000000000000C0E00);
