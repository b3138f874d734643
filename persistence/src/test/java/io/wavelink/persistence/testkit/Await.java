package io.wavelink.persistence.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waiting for a condition with a deadline, for the tests of every module: the condition is polled
 * every 100 ms; an exception it throws counts as "not yet". Never a fixed sleep.
 */
public final class Await {

  /** A condition to poll. */
  @FunctionalInterface
  public interface Check {
    boolean ok() throws Exception;
  }

  private static final Duration POLL = Duration.ofMillis(100);

  private Await() {}

  /** Fails (AssertionError, with the last exception the check threw) unless {@code check} holds by the deadline. */
  public static void until(String what, Duration deadline, Check check) {
    Outcome o = poll(deadline, check);
    if (!o.held()) {
      throw new AssertionError(
          "timed out after " + deadline.toSeconds() + " s waiting for " + what
              + (o.last() == null ? "" : ": " + o.last()),
          o.last());
    }
  }

  /** Whether {@code check} held before the deadline. */
  public static boolean within(Duration deadline, Check check) {
    return poll(deadline, check).held();
  }

  private record Outcome(boolean held, Exception last) {}

  private static Outcome poll(Duration deadline, Check check) {
    long end = System.nanoTime() + deadline.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (check.ok()) {
          return new Outcome(true, null);
        }
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() >= end) {
        return new Outcome(false, last);
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }
}
