// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// Calls on, counts its entries and keeps a reentrancy guard in transient storage
/// (EIP-1153, as OpenZeppelin's `ReentrancyGuardTransient` does): entered again through
/// a contract of another VM, the guard sees the first entry. Compiled by `build.sh`
/// into `Relay.bin` (init code, hex).
contract Relay {
    uint256 public hits;

    /// Counts one entry.
    function count() external returns (uint256) {
        hits += 1;
        return hits;
    }

    /// Calls `next` with `data`; returns what it returned, or re-raises its revert.
    function relay(address next, bytes calldata data) public returns (bytes memory out) {
        bool ok;
        (ok, out) = next.call(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
    }

    /// `relay` behind a guard in transient slot 0: entered again before it returns, it
    /// reverts with "reentered".
    function guarded(address next, bytes calldata data) external returns (bytes memory out) {
        uint256 entered;
        assembly {
            entered := tload(0)
        }
        require(entered == 0, "reentered");
        assembly {
            tstore(0, 1)
        }
        out = relay(next, data);
        assembly {
            tstore(0, 0)
        }
    }

    /// Sets transient `slot` to `value`.
    function poke(uint256 slot, uint256 value) external {
        assembly {
            tstore(slot, value)
        }
    }

    /// Transient `slot`.
    function peek(uint256 slot) public view returns (uint256 value) {
        assembly {
            value := tload(slot)
        }
    }

    /// Sets transient `slot` to `value`, then `relay`.
    function pokeThenRelay(uint256 slot, uint256 value, address next, bytes calldata data)
        external
        returns (bytes memory)
    {
        assembly {
            tstore(slot, value)
        }
        return relay(next, data);
    }

    /// `relay`, then transient `slot`.
    function relayThenPeek(address next, bytes calldata data, uint256 slot) external returns (uint256) {
        relay(next, data);
        return peek(slot);
    }

    /// `relay` in an inner frame that then reverts (caught here), then transient `slot`.
    function undoneThenPeek(address next, bytes calldata data, uint256 slot) external returns (uint256) {
        try this.relayThenRevert(next, data) {} catch {}
        return peek(slot);
    }

    /// `relay`, then revert.
    function relayThenRevert(address next, bytes calldata data) external {
        relay(next, data);
        revert("undone");
    }
}
