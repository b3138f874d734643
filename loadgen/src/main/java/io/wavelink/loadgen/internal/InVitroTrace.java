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
import java.util.TreeMap;

/**
 * A trace in the Azure Functions 2019 layout, as published and as InVitro uses it: a directory with
 *
 * <ul>
 *   <li>{@code invocations.csv}: {@code HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440} -
 *       invocations per minute of each function;
 *   <li>{@code durations.csv}: {@code HashOwner,HashApp,HashFunction,...,percentile_Average_{0,1,25,
 *       50,75,99,100}} - runtime (ms) of each function;
 *   <li>{@code memory.csv}, in either layout: per application, as Azure published it ({@code
 *       HashApp,HashOwner,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct{1,5,25,50,75,95,99,
 *       100}}), or per function, as InVitro's newer traces have it (the same with {@code
 *       HashFunction}).
 * </ul>
 *
 * Every column is found by its name, in any order, and other columns are ignored; the minute
 * columns of {@code invocations.csv} are those named by a number (consecutive; the smallest is the
 * trace's minute 0, so a slice that starts at column 601 is read too). A function is the triple
 * owner/app/function. Every function of {@code invocations.csv} needs a row in {@code
 * durations.csv}, and its application (owner/app) or itself a row in {@code memory.csv}; where a
 * file repeats a row, the first counts (as InVitro's preprocessing keeps it).
 *
 * <p>Per-application memory is mapped to the application's functions as InVitro's preprocessing
 * ({@code sampler/preprocess.py}, {@code build_mem_func_df}) does: each function of the application
 * gets the application's figures divided by the number of its functions in {@code invocations.csv}.
 * Worked example: an application whose AverageAllocatedMb_pct50 is 300 and which has 3 functions in
 * the trace gives each a pct50 of 100 MiB.
 *
 * <p>Each invocation's runtime and memory are drawn with a {@link PercentileSampler} from its
 * function's rows, and each minute's invocations are spread over the minute by {@link
 * MinuteSpreader}; a rate scale other than 1 first scales each minute's count ({@link
 * RateScaler#scaleCount}).
 */
public final class InVitroTrace {

  static final String INVOCATIONS = "invocations.csv";
  static final String DURATIONS = "durations.csv";
  static final String MEMORY = "memory.csv";

  private static final String DURATION_PREFIX = "percentile_Average_";
  private static final String[] DURATION_COLUMNS = {"0", "1", "25", "50", "75", "99", "100"};
  private static final double[] DURATION_PERCENTS = {0, 1, 25, 50, 75, 99, 100};
  private static final String MEMORY_PREFIX = "AverageAllocatedMb_pct";
  private static final String[] MEMORY_COLUMNS = {"1", "5", "25", "50", "75", "95", "99", "100"};
  private static final double[] MEMORY_PERCENTS = {1, 5, 25, 50, 75, 95, 99, 100};

  /** The most invocations one function may have in one minute (after scaling). */
  static final long MAX_PER_MINUTE = 1_000_000;

  /**
   * What was read.
   *
   * @param functions the chosen functions' invocations in the window, on the window's clock
   * @param sample how they were sampled, or null
   * @param memoryLayout {@code "per application"} or {@code "per function"}
   */
  public record Result(List<FunctionArrivals> functions, FunctionSampler.Choice sample, String memoryLayout) {}

  /** invocations.csv's columns, found by name. */
  record Columns(int owner, int app, int function, int[] minutes, int width) {}

  private InVitroTrace() {}

  /**
   * Reads the trace in {@code dir}: the functions {@code selection} chooses, their invocations in
   * {@code window}.
   */
  public static Result read(Path dir, Selection selection, Window window, Arrivals arrivals, double rateScale, long seed) {
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
    Path invocations = dir.resolve(INVOCATIONS);
    Map<String, PercentileSampler> durations = durations(dir.resolve(DURATIONS));

    // first pass: every function's identity, its application's size, and (to sample) the
    // distribution of invocations per minute in the window
    int population = 0;
    Map<String, Integer> appFunctions = new HashMap<>();
    FunctionSampler.Population whole = null;
    int traceMinutes;
    try (Csv csv = Csv.open(invocations)) {
      Columns cols = columns(csv);
      traceMinutes = cols.minutes().length;
      checkWindow(csv, window, traceMinutes);
      if (selection.sampling()) {
        whole = new FunctionSampler.Population(window.wholeMinutes(traceMinutes));
      }
      Set<String> seen = new HashSet<>();
      for (Csv.Row row = csv.next(); row != null; row = csv.next()) {
        row.expectColumns(cols.width());
        String id = key(row, cols);
        if (!seen.add(id)) {
          throw row.error("function " + id + " appears twice");
        }
        appFunctions.merge(row.text(cols.owner()) + "/" + row.text(cols.app()), 1, Integer::sum);
        if (whole != null) {
          whole.add(windowCounts(row, cols, window, csv.header()));
        }
        population++;
      }
    }
    Memory memory = memory(dir.resolve(MEMORY), appFunctions);

    FunctionSampler.Choice choice = null;
    boolean[] chosen = new boolean[population];
    if (selection.sampling()) {
      choice = FunctionSampler.choose(population, selection.count(), selection.trials(), seed, whole,
          rows -> countsOf(invocations, rows, window));
      for (int r : choice.rows()) {
        chosen[r] = true;
      }
    } else {
      Arrays.fill(chosen, 0, Math.min(population, selection.limit()), true);
    }

    List<FunctionArrivals> out = new ArrayList<>();
    try (Csv csv = Csv.open(invocations)) {
      Columns cols = columns(csv);
      int index = 0;
      for (Csv.Row row = csv.next(); row != null && index < population; row = csv.next(), index++) {
        if (!chosen[index]) {
          continue;
        }
        String id = key(row, cols);
        PercentileSampler runtime = durations.get(id);
        if (runtime == null) {
          throw row.error("function " + id + " has no row in " + DURATIONS);
        }
        PercentileSampler mem = memory.of(row, cols, id);
        out.add(generate(row, index, id, cols, csv.header(), window, arrivals, rateScale, seed, runtime, mem));
      }
    }
    return new Result(out, choice, memory.layout());
  }

