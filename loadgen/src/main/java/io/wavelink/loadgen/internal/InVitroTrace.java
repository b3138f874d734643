package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import io.wavelink.loadgen.LoadgenOptions.Arrivals;
import io.wavelink.loadgen.TraceFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A trace in the Azure Functions 2019 format as the InVitro loader uses it: a directory with
 *
 * <ul>
 *   <li>{@code invocations.csv}: {@code HashOwner,HashApp,HashFunction,Trigger,1,2,...} - invocations
 *       per minute of each function;
 *   <li>{@code durations.csv}: {@code ...,percentile_Average_{0,1,25,50,75,99,100}} - runtime (ms);
 *   <li>{@code memory.csv}: {@code ...,AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}} - memory (MiB).
 * </ul>
 *
 * A function is the triple owner/app/function; every function of {@code invocations.csv} needs a row
 * in the other two files. Each invocation's runtime and memory are drawn with a {@link
 * PercentileSampler} from its function's rows, and each minute's invocations are spread over the
 * minute by {@link MinuteSpreader}.
 */
public final class InVitroTrace {

  static final String INVOCATIONS = "invocations.csv";
  static final String DURATIONS = "durations.csv";
  static final String MEMORY = "memory.csv";

  private static final double[] DURATION_PERCENTS = {0, 1, 25, 50, 75, 99, 100};
  private static final double[] MEMORY_PERCENTS = {1, 5, 25, 50, 75, 95, 99, 100};

  private InVitroTrace() {}

  /**
   * Reads the trace in {@code dir} and generates the invocations of its first {@code maxFunctions}
   * functions in its first {@code minutes} minutes.
   */
  public static List<FunctionArrivals> read(
      Path dir, int maxFunctions, double minutes, Arrivals arrivals, long seed) {
    List<String> missing = new ArrayList<>();
    for (String f : List.of(INVOCATIONS, DURATIONS, MEMORY)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        missing.add(f);
      }
    }
    if (!missing.isEmpty()) {
      throw new LoadgenException(
          "the InVitro trace directory " + dir + " lacks " + String.join(", ", missing)
              + " (it needs invocations.csv, durations.csv and memory.csv)");
    }
    Map<String, PercentileSampler> durations =
        percentiles(dir.resolve(DURATIONS), "percentile_Average_", new String[] {"0", "1", "25", "50", "75", "99", "100"},
            DURATION_PERCENTS, "runtime");
    Map<String, PercentileSampler> memory =
        percentiles(dir.resolve(MEMORY), "AverageAllocatedMb_pct", new String[] {"1", "5", "25", "50", "75", "95", "99", "100"},
            MEMORY_PERCENTS, "memory");

    List<FunctionArrivals> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try (Csv csv = Csv.open(dir.resolve(INVOCATIONS))) {
      int[] key = keyColumns(csv);
      int firstMinute = csv.column("Trigger") >= 0 ? csv.column("Trigger") + 1 : key[2] + 1;
      int width = csv.header().length;
      int traceMinutes = width - firstMinute;
      if (traceMinutes <= 0) {
        throw new TraceFormatException(csv.file(), 1, "no minute columns after " + csv.header()[firstMinute - 1]);
      }
      int replayMinutes = (int) Math.min(traceMinutes, Math.ceil(minutes));
      double endMs = minutes * 60_000;
      for (Csv.Row row = csv.next(); row != null && out.size() < maxFunctions; row = csv.next()) {
        row.expectColumns(width);
        String id = key(row, key);
        if (!seen.add(id)) {
          throw row.error("function " + id + " appears twice");
        }
        PercentileSampler runtime = durations.get(id);
        if (runtime == null) {
          throw row.error("function " + id + " has no row in " + DURATIONS);
        }
        PercentileSampler mem = memory.get(id);
        if (mem == null) {
          throw row.error("function " + id + " has no row in " + MEMORY);
        }
        Random arrivalRandom = Seeds.arrivals(seed, out.size());
        Random sampleRandom = Seeds.samples(seed, out.size());
        List<double[]> minutesAt = new ArrayList<>();
        int total = 0;
        for (int m = 0; m < replayMinutes; m++) {
          long n = row.count(firstMinute + m, "the invocation count of minute " + csv.header()[firstMinute + m]);
          if (n > 1_000_000) {
            throw row.error("more than a million invocations in minute " + csv.header()[firstMinute + m]);
          }
          double[] at = MinuteSpreader.spread((int) n, m * 60_000.0, 60_000, arrivals, arrivalRandom);
          minutesAt.add(at);
          total += at.length;
        }
        double[] at = new double[total];
        double[] rt = new double[total];
        double[] mb = new double[total];
        int k = 0;
        for (double[] minute : minutesAt) {
          for (double t : minute) {
            if (t >= endMs) {
              continue;
            }
            at[k] = t;
            rt[k] = runtime.sample(sampleRandom);
            mb[k] = mem.sample(sampleRandom);
            k++;
          }
        }
        out.add(new FunctionArrivals(id, Arrays.copyOf(at, k), Arrays.copyOf(rt, k), Arrays.copyOf(mb, k), mem.max()));
      }
    }
    return out;
  }

  private static int[] keyColumns(Csv csv) {
    return new int[] {csv.requireColumn("HashOwner"), csv.requireColumn("HashApp"), csv.requireColumn("HashFunction")};
  }

  private static String key(Csv.Row row, int[] key) {
    return row.text(key[0]) + "/" + row.text(key[1]) + "/" + row.text(key[2]);
  }

  private static Map<String, PercentileSampler> percentiles(
      Path file, String prefix, String[] suffixes, double[] percents, String what) {
    Map<String, PercentileSampler> out = new HashMap<>();
    try (Csv csv = Csv.open(file)) {
      int[] key = keyColumns(csv);
      int[] cols = new int[suffixes.length];
      for (int i = 0; i < suffixes.length; i++) {
        cols[i] = csv.requireColumn(prefix + suffixes[i]);
      }
      int width = csv.header().length;
      for (Csv.Row row = csv.next(); row != null; row = csv.next()) {
        row.expectColumns(width);
        double[] values = new double[cols.length];
        for (int i = 0; i < cols.length; i++) {
          values[i] = row.nonNegative(cols[i], "the " + what + " " + csv.header()[cols[i]]);
        }
        out.put(key(row, key), new PercentileSampler(percents, values));
      }
    }
    return out;
  }
}
