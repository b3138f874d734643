package io.wavelink.loadgen;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The options of {@code loadgen run} and {@code loadgen compare}.
 *
 * @param trace an InVitro (Azure 2019) trace directory, an Azure 2021 per-invocation CSV, or a
 *     {@code synthetic:azure?...} / {@code synthetic:burst?...} spec
 * @param targets gateway base URLs, used round-robin for invocations (deploys and polls use the
 *     first)
 * @param out the output directory
 * @param minutes replay only so many trace minutes (from {@code fromMinute})
 * @param speedup trace time is divided by this (requested durations are not)
 * @param seed seeds every random choice: the same options give the same workload
 * @param functions keep only the first so many functions of the trace
 * @param regularTrackDelayMs {@code regularTrackDelayMs} of every deployed function; empty: the
 *     cluster's configured default
 * @param mode the control-plane mode of {@code run} ({@code dual}, {@code sync} or {@code async});
 *     {@code compare} runs all three
 * @param arrivals how a trace minute's invocations are spread over the minute
 * @param maxScale {@code maxScale} of every deployed function
 * @param maxMemoryMb the largest {@code memoryMb} a deployed function gets
 * @param work what each invocation does for its duration: spin on a core or sleep
 * @param fromMinute the first trace minute replayed (0: the trace's start)
 * @param sample replay a seeded sample of so many functions (InVitro's sampling) instead of all
 * @param sampleTrials how many random samples the sampler compares
 * @param rateScale the trace's arrival rate is multiplied by this (each function's, in expectation)
 * @param durationScale every requested duration is multiplied by this
 * @param warmupMinutes Dirigent's per-function slowdown leaves out invocations scheduled in the
 *     window's first so many trace minutes
 * @param quiet no progress bar
 */
public record LoadgenOptions(
    String trace,
    List<URI> targets,
    Path out,
    OptionalDouble minutes,
    double speedup,
    long seed,
    OptionalInt functions,
    OptionalLong regularTrackDelayMs,
    String mode,
    Arrivals arrivals,
    int maxScale,
    int maxMemoryMb,
    Work work,
    double fromMinute,
    OptionalInt sample,
    int sampleTrials,
    double rateScale,
    double durationScale,
    double warmupMinutes,
    boolean quiet) {

  /** The control-plane modes, in the order {@code compare} runs them. */
  public static final List<String> MODES = List.of("sync", "async", "dual");

  public static final long DEFAULT_SEED = 42;
  public static final int DEFAULT_MAX_SCALE = 50;
  public static final int DEFAULT_MAX_MEMORY_MB = 512;
  public static final int DEFAULT_SAMPLE_TRIALS = 10;
  /** Dirigent's artifact drops the first 10 minutes of a replay. */
  public static final double DEFAULT_WARMUP_MINUTES = 10;

  /** Inter-arrival times within a trace minute (InVitro's choices). */
  public enum Arrivals {
    /** exponential gaps (Poisson), scaled so that the minute's invocations fit in the minute */
    EXPONENTIAL,
    /** uniformly distributed gaps, scaled likewise */
    UNIFORM,
    /** evenly spaced */
    EQUIDISTANT
  }

  /**
   * What the trace function does for an invocation's requested duration (after touching the
   * memory it asks for).
   */
  public enum Work {
    /** the busy example: spins on the monotonic clock, using a core for the whole duration */
    SPIN("busy"),
    /** the sleep example: WASI {@code poll_oneoff} on a clock, no CPU while it waits */
    SLEEP("sleep");

    private final String example;

    Work(String example) {
      this.example = example;
    }

    /** The example function that does it (examples/functions/{@code <example>}.wat). */
    public String example() {
      return example;
    }

    /** {@code spin} or {@code sleep}, as on the command line and in the summary. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public LoadgenOptions {
    targets = List.copyOf(targets);
  }

  /** The same options in another control-plane mode. */
  public LoadgenOptions withMode(String m) {
    return new LoadgenOptions(trace, targets, out, minutes, speedup, seed, functions, regularTrackDelayMs,
        m, arrivals, maxScale, maxMemoryMb, work, fromMinute, sample, sampleTrials, rateScale, durationScale, warmupMinutes,
        quiet);
  }

  public static final String USAGE =
      String.join(
          "\n",
          "usage: wavelink loadgen run     --trace PATH --target URL --out DIR [options]",
          "       wavelink loadgen compare --trace PATH --target URL --out DIR [options]",
          "       wavelink loadgen make-trace --out DIR [--functions N] [--minutes M] [--seed S]   (make-trace --help)",
          "",
          "  --trace PATH              InVitro/Azure 2019 directory (invocations.csv, durations.csv, memory.csv),",
          "                            Azure 2021 CSV (app,func,end_timestamp,duration), or a synthetic spec:",
          "                              synthetic:azure?functions=50&minutes=5&rate=20",
          "                              synthetic:burst?shape=spike|square|ramp&base=5&peak=200&period=60&minutes=3",
          "  --target URL              gateway base URL, e.g. http://localhost:8080 (repeat for round-robin)",
          "  --out DIR                 output directory (created)",
          "  --from-minute F           start at trace minute F (default 0, the trace's start)",
          "  --minutes M               replay M trace minutes (default: to the trace's end)",
          "  --functions N             keep only the first N functions",
          "  --sample N                replay N functions sampled as InVitro does (seeded; instead of --functions)",
          "  --sample-trials T         random samples compared to choose the N (default " + DEFAULT_SAMPLE_TRIALS + ")",
          "  --rate-scale X            multiply the arrival rate by X (default 1; recorded in the summary)",
          "  --duration-scale X        multiply every requested duration by X (default 1; recorded in the summary)",
          "  --speedup X               compress trace time X-fold (requested durations unchanged; default 1)",
          "  --seed S                  random seed (default " + DEFAULT_SEED + ")",
          "  --warmup-minutes W        Dirigent's metrics leave out the first W trace minutes (default 10)",
          "  --regular-track-delay MS  regularTrackDelayMs of every deployed function (default: the cluster's)",
          "  --mode dual|sync|async    control-plane mode of run (default dual; compare runs sync, async, dual)",
          "  --arrivals exponential|uniform|equidistant",
          "                            spreading of a trace minute's invocations (default exponential)",
          "  --max-scale N             maxScale of every deployed function (default " + DEFAULT_MAX_SCALE + ")",
          "  --max-memory-mb N         largest memoryMb of a deployed function (default " + DEFAULT_MAX_MEMORY_MB + ")",
          "  --work spin|sleep         each call spins on a core (default) or sleeps (WASI poll_oneoff) for its duration",
          "  --quiet                   no progress bar");

  /**
   * Parses the arguments after {@code run} or {@code compare}.
   *
   * @throws UsageException naming the offending option
   */
  public static LoadgenOptions parse(String command, List<String> args) {
    String trace = null;
    List<URI> targets = new ArrayList<>();
    Path out = null;
    OptionalDouble minutes = OptionalDouble.empty();
    double speedup = 1.0;
    long seed = DEFAULT_SEED;
    OptionalInt functions = OptionalInt.empty();
    OptionalLong delay = OptionalLong.empty();
    String mode = null;
    Arrivals arrivals = Arrivals.EXPONENTIAL;
    int maxScale = DEFAULT_MAX_SCALE;
    int maxMemoryMb = DEFAULT_MAX_MEMORY_MB;
    Work work = Work.SPIN;
    double fromMinute = 0;
    OptionalInt sample = OptionalInt.empty();
    Integer sampleTrials = null;
    double rateScale = 1;
    double durationScale = 1;
    double warmupMinutes = DEFAULT_WARMUP_MINUTES;
    boolean quiet = false;

    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--quiet")) {
        quiet = true;
        continue;
      }
      if (!name.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new UsageException(name + " needs a value");
        }
        value = args.get(++i);
      }
      switch (name) {
        case "--trace" -> trace = value;
        case "--target" -> targets.add(target(value));
        case "--out" -> {
          try {
            out = Path.of(value);
          } catch (InvalidPathException e) {
            throw new UsageException("--out is not a valid path: " + e.getMessage());
          }
        }
        case "--minutes" -> minutes = OptionalDouble.of(positive(name, value));
        case "--speedup" -> speedup = positive(name, value);
        case "--seed" -> seed = integer(name, value);
        case "--functions" -> functions = OptionalInt.of((int) Math.min(Integer.MAX_VALUE, atLeast(name, value, 1)));
        case "--regular-track-delay" -> delay = OptionalLong.of(atLeast(name, value, 0));
        case "--mode" -> {
          mode = value.toLowerCase(Locale.ROOT);
          if (!MODES.contains(mode)) {
            throw new UsageException("--mode must be one of dual, sync, async (got '" + value + "')");
          }
        }
        case "--arrivals" -> {
          try {
            arrivals = Arrivals.valueOf(value.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new UsageException("--arrivals must be exponential, uniform or equidistant (got '" + value + "')");
          }
        }
        case "--max-scale" -> maxScale = (int) Math.min(1000, atLeast(name, value, 1));
        case "--max-memory-mb" -> maxMemoryMb = (int) Math.min(4096, atLeast(name, value, 16));
        case "--from-minute" -> fromMinute = nonNegative(name, value);
        case "--sample" -> sample = OptionalInt.of((int) Math.min(Integer.MAX_VALUE, atLeast(name, value, 1)));
        case "--sample-trials" -> sampleTrials = (int) Math.min(10_000, atLeast(name, value, 1));
        case "--rate-scale" -> rateScale = positive(name, value);
        case "--duration-scale" -> durationScale = positive(name, value);
        case "--warmup-minutes" -> warmupMinutes = nonNegative(name, value);
        case "--work" -> {
          try {
            work = Work.valueOf(value.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new UsageException("--work must be spin or sleep (got '" + value + "')");
          }
        }
        default -> throw new UsageException("unknown option " + name);
      }
    }
    if (trace == null) {
      throw new UsageException("--trace is required");
    }
    if (targets.isEmpty()) {
      throw new UsageException("--target is required");
    }
    if (out == null) {
      throw new UsageException("--out is required");
    }
    if (sample.isPresent() && functions.isPresent()) {
      throw new UsageException("--functions (the first N) and --sample (a sample of N) are alternatives; give one");
    }
    if (sampleTrials != null && sample.isEmpty()) {
      throw new UsageException("--sample-trials needs --sample");
    }
    if (command.equals("compare") && mode != null) {
      throw new UsageException("compare runs every mode (sync, async, dual); --mode is for run");
    }
    return new LoadgenOptions(trace, targets, out, minutes, speedup, seed, functions, delay,
        mode == null ? "dual" : mode, arrivals, maxScale, maxMemoryMb, work, fromMinute, sample,
        sampleTrials == null ? DEFAULT_SAMPLE_TRIALS : sampleTrials, rateScale, durationScale, warmupMinutes, quiet);
  }

  private static URI target(String value) {
    String v = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    try {
      URI uri = new URI(v);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new UsageException("--target must be an http(s) URL such as http://localhost:8080 (got '" + value + "')");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new UsageException("--target must be an http(s) URL such as http://localhost:8080 (got '" + value + "')");
    }
  }

  private static double positive(String name, String value) {
    double d;
    try {
      d = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be a number (got '" + value + "')");
    }
    if (!(d > 0) || Double.isInfinite(d)) {
      throw new UsageException(name + " must be greater than 0 (got '" + value + "')");
    }
    return d;
  }

  private static double nonNegative(String name, String value) {
    double d;
    try {
      d = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be a number (got '" + value + "')");
    }
    if (!(d >= 0) || Double.isInfinite(d)) {
      throw new UsageException(name + " must be at least 0 (got '" + value + "')");
    }
    return d;
  }

  private static long integer(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be an integer (got '" + value + "')");
    }
  }

  private static long atLeast(String name, String value, long min) {
    long v = integer(name, value);
    if (v < min) {
      throw new UsageException(name + " must be at least " + min + " (got '" + value + "')");
    }
    return v;
  }
}