  private static FunctionArrivals generate(Csv.Row row, int index, String id, Columns cols, String[] header, Window window,
      Arrivals arrivals, double rateScale, long seed, PercentileSampler runtime, PercentileSampler mem) {
    Random arrivalRandom = Seeds.arrivals(seed, index);
    Random sampleRandom = Seeds.samples(seed, index);
    Random scaleRandom = Seeds.scaling(seed, index);
    int[] minuteColumns = cols.minutes();
    int lastMinute = (int) Math.min(minuteColumns.length, Math.ceil(window.endMinute()));
    List<double[]> minutesAt = new ArrayList<>();
    int total = 0;
    for (int m = 0; m < lastMinute; m++) {
      long n = count(row, minuteColumns[m], header);
      if (rateScale != 1) {
        n = RateScaler.scaleCount(n, rateScale, scaleRandom);
        if (n > MAX_PER_MINUTE) {
          throw row.error("more than a million invocations in minute " + header[minuteColumns[m]] + " after scaling the rate x" + rateScale);
        }
      }
      double[] at = MinuteSpreader.spread((int) n, m * 60_000.0, 60_000, arrivals, arrivalRandom);
      minutesAt.add(at);
      total += at.length;
    }
    double fromMs = window.fromMs();
    double[] at = new double[total];
    double[] rt = new double[total];
    double[] mb = new double[total];
    int k = 0;
    for (double[] minute : minutesAt) {
      for (double t : minute) {
        // drawn for every invocation from the trace's start, so a window's are those of a full replay
        double r = runtime.sample(sampleRandom);
        double m = mem.sample(sampleRandom);
        if (window.contains(t)) {
          at[k] = t - fromMs;
          rt[k] = r;
          mb[k] = m;
          k++;
        }
      }
    }
    return new FunctionArrivals(id, Arrays.copyOf(at, k), Arrays.copyOf(rt, k), Arrays.copyOf(mb, k), mem.max());
  }

  private static long count(Csv.Row row, int column, String[] header) {
    long n = row.count(column, "the invocation count of minute " + header[column]);
    if (n > MAX_PER_MINUTE) {
      throw row.error("more than a million invocations in minute " + header[column]);
    }
    return n;
  }

  /** The counts of the window's whole minutes (for sampling). */
  private static long[] windowCounts(Csv.Row row, Columns cols, Window window, String[] header) {
    int first = (int) Math.floor(window.fromMinute());
    long[] counts = new long[window.wholeMinutes(cols.minutes().length)];
    for (int m = 0; m < counts.length; m++) {
      counts[m] = count(row, cols.minutes()[first + m], header);
    }
    return counts;
  }

  /** The window counts of the given rows (ascending), read again from the file. */
  private static Map<Integer, long[]> countsOf(Path invocations, int[] rows, Window window) {
    Map<Integer, long[]> out = new HashMap<>();
    try (Csv csv = Csv.open(invocations)) {
      Columns cols = columns(csv);
      int index = 0;
      int next = 0;
      for (Csv.Row row = csv.next(); row != null && next < rows.length; row = csv.next(), index++) {
        if (index == rows[next]) {
          out.put(index, windowCounts(row, cols, window, csv.header()));
          next++;
        }
      }
    }
    return out;
  }

  private static void checkWindow(Csv csv, Window window, int traceMinutes) {
    if (window.fromMinute() >= traceMinutes) {
      throw new LoadgenException("--from-minute " + Window.number(window.fromMinute()) + " is past the end of the trace: "
          + csv.file() + " has " + traceMinutes + " minute columns");
    }
  }

