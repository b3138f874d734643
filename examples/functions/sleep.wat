;; sleep: emulates a function that waits for a while (I/O, a downstream call) and needs some memory.
;;
;; Reads ASCII "<ms> [mb]" from stdin, e.g. "250 64". Grows linear memory so that mb MiB
;; beyond the first page exist and touches every 4 KiB of them (like busy), then sleeps until the
;; WASI monotonic clock says ms milliseconds have passed, with poll_oneoff on a relative clock
;; subscription (repeated for what is left, should the host wake it early), so the wait uses no
;; CPU; then writes "ok <ms>" to stdout. A host whose poll_oneoff fails: "sleep: poll_oneoff
;; failed" on stderr and exit status 1.
;; When memory cannot grow (the sandbox's memory limit), it writes
;; "sleep: cannot grow memory" to stderr and traps (like busy).
;; Input that does not start with a number: a usage line on stderr and exit status 2.
;;
;; Memory layout (first page):
;;   0..8      iovec used for fd_read  {buf, len}
;;   8..12     number of bytes read
;;   16..24    iovec used for fd_write {buf, len}
;;   24..28    number of bytes written
;;   32..40    timestamp from clock_time_get
;;   64..112   the poll_oneoff subscription {userdata u64, tag u8 @8, clock id u32 @16,
;;             timeout u64 @24, precision u64 @32, flags u16 @40}
;;   128..160  the poll_oneoff event
;;   160..164  number of events
;;   256..511  input buffer
;;   512..544  output buffer
;;   1024..    messages
;;   65536..   the memory being touched
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 1024) "sleep: expected \"<ms> [mb]\" on stdin\n")
  (data (i32.const 1088) "sleep: cannot grow memory\n")
  (data (i32.const 1152) "sleep: poll_oneoff failed\n")

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

  ;; Makes sure 1 + mb * 16 pages exist and writes one byte in every 4 KiB of them.
  (func $touch (param $mb i64)
    (local $pages i32)
    (local $addr i32)
    (local $limit i32)
    (if (i64.eqz (local.get $mb)) (then (return)))
    (if (i64.gt_u (local.get $mb) (i64.const 4095)) (then (call $out_of_memory)))
    (local.set $pages (i32.add (i32.const 1) (i32.mul (i32.wrap_i64 (local.get $mb)) (i32.const 16))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (i32.const -1) (memory.grow (i32.sub (local.get $pages) (memory.size))))
          (then (call $out_of_memory)))))
    (local.set $addr (i32.const 65536))
    (local.set $limit (i32.mul (local.get $pages) (i32.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $addr) (local.get $limit)))
        (i32.store8 (local.get $addr) (i32.const 1))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4096)))
        (br $next))))

  (func $out_of_memory
    (drop (call $write_all (i32.const 2) (i32.const 1088) (i32.const 26)))
    (unreachable))

  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 1))))
    (i64.load (i32.const 32)))

  ;; Sleeps $ns nanoseconds: one poll_oneoff with a relative monotonic-clock subscription.
  (func $sleep (param $ns i64)
    (i64.store (i32.const 64) (i64.const 0))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (local.get $ns))
    (i64.store (i32.const 96) (i64.const 0))
    (i32.store16 (i32.const 104) (i32.const 0))
    (if (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160))
      (then
        (drop (call $write_all (i32.const 2) (i32.const 1152) (i32.const 26)))
        (call $proc_exit (i32.const 1)))))

  (func (export "_start")
    (local $ms i64)
    (local $mb i64)
    (local $deadline i64)
    (local $now i64)
    (local $n i64)
    (local $p i32)
    (call $read_input)
    (local.set $ms (call $number))
    (if (i64.lt_s (local.get $ms) (i64.const 0))
      (then
        (drop (call $write_all (i32.const 2) (i32.const 1024) (i32.const 37)))
        (call $proc_exit (i32.const 2))))
    (local.set $mb (call $number))
    (if (i64.lt_s (local.get $mb) (i64.const 0)) (then (local.set $mb (i64.const 0))))
    (call $touch (local.get $mb))
    (local.set $deadline
      (i64.add (call $now) (i64.mul (local.get $ms) (i64.const 1000000))))
    (block $awake
      (loop $again
        (local.set $now (call $now))
        (br_if $awake (i64.ge_u (local.get $now) (local.get $deadline)))
        (call $sleep (i64.sub (local.get $deadline) (local.get $now)))
        (br $again)))
    ;; "ok <ms>": digits backwards from 544, then the prefix
    (local.set $p (i32.const 544))
    (local.set $n (local.get $ms))
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
