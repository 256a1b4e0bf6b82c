;; A constant-product exchange pool between two token contracts (examples/token.wat).
;;
;;   init  input = token A (20 bytes) ++ token B (20 bytes).
;;   sync  sets the reserves to the pool's balances in both tokens (after funding).
;;   swap  input = amount out (u64 LE) ++ recipient (20 bytes). The trader first
;;         transfers token A to the pool; the amount in is the pool's A balance above
;;         its reserve. The pool sends `amount out` of token B to the recipient, then
;;         checks the invariant (reserve A + in) x (reserve B - out) >= reserve A x
;;         reserve B and aborts with "invariant broken" if it fails, which undoes the
;;         transfer of B too. A failed token call aborts with "token call failed".
;;         Reserves and balances of 2^32 or more abort with "amount above 2^32" (the
;;         invariant's products are 64-bit).
;;
;; It calls the tokens with `call` (docs/abi.md, "Calls between contracts").
;; Storage: "ta", "tb" -> token addresses; "ra", "rb" -> reserves (u64 LE).
;; Memory: 0.. keys and strings, 200 own address, 300/320 token addresses, 400 transfer
;; input, 500 call results, 600 u64 scratch, 900 zero value (32 bytes), 4096.. allocations.
(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "get_contract_address" (func $self (param i32) (result i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "env" "call_result_read" (func $result_read (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ta")
  (data (i32.const 8) "tb")
  (data (i32.const 16) "ra")
  (data (i32.const 24) "rb")
  (data (i32.const 32) "balance")
  (data (i32.const 48) "transfer")
  (data (i32.const 64) "invariant broken")
  (data (i32.const 96) "token call failed")
  (data (i32.const 128) "bad input")
  (data (i32.const 144) "amount above 2^32")

  (global $heap (mut i32) (i32.const 4096))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))

  ;; The u64 under the 2-byte key at $key (0 if none).
  (func $get64 (param $key i32) (result i64)
    (local $found i64)
    (local.set $found (call $read (local.get $key) (i32.const 2)))
    (if (result i64) (i64.eqz (local.get $found))
      (then (i64.const 0))
      (else (i64.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))

  (func $set64 (param $key i32) (param $v i64)
    (i64.store (i32.const 600) (local.get $v))
    (drop (call $write (local.get $key) (i32.const 2) (i32.const 600) (i32.const 8))))

  ;; Copies the 20-byte address under the 2-byte key at $key to $dst.
  (func $get_address (param $key i32) (param $dst i32)
    (local $found i64)
    (local.set $found (call $read (local.get $key) (i32.const 2)))
    (if (i64.eqz (local.get $found)) (then (call $abort (i32.const 128) (i32.const 9))))
    (memory.copy (local.get $dst)
      (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32))) (i32.const 20)))

  ;; Calls $entry of the token at $token with the input; aborts if it fails.
  (func $token (param $token i32) (param $entry i32) (param $entry_len i32) (param $in i32) (param $in_len i32)
    (if (call $call (local.get $token) (local.get $entry) (local.get $entry_len)
                    (local.get $in) (local.get $in_len) (i32.const 900) (i64.const 0))
      (then (call $abort (i32.const 96) (i32.const 17)))))

  ;; This pool's balance in the token at $token.
  (func $balance (param $token i32) (result i64)
    (drop (call $self (i32.const 200)))
    (call $token (local.get $token) (i32.const 32) (i32.const 7) (i32.const 200) (i32.const 20))
    (call $result_read (i32.const 500))
    (i64.load (i32.const 500)))

  (func (export "init")
    (if (i32.ne (call $input_len) (i32.const 40)) (then (call $abort (i32.const 128) (i32.const 9))))
    (call $input_read (i32.const 300))
    (drop (call $write (i32.const 0) (i32.const 2) (i32.const 300) (i32.const 20)))
    (drop (call $write (i32.const 8) (i32.const 2) (i32.const 320) (i32.const 20))))

  (func (export "sync")
    (call $get_address (i32.const 0) (i32.const 300))
    (call $get_address (i32.const 8) (i32.const 320))
    (call $set64 (i32.const 16) (call $balance (i32.const 300)))
    (call $set64 (i32.const 24) (call $balance (i32.const 320))))

  (func (export "swap")
    (local $ra i64) (local $rb i64) (local $bal_a i64) (local $out i64)
    (if (i32.ne (call $input_len) (i32.const 28)) (then (call $abort (i32.const 128) (i32.const 9))))
    (call $input_read (i32.const 700))
    (local.set $out (i64.load (i32.const 700)))
    (call $get_address (i32.const 0) (i32.const 300))
    (call $get_address (i32.const 8) (i32.const 320))
    (local.set $ra (call $get64 (i32.const 16)))
    (local.set $rb (call $get64 (i32.const 24)))
    (local.set $bal_a (call $balance (i32.const 300)))
    ;; Reserves and balances stay below 2^32, so the products below fit in 64 bits.
    (if (i64.ge_u (i64.or (local.get $bal_a) (i64.or (local.get $ra) (local.get $rb)))
                  (i64.const 0x100000000))
      (then (call $abort (i32.const 144) (i32.const 17))))
    (if (i64.gt_u (local.get $out) (local.get $rb)) (then (call $abort (i32.const 64) (i32.const 16))))
    ;; Pay out first: the invariant below decides whether any of it stands.
    (memory.copy (i32.const 400) (i32.const 708) (i32.const 20))
    (i64.store (i32.const 420) (local.get $out))
    (call $token (i32.const 320) (i32.const 48) (i32.const 8) (i32.const 400) (i32.const 28))
    (if (i64.lt_u
          (i64.mul (local.get $bal_a) (i64.sub (local.get $rb) (local.get $out)))
          (i64.mul (local.get $ra) (local.get $rb)))
      (then (call $abort (i32.const 64) (i32.const 16))))
    (call $set64 (i32.const 16) (local.get $bal_a))
    (call $set64 (i32.const 24) (i64.sub (local.get $rb) (local.get $out)))))
