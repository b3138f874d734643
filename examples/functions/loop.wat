;; loop: never returns. The sandbox must stop it at the invocation's timeout.
(module
  (global $spins (mut i64) (i64.const 0))
  (func (export "_start")
    (loop $forever
      (global.set $spins (i64.add (global.get $spins) (i64.const 1)))
      (br $forever)))
)
