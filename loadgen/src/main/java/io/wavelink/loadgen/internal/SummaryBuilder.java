package io.wavelink.loadgen.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes {@code summary.json} from a run's invocation records, instance samples and the
 * cluster's final totals. Pure: the same inputs give the same map (insertion-ordered, so the JSON
 * reads top-down from the headline figures to the details).
 *
 * <p>Latency, slowdown and scheduling-latency figures are over successful invocations; failures are
 * counted by status. {@code slowdownGeomean} and {@code slowdownP99} are over invocations; {@code
 * slowdownPerFunction} first takes each function's geometric mean, then its distribution over
 * functions.
 *
 * <p>{@code dirigent} holds Dirigent's metrics as its artifact computes them ({@code
 * artifact_evaluation/plot_azure_500.py} of eth-easl/dirigent): per-invocation slowdown = response
 * time / requested duration; per-function slowdown = the geometric mean of a function's slowdowns,
 * leaving out the invocations scheduled in the warm-up (its first 10 trace minutes unless told
 * otherwise) and those with a slowdown below 1; scheduling latency = response time - execution time,
 * averaged per function (over every invocation: the artifact drops no warm-up there). Each is given
 * as its median, 80th percentile and worst over functions. Worked example: a function answered in
 * 200, 100 and 400 ms for requested 100, 100 and 100 ms after the warm-up has slowdowns 2, 1 and 4,
 * and a per-function slowdown of (2 x 1 x 4)^(1/3) = 2.
 */
public final class SummaryBuilder {

  /** A send later than this after its scheduled time counts as late. */
  public static final double LATE_MS = 10;

  /** The generator lagged when more than this share of the invocations were late. */
  public static final double LAGGED_SHARE = 0.01;

  /**
   * How the run was made (echoed into the summary).
   *
   * @param minutes the --minutes limit, or null
   * @param regularTrackDelayMs the delay set in the specs, or null (cluster default)
   * @param work what the trace function did for each duration: {@code spin} or {@code sleep}
   * @param warmupMinutes trace minutes at the window's start that Dirigent's slowdown leaves out
   * @param fitting how the trace was fitted ({@link io.wavelink.loadgen.Workload.Fitting#toMap()})
   */
  public record RunInfo(
      String mode,
      String runId,
      String startedAt,
      String workload,
      int functions,
      int invocationsPlanned,
      double spanMs,
      long seed,
      double speedup,
      Double minutes,
      Long regularTrackDelayMs,
      List<String> targets,
      String work,
      double warmupMinutes,
      Map<String, Object> fitting) {

    /** When the warm-up ends on the replay's clock. */
    public double warmupEndMs() {
      return warmupMinutes * 60_000 / speedup;
    }
  }

  private SummaryBuilder() {}

