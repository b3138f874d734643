package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.InvocationResult.FunctionError;
import io.wavelink.node.sandbox.InvocationResult.Success;
import io.wavelink.node.sandbox.InvocationResult.TimedOut;
import io.wavelink.node.sandbox.PreparedModule;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The sandbox runtime on the real example functions, in both execution modes. */
class WasmSandboxRuntimeTest {

  private static final int MEMORY_MB = 16;
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration AWAIT = Duration.ofSeconds(20);

  private static WasmSandboxRuntime runtime;
  private static final Map<String, PreparedModule> prepared = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() {
    runtime = new WasmSandboxRuntime();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static PreparedModule module(String name, ExecutionMode mode) {
    return prepared.computeIfAbsent(
        name + "/" + mode,
        k -> {
          try {
            return runtime.prepare(ExampleFunctions.load(name), MEMORY_MB, mode);
          } catch (InvalidModuleException e) {
            throw new AssertionError(e);
          }
        });
  }

  private static InvocationResult invoke(
      String name, ExecutionMode mode, String input, Map<String, String> env) {
    return runtime.invoke(
        module(name, mode),
        new Invocation(name, input.getBytes(StandardCharsets.UTF_8), env, MEMORY_MB, TIMEOUT));
  }

  private static Success success(InvocationResult result) {
    return assertInstanceOf(Success.class, result, () -> "expected success, got " + result);
  }

  private static FunctionError error(InvocationResult result) {
    return assertInstanceOf(FunctionError.class, result, () -> "expected an error, got " + result);
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

  // --- echo, env, exit, trap ------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void echoCopiesStdinToStdout(ExecutionMode mode) {
    Success s = success(invoke("echo", mode, "hello, wavelet", Map.of()));
    assertEquals("hello, wavelet", s.stdoutUtf8());
    assertEquals("", s.stderrTail());
    assertTrue(s.duration().toNanos() > 0);
    assertEquals("", success(invoke("echo", mode, "", Map.of())).stdoutUtf8());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void echoRoundTripsSixMebibytes(ExecutionMode mode) {
    byte[] input = new byte[6 * 1024 * 1024];
    new Random(42).nextBytes(input);
    InvocationResult result =
        runtime.invoke(
            module("echo", mode), new Invocation("echo", input, Map.of(), MEMORY_MB, TIMEOUT));
    assertArrayEquals(input, success(result).stdout());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void stdoutBeyondTheLimitIsAnOutputError(ExecutionMode mode) throws Exception {
    try (WasmSandboxRuntime small = new WasmSandboxRuntime(1000, 100)) {
      PreparedModule echo = small.prepare(ExampleFunctions.load("echo"), MEMORY_MB, mode);
      assertEquals(
          1000,
          success(small.invoke(echo, new Invocation(new byte[1000], Map.of(), MEMORY_MB, TIMEOUT)))
              .stdout()
              .length);
      FunctionError e =
          error(small.invoke(echo, new Invocation(new byte[1001], Map.of(), MEMORY_MB, TIMEOUT)));
      assertEquals(FunctionError.OUTPUT, e.kind());
      assertTrue(e.message().startsWith("output too large"), e.message());
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void envVariablesReachTheGuest(ExecutionMode mode) {
    assertEquals(
        "hello from the sandbox",
        success(invoke("env", mode, "", Map.of("A", "1", "GREETING", "hello from the sandbox")))
            .stdoutUtf8());
    assertEquals("unset", success(invoke("env", mode, "", Map.of("OTHER", "x"))).stdoutUtf8());
    assertEquals("unset", success(invoke("env", mode, "", Map.of())).stdoutUtf8());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void trapIsAFunctionErrorWithTheStderrTail(ExecutionMode mode) {
    FunctionError e = error(invoke("trap", mode, "", Map.of()));
    assertEquals(FunctionError.TRAP, e.kind());
    assertEquals(FunctionError.NO_EXIT_CODE, e.exitCode());
    assertTrue(e.message().contains("unreachable"), e.message());
    assertEquals("trap: about to execute unreachable\n", e.stderrTail());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void nonZeroExitIsAFunctionErrorWithTheExitCode(ExecutionMode mode) {
    FunctionError e = error(invoke("fail", mode, "", Map.of()));
    assertEquals(FunctionError.EXIT, e.kind());
    assertEquals(3, e.exitCode());
    assertEquals("the function exited with status 3", e.message());
    assertEquals("fail: something went wrong\n", e.stderrTail());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void exitZeroIsSuccess(ExecutionMode mode) throws Exception {
    PreparedModule exit0 = runtime.prepare(TestModules.EXIT_ZERO, MEMORY_MB, mode);
    Success s = success(runtime.invoke(exit0, new Invocation(new byte[0], Map.of(), 1, TIMEOUT)));
    assertEquals(0, s.stdout().length);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void unboundedRecursionIsATrap(ExecutionMode mode) throws Exception {
    PreparedModule recurse = runtime.prepare(TestModules.UNBOUNDED_RECURSION, MEMORY_MB, mode);
    FunctionError e =
        error(runtime.invoke(recurse, new Invocation(new byte[0], Map.of(), 1, TIMEOUT)));
    assertEquals(FunctionError.TRAP, e.kind());
    assertTrue(e.message().contains("stack"), e.message());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void busySpinsForTheRequestedTime(ExecutionMode mode) {
    Success s = success(invoke("busy", mode, "30 2\n", Map.of()));
    assertEquals("ok 30", s.stdoutUtf8());
    assertTrue(s.duration().toMillis() >= 30, "ran " + s.duration());
    FunctionError usage = error(invoke("busy", mode, "soon", Map.of()));
    assertEquals(2, usage.exitCode());
    assertTrue(usage.stderrTail().contains("<ms> [mb]"), usage.stderrTail());
  }

  // --- timeouts ----------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void loopTimesOutAndTheThreadIsFreed(ExecutionMode mode) throws Exception {
    ThreadPoolExecutor worker =
        new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    try {
      PreparedModule loop = module("loop", mode);
      Duration limit = Duration.ofMillis(200);
      Future<InvocationResult> running =
          worker.submit(
              () -> runtime.invoke(loop, new Invocation(new byte[0], Map.of(), MEMORY_MB, limit)));
      TimedOut t =
          assertInstanceOf(TimedOut.class, running.get(AWAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(limit, t.limit());
      // the worker thread is not burning in the guest any more, and is reusable
      await("the worker to be idle", () -> worker.getActiveCount() == 0);
      assertEquals(1, worker.getCompletedTaskCount());
      Future<Boolean> interruptedAfter =
          worker.submit(() -> Thread.currentThread().isInterrupted());
      assertFalse(interruptedAfter.get(AWAIT.toSeconds(), TimeUnit.SECONDS));
      PreparedModule echo = module("echo", mode);
      Future<InvocationResult> next =
          worker.submit(
              () ->
                  runtime.invoke(
                      echo, new Invocation("again".getBytes(), Map.of(), MEMORY_MB, TIMEOUT)));
      assertEquals("again", success(next.get(AWAIT.toSeconds(), TimeUnit.SECONDS)).stdoutUtf8());
    } finally {
      worker.shutdownNow();
      assertTrue(worker.awaitTermination(AWAIT.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void busyBeyondItsTimeoutTimesOut(ExecutionMode mode) {
    InvocationResult result =
        runtime.invoke(
            module("busy", mode),
            new Invocation("60000".getBytes(), Map.of(), MEMORY_MB, Duration.ofMillis(50)));
    TimedOut t = assertInstanceOf(TimedOut.class, result);
    assertEquals(Duration.ofMillis(50), t.limit());
    assertEquals("", t.stderrTail());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void concurrentTimeoutsFreeEveryThread(ExecutionMode mode) throws Exception {
    int threads = 4;
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    try {
      PreparedModule loop = module("loop", mode);
      List<Future<InvocationResult>> results = new ArrayList<>();
      for (int i = 0; i < threads * 2; i++) {
        Duration limit = Duration.ofMillis(50 + 10 * i);
        results.add(
            pool.submit(
                () ->
                    runtime.invoke(loop, new Invocation(new byte[0], Map.of(), MEMORY_MB, limit))));
      }
      for (Future<InvocationResult> result : results) {
        assertInstanceOf(TimedOut.class, result.get(AWAIT.toSeconds(), TimeUnit.SECONDS));
      }
      await("every worker to be idle", () -> pool.getActiveCount() == 0);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The deadline also covers a module's start section, which runs when the instance is built. */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aStartSectionThatNeverEndsTimesOut(ExecutionMode mode) throws Exception {
    PreparedModule spin = runtime.prepare(TestModules.START_SECTION_LOOPS, MEMORY_MB, mode);
    Duration limit = Duration.ofMillis(100);
    assertInstanceOf(
        TimedOut.class, runtime.invoke(spin, new Invocation(new byte[0], Map.of(), 1, limit)));
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void deadlinesRacingTheEndOfTheGuestNeverLeakAnInterrupt(ExecutionMode mode) {
    PreparedModule busy = module("busy", mode);
    int successes = 0;
    int timeouts = 0;
    for (int i = 0; i < 200; i++) {
      InvocationResult result =
          runtime.invoke(
              busy,
              new Invocation("1".getBytes(), Map.of(), MEMORY_MB, Duration.ofNanos(1_100_000)));
      assertFalse(Thread.currentThread().isInterrupted(), "interrupt leaked after " + result);
      if (result instanceof Success) {
        successes++;
      } else {
        assertInstanceOf(TimedOut.class, result);
        timeouts++;
      }
    }
    assertEquals(200, successes + timeouts);
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void anInterruptThatIsNotTheDeadlineCancelsTheInvocation(ExecutionMode mode) throws Exception {
    PreparedModule loop = module("loop", mode);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    Thread runner =
        new Thread(
            () -> {
              try {
                runtime.invoke(loop, new Invocation(new byte[0], Map.of(), MEMORY_MB, TIMEOUT));
              } catch (Throwable t) {
                thrown.set(t);
              }
              interruptedAfter.set(Thread.currentThread().isInterrupted());
              done.countDown();
            });
    runner.start();
    await("the guest to run", () -> insideGuest(runner));
    runner.interrupt();
    assertTrue(done.await(AWAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(CancellationException.class, thrown.get());
    assertTrue(interruptedAfter.get(), "the interrupt status must be set again");
  }

  /** Whether the thread is running an exported Wasm function (past instantiation). */
  private static boolean insideGuest(Thread thread) {
    for (StackTraceElement frame : thread.getStackTrace()) {
      if (frame.getClassName().startsWith("com.dylibso.chicory.runtime.Instance$Exports")) {
        return true;
      }
    }
    return false;
  }

  // --- memory ------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void growingBeyondTheMemoryLimitIsAMemoryError(ExecutionMode mode) {
    assertEquals("ok 1", success(invoke("busy", mode, "1 8", Map.of())).stdoutUtf8());
    FunctionError e = error(invoke("busy", mode, "1 64", Map.of()));
    assertEquals(FunctionError.MEMORY, e.kind());
    assertTrue(e.message().contains("16 MiB"), e.message());
    assertEquals("busy: cannot grow memory\n", e.stderrTail());
    // a bigger limit on the same prepared module lets it through
    InvocationResult bigger =
        runtime.invoke(
            module("busy", mode), new Invocation("1 64".getBytes(), Map.of(), 80, TIMEOUT));
    assertEquals("ok 1", success(bigger).stdoutUtf8());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aDeclaredMinimumMemoryBeyondTheLimitIsRejected(ExecutionMode mode) throws Exception {
    byte[] twoMib = TestModules.MEMORY_32_PAGES;
    InvalidModuleException e =
        assertThrows(InvalidModuleException.class, () -> runtime.prepare(twoMib, 1, mode));
    assertTrue(e.getMessage().contains("initial memory of 32 pages"), e.getMessage());
    PreparedModule fits = runtime.prepare(twoMib, 2, mode);
    assertEquals(2, fits.minimumMemoryMb());
    success(runtime.invoke(fits, new Invocation(new byte[0], Map.of(), 2, TIMEOUT)));
    FunctionError tooSmall =
        error(runtime.invoke(fits, new Invocation(new byte[0], Map.of(), 1, TIMEOUT)));
    assertEquals(FunctionError.MEMORY, tooSmall.kind());
  }

  // --- invalid modules ---------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void invalidModulesAreRejectedWithAClearMessage(ExecutionMode mode) {
    assertRejected(new byte[0], mode, "the module is empty");
    assertRejected("(module)".getBytes(StandardCharsets.UTF_8), mode, "not a WebAssembly binary");
    assertRejected(HexFormat.of().parseHex("0061736d0d000100"), mode, "components are not");
    assertRejected(
        HexFormat.of().parseHex("0061736d01000000ff0000"), mode, "the module is malformed");
    assertRejected(TestModules.TYPE_ERROR, mode, "the module is invalid");
    assertRejected(TestModules.NO_START, mode, "does not export a function named _start");
    assertRejected(TestModules.START_IS_MEMORY, mode, "exports _start as a memory");
    assertRejected(TestModules.START_WITH_PARAMS, mode, "must take no parameters");
    assertRejected(TestModules.IMPORTS_ENV, mode, "imports function env.now");
    assertRejected(TestModules.WRONG_WASI_TYPE, mode, "WASI preview1 defines it as");
    assertRejected(TestModules.DATA_OUT_OF_BOUNDS, mode, "cannot be instantiated");
  }

  @Test
  void validateAcceptsEveryExample() throws Exception {
    for (String name : ExampleFunctions.NAMES) {
      PreparedModule m = runtime.validate(ExampleFunctions.load(name), MEMORY_MB);
      assertEquals(ExecutionMode.INTERPRETED, m.mode());
      assertEquals(name.equals("loop") ? 0 : 1, m.minimumMemoryMb(), name);
    }
    assertRejected(() -> runtime.validate(TestModules.NO_START, MEMORY_MB), "named _start");
  }

  @Test
  void modulesOfAnotherRuntimeAreRefused() {
    try (WasmSandboxRuntime other = new WasmSandboxRuntime()) {
      PreparedModule echo = module("echo", ExecutionMode.INTERPRETED);
      assertThrows(
          IllegalArgumentException.class,
          () -> other.invoke(echo, new Invocation(new byte[0], Map.of(), MEMORY_MB, TIMEOUT)));
    }
  }

  private static void assertRejected(byte[] code, ExecutionMode mode, String expected) {
    assertRejected(() -> runtime.prepare(code, MEMORY_MB, mode), expected);
  }

  private interface Preparation {
    PreparedModule run() throws InvalidModuleException;
  }

  private static void assertRejected(Preparation preparation, String expected) {
    InvalidModuleException e = assertThrows(InvalidModuleException.class, preparation::run);
    assertTrue(
        e.getMessage().contains(expected),
        () -> "expected a message with '" + expected + "', got: " + e.getMessage());
  }

  // --- sharing -----------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void onePreparedModuleServesConcurrentInvocations(ExecutionMode mode) throws Exception {
    int threads = 8;
    int perThread = 40;
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    try {
      PreparedModule echo = module("echo", mode);
      PreparedModule env = module("env", mode);
      PreparedModule busy = module("busy", mode);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  for (int i = 0; i < perThread; i++) {
                    String id = thread + "/" + i;
                    byte[] body = ("request " + id + " ").repeat(100 + i).getBytes();
                    assertArrayEquals(
                        body,
                        success(
                                runtime.invoke(
                                    echo, new Invocation(body, Map.of(), MEMORY_MB, TIMEOUT)))
                            .stdout());
                    assertEquals(
                        id,
                        success(
                                runtime.invoke(
                                    env,
                                    new Invocation(
                                        new byte[0], Map.of("GREETING", id), MEMORY_MB, TIMEOUT)))
                            .stdoutUtf8());
                    if (i % 10 == 0) {
                      assertEquals(
                          "ok 1",
                          success(
                                  runtime.invoke(
                                      busy,
                                      new Invocation(
                                          "1 4".getBytes(), Map.of(), MEMORY_MB, TIMEOUT)))
                              .stdoutUtf8());
                    }
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        try {
          f.get(AWAIT.toSeconds() * 3, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
          fail("concurrent invocations did not finish");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The compiled machine factory is shared by every instance of a prepared module: check that it
   * builds a distinct machine per instance and that the generated machine class keeps no mutable
   * static state.
   */
  @Test
  void theCompiledMachineFactoryIsSafeToShare() throws Exception {
    WasmPreparedModule echo =
        (WasmPreparedModule)
            runtime.prepare(ExampleFunctions.load("echo"), MEMORY_MB, ExecutionMode.COMPILED);
    Machine first = instance(echo).getMachine();
    Machine second = instance(echo).getMachine();
    assertTrue(first != second, "one machine per instance");
    assertEquals(first.getClass(), second.getClass());
    for (Class<?> c = first.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          assertTrue(
              Modifier.isFinal(f.getModifiers()),
              "mutable static field in the generated machine: " + f);
        }
      }
    }
  }

  private static Instance instance(WasmPreparedModule prepared) {
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(WasiOptions.builder().build()).build();
    return Instance.builder(prepared.module())
        .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions()).build())
        .withMachineFactory(prepared.machineFactory())
        .withStart(false)
        .build();
  }
}