  /** The key and minute columns of invocations.csv. */
  static Columns columns(Csv csv) {
    int owner = csv.requireColumn("HashOwner");
    int app = csv.requireColumn("HashApp");
    int function = csv.requireColumn("HashFunction");
    String[] header = csv.header();
    TreeMap<Long, Integer> minutes = new TreeMap<>();
    for (int i = 0; i < header.length; i++) {
      if (!header[i].isEmpty() && header[i].length() < 10 && header[i].chars().allMatch(Character::isDigit)) {
        if (minutes.put(Long.parseLong(header[i]), i) != null) {
          throw new TraceFormatException(csv.file(), 1, "the minute column '" + header[i] + "' appears twice");
        }
      }
    }
    if (minutes.isEmpty()) {
      throw new TraceFormatException(csv.file(), 1,
          "no minute columns (named 1, 2, 3, ... as in the Azure 2019 trace) in the header " + Csv.describe(header));
    }
    long first = minutes.firstKey();
    int[] columns = new int[minutes.size()];
    int m = 0;
    for (Map.Entry<Long, Integer> e : minutes.entrySet()) {
      if (e.getKey() != first + m) {
        throw new TraceFormatException(csv.file(), 1, "the minute columns must be numbered consecutively: after '"
            + (first + m - 1) + "' comes '" + e.getKey() + "'");
      }
      columns[m++] = e.getValue();
    }
    return new Columns(owner, app, function, columns, header.length);
  }

  private static String key(Csv.Row row, Columns cols) {
    return row.text(cols.owner()) + "/" + row.text(cols.app()) + "/" + row.text(cols.function());
  }

  // ------------------------------------------------------------------------------ durations

  private static Map<String, PercentileSampler> durations(Path file) {
    Map<String, PercentileSampler> out = new HashMap<>();
    try (Csv csv = Csv.open(file)) {
      int[] key = {csv.requireColumn("HashOwner"), csv.requireColumn("HashApp"), csv.requireColumn("HashFunction")};
      int[] cols = percentileColumns(csv, DURATION_PREFIX, DURATION_COLUMNS);
      for (Csv.Row row = csv.next(); row != null; row = csv.next()) {
        row.expectColumns(csv.header().length);
        double[] values = values(row, cols, csv.header(), "runtime");
        out.putIfAbsent(row.text(key[0]) + "/" + row.text(key[1]) + "/" + row.text(key[2]),
            new PercentileSampler(DURATION_PERCENTS, values));
      }
    }
    return out;
  }

  private static int[] percentileColumns(Csv csv, String prefix, String[] suffixes) {
    int[] cols = new int[suffixes.length];
    for (int i = 0; i < suffixes.length; i++) {
      cols[i] = csv.requireColumn(prefix + suffixes[i]);
    }
    return cols;
  }

  private static double[] values(Csv.Row row, int[] cols, String[] header, String what) {
    double[] values = new double[cols.length];
    for (int i = 0; i < cols.length; i++) {
      values[i] = row.nonNegative(cols[i], "the " + what + " " + header[cols[i]]);
    }
    return values;
  }

  // ------------------------------------------------------------------------------ memory

  /** memory.csv in one of its two layouts. */
  private interface Memory {
    /** The memory sampler of the function on {@code row} of invocations.csv. */
    PercentileSampler of(Csv.Row row, Columns cols, String id);

    String layout();
  }

  private static Memory memory(Path file, Map<String, Integer> appFunctions) {
    try (Csv csv = Csv.open(file)) {
      boolean perFunction = csv.column("HashFunction") >= 0;
      int owner = perFunction ? csv.requireColumn("HashOwner") : csv.column("HashOwner");
      int app = csv.requireColumn("HashApp");
      int function = csv.column("HashFunction");
      int[] cols = percentileColumns(csv, MEMORY_PREFIX, MEMORY_COLUMNS);
      Map<String, double[]> rows = new HashMap<>();
      for (Csv.Row row = csv.next(); row != null; row = csv.next()) {
        row.expectColumns(csv.header().length);
        String key = (owner >= 0 ? row.text(owner) + "/" : "") + row.text(app) + (perFunction ? "/" + row.text(function) : "");
        rows.putIfAbsent(key, values(row, cols, csv.header(), "memory"));
      }
      if (perFunction) {
        Map<String, PercentileSampler> samplers = new HashMap<>();
        rows.forEach((k, v) -> samplers.put(k, new PercentileSampler(MEMORY_PERCENTS, v)));
        return new Memory() {
          @Override
          public PercentileSampler of(Csv.Row row, Columns c, String id) {
            PercentileSampler s = samplers.get(id);
            if (s == null) {
              throw row.error("function " + id + " has no row in " + MEMORY);
            }
            return s;
          }

          @Override
          public String layout() {
            return "per function";
          }
        };
      }
      boolean byOwner = owner >= 0;
      return new Memory() {
        @Override
        public PercentileSampler of(Csv.Row row, Columns c, String id) {
          String appId = row.text(c.owner()) + "/" + row.text(c.app());
          double[] v = rows.get(byOwner ? appId : row.text(c.app()));
          if (v == null) {
            throw row.error("the application " + (byOwner ? appId : row.text(c.app())) + " of function " + id
                + " has no row in " + MEMORY + " (memory per application)");
          }
          int functions = appFunctions.get(appId);
          double[] share = new double[v.length];
          for (int i = 0; i < v.length; i++) {
            share[i] = v[i] / functions;
          }
          return new PercentileSampler(MEMORY_PERCENTS, share);
        }

        @Override
        public String layout() {
          return "per application";
        }
      };
    }
  }
}