  public static Map<String, Object> build(
      RunInfo info,
      List<InvocationRecord> records,
      List<InstanceSample> samples,
      ClusterView.Totals totals,
      double wallMs) {
    List<InvocationRecord> ok = records.stream().filter(InvocationRecord::ok).toList();
    double[] response = Stats.sorted(ok.stream().mapToDouble(InvocationRecord::responseMs).toArray());
    double[] slowdown = Stats.sorted(ok.stream().mapToDouble(r -> Stats.slowdown(r.responseMs(), r.requestedMs())).toArray());
    double[] scheduling = Stats.sorted(ok.stream().filter(r -> !Double.isNaN(r.executionMs()))
        .mapToDouble(r -> Math.max(0, r.responseMs() - r.executionMs())).toArray());
    double[] lag = Stats.sorted(records.stream().mapToDouble(r -> Math.max(0, r.lagMs())).toArray());

    Map<String, Object> s = new LinkedHashMap<>();
    s.put("mode", info.mode());
    s.put("invocations", records.size());
    s.put("succeeded", ok.size());
    s.put("failures", records.size() - ok.size());
    s.put("p50Ms", num(Stats.percentile(response, 50)));
    s.put("p90Ms", num(Stats.percentile(response, 90)));
    s.put("p99Ms", num(Stats.percentile(response, 99)));
    s.put("p999Ms", num(Stats.percentile(response, 99.9)));
    s.put("meanMs", num(Stats.mean(response)));
    s.put("maxMs", num(response.length == 0 ? Double.NaN : response[response.length - 1]));
    s.put("slowdownGeomean", num(Stats.geomean(slowdown)));
    s.put("slowdownP50", num(Stats.percentile(slowdown, 50)));
    s.put("slowdownP99", num(Stats.percentile(slowdown, 99)));

    long regular = ok.stream().filter(r -> r.instanceKind().equals("regular")).count();
    long emergency = ok.stream().filter(r -> r.instanceKind().equals("emergency")).count();
    s.put("regularShare", regular + emergency == 0 ? null : num((double) regular / (regular + emergency)));
    s.put("coldStartsByTrack", ordered(
        "regular", ok.stream().filter(r -> r.coldStart().equals("true") && r.instanceKind().equals("regular")).count(),
        "emergency", ok.stream().filter(r -> r.coldStart().equals("true") && r.instanceKind().equals("emergency")).count()));
    s.put("instanceSeconds", kinds(totals.costAvailable(), totals.regularInstanceSeconds(), totals.emergencyInstanceSeconds()));
    s.put("mbSeconds", kinds(totals.costAvailable(), totals.regularMbSeconds(), totals.emergencyMbSeconds()));
    // the share of the cluster's memory-time that went to regular instances (PulseNet: predictable
    // traffic consumes over 98% of resources), and what instances touched beside what they reserved
    double mbTotal = totals.regularMbSeconds() + totals.emergencyMbSeconds();
    s.put("regularMbShare", !totals.costAvailable() || mbTotal == 0 ? null : num(totals.regularMbSeconds() / mbTotal));
    s.put("touchedMbSeconds",
        kinds(totals.costAvailable(), totals.regularTouchedMbSeconds(), totals.emergencyTouchedMbSeconds()));
    s.put("evictions", ordered(
        "regular", totals.regularEvictions(), "emergency", totals.emergencyEvictions(),
        "total", totals.regularEvictions() + totals.emergencyEvictions()));

    int peakRegular = Math.max(totals.peakRegularMax(), samples.stream().mapToInt(InstanceSample::regular).max().orElse(0));
    int peakEmergency = Math.max(totals.peakEmergencyMax(), samples.stream().mapToInt(InstanceSample::emergency).max().orElse(0));
    int peakTotal = Math.max(Math.max(peakRegular, peakEmergency), samples.stream().mapToInt(InstanceSample::total).max().orElse(0));
    s.put("peakInstances", ordered("regular", peakRegular, "emergency", peakEmergency, "total", peakTotal));

    double seconds = wallMs / 1000;
    s.put("durationS", num(seconds));
    s.put("throughput", ordered(
        "offeredPerS", num(info.spanMs() > 0 ? records.size() / (info.spanMs() / 1000) : Double.NaN),
        "completedPerS", num(seconds > 0 ? records.size() / seconds : Double.NaN),
        "succeededPerS", num(seconds > 0 ? ok.size() / seconds : Double.NaN)));

    Map<String, Long> byStatus = new TreeMap<>();
    Map<String, String> examples = new TreeMap<>();
    for (InvocationRecord r : records) {
      if (!r.ok()) {
        byStatus.merge(r.status(), 1L, Long::sum);
        examples.putIfAbsent(r.status(), r.error());
      }
    }
    s.put("failuresByStatus", byStatus);
    s.put("failureExamples", examples);

    s.put("slowdownPerFunction", perFunction(ok));
    s.put("dirigent", dirigent(records, info.warmupMinutes(), info.warmupEndMs()));
    s.put("schedulingLatency", ordered(
        "p50Ms", num(Stats.percentile(scheduling, 50)),
        "p90Ms", num(Stats.percentile(scheduling, 90)),
        "p99Ms", num(Stats.percentile(scheduling, 99)),
        "p999Ms", num(Stats.percentile(scheduling, 99.9)),
        "meanMs", num(Stats.mean(scheduling))));

    // invocations sent and not yet answered, as the client saw them (how many the cluster held at once;
    // how many of those executed at once is the member's: its sandbox threads)
    s.put("concurrency", ordered(
        "peakInFlight", peak(records.stream().map(r -> new double[] {r.startMs(), r.startMs() + r.responseMs()}).toList())));

    long late = records.stream().filter(r -> r.lagMs() > LATE_MS).count();
    s.put("generatorLag", ordered(
        "p50Ms", num(Stats.percentile(lag, 50)),
        "p99Ms", num(Stats.percentile(lag, 99)),
        "maxMs", num(lag.length == 0 ? Double.NaN : lag[lag.length - 1]),
        "lateOver10Ms", late,
        "lagged", !records.isEmpty() && late > LAGGED_SHARE * records.size()));

    s.put("cluster", ordered(
        "functionsListed", totals.functionsSeen(),
        "costAvailable", totals.costAvailable(),
        "coldStarts", ordered("regular", totals.regularColdStarts(), "emergency", totals.emergencyColdStarts()),
        "invocations", ordered("regular", totals.regularInvocations(), "emergency", totals.emergencyInvocations()),
        "emergencySpawns", totals.emergencySpawns(),
        "rejected", totals.rejected(),
        "peakInstancesSumOverFunctions", ordered("regular", totals.peakRegularSum(), "emergency", totals.peakEmergencySum())));

    s.put("workload", ordered(
        "source", info.workload(),
        "functions", info.functions(),
        "invocations", info.invocationsPlanned(),
        "spanS", num(info.spanMs() / 1000),
        "fitting", info.fitting()));
    List<String> targets = new ArrayList<>(info.targets());
    s.put("settings", ordered(
        "work", info.work(),
        "runId", info.runId(),
        "startedAt", info.startedAt(),
        "seed", info.seed(),
        "speedup", info.speedup(),
        "minutes", info.minutes(),
        "warmupMinutes", info.warmupMinutes(),
        "regularTrackDelayMs", info.regularTrackDelayMs(),
        "targets", targets));
    return s;
  }

