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
 * Reads one {@code benchmarks/run.sh} results directory and writes {@code summary.md}: the median
 * of each figure over the repeated runs, with every run's value beside it.
 *
 * <ul>
 *   <li>{@code decisions/summary.txt} (from {@link Decisions}) is copied in;
 *   <li>{@code coldstarts/<config>-<run>.json} (from {@link ColdStarts}) are grouped by config;
 *   <li>{@code warm/<target>-<run>.txt} are wrk outputs ({@code --latency}), raw and gateway.
 * </ul>
 *
 * Beside each wrk run, {@code <name>.cpu} (if present) holds the CPU seconds the server process
 * used during it, shown per request. Beside each run, {@code <name>.others} (if present) holds the share of the machine's CPU that
 * other processes used during it, in percent; it is shown so that disturbed runs can be told apart.
 */
public final class Summary {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Summary() {}

  public static void main(String[] argv) throws IOException {
    Path dir = Path.of(argv.length > 0 ? argv[0] : ".");
    StringBuilder md = new StringBuilder();
    md.append("# Benchmark results: ").append(dir.getFileName()).append("\n\n");
    Path env = dir.resolve("env.txt");
    if (Files.exists(env)) {
      md.append("## Environment\n\n```\n").append(Files.readString(env).strip()).append("\n```\n\n");
    }
    Path decisions = dir.resolve("decisions/summary.txt");
    if (Files.exists(decisions)) {
      md.append("## Decision costs (JMH, median over forks)\n\n```\n")
          .append(Files.readString(decisions).strip())
          .append("\n```\n\n");
    }
    coldStarts(dir.resolve("coldstarts"), md);
    warm(dir.resolve("warm"), md);
    Files.writeString(dir.resolve("summary.md"), md);
    System.out.print(md);
  }

  // ---------------------------------------------------------------- cold starts

