;; invocation-id: writes the value of the environment variable WAVELINK_INVOCATION_ID (the id
;; WaveLink gives each call: req_... for a synchronous call, an async call's inv_... id) to stdout,
;; or "unset" when the call has none. A copy of env.wat with another key.
;;
;; Memory layout:
;;   0..4     number of environment variables
;;   4..8     total size of the environment strings
;;   16..24   iovec used for fd_write {buf, len}
;;   24..28   number of bytes written
;;   64..87   "WAVELINK_INVOCATION_ID="
;;   112..117 "unset"
;;   4096..   array of pointers to the "KEY=VALUE\0" strings, then the strings
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 64) "WAVELINK_INVOCATION_ID=")
  (data (i32.const 112) "unset")

  (global $key i32 (i32.const 64))
  (global $key_len i32 (i32.const 23))
  (global $environ i32 (i32.const 4096))

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

  ;; 1 when the NUL-terminated string at $p starts with the key.
  (func $is_key (param $p i32) (result i32)
    (local $i i32)
    (block $no
      (loop $next
        (if (i32.eq (local.get $i) (global.get $key_len)) (then (return (i32.const 1))))
        (br_if $no (i32.ne
          (i32.load8_u (i32.add (local.get $p) (local.get $i)))
          (i32.load8_u (i32.add (global.get $key) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func (export "_start")
    (local $count i32)
    (local $strings i32)
    (local $end i32)
    (local $i i32)
    (local $entry i32)
    (local $value i32)
    (if (call $environ_sizes_get (i32.const 0) (i32.const 4))
      (then (call $proc_exit (i32.const 1))))
    (local.set $count (i32.load (i32.const 0)))
    (local.set $strings
      (i32.add (global.get $environ) (i32.mul (local.get $count) (i32.const 4))))
    (local.set $end (i32.add (local.get $strings) (i32.load (i32.const 4))))
    ;; grow memory when the environment does not fit in the first page
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow
                (i32.sub
                  (i32.div_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 65536))
                  (memory.size))))
          (then (call $proc_exit (i32.const 1))))))
    (if (call $environ_get (global.get $environ) (local.get $strings))
      (then (call $proc_exit (i32.const 1))))
    (block $not_found
      (loop $next
        (br_if $not_found (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $entry
          (i32.load (i32.add (global.get $environ) (i32.mul (local.get $i) (i32.const 4)))))
        (if (call $is_key (local.get $entry))
          (then
            (local.set $value (i32.add (local.get $entry) (global.get $key_len)))
            (drop (call $write_all (i32.const 1) (local.get $value) (call $strlen (local.get $value))))
            (return)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (drop (call $write_all (i32.const 1) (i32.const 112) (i32.const 5))))
)
