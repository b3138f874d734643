package io.wavelink.gateway.internal;

import io.wavelink.node.InvocationReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * The invocations this gateway is waiting for, so that those whose answer died with a cluster
 * member can be sent once more.
 *
 * <p>When a member is removed from the cluster (downed after a crash, or after a graceful leave),
 * any invocation still pending may have been lost with it: it may have been running on that
 * member's Wavelet, or have been sent to a function shard that lived there. {@link #retryPending}
 * sends every pending invocation a second time; whichever attempt answers first completes the call,
 * and no invocation is sent more than twice. Re-running a function is safe because functions are
 * pure WASI commands without network or filesystem: for these invocations WaveLink is
 * at-least-once, and the caller sees one answer.
 *
 * <p>Thread-safe; answers are handled on the given executor (Pekko's dispatcher), never on the
 * common fork-join pool.
 */
public final class PendingInvocations {

  private static final class Pending {
    final String function;
    final byte[] input;
    final CompletableFuture<InvocationReply> result = new CompletableFuture<>();
    final AtomicBoolean retried = new AtomicBoolean();
    final AtomicInteger outstanding = new AtomicInteger();

    Pending(String function, byte[] input) {
      this.function = function;
      this.input = input;
    }
  }

  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final BiFunction<String, byte[], CompletionStage<InvocationReply>> send;
  private final Executor executor;

  /** @param send sends one attempt of an invocation to its function's entity */
  public PendingInvocations(
      BiFunction<String, byte[], CompletionStage<InvocationReply>> send, Executor executor) {
    this.send = send;
    this.executor = executor;
  }

  public CompletionStage<InvocationReply> invoke(String function, byte[] input) {
    long id = ids.incrementAndGet();
    Pending p = new Pending(function, input);
    pending.put(id, p);
    p.result.whenComplete((r, e) -> pending.remove(id));
    attempt(p);
    return p.result;
  }

  private void attempt(Pending p) {
    p.outstanding.incrementAndGet();
    send.apply(p.function, p.input)
        .whenCompleteAsync(
            (reply, error) -> {
              int left = p.outstanding.decrementAndGet();
              if (error == null) {
                p.result.complete(reply);
              } else if (left == 0) {
                p.result.completeExceptionally(error);
              }
            },
            executor);
  }

  /** Sends every pending invocation that has not been retried yet once more. */
  public int retryPending() {
    int n = 0;
    for (Pending p : pending.values()) {
      if (!p.result.isDone() && p.retried.compareAndSet(false, true)) {
        attempt(p);
        n++;
      }
    }
    retries.addAndGet(n);
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
