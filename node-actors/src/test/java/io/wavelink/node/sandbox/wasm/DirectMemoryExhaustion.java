package io.wavelink.node.sandbox.wasm;

import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.InvocationResult.FunctionError;
import io.wavelink.node.sandbox.InvocationResult.Success;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime.MemoryUsage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child JVM of {@code LinearMemoryTest.theJvmsDirectMemoryRunningOutIsAMemoryErrorNotACrash},
 * started with {@code -XX:MaxDirectMemorySize=80m}: the runtime's pool is capped at 16 MiB (80 less
 * the 64 MiB margin), then other direct buffers take 70 MiB, so a function touching 12 MiB finds
 * the JVM's direct memory exhausted before the pool's limit. Prints what happened; exits 0 unless
 * something threw.
 */
public final class DirectMemoryExhaustion {

  private DirectMemoryExhaustion() {}

  public static void main(String[] args) throws Exception {
    try (WasmSandboxRuntime runtime = new WasmSandboxRuntime(1 << 20, 1 << 10, Long.MAX_VALUE)) {
      System.out.println("limit " + (runtime.memoryUsage().limitBytes() >> 20) + " MiB");
      List<ByteBuffer> others = new ArrayList<>();
      for (int i = 0; i < 70; i++) {
        others.add(ByteBuffer.allocateDirect(1 << 20));
      }
      PreparedModule busy =
          runtime.prepare(ExampleFunctions.load("busy"), 32, ExecutionMode.INTERPRETED);
      System.out.println("first: " + describe(runtime.invoke(busy, invocation("0 12"))));
      System.out.println("then: " + describe(runtime.invoke(busy, invocation("0 1"))));
      MemoryUsage usage = runtime.memoryUsage();
      System.out.println(
          "in use " + usage.inUseBytes() + ", pooled " + (usage.pooledBytes() >> 20) + " MiB");
      System.out.println("other direct buffers held: " + others.size());
    }
  }

  private static Invocation invocation(String input) {
    return new Invocation(input.getBytes(), Map.of(), 32, Duration.ofSeconds(30));
  }

  private static String describe(InvocationResult result) {
    if (result instanceof FunctionError e) {
      return e.kind() + " " + e.message();
    }
    if (result instanceof Success s) {
      return "success " + s.stdoutUtf8();
    }
    return result.toString();
  }
}
