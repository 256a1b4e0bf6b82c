;; A fungible token.
;;
;;   init      mints the supply to the deployer: 1,000,000, or the u64 (LE) in the input.
;;   transfer  input = recipient (20 bytes) ++ amount (u64 LE); moves amount from the
;;             caller, aborting with "insufficient balance" if it has less. Logs topic
;;             "transfer" with data = from (20) ++ to (20) ++ amount (u64 LE).
;;   balance   input = address (20 bytes); returns its balance as a u64 (LE).
;;
;; Storage: key "b" ++ address -> u64 LE.
;; Memory: 0..28 input, 100..121 caller's key, 140..161 other key, 200 value buffer,
;; 300.. strings, 400..448 event data, 1024.. allocations.
(module
  (import "env" "storage_read" (func $storage_read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "get_caller" (func $get_caller (param i32) (result i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "log_event" (func $log_event (param i32 i32 i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32)))

  (memory (export "memory") 1)
  (data (i32.const 300) "insufficient balance")   ;; 20 bytes
  (data (i32.const 340) "transfer")               ;; 8 bytes
  (data (i32.const 360) "bad input")              ;; 9 bytes

  (global $heap (mut i32) (i32.const 1024))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))

  (func $load_balance (param $key i32) (result i64)
    (local $found i64)
    (local.set $found (call $storage_read (local.get $key) (i32.const 21)))
    (if (result i64) (i64.eqz (local.get $found))
      (then (i64.const 0))
      (else (i64.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))

  (func $store_balance (param $key i32) (param $value i64)
    (i64.store (i32.const 200) (local.get $value))
    (drop (call $storage_write (local.get $key) (i32.const 21) (i32.const 200) (i32.const 8))))

  ;; Reads exactly $len input bytes to address 0, or aborts.
  (func $read_input (param $len i32)
    (if (i32.ne (call $input_len) (local.get $len))
      (then (call $abort (i32.const 360) (i32.const 9))))
    (call $input_read (i32.const 0)))

  ;; Writes "b" ++ caller at 100.
  (func $caller_key
    (i32.store8 (i32.const 100) (i32.const 0x62))
    (drop (call $get_caller (i32.const 101))))

  ;; Writes "b" ++ input[0..20] at 140.
  (func $input_key
    (i32.store8 (i32.const 140) (i32.const 0x62))
    (memory.copy (i32.const 141) (i32.const 0) (i32.const 20)))

  (func (export "init")
    (local $supply i64)
    (local.set $supply (i64.const 1000000))
    (if (i32.eq (call $input_len) (i32.const 8))
      (then
        (call $input_read (i32.const 0))
        (local.set $supply (i64.load (i32.const 0)))))
    (call $caller_key)
    (call $store_balance (i32.const 100) (local.get $supply)))

  (func (export "transfer")
    (local $amount i64)
    (local $from i64)
    (call $read_input (i32.const 28))
    (local.set $amount (i64.load (i32.const 20)))
    (call $caller_key)
    (call $input_key)
    (local.set $from (call $load_balance (i32.const 100)))
    (if (i64.lt_u (local.get $from) (local.get $amount))
      (then (call $abort (i32.const 300) (i32.const 20))))
    (call $store_balance (i32.const 100) (i64.sub (local.get $from) (local.get $amount)))
    ;; Read the recipient after debiting, so a transfer to oneself is a no-op.
    (call $store_balance (i32.const 140)
      (i64.add (call $load_balance (i32.const 140)) (local.get $amount)))
    (memory.copy (i32.const 400) (i32.const 101) (i32.const 20))
    (memory.copy (i32.const 420) (i32.const 0) (i32.const 20))
    (i64.store (i32.const 440) (local.get $amount))
    (call $log_event (i32.const 340) (i32.const 8) (i32.const 400) (i32.const 48)))

  (func (export "balance") (result i64)
    (call $read_input (i32.const 20))
    (call $input_key)
    (call $load_balance (i32.const 140))))
