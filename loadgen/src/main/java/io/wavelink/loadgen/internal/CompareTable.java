package io.wavelink.loadgen.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison of modes: each headline metric per mode, and the ratios of sync and async to dual
 * (for latency, slowdown and cost a ratio above 1 means dual is better; for the regular share it is
 * the share itself, compared).
 */
public final class CompareTable {

  /**
   * A headline metric.
   *
   * @param path dotted path into summary.json
   * @param decimals how to print it
   */
  public record Metric(String label, String path, int decimals) {}

  public static final List<Metric> METRICS = List.of(
      new Metric("p99 slowdown", "slowdownP99", 2),
      new Metric("slowdown geomean", "slowdownGeomean", 2),
      new Metric("per-function p99 slowdown", "slowdownPerFunction.p99", 2),
      new Metric("Dirigent slowdown p50", "dirigent.perFunctionSlowdown.p50", 2),
      new Metric("Dirigent slowdown p80", "dirigent.perFunctionSlowdown.p80", 2),
      new Metric("Dirigent slowdown worst", "dirigent.perFunctionSlowdown.max", 2),
      new Metric("Dirigent sched. ms p50", "dirigent.perFunctionSchedulingLatencyMs.p50", 1),
      new Metric("Dirigent sched. ms p80", "dirigent.perFunctionSchedulingLatencyMs.p80", 1),
      new Metric("Dirigent sched. ms worst", "dirigent.perFunctionSchedulingLatencyMs.max", 1),
      new Metric("p50 latency ms", "p50Ms", 1),
      new Metric("p99 latency ms", "p99Ms", 1),
      new Metric("instance-seconds", "instanceSeconds.total", 1),
      new Metric("MB-seconds", "mbSeconds.total", 0),
      new Metric("MB-seconds touched", "touchedMbSeconds.total", 0),
      new Metric("regular share", "regularShare", 4),
      new Metric("regular MB share", "regularMbShare", 4),
      new Metric("evictions", "evictions.total", 0),
      new Metric("peak instances", "peakInstances.total", 0),
      new Metric("failures", "failures", 0));

  public static final String DUAL = "dual";

  private CompareTable() {}

  /** A value of a summary by dotted path, or null. */
  public static Double value(Map<String, Object> summary, String path) {
    Object current = summary;
    for (String part : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> map)) {
        return null;
      }
      current = map.get(part);
    }
    return current instanceof Number n ? n.doubleValue() : null;
  }

  /** {"sync/dual": {metric path: ratio}, "async/dual": {...}}; null where a ratio is undefined. */
  public static Map<String, Object> ratios(Map<String, Map<String, Object>> summaries) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> dual = summaries.get(DUAL);
    if (dual == null) {
      return out;
    }
    for (String mode : summaries.keySet()) {
      if (mode.equals(DUAL)) {
        continue;
      }
      Map<String, Object> ratios = new LinkedHashMap<>();
      for (Metric m : METRICS) {
        ratios.put(m.path(), SummaryBuilder.num(ratio(value(summaries.get(mode), m.path()), value(dual, m.path()))));
      }
      out.put(mode + "/" + DUAL, ratios);
    }
    return out;
  }

  static double ratio(Double a, Double b) {
    if (a == null || b == null || b == 0) {
      return Double.NaN;
    }
    return a / b;
  }

  /** The console table: one row per metric, one column per mode, then the ratios to dual. */
  public static String console(Map<String, Map<String, Object>> summaries) {
    List<String> modes = new ArrayList<>(summaries.keySet());
    List<String> others = modes.stream().filter(m -> !m.equals(DUAL)).toList();
    boolean hasDual = summaries.containsKey(DUAL);
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-26s", "metric"));
    for (String mode : modes) {
      b.append(String.format(Locale.ROOT, "%12s", mode));
    }
    if (hasDual) {
      for (String mode : others) {
        b.append(String.format(Locale.ROOT, "%12s", mode + "/dual"));
      }
    }
    b.append('\n');
    for (Metric m : METRICS) {
      b.append(String.format(Locale.ROOT, "%-26s", m.label()));
      for (String mode : modes) {
        b.append(String.format(Locale.ROOT, "%12s", format(value(summaries.get(mode), m.path()), m.decimals())));
      }
      if (hasDual) {
        Double dual = value(summaries.get(DUAL), m.path());
        for (String mode : others) {
          double r = ratio(value(summaries.get(mode), m.path()), dual);
          b.append(String.format(Locale.ROOT, "%12s", Double.isNaN(r) ? "n/a" : String.format(Locale.ROOT, "%.2fx", r)));
        }
      }
      b.append('\n');
    }
    return b.toString();
  }

  static String format(Double v, int decimals) {
    if (v == null) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
