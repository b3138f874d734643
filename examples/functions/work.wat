;; work: a CPU-bound function: computes, with no clock and no memory beyond its first page.
;;
;; Reads ASCII "<iterations>" from stdin, e.g. "250000", runs that many rounds of an integer
;; mixing loop (xorshift and multiply on an i64) and writes "ok <result>" to stdout, the result
;; as an unsigned decimal: the same input always gives the same output. Its cost grows with the
;; iterations and with the execution tier: compiled to JVM bytecode a round takes a few
;; nanoseconds, interpreted tens of times more, which is what the emergency track's tiered
;; execution is about. Input that does not start with a number: a usage line on stderr and exit
;; status 2.
;;
;; Memory layout (first page):
;;   0..8      iovec used for fd_read  {buf, len}
;;   8..12     number of bytes read
;;   16..24    iovec used for fd_write {buf, len}
;;   24..28    number of bytes written
;;   256..511  input buffer
;;   512..544  output buffer
;;   1024..    messages
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 1024) "work: expected \"<iterations>\" on stdin\n")

  (global $in i32 (i32.const 256))
  (global $in_cap i32 (i32.const 255))
  (global $pos (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))

  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (local $err i32)
    (local $n i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 16) (local.get $ptr))
        (i32.store (i32.const 20) (local.get $len))
        (local.set $err (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
        (if (local.get $err) (then (return (local.get $err))))
        (local.set $n (i32.load (i32.const 24)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $more)))
    (i32.const 0))

  ;; Reads stdin into the input buffer until EOF or the buffer is full; sets $pos and $end.
  (func $read_input
    (local $len i32)
    (local $n i32)
    (block $eof
      (loop $more
        (br_if $eof (i32.ge_u (local.get $len) (global.get $in_cap)))
        (i32.store (i32.const 0) (i32.add (global.get $in) (local.get $len)))
        (i32.store (i32.const 4) (i32.sub (global.get $in_cap) (local.get $len)))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $len (i32.add (local.get $len) (local.get $n)))
        (br $more)))
    (global.set $pos (global.get $in))
    (global.set $end (i32.add (global.get $in) (local.get $len))))

  ;; Skips spaces, tabs and newlines, then parses a decimal number.
  ;; Returns -1 when there is no digit at the cursor.
  (func $number (result i64)
    (local $c i32)
    (local $value i64)
    (local $digits i32)
    (block $blank_done
      (loop $blank
        (br_if $blank_done (i32.ge_u (global.get $pos) (global.get $end)))
        (local.set $c (i32.load8_u (global.get $pos)))
        (br_if $blank_done
          (i32.and
            (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9)))
            (i32.and (i32.ne (local.get $c) (i32.const 10)) (i32.ne (local.get $c) (i32.const 13)))))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (br $blank)))
    (block $digits_done
      (loop $digit
        (br_if $digits_done (i32.ge_u (global.get $pos) (global.get $end)))
        (local.set $c (i32.sub (i32.load8_u (global.get $pos)) (i32.const 48)))
        (br_if $digits_done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $value
          (i64.add (i64.mul (local.get $value) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (br $digit)))
    (if (result i64) (local.get $digits)
      (then (local.get $value))
      (else (i64.const -1))))

  (func (export "_start")
    (local $rounds i64)
    (local $x i64)
    (local $n i64)
    (local $p i32)
    (call $read_input)
    (local.set $rounds (call $number))
    (if (i64.lt_s (local.get $rounds) (i64.const 0))
      (then
        (drop (call $write_all (i32.const 2) (i32.const 1024) (i32.const 39)))
        (call $proc_exit (i32.const 2))))
    (local.set $x (i64.const 0x9E3779B97F4A7C15))
    (block $done
      (loop $round
        (br_if $done (i64.eqz (local.get $rounds)))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 0x2545F4914F6CDD1D)) (local.get $rounds)))
        (local.set $rounds (i64.sub (local.get $rounds) (i64.const 1)))
        (br $round)))
    ;; "ok <result>": digits backwards from 544, then the prefix
    (local.set $p (i32.const 544))
    (local.set $n (local.get $x))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $n) (i64.const 0))))
    (local.set $p (i32.sub (local.get $p) (i32.const 3)))
    (i32.store8 (local.get $p) (i32.const 111))
    (i32.store8 (i32.add (local.get $p) (i32.const 1)) (i32.const 107))
    (i32.store8 (i32.add (local.get $p) (i32.const 2)) (i32.const 32))
    (drop (call $write_all (i32.const 1) (local.get $p) (i32.sub (i32.const 544) (local.get $p)))))
)