  private static void coldStarts(Path dir, StringBuilder md) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Map<String, List<JsonNode>> byConfig = new TreeMap<>();
    Map<String, List<String>> others = new TreeMap<>();
    for (Path f : list(dir, ".json")) {
      String config = f.getFileName().toString().replaceAll("-[0-9]+\\.json$", "");
      byConfig.computeIfAbsent(config, k -> new ArrayList<>()).add(JSON.readTree(f.toFile()));
      others.computeIfAbsent(config, k -> new ArrayList<>()).add(others(f, ".json"));
    }
    if (byConfig.isEmpty()) {
      return;
    }
    md.append("## Emergency cold starts (median over runs; each run's value in brackets)\n\n");
    md.append("| config | runs | cold starts/s | spawns/s | invocations/s | cold-start p50 ms | p99 ms | p99.9 ms | CPU us per cold start | cold share | GC time % | others' CPU % |\n");
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (Map.Entry<String, List<JsonNode>> e : byConfig.entrySet()) {
      List<JsonNode> runs = e.getValue();
      md.append("| ").append(e.getKey()).append(" | ").append(runs.size())
          .append(" | ").append(cell(runs, "emergencyColdStartsPerSecond", "%.0f"))
          .append(" | ").append(cell(runs, "emergencySpawnsPerSecond", "%.0f"))
          .append(" | ").append(cell(runs, "invocationsPerSecond", "%.0f"))
          .append(" | ").append(cell(runs, "coldStartLatency.p50Ms", "%.2f"))
          .append(" | ").append(cell(runs, "coldStartLatency.p99Ms", "%.2f"))
          .append(" | ").append(cell(runs, "coldStartLatency.p999Ms", "%.2f"))
          .append(" | ").append(cell(runs, "cpuMicrosPerColdStart", "%.0f"))
          .append(" | ").append(coldShare(runs))
          .append(" | ").append(gcShare(runs))
          .append(" | ").append(String.join(" ", others.get(e.getKey())))
          .append(" |\n");
    }
    md.append("\n");
  }

  private static String cell(List<JsonNode> runs, String path, String format) {
    List<Double> values = new ArrayList<>();
    for (JsonNode r : runs) {
      JsonNode n = r;
      for (String part : path.split("\\.")) {
        n = n.path(part);
      }
      values.add(n.asDouble(Double.NaN));
    }
    return String.format(Locale.ROOT, format, Stats.median(values))
        + " [" + Stats.format(values, format) + "]";
  }

  /** Share of the measured time spent in GC (G1's young collections pause the application). */
  private static String gcShare(List<JsonNode> runs) {
    List<Double> shares = new ArrayList<>();
    for (JsonNode r : runs) {
      JsonNode gc = r.path("gcDuringMeasurement");
      if (!gc.isMissingNode()) {
        shares.add(100 * gc.path("pauseMs").asDouble() / 1000 / r.path("elapsedSeconds").asDouble());
      }
    }
    return shares.isEmpty() ? "?" : String.format(Locale.ROOT, "%.1f", Stats.median(shares));
  }

  private static String coldShare(List<JsonNode> runs) {
    List<Double> shares = new ArrayList<>();
    for (JsonNode r : runs) {
      double invocations = r.path("entityStats").path("emergencyInvocations").asDouble()
          + r.path("entityStats").path("regularInvocations").asDouble();
      shares.add(invocations == 0 ? Double.NaN : r.path("entityStats").path("emergencyColdStarts").asDouble() / invocations);
    }
    return String.format(Locale.ROOT, "%.3f", Stats.median(shares));
  }

  // ---------------------------------------------------------------- warm (wrk)

  /** What one wrk run printed. */
  record Wrk(double rps, double p50Ms, double p99Ms, long requests, long non2xx, long socketErrors) {}

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PCT = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
  private static final Pattern REQUESTS = Pattern.compile("([0-9]+) requests in");
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+([0-9]+)");
  private static final Pattern SOCKET = Pattern.compile("Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)");

  static Wrk parseWrk(String text) {
    Matcher rps = RPS.matcher(text);
    if (!rps.find()) {
      throw new IllegalArgumentException("no Requests/sec in wrk output");
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher pct = PCT.matcher(text);
    while (pct.find()) {
      double v = Double.parseDouble(pct.group(2));
      double ms = switch (pct.group(3)) {
        case "us" -> v / 1000;
        case "s" -> v * 1000;
        default -> v;
      };
      if (pct.group(1).equals("50")) {
        p50 = ms;
      } else {
        p99 = ms;
      }
    }
    Matcher req = REQUESTS.matcher(text);
    Matcher non = NON2XX.matcher(text);
    Matcher sock = SOCKET.matcher(text);
    long socketErrors = 0;
    if (sock.find()) {
      for (int g = 1; g <= 4; g++) {
        socketErrors += Long.parseLong(sock.group(g));
      }
    }
    return new Wrk(
        Double.parseDouble(rps.group(1)), p50, p99,
        req.find() ? Long.parseLong(req.group(1)) : -1,
        non.find() ? Long.parseLong(non.group(1)) : 0,
        socketErrors);
  }

  private static void warm(Path dir, StringBuilder md) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Map<String, Map<String, Wrk>> byTarget = new TreeMap<>();
    Map<String, List<String>> others = new TreeMap<>();
    Map<String, List<Double>> cpuPerRequest = new TreeMap<>();
    for (Path f : list(dir, ".txt")) {
      Matcher m = Pattern.compile("(.+)-([0-9]+)\\.txt").matcher(f.getFileName().toString());
      if (m.matches()) {
        Wrk wrk = parseWrk(Files.readString(f));
        byTarget.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(m.group(2), wrk);
        others.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(others(f, ".txt"));
        Path cpu = f.resolveSibling(m.group(1) + "-" + m.group(2) + ".cpu");
        if (Files.exists(cpu) && wrk.requests() > 0) {
          cpuPerRequest.computeIfAbsent(m.group(1), k -> new ArrayList<>())
              .add(Double.parseDouble(Files.readString(cpu).strip()) * 1e6 / wrk.requests());
        }
      }
    }
    if (byTarget.isEmpty()) {
      return;
    }
    md.append("## Warm invocations: gateway vs raw Pekko HTTP (wrk; median over runs, each run in brackets)\n\n");
    md.append("| target | runs | requests/s | p50 ms | p99 ms | server CPU us/request | non-2xx | socket errors | others' CPU % |\n");
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (Map.Entry<String, Map<String, Wrk>> e : byTarget.entrySet()) {
      List<Wrk> runs = new ArrayList<>(e.getValue().values());
      md.append("| ").append(e.getKey()).append(" | ").append(runs.size())
          .append(" | ").append(wrkCell(runs, Wrk::rps, "%.0f"))
          .append(" | ").append(wrkCell(runs, Wrk::p50Ms, "%.2f"))
          .append(" | ").append(wrkCell(runs, Wrk::p99Ms, "%.2f"))
          .append(" | ").append(cpuCell(cpuPerRequest.get(e.getKey())))
          .append(" | ").append(runs.stream().mapToLong(Wrk::non2xx).sum())
          .append(" | ").append(runs.stream().mapToLong(Wrk::socketErrors).sum())
          .append(" | ").append(String.join(" ", others.get(e.getKey())))
          .append(" |\n");
    }
    Map<String, Wrk> raw = byTarget.get("raw");
    Map<String, Wrk> gateway = byTarget.get("gateway");
    if (raw != null && gateway != null) {
      List<Double> ratios = new ArrayList<>();
      for (String run : gateway.keySet()) {
        if (raw.containsKey(run)) {
          ratios.add(gateway.get(run).rps() / raw.get(run).rps());
        }
      }
      double medianRatio =
          Stats.median(gateway.values().stream().map(Wrk::rps).toList())
              / Stats.median(raw.values().stream().map(Wrk::rps).toList());
      md.append(String.format(Locale.ROOT,
          "%nGateway / raw throughput: %.3f (ratio of the medians); per run (gateway run i / raw run i): %s; target >= 0.5%n%n",
          medianRatio, Stats.format(ratios, "%.3f")));
    }
  }

  private static String cpuCell(List<Double> values) {
    if (values == null || values.isEmpty()) {
      return "?";
    }
    return String.format(Locale.ROOT, "%.1f", Stats.median(values)) + " [" + Stats.format(values, "%.1f") + "]";
  }

  private static String wrkCell(List<Wrk> runs, java.util.function.ToDoubleFunction<Wrk> f, String format) {
    List<Double> values = runs.stream().map(f::applyAsDouble).toList();
    return String.format(Locale.ROOT, format, Stats.median(values)) + " [" + Stats.format(values, format) + "]";
  }

  /**
   * What run.sh measured beside a run's result file ({@code <name>.others}): the share of the
   * machine's CPU that processes other than the benchmark's used during the run; "?" if unknown.
   */
  private static String others(Path result, String suffix) throws IOException {
    String name = result.getFileName().toString();
    Path f = result.resolveSibling(name.substring(0, name.length() - suffix.length()) + ".others");
    return Files.exists(f) ? Files.readString(f).strip() : "?";
  }

  private static List<Path> list(Path dir, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }
}
