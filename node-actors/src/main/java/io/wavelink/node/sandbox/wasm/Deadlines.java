package io.wavelink.node.sandbox.wasm;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Stops guests at their deadline by interrupting the thread that runs them.
 *
 * <p>Chicory 1.7.5 checks {@link Thread#isInterrupted()} in the interpreter (on every branch and
 * call) and in code compiled by its runtime compiler (on every backward jump and call) and then
 * throws {@code ChicoryInterruptedException}; WASI's {@code poll_oneoff} sleep is interruptible
 * too. So an interrupt stops any guest, even one spinning in {@code loop br 0}, within one loop
 * iteration; see {@link WasmSandboxRuntime} for the limits.
 *
 * <p>One daemon thread serves every invocation of a runtime: {@link #start} schedules an expiry on
 * it, {@link Deadline#finish} cancels it (cancelled expiries leave the queue at once). Worked
 * example: a guest with a 100 ms timeout starts at t=0 on thread W; at t=100 ms the scheduler
 * thread calls {@code expire()}, which marks the deadline expired and interrupts W; W's guest
 * throws at its next branch, {@code invoke} calls {@code finish()}, sees it expired, clears W's
 * interrupt status and returns {@code TimedOut}. Had the guest returned at t=60 ms, {@code
 * finish()} would have marked the deadline finished first, and the expiry, had it already been
 * running, would have done nothing.
 */
final class Deadlines implements AutoCloseable {

  private final ScheduledThreadPoolExecutor scheduler;

  Deadlines() {
    scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread t = new Thread(task, "wavelink-sandbox-deadlines");
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    // after close(), deadlines already scheduled still fire, so running guests are still stopped
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(true);
  }

  /**
   * Starts a deadline for a guest about to run on the calling thread.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  Deadline start(Duration timeout) {
    Deadline deadline = new Deadline(Thread.currentThread());
    try {
      deadline.expiry =
          scheduler.schedule(deadline::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new IllegalStateException("the sandbox runtime is closed", e);
    }
    return deadline;
  }

  @Override
  public void close() {
    scheduler.shutdown();
  }

  /** The deadline of one guest run. */
  static final class Deadline {
    private final Thread runner;
    private ScheduledFuture<?> expiry;
    // guarded by this: whichever of expire() and finish() comes first decides
    private boolean finished;
    private boolean expired;

    private Deadline(Thread runner) {
      this.runner = runner;
    }

    private synchronized void expire() {
      if (!finished) {
        expired = true;
        runner.interrupt();
      }
    }

    /**
     * Ends the deadline; must be called by the thread that started it, once the guest has stopped.
     * When the deadline expired, clears the interrupt it caused (the interrupt was delivered inside
     * {@code expire()}, before this method could take the lock), so the thread is clean for its
     * next task.
     *
     * @return whether the deadline expired before the guest stopped
     */
    boolean finish() {
      boolean wasExpired;
      synchronized (this) {
        finished = true;
        wasExpired = expired;
      }
      if (wasExpired) {
        Thread.interrupted();
      } else {
        expiry.cancel(false);
      }
      return wasExpired;
    }
  }
}
