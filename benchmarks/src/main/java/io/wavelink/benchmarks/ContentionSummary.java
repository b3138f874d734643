package io.wavelink.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The contention comparison's table for docs/benchmarks.md: for each regular-track delay, each
 * metric's median over the runs per mode, every run's value in brackets, and the ratios of the
 * medians (sync/dual, async/dual). Reads {@code delay-<ms>-run-<n>.out/compare.json} under the given
 * directory (benchmarks/run.sh contention writes them).
 */
public final class ContentionSummary {

  private record Metric(String label, String path, int decimals) {}

  private static final List<Metric> METRICS = List.of(
      new Metric("failures other than 429", "failuresOtherThan429", 0),
      new Metric("p99 slowdown", "slowdownP99", 2),
      new Metric("slowdown geomean", "slowdownGeomean", 2),
      new Metric("p99 latency (ms)", "p99Ms", 0),
      new Metric("MB-seconds (reserved)", "mbSeconds.total", 0),
      new Metric("MB-seconds touched", "touchedMbSeconds.total", 0),
      new Metric("regular MB share", "regularMbShare", 4),
      new Metric("regular share (invocations)", "regularShare", 4),
      new Metric("evictions", "evictions.total", 0),
      new Metric("instance-seconds", "instanceSeconds.total", 0));

  private static final List<String> MODES = List.of("sync", "async", "dual");
  private static final Pattern RUN = Pattern.compile("delay-(\\d+)-run-(\\d+)\\.out");

  private ContentionSummary() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    ObjectMapper json = new ObjectMapper();
    // delay -> run number -> compare.json
    Map<Integer, Map<Integer, JsonNode>> runs = new TreeMap<>((a, b) -> b - a);
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        Matcher m = RUN.matcher(p.getFileName().toString());
        Path compare = p.resolve("compare.json");
        if (m.matches() && Files.exists(compare)) {
          runs.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new TreeMap<>())
              .put(Integer.parseInt(m.group(2)), json.readTree(compare.toFile()));
        }
      }
    }
    StringBuilder out = new StringBuilder();
    runs.forEach((delay, byRun) -> {
      out.append(String.format(Locale.ROOT, "%n### --regular-track-delay %d (%d runs)%n%n", delay, byRun.size()));
      out.append("| metric | sync | async | dual | sync/dual | async/dual |\n| --- | --- | --- | --- | --- | --- |\n");
      for (Metric metric : METRICS) {
        List<List<Double>> values = new ArrayList<>();
        for (String mode : MODES) {
          List<Double> v = new ArrayList<>();
          byRun.values().forEach(c -> v.add(value(c.path("modes").path(mode), metric.path())));
          values.add(v);
        }
        out.append("| ").append(metric.label());
        for (List<Double> v : values) {
          out.append(" | ").append(format(median(v), metric.decimals())).append(" [");
          out.append(String.join(" ", v.stream().map(x -> format(x, metric.decimals())).toList())).append("]");
        }
        Double dual = median(values.get(2));
        out.append(" | ").append(ratio(median(values.get(0)), dual));
        out.append(" | ").append(ratio(median(values.get(1)), dual)).append(" |\n");
      }
    });
    System.out.print(out);
  }

  /** A metric of one mode's summary; {@code failuresOtherThan429} is derived from failuresByStatus. */
  static Double value(JsonNode summary, String path) {
    if (summary.isMissingNode()) {
      return null;
    }
    if (path.equals("failuresOtherThan429")) {
      double n = 0;
      var fields = summary.path("failuresByStatus").fields();
      while (fields.hasNext()) {
        var e = fields.next();
        n += e.getKey().equals("429") ? 0 : e.getValue().asDouble();
      }
      return n;
    }
    JsonNode node = summary;
    for (String part : path.split("\\.")) {
      node = node.path(part);
    }
    return node.isNumber() ? node.asDouble() : null;
  }

  static Double median(List<Double> values) {
    List<Double> v = values.stream().filter(x -> x != null).sorted().toList();
    if (v.isEmpty()) {
      return null;
    }
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  private static String ratio(Double a, Double b) {
    return a == null || b == null || b == 0 ? "n/a" : String.format(Locale.ROOT, "%.2fx", a / b);
  }

  private static String format(Double v, int decimals) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
