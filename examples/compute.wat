;; A compute-bound contract for the metering benchmark: no host calls.
;;
;; `run` fills 64 KiB with a xorshift sequence, then hashes it with FNV-1a 32 times and
;; returns the hash. Loads, stores, multiplications, shifts and a tight loop: the shape
;; of real contract code (hashing, serialisation).
(module
  (memory (export "memory") 1)
  (func $fill (param $seed i64)
    (local $i i32)
    (local $x i64)
    (local.set $x (local.get $seed))
    (loop $l
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (i64.store (local.get $i) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 65536)))))
  (func $fnv (param $h i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $i))) (i32.const 16777619)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 65536))))
    (local.get $h))
  (func (export "run") (result i32)
    (local $round i32)
    (local $h i32)
    (call $fill (i64.const 88172645463325252))
    (local.set $h (i32.const -2128831035))
    (loop $rounds
      (local.set $h (call $fnv (local.get $h)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 32))))
    (local.get $h)))
