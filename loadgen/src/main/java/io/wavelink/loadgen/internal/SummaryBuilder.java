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
 * slowdownPerFunction} first takes each function's geometric mean (Dirigent's per-function
 * slowdown), then its distribution over functions.
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
      String work) {}

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
    s.put("schedulingLatency", ordered(
        "p50Ms", num(Stats.percentile(scheduling, 50)),
        "p90Ms", num(Stats.percentile(scheduling, 90)),
        "p99Ms", num(Stats.percentile(scheduling, 99)),
        "p999Ms", num(Stats.percentile(scheduling, 99.9)),
        "meanMs", num(Stats.mean(scheduling))));

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
        "spanS", num(info.spanMs() / 1000)));
    List<String> targets = new ArrayList<>(info.targets());
    s.put("settings", ordered(
        "work", info.work(),
        "runId", info.runId(),
        "startedAt", info.startedAt(),
        "seed", info.seed(),
        "speedup", info.speedup(),
        "minutes", info.minutes(),
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
