;; trap: writes a line to stderr, then executes `unreachable` (a Wasm trap).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 64) "trap: about to execute unreachable\n")

  (func (export "_start")
    ;; iovec {buf=64, len=35} at 0, bytes written at 8
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 35))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (unreachable))
)
