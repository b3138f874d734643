package io.wavelink.gateway.internal;

import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import java.time.Duration;
import kamon.Kamon;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The invocations this gateway is waiting for, so that those whose answer died with a cluster
 * member can be sent once more.
 *
 * <p>An invocation is sent a second time in two cases only: its function's entity answers {@link
 * InvocationReply.Status#INSTANCE_LOST} (the instance running it was on a node that became
 * unreachable), or its function's entity itself was lost with a member that crashed ({@link
 * #retryFunction}, decided by {@link LostCallRetries}: the entity answers again from another member,
 * started after the crash, so it never knew the call). Whichever attempt answers first completes
 * the call, no invocation is sent more than twice, and the second attempt only gets what is left of
 * the call's timeout, so a caller never waits longer than that timeout. Re-running a function is safe because functions are pure WASI
 * commands without network or filesystem: for these invocations WaveLink is at-least-once, and the
 * caller sees one answer.
 *
 * <p>A third case covers what Cluster Sharding itself may drop: a message that reaches a shard's
 * old home while the shard is handed over (a graceful leave, a rebalance) is dropped there, and an
 * invocation lost so never gets an answer. So a call unanswered for {@code checkInterval} is looked
 * for at its function's entity ({@link #dueForCheck}, by the handle its attempt was sent with); one
 * that the entity holds neither queued nor running at two checks in a row, {@code checkInterval}
 * apart, is sent once more ({@link #checked}). Two checks, not one: a call an entity handed on to
 * its next incarnation as it stopped, or whose answer is on its way, may be missing for a moment.
 *
 * <p>Thread-safe; answers are handled on the given executor (Pekko's dispatcher), never on the
 * common fork-join pool.
 */
public final class PendingInvocations {

  /**
   * Sends one attempt of an invocation to its function's entity, answered within {@code timeout}; a
   * large input is held apart ({@code inputRef}, {@code input} then empty).
   */
  @FunctionalInterface
  public interface Sender {
    /** {@code sentAs} gets the handle the entity knows the attempt by (its reply-to), once sent. */
    CompletionStage<InvocationReply> send(
        String function, byte[] input, Blobs.Ref inputRef, String requestId, Duration timeout, Consumer<Object> sentAs);
  }

  /** One call. Its attempt count and retry flag change together, under the call's own lock. */
  private static final class Pending {
    final String function;
    final byte[] input;
    final Blobs.Ref inputRef;
    /** the call's id, the same in every attempt */
    final String requestId;
    final long sentAtNanos = System.nanoTime();
    final long deadlineNanos;
    final CompletableFuture<InvocationReply> result = new CompletableFuture<>();
    /** attempts sent and not yet answered (guarded by this) */
    int outstanding;
    /** whether the one second attempt has been sent (guarded by this) */
    boolean retried;
    /** the handle of the first attempt, once sent */
    volatile Object handle;
    /** when the call is next looked for at its entity (guarded by this) */
    long nextCheckNanos;
    /** whether the entity did not hold the call at the last check (guarded by this) */
    boolean missing;

    Pending(String function, byte[] input, Blobs.Ref inputRef, String requestId, long deadlineNanos) {
      this.function = function;
      this.input = input;
      this.inputRef = inputRef;
      this.requestId = requestId;
      this.deadlineNanos = deadlineNanos;
    }
  }

  /** Calls to look for at one function's entity: the handles they were sent with. */
  public record Check(String function, List<Object> handles) {}

  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final Sender send;
  private final Duration timeout;
  private final Executor executor;
  private final long checkIntervalNanos;

  /**
   * @param timeout how long a caller waits for an invocation, all attempts together
   * @param checkInterval how long a call waits unanswered before it is looked for at its entity, and
   *     between two such checks
   */
  public PendingInvocations(Sender send, Duration timeout, Duration checkInterval, Executor executor) {
    this.send = send;
    this.timeout = timeout;
    this.checkIntervalNanos = checkInterval.toNanos();
    this.executor = executor;
  }

  public CompletionStage<InvocationReply> invoke(String function, byte[] input) {
    return invoke(function, input, null, "");
  }

  /**
   * An invocation whose large input is held apart, at {@code inputRef} ({@code input} then empty);
   * {@code requestId} is the call's id, sent with every attempt ("" for none).
   */
  public CompletionStage<InvocationReply> invoke(String function, byte[] input, Blobs.Ref inputRef, String requestId) {
    long id = ids.incrementAndGet();
    Pending p = new Pending(function, input, inputRef, requestId, System.nanoTime() + timeout.toNanos());
    pending.put(id, p);
    p.result.whenComplete((r, e) -> pending.remove(id));
    synchronized (p) {
      p.outstanding++;
      p.nextCheckNanos = p.sentAtNanos + checkIntervalNanos;
    }
    send.send(p.function, p.input, p.inputRef, p.requestId, timeout, handle -> p.handle = handle)
        .whenCompleteAsync((reply, error) -> answered(p, reply, error), executor);
    return p.result;
  }

  /** Sends a second attempt, already counted in {@code p.outstanding}. */
  private void attempt(Pending p, Duration within) {
    send.send(p.function, p.input, p.inputRef, p.requestId, within, handle -> {})
        .whenCompleteAsync((reply, error) -> answered(p, reply, error), executor);
  }

  private void answered(Pending p, InvocationReply reply, Throwable error) {
    Duration retryWithin = null;
    boolean complete = false;
    boolean fail = false;
    synchronized (p) {
      p.outstanding--;
      if (error == null && reply.status() == InvocationReply.Status.INSTANCE_LOST) {
        retryWithin = claimRetry(p, "instance-lost");
        // already sent twice, or no time left, and nothing else running: 503
        complete = retryWithin == null && p.outstanding == 0;
      } else if (error == null) {
        complete = true;
      } else {
        fail = p.outstanding == 0;
      }
    }
    if (retryWithin != null) {
      attempt(p, retryWithin);
    } else if (complete) {
      p.result.complete(reply);
    } else if (fail) {
      p.result.completeExceptionally(error);
    }
  }

  /**
   * Claims {@code p}'s one retry if it has not been sent and time is left, counting it as
   * outstanding; the time left, or null. Counted in {@code wavelink.gateway.retries} by {@code
   * reason}. The caller holds {@code p}'s lock.
   */
  private Duration claimRetry(Pending p, String reason) {
    long leftNanos = p.deadlineNanos - System.nanoTime();
    if (p.result.isDone() || leftNanos <= 0 || p.retried) {
      return null;
    }
    p.retried = true;
    p.outstanding++;
    retries.incrementAndGet();
    Kamon.counter("wavelink.gateway.retries").withTag("reason", reason).increment();
    return Duration.ofNanos(leftNanos);
  }

  /** The functions with invocations sent before {@code sentBeforeNanos} that could still be sent once more. */
  public Set<String> functionsWaitingSince(long sentBeforeNanos) {
    Set<String> functions = new HashSet<>();
    for (Pending p : pending.values()) {
      if (p.sentAtNanos < sentBeforeNanos && !p.result.isDone()) {
        synchronized (p) {
          if (!p.retried) {
            functions.add(p.function);
          }
        }
      }
    }
    return functions;
  }

  /**
   * Sends once more each invocation of {@code function} sent before {@code sentBeforeNanos} that has
   * not been sent twice (its entity was lost before it could answer); how many.
   */
  public int retryFunction(String function, long sentBeforeNanos, String reason) {
    int n = 0;
    for (Pending p : pending.values()) {
      if (!p.function.equals(function) || p.sentAtNanos >= sentBeforeNanos) {
        continue;
      }
      Duration within;
      synchronized (p) {
        within = claimRetry(p, reason);
      }
      if (within != null) {
        attempt(p, within);
        n++;
      }
    }
    return n;
  }

  /**
   * The calls due to be looked for at their entities, at most {@code maxPerFunction} per function:
   * sent once only, unanswered, and unchecked for {@code checkInterval}. Each is due again one
   * interval later, whatever the answer.
   */
  public List<Check> dueForCheck(long nowNanos, int maxPerFunction) {
    Map<String, List<Object>> due = new HashMap<>();
    for (Pending p : pending.values()) {
      Object handle = p.handle;
      if (handle == null || p.result.isDone()) {
        continue;
      }
      synchronized (p) {
        if (p.retried || nowNanos < p.nextCheckNanos) {
          continue;
        }
        List<Object> handles = due.computeIfAbsent(p.function, f -> new ArrayList<>());
        if (handles.size() < maxPerFunction) {
          handles.add(handle);
          p.nextCheckNanos = nowNanos + checkIntervalNanos;
        }
      }
    }
    List<Check> checks = new ArrayList<>();
    due.forEach((f, handles) -> checks.add(new Check(f, handles)));
    return checks;
  }

  /**
   * The entity of {@code check}'s function answered that it holds none of {@code notHeld}: those
   * missing at the previous check too are sent once more (counted as {@code lost-on-the-way}), the
   * others are looked for again; how many were sent.
   */
  public int checked(Check check, Set<Object> notHeld) {
    Set<Object> asked = new HashSet<>(check.handles());
    int n = 0;
    for (Pending p : pending.values()) {
      Object handle = p.handle;
      if (handle == null || !p.function.equals(check.function()) || !asked.contains(handle)) {
        continue;
      }
      Duration within = null;
      synchronized (p) {
        if (!notHeld.contains(handle)) {
          p.missing = false;
        } else if (!p.missing) {
          p.missing = true;
        } else {
          within = claimRetry(p, "lost-on-the-way");
        }
      }
      if (within != null) {
        attempt(p, within);
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
