package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Writes a synthetic trace in the Azure Functions 2019 layout, as published ({@code
 * invocations.csv}: {@code HashOwner,HashApp,HashFunction,Trigger,1..M}; {@code durations.csv};
 * {@code memory.csv} per application: {@code HashApp,HashOwner,SampleCount,AverageAllocatedMb,
 * AverageAllocatedMb_pct1..pct100}), drawn from the statistics published with the trace (Shahrad et
 * al., "Serverless in the Wild", USENIX ATC 2020), reproducibly from a seed. The full trace cannot be
 * downloaded here; this gives a population with its shape:
 *
 * <ul>
 *   <li><b>applications</b>: 54% have one function; larger ones have k functions with probability
 *       proportional to k^-2 (k = 2..50), so about 94% have at most 10 (published: 54%, 95%);
 *       three applications in four have an owner of their own;
 *   <li><b>triggers</b>: http 55%, timer 16%, queue 15%, orchestration 7%, storage 3%, event 2%,
 *       others 2% of functions (the published shares);
 *   <li><b>invocations per day</b> of a function: log-normal, log10 ~ N(1.60, 1.77), fitted to the
 *       published CDF (45% of applications invoked at most once an hour, 81% at most once a minute),
 *       so most functions are rare and a few take almost all invocations; timer functions fire
 *       periodically at that rate; the others are Poisson per minute with a diurnal swing of +-30%
 *       and, per 15-minute block, a gamma-distributed burst factor (mean 1; shape 0.3, 1 or 5 by
 *       function, from bursty to steady);
 *   <li><b>durations</b>: each function's average is log-normal, ln(seconds) ~ N(-0.38, 2.36) (the
 *       published fit; median 0.68 s, heavy tail), capped at 300 s; its invocations are log-normal
 *       around it with a spread sigma ~ U(0.2, 1.0), from which the percentile columns are written;
 *   <li><b>memory</b> per application: its average allocated MiB is Burr XII(c 11.652, k 0.221,
 *       lambda 107.083) (the published fit; median about 140 MiB), at most 4096; its percentiles
 *       log-normal around it with sigma ~ U(0.05, 0.3).
 * </ul>
 */
public final class AzureTraceMaker {

  /** {@code make-trace} options. */
  public record Options(Path out, int functions, int minutes, long seed) {

    public static final int DEFAULT_FUNCTIONS = 100;
    public static final int DEFAULT_MINUTES = 1440;

    public static final String USAGE = String.join("\n",
        "usage: wavelink loadgen make-trace --out DIR [--functions N] [--minutes M] [--seed S]",
        "",
        "  writes invocations.csv, durations.csv and memory.csv (memory per application) in the Azure",
        "  Functions 2019 layout, drawn from the trace's published statistics, into DIR (created)",
        "  --functions N   functions in the trace (default " + DEFAULT_FUNCTIONS + ")",
        "  --minutes M     minute columns (default " + DEFAULT_MINUTES + ", a day)",
        "  --seed S        random seed (default 42): the same options write the same files");
  }

  /** What was written, for the console and {@code make-trace.json}. */
  public record Made(Map<String, Object> stats) {}

  static final String[] TRIGGERS = {"http", "timer", "queue", "orchestration", "storage", "event", "others"};
  static final double[] TRIGGER_SHARES = {0.55, 0.16, 0.15, 0.07, 0.03, 0.02, 0.02};
  static final double LOG10_DAILY_MEAN = 1.60;
  static final double LOG10_DAILY_SIGMA = 1.77;
  static final double LN_SECONDS_MEAN = -0.38;
  static final double LN_SECONDS_SIGMA = 2.36;
  static final double MAX_DURATION_MS = 300_000;
  static final double BURR_C = 11.652;
  static final double BURR_K = 0.221;
  static final double BURR_LAMBDA = 107.083;
  static final int BLOCK_MINUTES = 15;

  private static final double[] DURATION_Z = {-3, -2.326, -0.674, 0, 0.674, 2.326, 3.5};
  private static final double[] MEMORY_Z = {-2.326, -1.645, -0.674, 0, 0.674, 1.645, 2.326, 3.5};

  private AzureTraceMaker() {}

  record App(String owner, String hash, int functions, double averageMb, double sigma) {}

  record Function(App app, String hash, String trigger, long[] perMinute, double averageMs, double sigma) {
    long total() {
      return Arrays.stream(perMinute).sum();
    }
  }

