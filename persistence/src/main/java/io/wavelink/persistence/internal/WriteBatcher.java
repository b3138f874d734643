package io.wavelink.persistence.internal;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Group commit of small writes: the writes that arrive while {@code maxInFlight} batches are on their
 * way go together, as one unlogged batch, in the next. A write never waits for company: when a
 * batch slot is free it leaves at once, alone if nothing else is waiting.
 *
 * <p>What it saves is a round trip and Cassandra's per-request work per write (a request costs
 * both sides more than the rows it carries). What it does not give is atomicity: an unlogged batch
 * may be applied in part, so each write must be one that may land even if its caller is told it
 * failed (as with one statement whose answer is lost). A batch that fails fails each of its writes.
 *
 * <p>Batches stay under Cassandra's default warning thresholds ({@code batch_size_warn_threshold}
 * 5 KiB, {@code unlogged_batch_across_partitions_warn_threshold} 10): at most {@code maxStatements}
 * writes, {@code maxBytes} of estimated size and {@code maxPartitions} partitions each. A write
 * larger than {@code maxBytes} goes alone at once, outside the batches' slots, so that a large write
 * never holds up small ones. Thread-safe.
 */
public final class WriteBatcher {

  /** A write waiting for its batch. */
  private record Pending(BoundStatement statement, int bytes, Object partition, CompletableFuture<Void> done) {}

  private final CompletionStage<CqlSession> session;
  private final ConsistencyLevel consistency;
  private final Duration timeout;
  private final int maxStatements;
  private final int maxBytes;
  private final int maxPartitions;
  private final int maxInFlight;

  private final ArrayDeque<Pending> waiting = new ArrayDeque<>(); // guarded by this
  private int inFlight; // guarded by this
  private long batches; // guarded by this: requests sent, for tests and metrics
  private long writes; // guarded by this

  public WriteBatcher(CompletionStage<CqlSession> session, ConsistencyLevel consistency, Duration timeout,
      int maxStatements, int maxBytes, int maxPartitions, int maxInFlight) {
    if (maxStatements < 1 || maxBytes < 1 || maxPartitions < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("batch limits must be positive");
    }
    this.session = session;
    this.consistency = consistency;
    this.timeout = timeout;
    this.maxStatements = maxStatements;
    this.maxBytes = maxBytes;
    this.maxPartitions = maxPartitions;
    this.maxInFlight = maxInFlight;
  }

  /**
   * Writes {@code statement} in the next batch with room.
   *
   * @param bytes the write's estimated size (its values' bytes)
   * @param partition what identifies the partition it writes (equal objects: the same partition)
   * @return completes once Cassandra acknowledged the batch, exceptionally if the batch failed
   */
  public CompletionStage<Void> write(BoundStatement statement, int bytes, Object partition) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Pending p = new Pending(statement, Math.max(0, bytes), partition, done);
    if (p.bytes() > maxBytes) {
      synchronized (this) {
        batches++;
        writes++;
      }
      Statement<?> alone = statement.setConsistencyLevel(consistency).setTimeout(timeout);
      session.thenCompose(s -> s.executeAsync(alone)).whenComplete((rs, e) -> complete(List.of(p), e));
      return done;
    }
    List<Pending> batch;
    synchronized (this) {
      waiting.add(p);
      batch = nextBatch();
    }
    send(batch);
    return done;
  }

  /** How many requests (batches or lone statements) carried how many writes so far. */
  public synchronized long[] sent() {
    return new long[] {batches, writes};
  }

  /** The next batch if a slot is free and something waits, else null; takes the slot. */
  private List<Pending> nextBatch() {
    if (inFlight >= maxInFlight || waiting.isEmpty()) {
      return null;
    }
    List<Pending> batch = new ArrayList<>();
    Set<Object> partitions = new HashSet<>();
    int bytes = 0;
    while (!waiting.isEmpty() && batch.size() < maxStatements) {
      Pending next = waiting.peek();
      boolean newPartition = !partitions.contains(next.partition());
      if (!batch.isEmpty()
          && (bytes + next.bytes() > maxBytes || (newPartition && partitions.size() >= maxPartitions))) {
        break;
      }
      waiting.poll();
      batch.add(next);
      partitions.add(next.partition());
      bytes += next.bytes();
    }
    inFlight++;
    batches++;
    writes += batch.size();
    return batch;
  }

  private void send(List<Pending> batch) {
    if (batch == null) {
      return;
    }
    Statement<?> statement;
    if (batch.size() == 1) {
      statement = batch.get(0).statement();
    } else {
      BatchStatementBuilder builder = BatchStatement.builder(BatchType.UNLOGGED);
      for (Pending p : batch) {
        builder.addStatement(p.statement());
      }
      statement = builder.build();
    }
    Statement<?> bounded = statement.setConsistencyLevel(consistency).setTimeout(timeout);
    session
        .thenCompose(s -> s.executeAsync(bounded))
        .whenComplete(
            (rs, e) -> {
              List<Pending> next;
              synchronized (this) {
                inFlight--;
                next = nextBatch();
              }
              complete(batch, e);
              send(next);
            });
  }

  private static void complete(List<Pending> batch, Throwable e) {
    for (Pending p : batch) {
      if (e == null) {
        p.done().complete(null);
      } else {
        p.done().completeExceptionally(e);
      }
    }
  }
}
