package io.wavelink.node.sandbox.wasm;

import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * Rough costs of the sandbox runtime on this machine: preparing a module in each mode and invoking
 * it. Not a test (speed is measured, not asserted); run it with
 *
 * <pre>
 * ./mvnw -B -q test-compile dependency:build-classpath -pl node-actors \
 *     -Dmdep.outputFile=$PWD/cp.txt
 * java -cp "$(cat cp.txt):node-actors/target/classes:node-actors/target/test-classes" \
 *     io.wavelink.node.sandbox.wasm.SandboxBenchmark
 * </pre>
 *
 * Prints medians and 99th percentiles in microseconds; takes about a minute.
 */
public final class SandboxBenchmark {

  private interface Action {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    try (WasmSandboxRuntime runtime = new WasmSandboxRuntime()) {
      for (String name : new String[] {"echo", "busy"}) {
        byte[] code = ExampleFunctions.load(name);
        for (ExecutionMode mode : ExecutionMode.values()) {
          int n = mode == ExecutionMode.COMPILED ? 300 : 5_000;
          measure("prepare " + name + " " + mode, n, () -> runtime.prepare(code, 16, mode));
        }
      }
      byte[] small = "hello, wavelet".getBytes();
      byte[] kib64 = new byte[64 * 1024];
      for (ExecutionMode mode : ExecutionMode.values()) {
        PreparedModule echo = runtime.prepare(ExampleFunctions.load("echo"), 16, mode);
        PreparedModule busy = runtime.prepare(ExampleFunctions.load("busy"), 16, mode);
        Invocation tiny = new Invocation(small, Map.of(), 16, Duration.ofSeconds(10));
        Invocation big = new Invocation(kib64, Map.of(), 16, Duration.ofSeconds(10));
        Invocation busyZero = new Invocation("0".getBytes(), Map.of(), 16, Duration.ofSeconds(10));
        Invocation busyMem = new Invocation("0 8".getBytes(), Map.of(), 16, Duration.ofSeconds(10));
        measure("invoke echo 14 B " + mode, 50_000, () -> check(runtime.invoke(echo, tiny)));
        measure("invoke echo 64 KiB " + mode, 10_000, () -> check(runtime.invoke(echo, big)));
        measure("invoke busy '0' " + mode, 50_000, () -> check(runtime.invoke(busy, busyZero)));
        measure(
            "invoke busy '0 8' (8 MiB) " + mode, 2_000, () -> check(runtime.invoke(busy, busyMem)));
      }
      Deadlines deadlines = new Deadlines();
      measure(
          "deadline start+finish", 200_000, () -> deadlines.start(Duration.ofSeconds(10)).finish());
      deadlines.close();
    }
  }

  private static void check(InvocationResult result) {
    if (!(result instanceof InvocationResult.Success)) {
      throw new AssertionError(result);
    }
  }

  private static void measure(String what, int n, Action action) throws Exception {
    for (int i = 0; i < n; i++) {
      action.run(); // warm-up
    }
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      action.run();
      nanos[i] = System.nanoTime() - t0;
    }
    Arrays.sort(nanos);
    System.out.printf(
        "%-40s median %9.1f us   p99 %9.1f us   (n=%d)%n",
        what, nanos[n / 2] / 1e3, nanos[(int) (n * 0.99)] / 1e3, n);
  }
}
