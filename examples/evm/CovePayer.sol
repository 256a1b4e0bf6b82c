// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import "./ICove.sol";

/// Pays with a token of cove's ABI (`examples/token.wat`: `transfer` takes the
/// recipient's 20 bytes and the amount as 8 little-endian bytes; `balance` takes an
/// address and returns 8 little-endian bytes) that this contract holds, through the
/// ICove precompile. Compiled by `build.sh` into `CovePayer.bin` (init code, hex).
contract CovePayer {
    event Paid(address indexed token, address indexed to, uint64 amount);

    /// Pays `amount` of `token` to `to`; returns what the token's `transfer` returned.
    function pay(address token, address to, uint64 amount) public returns (bytes memory out) {
        out = COVE.call(token, "transfer", abi.encodePacked(to, le64(amount)));
        emit Paid(token, to, amount);
    }

    /// Pays, then changes its mind: the message fails, and the payment with it.
    function payThenRevert(address token, address to, uint64 amount) external {
        pay(token, to, amount);
        revert("changed my mind");
    }

    /// Pays from an inner call frame.
    function payFromInnerFrame(address token, address to, uint64 amount) external {
        this.pay(token, to, amount);
    }

    /// Pays `amount` in an inner frame that then reverts (caught here), then pays it
    /// again from this frame: only the second payment stands.
    function payTwiceOnceUndone(address token, address to, uint64 amount) external {
        try this.payThenRevert(token, to, amount) {} catch {}
        pay(token, to, amount);
    }

    /// Sends `msg.value` with a call in an inner frame that reads the target's native
    /// balance and reverts (caught here); returns that balance, and the target's balance
    /// as this frame sees it afterwards (the send undone).
    function balanceAfterUndoneSend(address target, string calldata entry, bytes calldata input)
        external
        payable
        returns (uint256 inside, uint256 afterwards)
    {
        try this.sendAndRevert{value: msg.value}(target, entry, input) {}
        catch (bytes memory data) {
            inside = abi.decode(data, (uint256));
        }
        afterwards = target.balance;
    }

    /// Sends `msg.value` to `target` with a call, then reverts with the target's native
    /// balance (32 bytes) as the revert data.
    function sendAndRevert(address target, string calldata entry, bytes calldata input) external payable {
        COVE.call{value: msg.value}(target, entry, input);
        uint256 seen = target.balance;
        assembly {
            mstore(0, seen)
            revert(0, 32)
        }
    }

    /// `token`'s balance of `who`, read through STATICCALL (so it also works in a query).
    function balanceIn(address token, address who) external view returns (uint64 v) {
        (bool ok, bytes memory out) = address(COVE).staticcall(
            abi.encodeWithSelector(ICove.call.selector, token, "balance", abi.encodePacked(who))
        );
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        bytes memory le = abi.decode(out, (bytes));
        require(le.length == 8, "balance: not 8 bytes");
        for (uint256 i = 8; i > 0; i--) {
            v = (v << 8) | uint8(le[i - 1]);
        }
    }

    /// Calls `entry` of any contract with `input`, forwarding `msg.value`.
    function forward(address target, string calldata entry, bytes calldata input)
        external
        payable
        returns (bytes memory)
    {
        return COVE.call{value: msg.value}(target, entry, input);
    }

    function le64(uint64 v) internal pure returns (bytes8) {
        uint64 r;
        for (uint256 i = 0; i < 8; i++) {
            r = (r << 8) | (v & 0xff);
            v >>= 8;
        }
        return bytes8(r);
    }
}

/// Calls the precompile in its constructor: refused (the message creates a contract).
contract CallsInConstructor {
    constructor(address token) {
        COVE.call(token, "balance", abi.encodePacked(address(this)));
    }
}

/// Entered again, through a contract of cove's ABI, while it calls that contract: the
/// callee sees what this contract wrote before the call, and this contract sees what
/// the callee did after it.
contract Reentered {
    uint256 public counter;

    function bump(uint256 by) external {
        counter += by;
    }

    /// Adds 1, has `proxy`'s `forward` entry point run `input` (which may call `bump`
    /// here again), then adds 100.
    function bumpAround(address proxy, bytes calldata input) external {
        counter += 1;
        COVE.call(proxy, "forward", input);
        counter += 100;
    }

    /// Sets the counter to `during` for a call to `token`'s `balance`, then back: the
    /// counter ends as it began, though the call saw `during` written out.
    function setAround(address token, uint256 during) external {
        uint256 before = counter;
        counter = during;
        COVE.call(token, "balance", abi.encodePacked(address(this)));
        counter = before;
    }

    /// Sends `data` to the precompile as it is, with CALL or DELEGATECALL, and returns
    /// or re-raises what it gave back.
    function raw(bytes calldata data, bool delegate) external returns (bytes memory) {
        (bool ok, bytes memory out) =
            delegate ? address(COVE).delegatecall(data) : address(COVE).call(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }
}
