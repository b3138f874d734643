package io.wavelink.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Tier-up of running calls, on real WebAssembly: an interpreted call of the CPU-bound {@code work}
 * example stops when the compiled module arrives and runs again compiled, with the same output.
 */
class TierUpTest {

  private static final WasmSandboxRuntime runtime = new WasmSandboxRuntime();
  private static final ExecutorService threads = Executors.newCachedThreadPool();
  private static final byte[] WORK = ExampleFunctions.load("work");
  /** far beyond the timeout interpreted (about a microsecond a round), well within it compiled */
  private static final String LONG = "200000000";

  @AfterAll
  static void stop() {
    threads.shutdownNow();
    runtime.close();
  }

  private static Invocation call(String rounds, Duration timeout) {
    return new Invocation("work", rounds.getBytes(StandardCharsets.UTF_8), Map.of(), 2, timeout);
  }

  private static String stdout(InvocationResult result) {
    return new String(assertInstanceOf(InvocationResult.Success.class, result).stdout(), StandardCharsets.UTF_8);
  }

  @Test
  void anInterpretedCallRunsAgainCompiledWhenTheCompiledModuleArrives() throws Exception {
    TierUp tierUp = new TierUp(runtime);
    PreparedModule interpreted = runtime.prepare(WORK, 2, ExecutionMode.INTERPRETED);
    PreparedModule compiled = runtime.prepare(WORK, 2, ExecutionMode.COMPILED);
    String expected = stdout(runtime.invoke(compiled, call(LONG, Duration.ofSeconds(120))));

    CompletableFuture<TierUp.Ran> ran =
        CompletableFuture.supplyAsync(() -> tierUp.invoke("work", interpreted, call(LONG, Duration.ofSeconds(120)), () -> null), threads);
    // the compile "arrives" once the call runs interpreted
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int stopped = 0;
    while (stopped == 0 && !ran.isDone() && System.nanoTime() < deadline) {
      stopped = tierUp.compiled("work", compiled);
      Thread.onSpinWait();
    }
    assertEquals(1, stopped, "the running interpreted call was stopped");
    TierUp.Ran result = ran.get(120, TimeUnit.SECONDS);
    assertEquals(ExecutionMode.COMPILED, result.module().mode(), "the call's result came from the compiled module");
    assertEquals(expected, stdout(result.result()), "the same output as a compiled run");
    assertEquals(0, tierUp.compiled("work", compiled), "nothing is left running");
  }

  @Test
  void aCallThatFindsTheCompiledModuleThereRunsItAtOnceAndOneThatEndsFirstKeepsItsResult() throws Exception {
    TierUp tierUp = new TierUp(runtime);
    PreparedModule interpreted = runtime.prepare(WORK, 2, ExecutionMode.INTERPRETED);
    PreparedModule compiled = runtime.prepare(WORK, 2, ExecutionMode.COMPILED);

    TierUp.Ran atOnce = tierUp.invoke("work", interpreted, call("1000", Duration.ofSeconds(30)), () -> compiled);
    assertEquals(ExecutionMode.COMPILED, atOnce.module().mode());

    TierUp.Ran short_ = tierUp.invoke("work", interpreted, call("1000", Duration.ofSeconds(30)), () -> null);
    assertEquals(ExecutionMode.INTERPRETED, short_.module().mode());
    assertEquals(stdout(atOnce.result()), stdout(short_.result()), "both tiers compute the same");
    assertEquals(0, tierUp.compiled("work", compiled), "a call that ended is not stopped");
    assertFalse(Thread.currentThread().isInterrupted(), "no interrupt is left on the thread");

    // a compiled module of another key stops nothing of this one
    CompletableFuture<TierUp.Ran> other =
        CompletableFuture.supplyAsync(() -> tierUp.invoke("work", interpreted, call("5000000", Duration.ofSeconds(60)), () -> null), threads);
    assertEquals(0, tierUp.compiled("echo", compiled));
    other.get(120, TimeUnit.SECONDS);
  }

  @Test
  void anInterruptFromSomeoneElseStillCancelsTheCall() throws Exception {
    TierUp tierUp = new TierUp(runtime);
    PreparedModule interpreted = runtime.prepare(WORK, 2, ExecutionMode.INTERPRETED);
    Thread.currentThread().interrupt();
    assertThrows(
        CancellationException.class,
        () -> tierUp.invoke("work", interpreted, call("1000", Duration.ofSeconds(30)), () -> null));
    assertTrue(Thread.interrupted(), "the interrupt status stays set for its owner");
  }
}
