package io.wavelink.gateway.internal;

import io.wavelink.node.InvocationReply;
import java.time.Duration;
import kamon.Kamon;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The invocations this gateway is waiting for, so that those whose answer died with a cluster
 * member can be sent once more.
 *
 * <p>An invocation is sent a second time in two cases: its function's entity answers {@link
 * InvocationReply.Status#INSTANCE_LOST} (the instance running it was on a node that became
 * unreachable), or a member is removed from the cluster while it is pending ({@link #retryPending}:
 * it may have been running on that member's Wavelet, or have been sent to a function shard that
 * lived there). Whichever attempt answers first completes the call, no invocation is sent more
 * than twice, and the second attempt only gets what is left of the call's timeout, so a caller never
 * waits longer than that timeout. Re-running a function is safe because functions are pure WASI
 * commands without network or filesystem: for these invocations WaveLink is at-least-once, and the
 * caller sees one answer.
 *
 * <p>Thread-safe; answers are handled on the given executor (Pekko's dispatcher), never on the
 * common fork-join pool.
 */
public final class PendingInvocations {

  /** Sends one attempt of an invocation to its function's entity, answered within {@code timeout}. */
  @FunctionalInterface
  public interface Sender {
    CompletionStage<InvocationReply> send(String function, byte[] input, Duration timeout);
  }

  private static final class Pending {
    final String function;
    final byte[] input;
    final long deadlineNanos;
    final CompletableFuture<InvocationReply> result = new CompletableFuture<>();
    final AtomicBoolean retried = new AtomicBoolean();
    final AtomicInteger outstanding = new AtomicInteger();

    Pending(String function, byte[] input, long deadlineNanos) {
      this.function = function;
      this.input = input;
      this.deadlineNanos = deadlineNanos;
    }
  }

  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final Sender send;
  private final Duration timeout;
  private final Executor executor;

  /** @param timeout how long a caller waits for an invocation, all attempts together */
  public PendingInvocations(Sender send, Duration timeout, Executor executor) {
    this.send = send;
    this.timeout = timeout;
    this.executor = executor;
  }

  public CompletionStage<InvocationReply> invoke(String function, byte[] input) {
    long id = ids.incrementAndGet();
    Pending p = new Pending(function, input, System.nanoTime() + timeout.toNanos());
    pending.put(id, p);
    p.result.whenComplete((r, e) -> pending.remove(id));
    attempt(p, timeout);
    return p.result;
  }

  private void attempt(Pending p, Duration within) {
    p.outstanding.incrementAndGet();
    send.send(p.function, p.input, within)
        .whenCompleteAsync(
            (reply, error) -> {
              int left = p.outstanding.decrementAndGet();
              if (error == null && reply.status() == InvocationReply.Status.INSTANCE_LOST) {
                if (!retry(p, "instance-lost") && left == 0) {
                  p.result.complete(reply); // already sent twice, or no time left: 503
                }
              } else if (error == null) {
                p.result.complete(reply);
              } else if (left == 0) {
                p.result.completeExceptionally(error);
              }
            },
            executor);
  }

  /**
   * Sends {@code p} once more if it has not been yet and time is left; whether it did. Counted in
   * {@code wavelink.gateway.retries} by {@code reason}.
   */
  private boolean retry(Pending p, String reason) {
    long leftNanos = p.deadlineNanos - System.nanoTime();
    if (p.result.isDone() || leftNanos <= 0 || !p.retried.compareAndSet(false, true)) {
      return false;
    }
    retries.incrementAndGet();
    Kamon.counter("wavelink.gateway.retries").withTag("reason", reason).increment();
    attempt(p, Duration.ofNanos(leftNanos));
    return true;
  }

  /** Sends every pending invocation that has not been retried yet once more. */
  public int retryPending() {
    int n = 0;
    for (Pending p : pending.values()) {
      if (retry(p, "member-removed")) {
        n++;
      }
    }
    return n;
  }

  public int size() {
    return pending.size();
  }

  /** Invocations sent a second time since this gateway started. */
  public long retries() {
    return retries.get();
  }
}
