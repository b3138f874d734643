package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.wavelink.persistence.testkit.TestCassandra;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The module store against a real Cassandra: chunked, content-addressed, idempotent, checked. */
class ModuleStoreTest {

  private static CqlSession session;
  private static ModuleStore store;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
    store = ModuleStore.using(session, new ModuleStore.Settings(1 << 20, 4, Duration.ofSeconds(10)), Runnable::run);
  }

  @AfterAll
  static void close() {
    if (session != null) {
      session.close();
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long chunkRows(String hash) {
    long n = 0;
    for (int i = 0; i < 100; i++) {
      n += session
          .execute(SimpleStatement.newInstance(
              "SELECT chunk FROM wavelink.module_chunks WHERE hash = ? AND chunk = ?", hash, i))
          .all()
          .size();
    }
    return n;
  }

  @Test
  void aModuleLargerThanCassandrasLargestMutationIsStoredInChunksAndReadBack() throws Exception {
    // 9.5 MiB: more than twice the 4 MiB a single mutation may hold on the embedded server
    byte[] code = random(9 * 1024 * 1024 + 512 * 1024, 1);
    String hash = ModuleStore.sha256(code);
    assertTrue(get(store.store(hash, code)), "written now");
    assertEquals(10, chunkRows(hash), "ten chunks of at most 1 MiB");
    assertTrue(get(store.contains(hash)));
    assertArrayEquals(code, get(store.fetch(hash)));
  }

  @Test
  void storingTheSameModuleAgainWritesNothing() throws Exception {
    byte[] code = random(300_000, 2);
    String hash = ModuleStore.sha256(code);
    assertTrue(get(store.store(hash, code)));
    assertFalse(get(store.store(hash, code)), "content-addressed: already there");
    assertEquals(1, chunkRows(hash));
  }

  @Test
  void anUnknownModuleIsNotFound() {
    String hash = ModuleStore.sha256(random(10, 3));
    ExecutionException e = assertThrows(ExecutionException.class, () -> get(store.fetch(hash)));
    assertInstanceOf(ModuleStore.NotFound.class, e.getCause());
  }

  @Test
  void bytesThatDoNotMatchTheirHashAreRefused() throws Exception {
    byte[] code = random(5000, 4);
    String hash = ModuleStore.sha256(code);
    get(store.store(hash, code));
    byte[] tampered = code.clone();
    tampered[100] ^= 1;
    session.execute(
        SimpleStatement.newInstance(
            "UPDATE wavelink.module_chunks SET data = ? WHERE hash = ? AND chunk = 0",
            ByteBuffer.wrap(tampered), hash));
    ExecutionException e = assertThrows(ExecutionException.class, () -> get(store.fetch(hash)));
    assertInstanceOf(ModuleStore.Corrupt.class, e.getCause());
  }

  @Test
  void keysAreSha256InHex() {
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ModuleStore.sha256(new byte[0]));
    assertTrue(ModuleStore.isHash(ModuleStore.sha256(new byte[] {1})));
    assertFalse(ModuleStore.isHash("E3B0"));
    assertThrows(IllegalArgumentException.class, () -> store.fetch("../etc"));
  }
}
