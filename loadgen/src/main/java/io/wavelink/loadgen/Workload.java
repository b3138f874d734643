package io.wavelink.loadgen;

import io.wavelink.loadgen.internal.WorkloadLoader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run replays: the functions to deploy and every invocation, at its time on the replay's
 * clock (trace time divided by the speedup), in time order. Made from a trace or a synthetic spec by
 * {@link #load}; the same options (seed included) always give the same workload.
 *
 * @param source a one-line description of where it came from
 * @param functions the functions, indexed by {@link Invocation#function()}
 * @param invocations every invocation, ordered by {@link Invocation#atMs()}
 * @param fitting how the trace was cut, sampled and scaled to make it
 */
public record Workload(String source, List<FunctionProfile> functions, List<Invocation> invocations, Fitting fitting) {

  /**
   * How a trace was fitted to the machine: which stretch and which functions of it, and what was
   * scaled or capped. {@link #statement()} says it in one line; {@link #toMap()} is what
   * summary.json records under {@code workload.fitting}.
   *
   * @param window e.g. {@code "trace minutes 0-30"}
   * @param selection e.g. {@code "all functions"}, {@code "the first 5 functions"}
   * @param sample how the functions were sampled ({@code functions, of, seed, trials, distance}),
   *     or null
   * @param rateScale the trace's arrival rate was multiplied by this
   * @param durationScale every requested duration was multiplied by this
   * @param speedup trace time was divided by this
   * @param maxMemoryMb the largest memoryMb a function was deployed with
   * @param functionsAtMemoryCap functions that wanted more than {@code maxMemoryMb}
   * @param invocationsMemoryCapped invocations that touch less memory than the trace asked for
   */
  public record Fitting(
      String window,
      String selection,
      Map<String, Object> sample,
      double rateScale,
      double durationScale,
      double speedup,
      int maxMemoryMb,
      int functionsAtMemoryCap,
      long invocationsMemoryCapped) {

    /** Nothing cut, sampled, scaled or capped. */
    public static final Fitting NONE = new Fitting("the whole trace", "all functions", null, 1, 1, 1, Integer.MAX_VALUE, 0, 0);

    public Fitting {
      sample = sample == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sample));
    }

    /** One line, e.g. {@code trace minutes 0-30; 100 of 400 functions sampled (...); arrival rate x0.25; ...}. */
    public String statement() {
      List<String> parts = new ArrayList<>();
      parts.add(window);
      parts.add(sample == null ? selection
          : String.format(Locale.ROOT, "%s of %s functions sampled (seed %s, best of %s trials, distance %s)",
              sample.get("functions"), sample.get("of"), sample.get("seed"), sample.get("trials"), sample.get("distance")));
      parts.add(rateScale == 1 ? "arrival rate as traced" : "arrival rate x" + number(rateScale));
      parts.add(durationScale == 1 ? "durations as traced" : "durations x" + number(durationScale));
      if (speedup != 1) {
        parts.add("trace time /" + number(speedup) + " (speedup)");
      }
      parts.add(functionsAtMemoryCap == 0 ? "memory as traced"
          : String.format(Locale.ROOT, "memory capped at %d MiB per function (%d function%s; %d invocation%s touch%s less than traced)",
              maxMemoryMb, functionsAtMemoryCap, functionsAtMemoryCap == 1 ? "" : "s", invocationsMemoryCapped,
              invocationsMemoryCapped == 1 ? "" : "s", invocationsMemoryCapped == 1 ? "es" : ""));
      return String.join("; ", parts);
    }

    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("statement", statement());
      m.put("window", window);
      m.put("selection", selection);
      m.put("sample", sample);
      m.put("rateScale", rateScale);
      m.put("durationScale", durationScale);
      m.put("speedup", speedup);
      m.put("maxMemoryMb", maxMemoryMb);
      m.put("functionsAtMemoryCap", functionsAtMemoryCap);
      m.put("invocationsMemoryCapped", invocationsMemoryCapped);
      return m;
    }

    private static String number(double v) {
      return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
  }

  /**
   * One function of the workload, deployed as the busy example function.
   *
   * @param traceId its identity in the trace (e.g. InVitro's owner/app/function hashes)
   * @param memoryMb the {@code memoryMb} it is deployed with
   * @param maxRuntimeMs the longest runtime any of its invocations may ask for (sets the timeout)
   */
  public record FunctionProfile(String traceId, int memoryMb, long maxRuntimeMs) {}

  /**
   * One invocation: the busy function is told to run {@code runtimeMs} and touch {@code memoryMb}.
   *
   * @param function index into {@link Workload#functions()}
   * @param atMs when to send it, in milliseconds after the replay starts
   * @param runtimeMs the requested duration (at least 1)
   * @param memoryMb MiB to touch (less than the function's {@code memoryMb})
   */
  public record Invocation(int function, double atMs, long runtimeMs, int memoryMb) {

    /** The request body the busy function reads: {@code "<ms> <mb>"}. */
    public String body() {
      return runtimeMs + " " + memoryMb;
    }
  }

  public Workload {
    functions = List.copyOf(functions);
    invocations = List.copyOf(invocations);
  }

  /** A workload that was not fitted ({@link Fitting#NONE}). */
  public Workload(String source, List<FunctionProfile> functions, List<Invocation> invocations) {
    this(source, functions, invocations, Fitting.NONE);
  }

  /**
   * How many invocations would run at once on average if each took exactly its requested duration:
   * the sum of the requested durations over the span (what a run needs of the cluster's sandbox
   * threads, and of its cores with {@code --work spin}).
   */
  public double meanConcurrency() {
    double span = spanMs();
    if (span <= 0) {
      return 0;
    }
    double busy = 0;
    for (Invocation i : invocations) {
      busy += i.runtimeMs();
    }
    return busy / span;
  }

  /** The time of the last invocation (0 when there is none). */
  public double spanMs() {
    return invocations.isEmpty() ? 0 : invocations.get(invocations.size() - 1).atMs();
  }

  /**
   * Reads or generates the workload that {@code options} describe (trace, window, functions or
   * sample, rate and duration scales, speedup, seed, arrivals, max memory).
   *
   * @throws TraceFormatException for a malformed trace file (naming the file and line)
   * @throws LoadgenException for a missing file or a bad synthetic spec
   */
  public static Workload load(LoadgenOptions options) {
    return WorkloadLoader.load(options);
  }
}
