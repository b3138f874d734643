package io.wavelink.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.ModuleRef;
import io.wavelink.node.ModuleSource;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import io.wavelink.persistence.ModuleStore;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Modules by content on a node: fetched once, prepared once per mode, kept while used. */
class ModuleCacheTest {

  private static final WasmSandboxRuntime runtime = new WasmSandboxRuntime();
  private static final ExecutorService pool = Executors.newFixedThreadPool(2);
  private static final byte[] ECHO = ExampleFunctions.load("echo");
  private static final String ECHO_HASH = ModuleStore.sha256(ECHO);
  private static final ModuleRef ECHO_REF = ModuleRef.stored(ECHO_HASH, ECHO.length);

  @AfterAll
  static void stop() {
    pool.shutdownNow();
    runtime.close();
  }

  /** A module source that counts its fetches; {@code gate} holds them back until completed. */
  private static final class CountingSource implements ModuleSource {
    final Map<String, byte[]> modules = new HashMap<>();
    final AtomicInteger fetches = new AtomicInteger();
    CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    boolean failNext;

    CountingSource with(byte[] module) {
      modules.put(ModuleStore.sha256(module), module);
      return this;
    }

    @Override
    public CompletionStage<byte[]> fetch(String sha256) {
      fetches.incrementAndGet();
      if (failNext) {
        failNext = false;
        return CompletableFuture.failedFuture(
            new java.io.UncheckedIOException(new java.io.IOException("Cassandra is down")));
      }
      byte[] m = modules.get(sha256);
      return gate.thenApplyAsync(
          v -> {
            if (m == null) {
              throw new ModuleStore.NotFound(sha256);
            }
            return m;
          },
          pool);
    }
  }

