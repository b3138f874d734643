package io.wavelink.node.sandbox.wasm;

import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a memory-hungry function costs the member's garbage collector: invokes the {@code busy}
 * example, touching {@code mb} MiB of linear memory, many times in a loop on the sandbox runtime
 * directly (compiled mode), and prints the heap allocated by the invoking thread per invocation,
 * the collections and their total time, and the invocation latency. Not a test (measured, not
 * asserted); see docs/benchmarks.md, "Linear memory off the heap (issue 9)". Run it with
 *
 * <pre>
 * ./mvnw -B -q test-compile dependency:build-classpath -pl node-actors \
 *     -Dmdep.outputFile=$PWD/cp.txt
 * java -Xmx1536m -Xlog:gc:file=gc.log \
 *     -cp "$(cat cp.txt):node-actors/target/classes:node-actors/target/test-classes" \
 *     io.wavelink.node.sandbox.wasm.LinearMemoryBenchmark [mb] [invocations] [threads]
 * </pre>
 *
 * Defaults: 64 MiB, 400 invocations after 100 of warm-up, 1 thread.
 */
public final class LinearMemoryBenchmark {

  private LinearMemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    int mb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int limitMb = mb + 16;
    com.sun.management.ThreadMXBean threadBean =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (WasmSandboxRuntime runtime = new WasmSandboxRuntime()) {
      PreparedModule busy =
          runtime.prepare(ExampleFunctions.load("busy"), limitMb, ExecutionMode.COMPILED);
      Invocation invocation =
          new Invocation(("0 " + mb).getBytes(), Map.of(), limitMb, Duration.ofSeconds(30));
      Runnable warmUp =
          () -> {
            for (int i = 0; i < 100; i++) {
              check(runtime.invoke(busy, invocation));
            }
          };
      warmUp.run();
      System.gc();
      long[] gcBefore = gcCounts();
      long wallStart = System.nanoTime();
      List<Thread> workers = new ArrayList<>();
      long[][] nanos = new long[threads][n];
      long[] allocated = new long[threads];
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread worker =
            new Thread(
                () -> {
                  long a0 = threadBean.getThreadAllocatedBytes(Thread.currentThread().getId());
                  for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    check(runtime.invoke(busy, invocation));
                    nanos[thread][i] = System.nanoTime() - t0;
                  }
                  allocated[thread] =
                      threadBean.getThreadAllocatedBytes(Thread.currentThread().getId()) - a0;
                },
                "bench-" + t);
        workers.add(worker);
        worker.start();
      }
      for (Thread worker : workers) {
        worker.join();
      }
      double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
      long[] gcAfter = gcCounts();
      long[] all = Arrays.stream(nanos).flatMapToLong(Arrays::stream).sorted().toArray();
      long totalAllocated = Arrays.stream(allocated).sum();
      int total = n * threads;
      System.out.printf(
          "busy '0 %d' x %d on %d thread(s), compiled, -Xmx%dm:%n",
          mb, total, threads, Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf(
          "  heap allocated by the invoking threads: %.2f MiB per invocation, %.0f MiB/s%n",
          totalAllocated / (double) total / (1 << 20), totalAllocated / wallSeconds / (1 << 20));
      System.out.printf(
          "  collections: %d (%d ms) %s; %d (%d ms) %s%n",
          gcAfter[0] - gcBefore[0],
          gcAfter[1] - gcBefore[1],
          collectorName(0),
          gcAfter[2] - gcBefore[2],
          gcAfter[3] - gcBefore[3],
          collectorName(1));
      System.out.printf(
          "  invocation median %.2f ms, p99 %.2f ms, %.0f invocations/s%n",
          all[total / 2] / 1e6, all[(int) (total * 0.99)] / 1e6, total / wallSeconds);
    }
  }

  private static void check(InvocationResult result) {
    if (!(result instanceof InvocationResult.Success)) {
      throw new AssertionError(result);
    }
  }

  /** Count and time (ms) of the first two collectors (young, old). */
  private static long[] gcCounts() {
    List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
    long[] counts = new long[4];
    for (int i = 0; i < Math.min(2, beans.size()); i++) {
      counts[2 * i] = beans.get(i).getCollectionCount();
      counts[2 * i + 1] = beans.get(i).getCollectionTime();
    }
    return counts;
  }

  private static String collectorName(int i) {
    List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
    return i < beans.size() ? beans.get(i).getName() : "-";
  }
}
