package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.InvocationResult.FunctionError;
import io.wavelink.node.sandbox.InvocationResult.Success;
import io.wavelink.node.sandbox.InvocationResult.TimedOut;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime.MemoryUsage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Linear memory off the heap, end to end on real modules in both execution modes: isolation
 * between invocations that reuse pages, the function's limit, out-of-bounds traps, the peak each
 * result reports, trimming, and the node running out of memory.
 */
class LinearMemoryTest {

  private static final int PAGE = 64 * 1024;
  private static final long MIB = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration AWAIT = Duration.ofSeconds(20);

  /** A runtime of {@code limitBytes} of linear memory whose pool is trimmed only explicitly. */
  private static WasmSandboxRuntime runtime(long limitBytes) {
    return new WasmSandboxRuntime(
        WasmSandboxRuntime.DEFAULT_MAX_OUTPUT_BYTES,
        WasmSandboxRuntime.DEFAULT_MAX_STDERR_BYTES,
        limitBytes,
        Duration.ZERO);
  }

  private static PreparedModule prepare(
      WasmSandboxRuntime runtime, byte[] code, int memoryMb, ExecutionMode mode) {
    try {
      return runtime.prepare(code, memoryMb, mode);
    } catch (InvalidModuleException e) {
      throw new AssertionError(e);
    }
  }

  private static PreparedModule example(WasmSandboxRuntime runtime, String name, ExecutionMode mode) {
    return prepare(runtime, ExampleFunctions.load(name), 64, mode);
  }

  private static InvocationResult invoke(
      WasmSandboxRuntime runtime, PreparedModule module, String input, int memoryMb) {
    return invoke(runtime, module, input, memoryMb, TIMEOUT);
  }

  private static InvocationResult invoke(
      WasmSandboxRuntime runtime,
      PreparedModule module,
      String input,
      int memoryMb,
      Duration timeout) {
    return runtime.invoke(
        module,
        new Invocation(input.getBytes(StandardCharsets.UTF_8), Map.of(), memoryMb, timeout));
  }

  private static Success success(InvocationResult result) {
    return assertInstanceOf(Success.class, result, () -> "expected success, got " + result);
  }

  private static FunctionError error(InvocationResult result) {
    return assertInstanceOf(FunctionError.class, result, () -> "expected an error, got " + result);
  }

  /** Bytes of busy's memory when it touches {@code mb} MiB: its first page and mb MiB more. */
  private static long busyBytes(int mb) {
    return (mb == 0 ? 1 : 1 + 16L * mb) * PAGE;
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + AWAIT + " waiting for " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  // --- isolation -------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aGuestNeverSeesWhatAnEarlierInvocationWroteOnThePagesItReuses(ExecutionMode mode) {
    try (WasmSandboxRuntime runtime = runtime(64 * MIB)) {
      PreparedModule scan = prepare(runtime, TestModules.MEMORY_SCAN, 8, mode);
      PreparedModule busy = example(runtime, "busy", mode);
      assertEquals("clean\n", success(invoke(runtime, scan, "", 8)).stdoutUtf8());
      MemoryUsage afterFirst = runtime.memoryUsage();
      assertEquals(new MemoryUsage(0, 4 * MIB, 64 * MIB), afterFirst, "64 pages, pooled");

      // the second scan gets the 64 pages the first filled with 0xA5, zeroed
      assertEquals("clean\n", success(invoke(runtime, scan, "", 8)).stdoutUtf8());
      assertEquals(afterFirst, runtime.memoryUsage(), "the same pages were reused");

      // another function dirties more pages (busy writes a 1 every 4 KiB), then a scan
      assertEquals("ok 0", success(invoke(runtime, busy, "0 8", 16)).stdoutUtf8());
      assertEquals(busyBytes(8), runtime.memoryUsage().pooledBytes());
      assertEquals("clean\n", success(invoke(runtime, scan, "", 8)).stdoutUtf8());
    }
  }

