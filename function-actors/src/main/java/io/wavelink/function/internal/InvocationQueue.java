package io.wavelink.function.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A function's invocations waiting for a free slot, oldest first, bounded in count and in bytes:
 * past either bound an invocation is refused (the caller answers 429) rather than queued. Each
 * waits at most until its deadline (its arrival plus the function's timeout).
 *
 */
public final class InvocationQueue {

  /**
   * A queued invocation: its input (or where a large one is held, {@code inputRef}), who waits for
   * it, when it arrived and must be answered, and its caller's id for it ({@code requestId}, "" for none).
   */
  public record Waiting(
      byte[] input, Blobs.Ref inputRef, ActorRef<InvocationReply> caller, long arrivalNanos, long deadlineNanos,
      String requestId) {

    public Waiting(byte[] input, ActorRef<InvocationReply> caller, long arrivalNanos, long deadlineNanos) {
      this(input, null, caller, arrivalNanos, deadlineNanos, "");
    }

    /** The input's size, wherever it is held. */
    public int bytes() {
      return inputRef != null ? inputRef.size() : input.length;
    }
  }

  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
  private final int capacity;
  private final long maxBytes;
  private long bytes;

  public InvocationQueue(int capacity, long maxBytes) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  /** Queues it unless a bound would be exceeded; false if refused. */
  public boolean offer(Waiting waiting) {
    if (queue.size() >= capacity || bytes + waiting.bytes() > maxBytes) {
      return false;
    }
    queue.addLast(waiting);
    bytes += waiting.bytes();
    return true;
  }

  /** Each waiting invocation, oldest first. */
  public void forEach(java.util.function.Consumer<Waiting> action) {
    queue.forEach(action);
  }

  public Waiting poll() {
    Waiting w = queue.pollFirst();
    if (w != null) {
      bytes -= w.bytes();
    }
    return w;
  }

  public Waiting peek() {
    return queue.peekFirst();
  }

  /** Removes and returns those whose deadline is at or before {@code nowNanos}. */
  public List<Waiting> expire(long nowNanos) {
    List<Waiting> expired = new ArrayList<>();
    for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (w.deadlineNanos() <= nowNanos) {
        it.remove();
        bytes -= w.bytes();
        expired.add(w);
      }
    }
    return expired;
  }

  /** Removes and returns everything queued. */
  public List<Waiting> drain() {
    List<Waiting> all = new ArrayList<>(queue);
    queue.clear();
    bytes = 0;
    return all;
  }

  public int size() {
    return queue.size();
  }

  public boolean isEmpty() {
    return queue.isEmpty();
  }

  public long bytes() {
    return bytes;
  }

  /** How long the oldest invocation has waited, 0 when none waits. */
  public long oldestWaitNanos(long nowNanos) {
    Waiting w = queue.peekFirst();
    return w == null ? 0 : nowNanos - w.arrivalNanos();
  }

  /** Time left to the oldest invocation's deadline, in ms (at least 0); {@code fallback} when empty. */
  public long oldestRemainingMs(long nowNanos, long fallback) {
    Waiting w = queue.peekFirst();
    return w == null ? fallback : Math.max(0, (w.deadlineNanos() - nowNanos) / 1_000_000L);
  }
}
