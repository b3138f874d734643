package io.wavelink.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.wavelink.persistence.testkit.TestCassandra;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit against a real Cassandra. Each test holds the batcher's session back until every write
 * is queued, so which writes go together is decided by the limits alone, not by timing.
 */
class WriteBatcherTest {

  private static CqlSession session;
  private static PreparedStatement insert;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
    session.execute("CREATE TABLE IF NOT EXISTS wavelink.batcher_test (p text, c int, v blob, PRIMARY KEY (p, c))");
    insert = session.prepare("INSERT INTO wavelink.batcher_test (p, c, v) VALUES (?, ?, ?) USING TTL ?");
  }

  @AfterAll
  static void close() {
    if (session != null) {
      session.close();
    }
  }

  @BeforeEach
  void empty() {
    session.execute("TRUNCATE wavelink.batcher_test");
  }

  private static WriteBatcher batcher(CompletableFuture<CqlSession> held, int statements, int bytes, int partitions, int inFlight) {
    return new WriteBatcher(held, DefaultConsistencyLevel.QUORUM, Duration.ofSeconds(10), statements, bytes, partitions, inFlight);
  }

  private static CompletableFuture<Void> write(WriteBatcher b, String p, int c, int bytes, int ttl) {
    return b.write(insert.bind(p, c, ByteBuffer.wrap(new byte[bytes]), ttl), bytes, p).toCompletableFuture();
  }

  private static long rows(String p) {
    return session.execute("SELECT count(*) FROM wavelink.batcher_test WHERE p = ?", p).one().getLong(0);
  }

  private static void all(List<CompletableFuture<Void>> writes) throws Exception {
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  @Test
  void writesThatWaitGoTogetherUpToTheStatementLimit() throws Exception {
    CompletableFuture<CqlSession> held = new CompletableFuture<>();
    WriteBatcher b = batcher(held, 50, 1 << 20, 10, 1);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      writes.add(write(b, "p" + (i % 3), i, 10, 3600));
    }
    held.complete(session);
    all(writes);
    assertEquals(300, rows("p0") + rows("p1") + rows("p2"));
    // the first leaves alone at once; the other 299 waited for it: 50 at a time
    assertArrayEquals(new long[] {1 + 6, 300}, b.sent());
  }

  @Test
  void aBatchKeepsUnderItsSizeAndPartitionLimits() throws Exception {
    CompletableFuture<CqlSession> held = new CompletableFuture<>();
    WriteBatcher bySize = batcher(held, 50, 4096, 10, 1);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      writes.add(write(bySize, "size", i, 1000, 3600)); // 4 fit in 4096 bytes
    }
    WriteBatcher byPartition = batcher(held, 50, 1 << 20, 10, 1);
    for (int i = 0; i < 31; i++) {
      writes.add(write(byPartition, "part-" + i, i, 10, 3600)); // 10 partitions a batch
    }
    held.complete(session);
    all(writes);
    assertEquals(17, rows("size"));
    assertArrayEquals(new long[] {1 + 4, 17}, bySize.sent());
    assertArrayEquals(new long[] {1 + 3, 31}, byPartition.sent());
  }

  @Test
  void aLargeWriteGoesAloneAtOnceWithoutWaitingForASlot() throws Exception {
    CompletableFuture<CqlSession> held = new CompletableFuture<>();
    WriteBatcher b = batcher(held, 50, 4096, 10, 1);
    CompletableFuture<Void> small = write(b, "small", 0, 10, 3600); // holds the only slot
    CompletableFuture<Void> waiting = write(b, "small", 1, 10, 3600);
    CompletableFuture<Void> large = write(b, "large", 0, 100_000, 3600);
    assertArrayEquals(new long[] {2, 2}, b.sent(), "the large write was sent beside the slot's batch");
    held.complete(session);
    all(List.of(small, waiting, large));
    assertEquals(2, rows("small"));
    assertEquals(1, rows("large"));
  }

  @Test
  void aFailedBatchFailsEachOfItsWritesAndTheNextGoesOn() throws Exception {
    CompletableFuture<CqlSession> held = new CompletableFuture<>();
    WriteBatcher b = batcher(held, 50, 1 << 20, 10, 1);
    CompletableFuture<Void> first = write(b, "ok", 0, 10, 3600);
    CompletableFuture<Void> good = write(b, "mixed", 0, 10, 3600);
    CompletableFuture<Void> bad = write(b, "mixed", 1, 10, -1); // Cassandra refuses a negative TTL
    held.complete(session);
    first.get(30, TimeUnit.SECONDS);
    ExecutionException badFailure = assertThrows(ExecutionException.class, () -> bad.get(30, TimeUnit.SECONDS));
    assertTrue(badFailure.getCause().getMessage().contains("TTL"), badFailure.getCause().getMessage());
    assertThrows(ExecutionException.class, () -> good.get(30, TimeUnit.SECONDS), "it went in the refused batch");
    write(b, "ok", 1, 10, 3600).get(30, TimeUnit.SECONDS);
    assertEquals(2, rows("ok"));
    assertArrayEquals(new long[] {3, 4}, b.sent());
  }
}
