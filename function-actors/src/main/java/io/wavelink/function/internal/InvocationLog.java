package io.wavelink.function.internal;

import io.wavelink.function.FunctionProtocol.LogEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * A function's most recent calls that reached an instance, for {@code GET
 * /v1/functions/{name}/logs}: a ring of at most {@code capacity} entries, numbered in the order
 * they ended. Kept in the entity's memory only: an idle function that passivates, or whose shard
 * moves, starts a new log (its numbers start again at 1, which a follower sees as a gap it cannot
 * bridge). Costs nothing until the first call ends. Plain.
 */
public final class InvocationLog {

  /**
   * A page of the log, oldest first. {@code next}: the number to ask after for what comes later;
   * {@code missed}: entries after the one asked for that the ring no longer holds.
   */
  public record Page(List<LogEntry> entries, long next, long missed) {}

  private final int capacity;
  private LogEntry[] ring;
  /** how many entries were ever added: the last one's number */
  private long last;

  public InvocationLog(int capacity) {
    this.capacity = Math.max(1, capacity);
  }

  public void add(long atMs, String instanceId, String kind, String nodeId, String status, String message,
      long durationMicros, String stderrTail) {
    if (ring == null) {
      ring = new LogEntry[capacity];
    }
    last++;
    ring[(int) ((last - 1) % capacity)] =
        new LogEntry(last, atMs, instanceId, kind, nodeId, status, message, durationMicros, stderrTail);
  }

  /**
   * The entries numbered after {@code after}, oldest first, at most {@code limit}; with {@code after}
   * below zero, the {@code limit} most recent ones. An {@code after} beyond the last entry comes from
   * a log that started again (the entity passivated or moved): followed from its start.
   */
  public Page page(long after, int limit) {
    if (after > last) {
      after = 0;
    }
    long oldest = Math.max(1, last - capacity + 1);
    int n = Math.max(0, limit);
    long from = after < 0 ? Math.max(oldest, last - n + 1) : Math.max(oldest, after + 1);
    long missed = after < 0 ? 0 : Math.max(0, Math.min(oldest, last + 1) - (after + 1));
    List<LogEntry> entries = new ArrayList<>();
    for (long seq = from; seq <= last && entries.size() < n; seq++) {
      entries.add(ring[(int) ((seq - 1) % capacity)]);
    }
    long next = entries.isEmpty() ? Math.max(after, from - 1) : entries.get(entries.size() - 1).seq();
    return new Page(entries, next, missed);
  }
}
