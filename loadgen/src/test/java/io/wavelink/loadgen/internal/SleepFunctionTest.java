package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.loadgen.LoadgenOptions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.InvocationResult.FunctionError;
import io.wavelink.node.sandbox.InvocationResult.Success;
import io.wavelink.node.sandbox.InvocationResult.TimedOut;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The module {@code --work sleep} deploys (examples/functions/sleep.wat), run in WaveLink's own
 * sandbox (Chicory 1.7.5, whose {@code poll_oneoff} sleeps the calling thread): it waits at least the
 * requested time without spending it on the CPU, touches the memory it is asked for, and is stopped
 * by the invocation's deadline in the middle of a sleep.
 */
class SleepFunctionTest {

  private static WasmSandboxRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = new WasmSandboxRuntime();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  static PreparedModule module(ExecutionMode mode, int memoryMb) throws Exception {
    return runtime.prepare(Driver.module(LoadgenOptions.Work.SLEEP), memoryMb, mode);
  }

  static InvocationResult invoke(PreparedModule m, String body, int memoryMb, Duration timeout) {
    return runtime.invoke(m, new Invocation(body.getBytes(StandardCharsets.UTF_8), Map.of(), memoryMb, timeout));
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void sleepsAtLeastTheRequestedTimeWithoutSpendingItOnTheCpu(ExecutionMode mode) throws Exception {
    PreparedModule m = module(mode, 32);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpuBefore = threads.getCurrentThreadCpuTime();
    long wallBefore = System.nanoTime();
    InvocationResult r = invoke(m, "400 8", 32, Duration.ofSeconds(30));
    long wallNanos = System.nanoTime() - wallBefore;
    long cpuNanos = threads.getCurrentThreadCpuTime() - cpuBefore;
    Success s = assertInstanceOf(Success.class, r, r.toString());
    assertEquals("ok 400", s.stdoutUtf8());
    assertTrue(s.duration().toMillis() >= 400, "slept " + s.duration());
    assertTrue(wallNanos >= 400_000_000L, "wall " + wallNanos);
    // the guest ran on this thread: a busy loop would have used about 400 ms of its CPU time
    assertTrue(cpuNanos < 200_000_000L, "CPU time of the sleeping thread: " + cpuNanos / 1_000_000 + " ms");
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void touchesTheMemoryItIsAskedFor(ExecutionMode mode) throws Exception {
    PreparedModule m = module(mode, 16);
    assertEquals("ok 1", assertInstanceOf(Success.class, invoke(m, "1 8", 16, Duration.ofSeconds(30))).stdoutUtf8());
    FunctionError e = assertInstanceOf(FunctionError.class, invoke(m, "1 64", 16, Duration.ofSeconds(30)));
    assertEquals(FunctionError.MEMORY, e.kind());
    assertEquals("sleep: cannot grow memory\n", e.stderrTail());
    FunctionError usage = assertInstanceOf(FunctionError.class, invoke(m, "soon", 16, Duration.ofSeconds(30)));
    assertEquals(2, usage.exitCode());
    assertTrue(usage.stderrTail().contains("<ms> [mb]"), usage.stderrTail());
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void theDeadlineEndsASleep(ExecutionMode mode) throws Exception {
    PreparedModule m = module(mode, 16);
    long before = System.nanoTime();
    InvocationResult r = invoke(m, "60000", 16, Duration.ofMillis(200));
    long tookMs = (System.nanoTime() - before) / 1_000_000;
    assertEquals(Duration.ofMillis(200), assertInstanceOf(TimedOut.class, r, r.toString()).limit());
    // a sleep the deadline could not interrupt would have lasted the whole minute
    assertTrue(tookMs < 30_000, "returned after " + tookMs + " ms");
    assertTrue(!Thread.currentThread().isInterrupted(), "the thread is clean for its next invocation");
  }
}
