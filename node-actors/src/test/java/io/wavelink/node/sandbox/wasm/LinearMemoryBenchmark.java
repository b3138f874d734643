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
 * What a memory-hungry function costs the member's garbage collector: invokes a function many times
 * in a loop on the sandbox runtime directly (compiled mode), and prints the heap allocated by the
 * invoking threads per invocation, the collections and their total time (from the JVM's collector
 * beans), the invocation latency and the CPU time of the invoking thread per invocation (less
 * disturbed than latency on a busy machine). Not a test (measured, not asserted); see docs/benchmarks.md,
 * "Linear memory off the heap (issue 9)". Run it with
 *
 * <pre>
 * ./mvnw -B -q -pl node-actors -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=$PWD/cp.txt
 * java -Xmx1536m -Xlog:gc:file=gc.log \
 *     -cp "$(cat cp.txt):node-actors/target/classes:node-actors/target/test-classes" \
 *     io.wavelink.node.sandbox.wasm.LinearMemoryBenchmark [workload] [invocations] [threads]
 * </pre>
 *
 * Workloads: {@code busy:<mb>} (default {@code busy:64}) the busy example touching mb MiB (one
 * store every 4 KiB); {@code scan} {@link TestModules#MEMORY_SCAN}, which grows to 4 MiB, reads
 * all of it with i64 loads and fills it ({@code memory.fill}): the loads' hot path; {@code echo}
 * echo of 14 bytes. Defaults: 400 invocations after max(100, invocations / 2) of warm-up, 1 thread. Uses only the {@link
 * io.wavelink.node.sandbox.SandboxRuntime} API, so it runs against older runtimes too.
 */
public final class LinearMemoryBenchmark {

  private LinearMemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    String workload = args.length > 0 ? args[0] : "busy:64";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    byte[] code;
    String input;
    int limitMb;
    if (workload.startsWith("busy:")) {
      int mb = Integer.parseInt(workload.substring(5));
      code = ExampleFunctions.load("busy");
      input = "0 " + mb;
      limitMb = mb + 16;
    } else if (workload.equals("scan")) {
      code = TestModules.MEMORY_SCAN;
      input = "";
      limitMb = 8;
    } else if (workload.equals("echo")) {
      code = ExampleFunctions.load("echo");
      input = "hello, wavelet";
      limitMb = 16;
    } else {
      throw new IllegalArgumentException("workload: busy:<mb>, scan or echo, not " + workload);
    }
    com.sun.management.ThreadMXBean threadBean =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (WasmSandboxRuntime runtime = new WasmSandboxRuntime()) {
      PreparedModule busy = runtime.prepare(code, limitMb, ExecutionMode.COMPILED);
      Invocation invocation =
          new Invocation(input.getBytes(), Map.of(), limitMb, Duration.ofSeconds(30));
      Runnable warmUp =
          () -> {
            for (int i = 0; i < Math.max(100, n / 2); i++) {
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
      long[] cpu = new long[threads];
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread worker =
            new Thread(
                () -> {
                  long a0 = threadBean.getThreadAllocatedBytes(Thread.currentThread().getId());
                  long c0 = threadBean.getCurrentThreadCpuTime();
                  for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    check(runtime.invoke(busy, invocation));
                    nanos[thread][i] = System.nanoTime() - t0;
                  }
                  allocated[thread] =
                      threadBean.getThreadAllocatedBytes(Thread.currentThread().getId()) - a0;
                  cpu[thread] = threadBean.getCurrentThreadCpuTime() - c0;
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
          "%s x %d on %d thread(s), compiled, max heap %d MiB:%n",
          workload, total, threads, Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf(
          "  heap allocated by the invoking threads: %.1f KiB per invocation, %.0f MiB/s%n",
          totalAllocated / (double) total / 1024, totalAllocated / wallSeconds / (1 << 20));
      System.out.printf(
          "  collections: %d (%d ms) %s; %d (%d ms) %s%n",
          gcAfter[0] - gcBefore[0],
          gcAfter[1] - gcBefore[1],
          collectorName(0),
          gcAfter[2] - gcBefore[2],
          gcAfter[3] - gcBefore[3],
          collectorName(1));
      System.out.printf(
          "  invocation median %.3f ms, p99 %.3f ms, %.0f invocations/s; CPU time of the"
              + " invoking thread %.3f ms per invocation%n",
          all[total / 2] / 1e6,
          all[(int) (total * 0.99)] / 1e6,
          total / wallSeconds,
          Arrays.stream(cpu).sum() / (double) total / 1e6);
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