  private static PreparedModule get(CompletableFuture<PreparedModule> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  @Test
  void twoFunctionsWithTheSameCodeShareOneFetchAndOnePreparedModulePerMode() throws Exception {
    CountingSource source = new CountingSource().with(ECHO);
    source.gate = new CompletableFuture<>();
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    String a = ModuleCache.keyOf("a", 1, ECHO_REF);
    String b = ModuleCache.keyOf("b", 7, ECHO_REF);
    assertEquals(a, b, "keyed by content, not by function");

    // both starts arrive while the fetch is still under way: they share it
    CompletableFuture<PreparedModule> first = cache.prepare(a, ECHO_REF, ExecutionMode.INTERPRETED, 64);
    CompletableFuture<PreparedModule> second = cache.prepare(b, ECHO_REF, ExecutionMode.INTERPRETED, 128);
    assertFalse(first.isDone());
    source.gate.complete(null);
    assertSame(get(first), get(second));
    PreparedModule compiled = get(cache.prepare(b, ECHO_REF, ExecutionMode.COMPILED, 128));
    assertEquals(ExecutionMode.COMPILED, compiled.mode());
    assertEquals(1, source.fetches.get());
    assertEquals(new ModuleCache.Stats(1, 0, 1, ECHO.length), cache.stats());

    // a third start of a module already on the node completes at once: nothing is fetched or prepared
    CompletableFuture<PreparedModule> third = cache.prepare(a, ECHO_REF, ExecutionMode.INTERPRETED, 64);
    assertTrue(third.isDone());
    assertEquals(1, source.fetches.get());
  }

  @Test
  void aModuleWhoseInstancesAllStoppedIsKeptForItsNextStart() throws Exception {
    CountingSource source = new CountingSource().with(ECHO);
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    String key = ModuleCache.keyOf("a", 1, ECHO_REF);
    get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64));
    cache.release(key, ExecutionMode.INTERPRETED);
    assertEquals(new ModuleCache.Stats(1, ECHO.length, 1, ECHO.length), cache.stats());
    get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64));
    assertEquals(1, source.fetches.get(), "not fetched again");
    assertEquals(0, cache.stats().idleBytes());
  }

  @Test
  void withoutRoomForIdleModulesTheyAreDropped() throws Exception {
    CountingSource source = new CountingSource().with(ECHO);
    ModuleCache cache = new ModuleCache(runtime, pool, source, 0);
    String key = ModuleCache.keyOf("a", 1, ECHO_REF);
    get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64));
    cache.release(key, ExecutionMode.INTERPRETED);
    assertEquals(0, cache.stats().modules());
    get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64));
    assertEquals(2, source.fetches.get());
  }

  @Test
  void aFailedFetchIsTriedAgainAtTheNextStart() throws Exception {
    CountingSource source = new CountingSource().with(ECHO);
    source.failNext = true;
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    String key = ModuleCache.keyOf("a", 1, ECHO_REF);
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64)));
    assertInstanceOf(ModuleCache.FetchFailed.class, e.getCause(), "the store did not answer: worth another try");
    assertTrue(e.getCause().getMessage().contains("Cassandra is down"), e.toString());
    cache.release(key, ExecutionMode.INTERPRETED);
    get(cache.prepare(key, ECHO_REF, ExecutionMode.INTERPRETED, 64));
    assertEquals(2, source.fetches.get());
  }

  @Test
  void aMissingModuleFailsForGood() {
    CountingSource source = new CountingSource();
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> get(cache.prepare("k", ECHO_REF, ExecutionMode.INTERPRETED, 64)));
    assertInstanceOf(ModuleStore.NotFound.class, e.getCause());
  }

  @Test
  void inlineModulesAreKeyedByFunctionAndVersionAndNeverFetched() throws Exception {
    CountingSource source = new CountingSource();
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    ModuleRef inline = ModuleRef.inline(ECHO);
    assertEquals("inline:f@3", ModuleCache.keyOf("f", 3, inline));
    get(cache.prepare(ModuleCache.keyOf("f", 3, inline), inline, ExecutionMode.INTERPRETED, 64));
    assertEquals(0, source.fetches.get());
  }

  @Test
  void aStartWhoseLimitTheSharedModuleDoesNotFitFails() throws Exception {
    // echo declares one page (64 KiB): any limit fits; a module of 2 MiB initial memory does not fit 1 MB
    byte[] twoMib =
        java.util.HexFormat.of()
            .parseHex("0061736d01000000010401600000030201000503010020070a01065f737461727400000a040102000b");
    CountingSource source = new CountingSource().with(twoMib);
    ModuleCache cache = new ModuleCache(runtime, pool, source, 64L << 20);
    ModuleRef ref = ModuleRef.stored(ModuleStore.sha256(twoMib), twoMib.length);
    String key = ModuleCache.keyOf("big", 1, ref);
    get(cache.prepare(key, ref, ExecutionMode.INTERPRETED, 4));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> get(cache.prepare(key, ref, ExecutionMode.INTERPRETED, 1)));
    assertInstanceOf(InvalidModuleException.class, e.getCause());
  }

  @Test
  void compilesRunOnTheirOwnPoolAndAreSeenPreparedOnceDone() throws Exception {
    ExecutorService compiler = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Void> gate = new CompletableFuture<>();
      compiler.execute(gate::join); // the compile pool is busy
      ModuleCache cache = new ModuleCache(runtime, pool, compiler, new CountingSource().with(ECHO), 64L << 20);
      CompletableFuture<PreparedModule> compiled = cache.prepare(ECHO_HASH, ECHO_REF, ExecutionMode.COMPILED, 16);
      // an interpreted start does not wait behind the compile
      assertEquals(ExecutionMode.INTERPRETED, get(cache.prepare(ECHO_HASH, ECHO_REF, ExecutionMode.INTERPRETED, 16)).mode());
      assertTrue(cache.preparedNow(ECHO_HASH, ExecutionMode.INTERPRETED));
      assertFalse(compiled.isDone(), "the compile waits for its own pool");
      assertFalse(cache.preparedNow(ECHO_HASH, ExecutionMode.COMPILED));
      gate.complete(null);
      assertEquals(ExecutionMode.COMPILED, get(compiled).mode());
      assertTrue(cache.preparedNow(ECHO_HASH, ExecutionMode.COMPILED));
      cache.release(ECHO_HASH, ExecutionMode.COMPILED);
      assertFalse(cache.preparedNow(ECHO_HASH, ExecutionMode.COMPILED), "dropped with its last use");
      assertTrue(cache.preparedNow(ECHO_HASH, ExecutionMode.INTERPRETED));
    } finally {
      compiler.shutdownNow();
    }
  }
}