  /** Parses the arguments after {@code make-trace}. */
  public static Options parse(List<String> args) {
    Path out = null;
    int functions = Options.DEFAULT_FUNCTIONS;
    int minutes = Options.DEFAULT_MINUTES;
    long seed = 42;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (!name.startsWith("--")) {
        throw new io.wavelink.loadgen.UsageException("unexpected argument '" + arg + "'");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new io.wavelink.loadgen.UsageException(name + " needs a value");
        }
        value = args.get(++i);
      }
      switch (name) {
        case "--out" -> {
          try {
            out = Path.of(value);
          } catch (java.nio.file.InvalidPathException e) {
            throw new io.wavelink.loadgen.UsageException("--out is not a valid path: " + e.getMessage());
          }
        }
        case "--functions" -> functions = (int) whole(name, value, 1, 100_000);
        case "--minutes" -> minutes = (int) whole(name, value, 1, 20_160);
        case "--seed" -> seed = whole(name, value, Long.MIN_VALUE, Long.MAX_VALUE);
        default -> throw new io.wavelink.loadgen.UsageException("unknown option " + name);
      }
    }
    if (out == null) {
      throw new io.wavelink.loadgen.UsageException("--out is required");
    }
    return new Options(out, functions, minutes, seed);
  }

  private static long whole(String name, String value, long min, long max) {
    long v;
    try {
      v = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new io.wavelink.loadgen.UsageException(name + " must be an integer (got '" + value + "')");
    }
    if (v < min || v > max) {
      throw new io.wavelink.loadgen.UsageException(name + " must be between " + min + " and " + max + " (got '" + value + "')");
    }
    return v;
  }

  /**
   * Writes the trace.
   *
   * @throws LoadgenException when the directory cannot be written or already holds a trace
   */
  public static Made make(Options o) {
    List<Function> functions = generate(o.functions(), o.minutes(), o.seed());
    OutputFiles.createDirectory(o.out());
    for (String f : List.of(InVitroTrace.INVOCATIONS, InVitroTrace.DURATIONS, InVitroTrace.MEMORY)) {
      if (Files.exists(o.out().resolve(f))) {
        throw new LoadgenException(o.out() + " already holds " + f + ": give an empty or new directory");
      }
    }
    writeInvocations(o.out().resolve(InVitroTrace.INVOCATIONS), functions, o.minutes());
    writeDurations(o.out().resolve(InVitroTrace.DURATIONS), functions);
    writeMemory(o.out().resolve(InVitroTrace.MEMORY), functions);
    Map<String, Object> stats = stats(o, functions);
    OutputFiles.json(o.out().resolve("make-trace.json"), stats);
    return new Made(stats);
  }

  /** The population, in the order written (applications' functions together). */
  static List<Function> generate(int n, int minutes, long seed) {
    Random population = Seeds.population(seed);
    List<Function> out = new ArrayList<>();
    String owner = null;
    while (out.size() < n) {
      int size = (int) Math.min(n - out.size(), appSize(population));
      if (owner == null || population.nextDouble() < 0.75) {
        owner = hash(population);
      }
      double averageMb = Math.min(4096, Math.max(1, burr(population)));
      App app = new App(owner, hash(population), size, averageMb, 0.05 + 0.25 * population.nextDouble());
      for (int i = 0; i < size; i++) {
        int index = out.size();
        String trigger = pick(population, TRIGGERS, TRIGGER_SHARES);
        double daily = Math.pow(10, LOG10_DAILY_MEAN + LOG10_DAILY_SIGMA * population.nextGaussian());
        double averageMs = Math.min(MAX_DURATION_MS, Math.max(1, 1000 * Math.exp(LN_SECONDS_MEAN + LN_SECONDS_SIGMA * population.nextGaussian())));
        double sigma = 0.2 + 0.8 * population.nextDouble();
        double burstShape = new double[] {0.3, 1, 5}[population.nextInt(3)];
        String hash = hash(population);
        long[] counts = trigger.equals("timer")
            ? timer(daily, minutes, Seeds.arrivals(seed, index))
            : poisson(daily, burstShape, minutes, Seeds.arrivals(seed, index));
        out.add(new Function(app, hash, trigger, counts, averageMs, sigma));
      }
    }
    return out;
  }

  /** 1 with probability 0.54, else k in 2..50 with probability proportional to k^-2. */
  static int appSize(Random r) {
    if (r.nextDouble() < 0.54) {
      return 1;
    }
    double norm = 0;
    for (int k = 2; k <= 50; k++) {
      norm += 1.0 / (k * k);
    }
    double u = r.nextDouble() * norm;
    for (int k = 2; k <= 50; k++) {
      u -= 1.0 / (k * k);
      if (u <= 0) {
        return k;
      }
    }
    return 50;
  }

  /** A timer: every {@code 1440 / daily} minutes from a random offset, or a steady count per minute. */
  static long[] timer(double daily, int minutes, Random r) {
    long[] counts = new long[minutes];
    double perMinute = daily / 1440;
    if (perMinute >= 1) {
      Arrays.fill(counts, Math.round(perMinute));
      return counts;
    }
    int period = (int) Math.max(1, Math.min(1440, Math.round(1 / perMinute)));
    for (int m = r.nextInt(period); m < minutes; m += period) {
      counts[m] = 1;
    }
    return counts;
  }

  /** Poisson counts per minute around {@code daily / 1440}, with a diurnal swing and burst factors per block. */
  static long[] poisson(double daily, double burstShape, int minutes, Random r) {
    long[] counts = new long[minutes];
    double factor = 1;
    for (int m = 0; m < minutes; m++) {
      if (m % BLOCK_MINUTES == 0) {
        factor = gamma(burstShape, r) / burstShape;
      }
      double diurnal = 1 + 0.3 * Math.sin(2 * Math.PI * (m % 1440 - 360) / 1440.0);
      counts[m] = poissonDraw(daily / 1440 * diurnal * factor, r);
    }
    return counts;
  }

  static long poissonDraw(double lambda, Random r) {
    if (lambda <= 0) {
      return 0;
    }
    if (lambda > 50) {
      return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * r.nextGaussian()));
    }
    double limit = Math.exp(-lambda);
    long k = 0;
    double p = r.nextDouble();
    while (p > limit) {
      p *= r.nextDouble();
      k++;
    }
    return k;
  }

  /** Gamma(shape, scale 1) (Marsaglia and Tsang; boosted below shape 1). */
  static double gamma(double shape, Random r) {
    if (shape < 1) {
      return gamma(shape + 1, r) * Math.pow(r.nextDouble(), 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = r.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = r.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }

  /** Burr XII(c, k, lambda) by inversion. */
  static double burr(Random r) {
    double u = r.nextDouble();
    return BURR_LAMBDA * Math.pow(Math.pow(1 - u, -1 / BURR_K) - 1, 1 / BURR_C);
  }

  private static String pick(Random r, String[] values, double[] shares) {
    double u = r.nextDouble();
    for (int i = 0; i < values.length; i++) {
      u -= shares[i];
      if (u < 0) {
        return values[i];
      }
    }
    return values[values.length - 1];
  }

  private static String hash(Random r) {
    byte[] b = new byte[32];
    r.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  // ------------------------------------------------------------------------------------ files

  private static void writeInvocations(Path file, List<Function> functions, int minutes) {
    write(file, w -> {
      StringBuilder header = new StringBuilder("HashOwner,HashApp,HashFunction,Trigger");
      for (int m = 1; m <= minutes; m++) {
        header.append(',').append(m);
      }
      line(w, header.toString());
      for (Function f : functions) {
        StringBuilder b = new StringBuilder(f.app().owner()).append(',').append(f.app().hash()).append(',').append(f.hash())
            .append(',').append(f.trigger());
        for (long c : f.perMinute()) {
          b.append(',').append(c);
        }
        line(w, b.toString());
      }
    });
  }

  private static void writeDurations(Path file, List<Function> functions) {
    write(file, w -> {
      line(w, "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
          + "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100");
      for (Function f : functions) {
        double median = f.averageMs() / Math.exp(f.sigma() * f.sigma() / 2);
        double[] p = new double[DURATION_Z.length];
        for (int i = 0; i < p.length; i++) {
          p[i] = Math.min(MAX_DURATION_MS, Math.max(1, median * Math.exp(f.sigma() * DURATION_Z[i])));
        }
        StringBuilder b = new StringBuilder(f.app().owner()).append(',').append(f.app().hash()).append(',').append(f.hash())
            .append(',').append(number(f.averageMs())).append(',').append(f.total()).append(',').append(number(p[0]))
            .append(',').append(number(p[p.length - 1]));
        for (double v : p) {
          b.append(',').append(number(v));
        }
        line(w, b.toString());
      }
    });
  }

  private static void writeMemory(Path file, List<Function> functions) {
    Map<App, Long> apps = new LinkedHashMap<>();
    for (Function f : functions) {
      apps.merge(f.app(), f.total(), Long::sum);
    }
    write(file, w -> {
      line(w, "HashApp,HashOwner,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
          + "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
          + "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100");
      for (Map.Entry<App, Long> e : apps.entrySet()) {
        App a = e.getKey();
        double median = a.averageMb() / Math.exp(a.sigma() * a.sigma() / 2);
        StringBuilder b = new StringBuilder(a.hash()).append(',').append(a.owner()).append(',').append(Math.max(1, e.getValue()))
            .append(',').append(number(a.averageMb()));
        for (double z : MEMORY_Z) {
          b.append(',').append(number(Math.min(4096, median * Math.exp(a.sigma() * z))));
        }
        line(w, b.toString());
      }
    });
  }

  static String number(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private interface Body {
    void write(BufferedWriter w) throws IOException;
  }

  private static void line(BufferedWriter w, String s) throws IOException {
    w.write(s);
    w.newLine();
  }

  private static void write(Path file, Body body) {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      body.write(w);
    } catch (IOException e) {
      throw new LoadgenException("cannot write " + file + ": " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------------------------ stats

  private static Map<String, Object> stats(Options o, List<Function> functions) {
    int minutes = o.minutes();
    long total = functions.stream().mapToLong(Function::total).sum();
    long[] perMinute = new long[minutes];
    for (Function f : functions) {
      for (int m = 0; m < minutes; m++) {
        perMinute[m] += f.perMinute()[m];
      }
    }
    long[] totals = functions.stream().mapToLong(Function::total).sorted().toArray();
    int top = Math.max(1, functions.size() / 10);
    long topSum = 0;
    for (int i = totals.length - top; i < totals.length; i++) {
      topSum += totals[i];
    }
    double days = minutes / 1440.0;
    long atMostHourly = functions.stream().filter(f -> f.total() / days <= 24).count();
    long atMostMinutely = functions.stream().filter(f -> f.total() / days <= 1440).count();
    double[] averages = Stats.sorted(functions.stream().mapToDouble(Function::averageMs).toArray());
    List<App> apps = functions.stream().map(Function::app).distinct().toList();
    double[] appMb = Stats.sorted(apps.stream().mapToDouble(App::averageMb).toArray());
    Map<String, Long> triggers = new LinkedHashMap<>();
    for (String t : TRIGGERS) {
      triggers.put(t, functions.stream().filter(f -> f.trigger().equals(t)).count());
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("command", "make-trace --functions " + o.functions() + " --minutes " + minutes + " --seed " + o.seed());
    s.put("functions", functions.size());
    s.put("applications", apps.size());
    s.put("applicationsWithOneFunction", apps.stream().filter(a -> a.functions() == 1).count());
    s.put("owners", apps.stream().map(App::owner).distinct().count());
    s.put("minutes", minutes);
    s.put("invocations", total);
    s.put("meanPerSecond", SummaryBuilder.num(total / (minutes * 60.0)));
    s.put("peakMinute", Arrays.stream(perMinute).max().orElse(0));
    s.put("peakMinutePerSecond", SummaryBuilder.num(Arrays.stream(perMinute).max().orElse(0) / 60.0));
    s.put("functionsWithoutInvocations", functions.stream().filter(f -> f.total() == 0).count());
    s.put("shareOfFunctionsAtMostHourly", SummaryBuilder.num(atMostHourly / (double) functions.size()));
    s.put("shareOfFunctionsAtMostMinutely", SummaryBuilder.num(atMostMinutely / (double) functions.size()));
    s.put("shareOfInvocationsOfTheBusiest10Percent", SummaryBuilder.num(total == 0 ? Double.NaN : topSum / (double) total));
    s.put("averageDurationMs", SummaryBuilder.ordered(
        "p50", SummaryBuilder.num(Stats.percentile(averages, 50)),
        "p90", SummaryBuilder.num(Stats.percentile(averages, 90)),
        "max", SummaryBuilder.num(averages[averages.length - 1])));
    s.put("applicationMemoryMb", SummaryBuilder.ordered(
        "p50", SummaryBuilder.num(Stats.percentile(appMb, 50)),
        "p90", SummaryBuilder.num(Stats.percentile(appMb, 90)),
        "max", SummaryBuilder.num(appMb[appMb.length - 1])));
    s.put("triggers", triggers);
    return s;
  }
}
