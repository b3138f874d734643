package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.datastax.oss.driver.api.core.CqlSession;
import io.wavelink.persistence.testkit.TestCassandra;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many accepts at once, against a real Cassandra: each one recorded, queued, listed and updated whole, none lost. */
class AsyncStoreAcceptTest {

  private static CqlSession session;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
  }

  @AfterAll
  static void close() {
    if (session != null) {
      session.close();
    }
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Every queue row of {@code function} due between {@code from} and {@code to}, over their hour partitions. */
  private static Set<String> queued(AsyncStore store, String function, Instant from, Instant to) throws Exception {
    Set<String> ids = new HashSet<>();
    for (long h = AsyncStore.hour(from); h <= AsyncStore.hour(to); h++) {
      Instant start = h == AsyncStore.hour(from) ? from : Instant.ofEpochMilli(h * 3_600_000L);
      await(store.queueRows(function, start, to, 10_000)).forEach(r -> ids.add(r.id()));
    }
    return ids;
  }

  private static Set<String> listed(AsyncStore store, String function) throws Exception {
    Set<String> ids = new HashSet<>();
    String token = null;
    do {
      AsyncStore.Page page = await(store.list(function, 37, token));
      ids.addAll(page.ids());
      token = page.next();
    } while (token != null);
    return ids;
  }

  @Test
  void acceptsThatArriveTogetherAreEachRecordedQueuedListedAndUpdated() throws Exception {
    AsyncStore store = AsyncStore.using(session, Duration.ofHours(1), Duration.ofHours(1));
    String run = Long.toHexString(System.nanoTime());
    Instant from = Instant.now().minusSeconds(1);
    List<String> functions = List.of("gc-a-" + run, "gc-b-" + run, "gc-c-" + run, "gc-d-" + run);
    List<CompletableFuture<AsyncStore.Accepted>> accepts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] input = ("call " + i).getBytes(StandardCharsets.UTF_8);
      accepts.add(store.accept(functions.get(i % 4), input, null, 8).toCompletableFuture());
    }
    CompletableFuture.allOf(accepts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    Instant to = Instant.now().plusSeconds(1);

    for (int i = 0; i < 200; i++) {
      AsyncStore.Invocation inv = await(store.get(accepts.get(i).get().id())).orElseThrow();
      assertEquals(functions.get(i % 4), inv.function());
      assertEquals(AsyncStore.QUEUED, inv.status());
      assertEquals("call " + i, new String(inv.input(), StandardCharsets.UTF_8));
    }
    for (int f = 0; f < 4; f++) {
      Set<String> expected = new HashSet<>();
      for (int i = f; i < 200; i += 4) {
        expected.add(accepts.get(i).get().id());
      }
      assertEquals(expected, queued(store, functions.get(f), from, to), "queue rows of " + functions.get(f));
      assertEquals(expected, listed(store, functions.get(f)), "listing of " + functions.get(f));
    }
    // the dispatchers' updates, all at once: each lands on its own record
    List<CompletableFuture<Void>> updates = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String id = accepts.get(i).get().id();
      byte[] result = ("result " + i).getBytes(StandardCharsets.UTF_8);
      updates.add(store.running(id, Instant.now().plusSeconds(60), "start " + i)
          .thenCompose(done -> store.succeeded(id, "{\"attempt\":" + 1 + "}", result, "err " + id))
          .toCompletableFuture());
    }
    CompletableFuture.allOf(updates.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    for (int i = 0; i < 200; i++) {
      String id = accepts.get(i).get().id();
      AsyncStore.Invocation inv = await(store.get(id)).orElseThrow();
      assertEquals(AsyncStore.SUCCEEDED, inv.status());
      assertEquals("result " + i, new String(inv.result(), StandardCharsets.UTF_8));
      assertEquals("err " + id, inv.stderr());
      assertEquals(List.of("start " + i), inv.starts());
      assertEquals(1, inv.attempts().size());
    }
  }
}
