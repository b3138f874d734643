package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ExecutionInfo;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.TraceEvent;
import io.wavelink.persistence.testkit.TestCassandra;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which functions have schedules, against a real Cassandra: no tombstone for a function that never had one. */
class AsyncStoreSchedulesTest {

  private static final int SHARDS = 1; // every function in one partition, the one read below
  private static CqlSession session;
  private static AsyncStore store;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
    session.execute("TRUNCATE wavelink.async_schedules");
    store = AsyncStore.using(session, Duration.ofHours(1), Duration.ofHours(1));
  }

  @AfterAll
  static void close() {
    if (session != null) {
      session.close();
    }
  }

  private static List<String> scheduled() throws Exception {
    return store.scheduled(0).toCompletableFuture().get(30, TimeUnit.SECONDS).stream()
        .map(AsyncStore.Scheduled::function).sorted().toList();
  }

  private static void schedules(String function, boolean has) throws Exception {
    store.schedules(function, has, SHARDS).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The tombstones a read of the shard's partition met, from Cassandra's trace of that read. */
  private static int tombstonesRead() {
    ExecutionInfo info = session.execute(
            SimpleStatement.newInstance("SELECT function FROM wavelink.async_schedules WHERE shard = 0").setTracing(true))
        .getExecutionInfo();
    int tombstones = 0;
    Pattern p = Pattern.compile("Read \\d+ live rows and (\\d+) tombstone cells");
    for (TraceEvent e : info.getQueryTrace().getEvents()) {
      Matcher m = p.matcher(e.getActivity());
      if (m.find()) {
        tombstones += Integer.parseInt(m.group(1));
      }
    }
    return tombstones;
  }

  @Test
  void deploysWithoutSchedulesLeaveNoTombstonesAndARemovedScheduleGoes() throws Exception {
    for (int i = 0; i < 50; i++) {
      schedules("plain-" + i, false);
    }
    assertEquals(List.of(), scheduled());
    assertEquals(0, tombstonesRead(), "50 deploys of functions that never had schedules");

    schedules("cron", true);
    schedules("cron", true); // a redeploy keeps it
    assertEquals(List.of("cron"), scheduled());
    schedules("cron", false);
    assertEquals(List.of(), scheduled(), "a redeploy without schedules removes it");
    assertTrue(tombstonesRead() >= 1, "that removal is the one delete");
    schedules("cron", false); // again: nothing to remove
  }
}