  /** Each function's geometric-mean slowdown, and their distribution over functions. */
  static Map<String, Object> perFunction(List<InvocationRecord> ok) {
    Map<String, List<Double>> byFunction = new TreeMap<>();
    for (InvocationRecord r : ok) {
      byFunction.computeIfAbsent(r.function(), k -> new ArrayList<>()).add(Stats.slowdown(r.responseMs(), r.requestedMs()));
    }
    Map<String, Object> geomeans = new LinkedHashMap<>();
    double[] values = new double[byFunction.size()];
    int i = 0;
    for (Map.Entry<String, List<Double>> e : byFunction.entrySet()) {
      double g = Stats.geomean(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
      geomeans.put(e.getKey(), num(g));
      values[i++] = g;
    }
    double[] sorted = Stats.sorted(values);
    return ordered(
        "functions", sorted.length,
        "geomean", num(Stats.geomean(sorted)),
        "p50", num(Stats.percentile(sorted, 50)),
        "p90", num(Stats.percentile(sorted, 90)),
        "p99", num(Stats.percentile(sorted, 99)),
        "max", num(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]),
        "byFunction", geomeans);
  }

  /**
   * Dirigent's metrics: per-function slowdown after the warm-up (and without slowdowns below 1),
   * per-function mean scheduling latency, each as median, p80 and worst over functions.
   */
  static Map<String, Object> dirigent(List<InvocationRecord> records, double warmupMinutes, double warmupEndMs) {
    Map<String, List<Double>> slowdowns = new TreeMap<>();
    List<Double> perInvocation = new ArrayList<>();
    long afterWarmup = 0;
    long failed = 0;
    long belowOne = 0;
    for (InvocationRecord r : records) {
      if (r.scheduledMs() < warmupEndMs) {
        continue;
      }
      afterWarmup++;
      if (!r.ok()) {
        failed++;
        continue;
      }
      double sd = Stats.slowdown(r.responseMs(), r.requestedMs());
      if (sd < 1) {
        belowOne++;
        continue;
      }
      slowdowns.computeIfAbsent(r.function(), k -> new ArrayList<>()).add(sd);
      perInvocation.add(sd);
    }
    Map<String, Object> byFunction = new LinkedHashMap<>();
    double[] geomeans = new double[slowdowns.size()];
    int i = 0;
    for (Map.Entry<String, List<Double>> e : slowdowns.entrySet()) {
      double g = Stats.geomean(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
      byFunction.put(e.getKey(), num(g));
      geomeans[i++] = g;
    }

    List<Double> latencyPerInvocation = new ArrayList<>();
    Map<String, List<Double>> byFunctionLatency = new TreeMap<>();
    for (InvocationRecord r : records) {
      if (r.ok() && !Double.isNaN(r.executionMs())) {
        double l = Math.max(0, r.responseMs() - r.executionMs());
        latencyPerInvocation.add(l);
        byFunctionLatency.computeIfAbsent(r.function(), k -> new ArrayList<>()).add(l);
      }
    }
    double[] meanLatency = byFunctionLatency.values().stream()
        .mapToDouble(l -> Stats.mean(l.stream().mapToDouble(Double::doubleValue).toArray())).toArray();

    return ordered(
        "warmupMinutes", warmupMinutes,
        "invocationsAfterWarmup", afterWarmup,
        "failuresAfterWarmup", failed,
        "slowdownBelowOneLeftOut", belowOne,
        "perFunctionSlowdown", overFunctions(geomeans, "byFunction", byFunction),
        "perInvocationSlowdown", spread(perInvocation.stream().mapToDouble(Double::doubleValue).toArray()),
        "perFunctionSchedulingLatencyMs", overFunctions(meanLatency, null, null),
        "perInvocationSchedulingLatencyMs", spread(latencyPerInvocation.stream().mapToDouble(Double::doubleValue).toArray()));
  }

  private static Map<String, Object> overFunctions(double[] values, String detailKey, Object detail) {
    double[] sorted = Stats.sorted(values);
    Map<String, Object> m = ordered(
        "functions", sorted.length,
        "p50", num(Stats.percentile(sorted, 50)),
        "p80", num(Stats.percentile(sorted, 80)),
        "max", num(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]));
    if (detailKey != null) {
      m.put(detailKey, detail);
    }
    return m;
  }