  @Test
  void concurrentInvocationsReusingPagesNeverSeeEachOthersWrites() throws Exception {
    int threads = 4;
    try (WasmSandboxRuntime runtime = runtime(64 * MIB)) {
      PreparedModule scan = prepare(runtime, TestModules.MEMORY_SCAN, 8, ExecutionMode.COMPILED);
      PreparedModule busy = example(runtime, "busy", ExecutionMode.COMPILED);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 10; i++) {
                      assertEquals("clean\n", success(invoke(runtime, scan, "", 8)).stdoutUtf8());
                      assertEquals("ok 0", success(invoke(runtime, busy, "0 2", 8)).stdoutUtf8());
                    }
                    return null;
                  }));
        }
        for (Future<?> f : futures) {
          f.get(AWAIT.toSeconds() * 3, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      MemoryUsage usage = runtime.memoryUsage();
      assertEquals(0, usage.inUseBytes());
      assertTrue(usage.pooledBytes() <= threads * 4 * MIB, "pages were reused: " + usage);
    }
  }

  // --- the function's limit and out-of-bounds accesses -----------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void growingBeyondTheFunctionsLimitIsRefusedAndReportedAsMemory(ExecutionMode mode) {
    try (WasmSandboxRuntime runtime = runtime(256 * MIB)) {
      PreparedModule busy = example(runtime, "busy", mode);
      FunctionError e = error(invoke(runtime, busy, "1 64", 16));
      assertEquals(FunctionError.MEMORY, e.kind());
      assertTrue(e.message().startsWith("the function ran out of memory"), e.message());
      assertTrue(e.message().contains("16 MiB"), e.message());
      assertEquals("busy: cannot grow memory\n", e.stderrTail());
      assertEquals(PAGE, e.peakMemoryBytes(), "the growth was refused: it held its first page");
      assertEquals(0, runtime.memoryUsage().inUseBytes());
      assertEquals("ok 1", success(invoke(runtime, busy, "1 15", 16)).stdoutUtf8());
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void outOfBoundsAccessesTrap(ExecutionMode mode) {
    try (WasmSandboxRuntime runtime = runtime(64 * MIB)) {
      PreparedModule oob = prepare(runtime, TestModules.OUT_OF_BOUNDS, 1, mode);
      for (String op : List.of("l", "s", "n", "f", "c", "g")) {
        FunctionError e = error(invoke(runtime, oob, op, 1));
        assertEquals(FunctionError.TRAP, e.kind(), op + ": " + e);
        assertTrue(e.message().contains("out of bounds memory access"), op + ": " + e.message());
        assertEquals(op.equals("g") ? 2 * PAGE : PAGE, e.peakMemoryBytes(), op);
      }
      assertEquals(PAGE, success(invoke(runtime, oob, "x", 1)).peakMemoryBytes());
      assertEquals(0, runtime.memoryUsage().inUseBytes());
    }
  }

  // --- what each result reports ----------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void everyOutcomeReportsThePeakLinearMemory(ExecutionMode mode) {
    try (WasmSandboxRuntime runtime = runtime(256 * MIB)) {
      PreparedModule busy = example(runtime, "busy", mode);
      for (int mb : new int[] {0, 1, 8, 32}) {
        Success s = success(invoke(runtime, busy, "0 " + mb, 48));
        assertEquals(busyBytes(mb), s.peakMemoryBytes(), mb + " MiB touched");
      }
      FunctionError usage = error(invoke(runtime, busy, "soon", 48));
      assertEquals(FunctionError.EXIT, usage.kind());
      assertEquals(PAGE, usage.peakMemoryBytes());
      TimedOut t =
          assertInstanceOf(
              TimedOut.class, invoke(runtime, busy, "60000 4", 48, Duration.ofMillis(200)));
      assertEquals(busyBytes(4), t.peakMemoryBytes());
      PreparedModule loop = example(runtime, "loop", mode);
      assertEquals(
          0,
          assertInstanceOf(TimedOut.class, invoke(runtime, loop, "", 48, Duration.ofMillis(50)))
              .peakMemoryBytes(),
          "no memory at all");
      assertEquals(0, runtime.memoryUsage().inUseBytes());
    }
  }

  // --- the pool --------------------------------------------------------------------------------

  @Test
  void idlePagesAreTrimmed() {
    try (WasmSandboxRuntime runtime = runtime(64 * MIB)) {
      PreparedModule busy = example(runtime, "busy", ExecutionMode.COMPILED);
      success(invoke(runtime, busy, "0 8", 16));
      assertEquals(busyBytes(8), runtime.memoryUsage().pooledBytes());
      assertEquals(0, runtime.pool().trim(), "not yet idle for a whole period");
      success(invoke(runtime, busy, "0 1", 16)); // uses 17 of the pooled pages
      assertEquals((int) ((busyBytes(8) - busyBytes(1)) / PAGE), runtime.pool().trim());
      assertEquals(busyBytes(1), runtime.memoryUsage().pooledBytes());
      assertEquals((int) (busyBytes(1) / PAGE), runtime.pool().trim());
      assertEquals(new MemoryUsage(0, 0, 64 * MIB), runtime.memoryUsage());
    }
    try (WasmSandboxRuntime runtime =
        new WasmSandboxRuntime(1 << 20, 1 << 10, 64 * MIB, Duration.ofMillis(20))) {
      PreparedModule busy = example(runtime, "busy", ExecutionMode.INTERPRETED);
      success(invoke(runtime, busy, "0 4", 16));
      await("the idle pages to be freed", () -> runtime.memoryUsage().pooledBytes() == 0);
    }
  }

  // --- the node running out of memory ----------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aPageTheNodeCannotSupplyEndsTheInvocationAsAMemoryError(ExecutionMode mode) {
    try (WasmSandboxRuntime runtime = runtime(4 * MIB)) {
      PreparedModule busy = example(runtime, "busy", mode);
      FunctionError e = error(invoke(runtime, busy, "0 8", 16));
      assertEquals(FunctionError.MEMORY, e.kind());
      assertTrue(e.message().startsWith("the node ran out of memory"), e.message());
      assertEquals(PAGE, e.peakMemoryBytes(), "the growth failed: it held its first page");
      assertEquals(0, runtime.memoryUsage().inUseBytes(), "every page is back");
      assertEquals("ok 0", success(invoke(runtime, busy, "0 3", 16)).stdoutUtf8());

      // at instantiation: 2 MiB of initial memory on a node with 1 MiB
      try (WasmSandboxRuntime small = runtime(MIB)) {
        PreparedModule twoMib = prepare(small, TestModules.MEMORY_32_PAGES, 2, mode);
        FunctionError atStart = error(invoke(small, twoMib, "", 2));
        assertEquals(FunctionError.MEMORY, atStart.kind());
        assertTrue(atStart.message().startsWith("the node ran out of memory"), atStart.message());
        assertEquals(0, atStart.peakMemoryBytes());
        assertEquals(new MemoryUsage(0, 0, MIB), small.memoryUsage());
      }
    }
  }

  /**
   * The JVM's direct memory running out before the pool's limit (other direct buffers took it) is a
   * memory error of that invocation, and the runtime goes on. Run in a child JVM with {@code
   * -XX:MaxDirectMemorySize=80m}: {@link DirectMemoryExhaustion}.
   */
  @Test
  void theJvmsDirectMemoryRunningOutIsAMemoryErrorNotACrash() throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:MaxDirectMemorySize=80m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            DirectMemoryExhaustion.class.getName());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (InputStream in = child.getInputStream()) {
      in.transferTo(output);
    }
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
    String out = output.toString(StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("limit 16 MiB"), out);
    assertTrue(
        out.contains(
            "first: memory the node ran out of memory for the function's linear memory"),
        out);
    assertTrue(out.contains("the JVM's direct memory is exhausted"), out);
    assertTrue(out.contains("then: success ok 0"), out);
    assertTrue(out.contains("in use 0"), out);
  }
}
