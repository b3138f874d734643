package io.wavelink.benchmarks;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes the contention workload of docs/benchmarks.md as a trace in the InVitro (Azure Functions
 * 2019) layout: many functions sharing a node's memory, as on a real FaaS node. Seeded: the same
 * seed writes the same trace. Three kinds of function:
 *
 * <ul>
 *   <li>steady (6): 4-6 invocations every minute, 20-60 ms;
 *   <li>bursty (8): nothing or one invocation in most minutes, and three minutes with 40-80;
 *   <li>rare (10): about one invocation in seven minutes.
 * </ul>
 *
 * Each function reserves 64-512 MB ({@code memoryMb} is its largest invocation's memory plus
 * loadgen's headroom) and touches much less in most invocations (its median a quarter of its
 * largest), as scaling policies reserve several times what functions use. Replayed with {@code
 * --speedup 10}, a trace minute takes 6 s: the bursts become 6-second spikes.
 *
 * <pre>
 * java -cp ... io.wavelink.benchmarks.ContentionTrace --out DIR [--minutes 40] [--seed 7]
 * </pre>
 */
public final class ContentionTrace {

  private record Function(String kind, int index, int[] perMinute, int[] durationPercentiles, int maxMb) {
    String hash() {
      return kind + "-" + index;
    }
  }

  private ContentionTrace() {}

  public static void main(String[] argv) throws IOException {
    Args args = new Args(argv, List.of("out", "minutes", "seed"));
    Path out = Path.of(args.string("out", "benchmarks/workloads/contention"));
    int minutes = args.integer("minutes", 40);
    SplittableRandom random = new SplittableRandom(args.longValue("seed", 7));
    List<Function> functions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int[] counts = new int[minutes];
      for (int m = 0; m < minutes; m++) {
        counts[m] = 4 + random.nextInt(3);
      }
      functions.add(new Function("steady", i, counts, durations(random, 20, 60), megabytes(random, 120, 504)));
    }
    for (int i = 0; i < 8; i++) {
      int[] counts = new int[minutes];
      for (int m = 0; m < minutes; m++) {
        counts[m] = random.nextDouble() < 0.3 ? 1 : 0;
      }
      Set<Integer> bursts = new HashSet<>();
      while (bursts.size() < 3) {
        bursts.add(2 + random.nextInt(minutes - 2));
      }
      bursts.forEach(m -> counts[m] = 40 + random.nextInt(41));
      functions.add(new Function("bursty", i, counts, durations(random, 10, 40), megabytes(random, 56, 504)));
    }
    for (int i = 0; i < 10; i++) {
      int[] counts = new int[minutes];
      for (int m = 0; m < minutes; m++) {
        counts[m] = random.nextDouble() < 0.15 ? 1 : 0;
      }
      functions.add(new Function("rare", i, counts, durations(random, 20, 80), megabytes(random, 56, 248)));
    }
    Files.createDirectories(out);
    try (PrintWriter inv = new PrintWriter(Files.newBufferedWriter(out.resolve("invocations.csv")));
        PrintWriter dur = new PrintWriter(Files.newBufferedWriter(out.resolve("durations.csv")));
        PrintWriter mem = new PrintWriter(Files.newBufferedWriter(out.resolve("memory.csv")))) {
      StringBuilder header = new StringBuilder("HashOwner,HashApp,HashFunction,Trigger");
      for (int m = 1; m <= minutes; m++) {
        header.append(',').append(m);
      }
      inv.println(header);
      dur.println("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
          + "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
          + "percentile_Average_99,percentile_Average_100");
      mem.println("HashOwner,HashApp,HashFunction,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
          + "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,"
          + "AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100");
      long total = 0;
      for (Function f : functions) {
        String ids = "owner-" + f.hash() + ",app-" + f.hash() + "," + f.hash();
        StringBuilder row = new StringBuilder(ids).append(",http");
        int count = 0;
        for (int c : f.perMinute()) {
          row.append(',').append(c);
          count += c;
        }
        total += count;
        inv.println(row);
        int[] d = f.durationPercentiles();
        dur.printf(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n", ids, d[3], count, d[0], d[6], d[0], d[1], d[2], d[3], d[4], d[5], d[6]);
        int max = f.maxMb();
        // touched: a tenth to a third of the largest in most invocations, the largest rarely
        double[] share = {0.10, 0.12, 0.20, 0.25, 0.30, 0.50, 0.80, 1.0};
        StringBuilder m = new StringBuilder(ids).append(',').append(Math.max(count, 1)).append(',').append(Math.round(max * 0.3));
        for (double s : share) {
          m.append(',').append(Math.max(1, Math.round(max * s)));
        }
        mem.println(m);
      }
      System.out.printf("%d functions, %d invocations in %d minutes, written to %s%n", functions.size(), total, minutes, out);
    }
  }

  /** Duration percentiles 0, 1, 25, 50, 75, 99, 100 in ms, around a median in [low, high]. */
  private static int[] durations(SplittableRandom random, int low, int high) {
    int median = low + random.nextInt(high - low + 1);
    return new int[] {
      Math.max(1, median * 6 / 10), Math.max(1, median * 7 / 10), median * 9 / 10, median, median * 11 / 10,
      median * 15 / 10, median * 2
    };
  }

  /** The most one invocation touches, in MB: loadgen deploys this plus 8 MB, rounded up to 16. */
  private static int megabytes(SplittableRandom random, int low, int high) {
    return low + random.nextInt(high - low + 1);
  }
}
