;; The seed 001 counter, corrected into valid WAT.
;;
;; `increment` adds one to the u32 under key "counter" and returns the new value (so the
;; CLI prints it little-endian: 01000000, 02000000, ...). `get` reads it without writing.
;; The seed's version declared locals in the middle of the body, read the pointer half of
;; storage_read's result without the value, stored the new value after writing it, and
;; exported no `allocate` for the host to place the value in.
(module
  (import "env" "storage_read" (func $storage_read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $storage_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 0) "counter")          ;; the key, 7 bytes at address 0

  ;; A bump allocator for values the host returns (storage_read calls it).
  (global $heap (mut i32) (i32.const 1024))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))

  ;; The stored value, or 0 when the key is absent.
  (func $load (result i32)
    (local $found i64)
    (local.set $found (call $storage_read (i32.const 0) (i32.const 7)))
    (if (result i32) (i64.eqz (local.get $found))
      (then (i32.const 0))
      (else (i32.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))

  (func (export "increment") (result i32)
    (local $next i32)
    (local.set $next (i32.add (call $load) (i32.const 1)))
    (i32.store (i32.const 100) (local.get $next))
    (drop (call $storage_write (i32.const 0) (i32.const 7) (i32.const 100) (i32.const 4)))
    (local.get $next))

  (func (export "get") (result i32)
    (call $load)))
