;; echo: copies the request body (stdin) to the response body (stdout).
;;
;; Memory layout (one 64 KiB page):
;;   0..8     iovec used for fd_read  {buf, len}
;;   8..12    number of bytes read
;;   16..24   iovec used for fd_write {buf, len}
;;   24..28   number of bytes written
;;   1024..   read buffer (63 KiB)
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  (global $buf i32 (i32.const 1024))
  (global $buf_len i32 (i32.const 64512))

  ;; Writes len bytes at ptr to fd, retrying on short writes. Returns a WASI errno.
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

  (func (export "_start")
    (local $n i32)
    (loop $more
      (i32.store (i32.const 0) (global.get $buf))
      (i32.store (i32.const 4) (global.get $buf_len))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 1))))
      (local.set $n (i32.load (i32.const 8)))
      (if (local.get $n)
        (then
          (if (call $write_all (i32.const 1) (global.get $buf) (local.get $n))
            (then (call $proc_exit (i32.const 1))))
          (br $more)))))
)