  private static Map<String, Object> spread(double[] values) {
    double[] sorted = Stats.sorted(values);
    return ordered(
        "p50", num(Stats.percentile(sorted, 50)),
        "p80", num(Stats.percentile(sorted, 80)),
        "max", num(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]));
  }

  /** The most intervals [start, end) open at once (an interval ending when another starts does not overlap it). */
  static int peak(List<double[]> intervals) {
    double[][] events = new double[intervals.size() * 2][];
    int k = 0;
    for (double[] iv : intervals) {
      events[k++] = new double[] {iv[0], +1};
      events[k++] = new double[] {iv[1], -1};
    }
    java.util.Arrays.sort(events, (a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
    int open = 0;
    int peak = 0;
    for (double[] e : events) {
      open += (int) e[1];
      peak = Math.max(peak, open);
    }
    return peak;
  }

  private static Map<String, Object> kinds(boolean available, double regular, double emergency) {
    if (!available) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("regular", null);
      m.put("emergency", null);
      m.put("total", null);
      return m;
    }
    return ordered("regular", num(regular), "emergency", num(emergency), "total", num(regular + emergency));
  }

  /** Rounded to 3 decimals; null for NaN (JSON has no NaN). */
  static Double num(double v) {
    if (!Double.isFinite(v)) {
      return null;
    }
    return Math.round(v * 1000) / 1000.0;
  }

  static Map<String, Object> ordered(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
