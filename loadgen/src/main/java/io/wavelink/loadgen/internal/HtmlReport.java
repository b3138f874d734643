package io.wavelink.loadgen.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code report.html}: one self-contained page (inline CSS and SVG, no scripts, nothing fetched)
 * with the headline figures, the latency CDF, the instances over time by kind against the arrival
 * rate, and the slowdown per function; for {@code compare}, the same charts with one line per mode
 * and the ratio table.
 */
public final class HtmlReport {

  /** One mode's results, as the report needs them. */
  public record RunData(String mode, Map<String, Object> summary, List<InvocationRecord> records, List<InstanceSample> samples) {}

  static final String REGULAR = "#2471a3";
  static final String EMERGENCY = "#e67e22";
  static final String ARRIVALS = "#999999";
  static final Map<String, String> MODE_COLORS = Map.of("sync", "#c0392b", "async", "#8e44ad", "dual", "#16a085");

  private static final String STYLE = String.join("\n",
      "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}",
      "h1{font-size:24px;margin-bottom:4px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}",
      ".sub{color:#666;margin-top:0;font-size:13px} .muted{fill:#999;font-size:14px}",
      ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}",
      ".card{border:1px solid #e2e2e2;border-radius:6px;padding:10px 14px;min-width:120px;background:#fafafa}",
      ".card .v{font-size:22px;font-weight:600} .card .l{font-size:12px;color:#666}",
      ".bad .v{color:#c0392b} .warn{background:#fff4e5;border:1px solid #f0c36d;padding:8px 12px;border-radius:6px}",
      "table{border-collapse:collapse;font-size:13px;margin:8px 0} th,td{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}",
      "th:first-child,td:first-child{text-align:left} th{background:#f5f5f5}",
      "svg.chart{max-width:100%;height:auto;display:block;margin:8px 0}",
      ".chart-title{font-size:14px;font-weight:600;fill:#333} .tick{font-size:11px;fill:#666} .legend{font-size:12px;fill:#333}",
      ".axis-label{font-size:12px;fill:#444} .gridline{stroke:#eee} .axis{stroke:#999}",
      "p.note{font-size:13px;color:#555}");

  private HtmlReport() {}

  /** The report of one run. */
  public static String single(RunData run) {
    Map<String, Object> s = run.summary();
    StringBuilder h = head("WaveLink loadgen: " + run.mode());
    h.append("<h1>WaveLink load test, mode <code>").append(Html.escape(run.mode())).append("</code></h1>");
    h.append("<p class=\"sub\">").append(Html.escape(subtitle(s))).append("</p>");
    fitting(h, s);
    lagWarning(h, run);

    h.append("<div class=\"cards\">");
    card(h, "invocations", CompareTable.format(CompareTable.value(s, "invocations"), 0), false);
    card(h, "failures", CompareTable.format(CompareTable.value(s, "failures"), 0), nonZero(s, "failures"));
    card(h, "p50 latency", ms(CompareTable.value(s, "p50Ms")), false);
    card(h, "p99 latency", ms(CompareTable.value(s, "p99Ms")), false);
    card(h, "slowdown (geomean)", CompareTable.format(CompareTable.value(s, "slowdownGeomean"), 2), false);
    card(h, "p99 slowdown", CompareTable.format(CompareTable.value(s, "slowdownP99"), 2), false);
    card(h, "regular share", percent(CompareTable.value(s, "regularShare")), false);
    card(h, "instance-seconds", CompareTable.format(CompareTable.value(s, "instanceSeconds.total"), 1), false);
    card(h, "MB-seconds", CompareTable.format(CompareTable.value(s, "mbSeconds.total"), 0), false);
    card(h, "peak instances", CompareTable.format(CompareTable.value(s, "peakInstances.total"), 0), false);
    card(h, "per-function slowdown p50 (Dirigent)", CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.p50"), 2), false);
    card(h, "per-function slowdown p80 (Dirigent)", CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.p80"), 2), false);
    card(h, "per-function slowdown worst (Dirigent)", CompareTable.format(CompareTable.value(s, "dirigent.perFunctionSlowdown.max"), 2), false);
    h.append("</div>");

    h.append("<h2>Dirigent's metrics</h2>");
    h.append(dirigentTable(List.of(run)));

    h.append("<h2>Latency</h2>");
    SvgChart latency = new SvgChart("Latency CDF (successful invocations)", "milliseconds (log scale)", "fraction of invocations").logX();
    double[][] response = cdf(values(run.records(), true, false));
    double[][] scheduling = cdf(values(run.records(), false, false));
    latency.add("response time", REGULAR, response[0], response[1], SvgChart.Style.LINE);
    latency.add("scheduling latency (response - execution)", EMERGENCY, scheduling[0], scheduling[1], SvgChart.Style.LINE);
    h.append(latency.render(1000, 380));
    h.append(percentileTable(s));

    h.append("<h2>Instances over time</h2>");
    h.append(instancesChart(run, Double.NaN, Double.NaN, Double.NaN));
    h.append("<p class=\"note\">Instances of the workload's functions in every state, sampled every second"
        + " from <code>GET /v1/functions</code>; the grey area is the arrival rate (scheduled invocations per second).</p>");

    h.append("<h2>Slowdown per function</h2>");
    SvgChart perFunction = new SvgChart("Per-function slowdown CDF (geometric mean of response / requested duration)",
        "slowdown (log scale)", "fraction of functions (of invocations)").logX();
    double[][] pf = cdf(functionSlowdowns(run.records()));
    perFunction.add("per-function slowdown, every invocation", REGULAR, pf[0], pf[1], SvgChart.Style.STEP);
    double[][] pd = cdf(dirigentSlowdowns(s));
    perFunction.add("per-function slowdown after the warm-up (Dirigent)", EMERGENCY, pd[0], pd[1], SvgChart.Style.STEP);
    double[][] pi = cdf(values(run.records(), true, true));
    perFunction.add("per-invocation slowdown", ARRIVALS, pi[0], pi[1], SvgChart.Style.LINE);
    h.append(perFunction.render(1000, 360));
    h.append(functionTable(run.records()));

    failures(h, s);
    h.append(footer());
    return h.append("</body></html>\n").toString();
  }

  /** The report comparing modes (in the order given). */
  public static String compare(List<RunData> runs) {
    Map<String, Map<String, Object>> summaries = new LinkedHashMap<>();
    for (RunData r : runs) {
      summaries.put(r.mode(), r.summary());
    }
    StringBuilder h = head("WaveLink loadgen: compare");
    h.append("<h1>WaveLink control-plane modes compared</h1>");
    h.append("<p class=\"sub\">").append(Html.escape(subtitle(runs.get(0).summary()))).append("</p>");
    fitting(h, runs.get(0).summary());
    h.append("<p class=\"note\">The same workload, replayed once per mode against the same cluster, each under its own"
        + " function names (so each starts cold). Ratios above 1 mean dual is lower (better for latency, slowdown and cost).</p>");
    for (RunData r : runs) {
      lagWarning(h, r);
    }

    h.append("<table><tr><th>metric</th>");
    for (RunData r : runs) {
      h.append("<th>").append(Html.escape(r.mode())).append("</th>");
    }
    boolean hasDual = summaries.containsKey(CompareTable.DUAL);
    List<String> others = runs.stream().map(RunData::mode).filter(m -> !m.equals(CompareTable.DUAL)).toList();
    if (hasDual) {
      for (String m : others) {
        h.append("<th>").append(Html.escape(m)).append(" / dual</th>");
      }
    }
    h.append("</tr>");
    for (CompareTable.Metric m : CompareTable.METRICS) {
      h.append("<tr><td>").append(Html.escape(m.label())).append("</td>");
      for (RunData r : runs) {
        h.append("<td>").append(CompareTable.format(CompareTable.value(r.summary(), m.path()), m.decimals())).append("</td>");
      }
      if (hasDual) {
        Double dual = CompareTable.value(summaries.get(CompareTable.DUAL), m.path());
        for (String mode : others) {
          double ratio = CompareTable.ratio(CompareTable.value(summaries.get(mode), m.path()), dual);
          h.append("<td><b>").append(Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio)).append("</b></td>");
        }
      }
      h.append("</tr>");
    }
    h.append("</table>");

    h.append("<h2>Dirigent's metrics</h2>");
    h.append(dirigentTable(runs));

    h.append("<h2>Latency</h2>");
    SvgChart latency = new SvgChart("Response-time CDF by mode", "milliseconds (log scale)", "fraction of invocations").logX();
    SvgChart slowdown = new SvgChart("Per-function slowdown CDF by mode (Dirigent, after the warm-up)", "slowdown (log scale)",
        "fraction of functions").logX();
    for (RunData r : runs) {
      String color = MODE_COLORS.getOrDefault(r.mode(), "#333");
      double[][] c = cdf(values(r.records(), true, false));
      latency.add(r.mode(), color, c[0], c[1], SvgChart.Style.LINE);
      double[][] f = cdf(dirigentSlowdowns(r.summary()));
      slowdown.add(r.mode(), color, f[0], f[1], SvgChart.Style.STEP);
    }
    h.append(latency.render(1000, 380));
    h.append("<h2>Slowdown per function</h2>");
    h.append(slowdown.render(1000, 360));

    h.append("<h2>Instances over time</h2>");
    double maxT = 0;
    double maxInstances = 1;
    double maxRate = 1;
    for (RunData r : runs) {
      for (InstanceSample s : r.samples()) {
        maxT = Math.max(maxT, s.tMs() / 1000);
        maxInstances = Math.max(maxInstances, Math.max(s.regular(), s.emergency()));
      }
      double[][] a = arrivals(r.records());
      for (int i = 0; i < a[0].length; i++) {
        maxT = Math.max(maxT, a[0][i]);
        maxRate = Math.max(maxRate, a[1][i]);
      }
    }
    for (RunData r : runs) {
      h.append(instancesChart(r, maxT, maxInstances, maxRate));
    }
    h.append("<p class=\"note\">Same axes for every mode. Per-mode pages: <a href=\"sync/report.html\">sync</a>,"
        + " <a href=\"async/report.html\">async</a>, <a href=\"dual/report.html\">dual</a>.</p>");
    h.append(footer());
    return h.append("</body></html>\n").toString();
  }

  // ------------------------------------------------------------------------------------ pieces

  private static StringBuilder head(String title) {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Html.escape(title))
        .append("</title><style>").append(STYLE).append("</style></head><body>");
    return h;
  }

  private static String footer() {
    return "<p class=\"note\">Generated by <code>wavelink loadgen</code>. Raw data: <code>invocations.csv</code>,"
        + " <code>instances.csv</code>, <code>summary.json</code>.</p>";
  }

  private static String subtitle(Map<String, Object> s) {
    Object workload = s.get("workload") instanceof Map<?, ?> w ? w.get("source") : "";
    Object settings = s.get("settings") instanceof Map<?, ?> st ? st : Map.of();
    Map<?, ?> st = (Map<?, ?>) settings;
    return workload + " | work " + st.get("work") + " | seed " + st.get("seed") + " | regular-track delay "
        + (st.get("regularTrackDelayMs") == null ? "cluster default" : st.get("regularTrackDelayMs") + " ms")
        + " | targets " + st.get("targets") + " | started " + st.get("startedAt");
  }

  private static void fitting(StringBuilder h, Map<String, Object> s) {
    if (s.get("workload") instanceof Map<?, ?> w && w.get("fitting") instanceof Map<?, ?> f && f.get("statement") != null) {
      h.append("<p class=\"sub\">Fitted to the machine: ").append(Html.escape(String.valueOf(f.get("statement")))).append("</p>");
    }
  }

  /** One row per figure, one column group (p50, p80, worst) per run. */
  static String dirigentTable(List<RunData> runs) {
    Map<String, Object> first = runs.get(0).summary();
    StringBuilder t = new StringBuilder("<p class=\"note\">As Dirigent's artifact computes them: per-invocation slowdown ="
        + " response time / requested duration; per-function slowdown = the geometric mean of a function's slowdowns, leaving"
        + " out invocations scheduled in the first ")
        .append(CompareTable.format(CompareTable.value(first, "dirigent.warmupMinutes"), 1))
        .append(" trace minutes (warm-up) and slowdowns below 1; scheduling latency = response time - execution time,"
            + " averaged per function over every successful invocation. Median (p50), 80th percentile and worst over functions.</p>");
    t.append("<table><tr><th></th>");
    for (RunData r : runs) {
      for (String p : List.of("p50", "p80", "worst")) {
        t.append("<th>").append(runs.size() > 1 ? Html.escape(r.mode()) + " " : "").append(p).append("</th>");
      }
    }
    t.append("</tr>");
    String[][] rows = {
        {"per-function slowdown", "dirigent.perFunctionSlowdown", "2"},
        {"per-invocation slowdown (after warm-up)", "dirigent.perInvocationSlowdown", "2"},
        {"per-function scheduling latency (ms)", "dirigent.perFunctionSchedulingLatencyMs", "1"},
        {"per-invocation scheduling latency (ms)", "dirigent.perInvocationSchedulingLatencyMs", "1"}};
    for (String[] row : rows) {
      t.append("<tr><td>").append(Html.escape(row[0])).append("</td>");
      for (RunData r : runs) {
        for (String p : List.of("p50", "p80", "max")) {
          t.append("<td>").append(CompareTable.format(CompareTable.value(r.summary(), row[1] + "." + p), Integer.parseInt(row[2])))
              .append("</td>");
        }
      }
      t.append("</tr>");
    }
    t.append("<tr><td>functions / invocations after the warm-up / failures after it</td>");
    for (RunData r : runs) {
      t.append("<td colspan=\"3\">")
          .append(CompareTable.format(CompareTable.value(r.summary(), "dirigent.perFunctionSlowdown.functions"), 0)).append(" / ")
          .append(CompareTable.format(CompareTable.value(r.summary(), "dirigent.invocationsAfterWarmup"), 0)).append(" / ")
          .append(CompareTable.format(CompareTable.value(r.summary(), "dirigent.failuresAfterWarmup"), 0)).append("</td>");
    }
    return t.append("</tr></table>").toString();
  }

  /** Each function's slowdown as Dirigent computes it, from the summary. */
  static double[] dirigentSlowdowns(Map<String, Object> s) {
    if (s.get("dirigent") instanceof Map<?, ?> d && d.get("perFunctionSlowdown") instanceof Map<?, ?> pf
        && pf.get("byFunction") instanceof Map<?, ?> by) {
      return by.values().stream().filter(v -> v instanceof Number).mapToDouble(v -> ((Number) v).doubleValue()).toArray();
    }
    return new double[0];
  }

  private static void lagWarning(StringBuilder h, RunData run) {
    if (run.summary().get("generatorLag") instanceof Map<?, ?> lag && Boolean.TRUE.equals(lag.get("lagged"))) {
      h.append("<p class=\"warn\">The load generator lagged in mode ").append(Html.escape(run.mode())).append(": ")
          .append(lag.get("lateOver10Ms")).append(" invocations were sent more than 10 ms late (max ")
          .append(lag.get("maxMs")).append(" ms). The latencies are measured from the actual send, but the offered load was lower than scheduled.</p>");
    }
  }

  private static void card(StringBuilder h, String label, String value, boolean bad) {
    h.append("<div class=\"card").append(bad ? " bad" : "").append("\"><div class=\"v\">").append(Html.escape(value))
        .append("</div><div class=\"l\">").append(Html.escape(label)).append("</div></div>");
  }

  private static boolean nonZero(Map<String, Object> s, String path) {
    Double v = CompareTable.value(s, path);
    return v != null && v > 0;
  }

  private static String ms(Double v) {
    return v == null ? "n/a" : CompareTable.format(v, v < 100 ? 1 : 0) + " ms";
  }

  private static String percent(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", v * 100);
  }

  private static String percentileTable(Map<String, Object> s) {
    StringBuilder t = new StringBuilder("<table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th></tr>");
    t.append("<tr><td>response time (ms)</td>");
    for (String k : List.of("p50Ms", "p90Ms", "p99Ms", "p999Ms")) {
      t.append("<td>").append(CompareTable.format(CompareTable.value(s, k), 1)).append("</td>");
    }
    t.append("</tr><tr><td>scheduling latency (ms)</td>");
    for (String k : List.of("p50Ms", "p90Ms", "p99Ms", "p999Ms")) {
      t.append("<td>").append(CompareTable.format(CompareTable.value(s, "schedulingLatency." + k), 1)).append("</td>");
    }
    return t.append("</tr></table>").toString();
  }

  private static String instancesChart(RunData run, double maxT, double maxInstances, double maxRate) {
    SvgChart chart = new SvgChart("Instances by kind, mode " + run.mode(), "seconds since the replay started", "instances")
        .rightAxis("arrivals per second");
    double[][] a = arrivals(run.records());
    chart.addRight("arrivals/s", ARRIVALS, a[0], a[1], SvgChart.Style.AREA);
    List<InstanceSample> samples = run.samples();
    double[] t = new double[samples.size()];
    double[] regular = new double[samples.size()];
    double[] emergency = new double[samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      t[i] = samples.get(i).tMs() / 1000;
      regular[i] = samples.get(i).regular();
      emergency[i] = samples.get(i).emergency();
    }
    chart.add("regular", REGULAR, t, regular, SvgChart.Style.STEP);
    chart.add("emergency", EMERGENCY, t, emergency, SvgChart.Style.STEP);
    if (!Double.isNaN(maxT)) {
      chart.xDomain(0, Math.max(1, maxT)).yMax(maxInstances).y2Max(maxRate);
    } else {
      // the replay's own time axis: from its start (the first poll may come just before it)
      double end = a[0].length == 0 ? 0 : a[0][a[0].length - 1];
      for (double x : t) {
        end = Math.max(end, x);
      }
      chart.xDomain(0, Math.max(1, Math.ceil(end)));
    }
    return chart.render(1000, 320);
  }

  private static String functionTable(List<InvocationRecord> records) {
    record Row(String function, int invocations, int failures, double slowdown, double p99, long cold) {}
    Map<String, List<InvocationRecord>> byFunction = new TreeMap<>();
    for (InvocationRecord r : records) {
      byFunction.computeIfAbsent(r.function(), k -> new ArrayList<>()).add(r);
    }
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, List<InvocationRecord>> e : byFunction.entrySet()) {
      List<InvocationRecord> ok = e.getValue().stream().filter(InvocationRecord::ok).toList();
      double[] slowdowns = ok.stream().mapToDouble(r -> Stats.slowdown(r.responseMs(), r.requestedMs())).toArray();
      double[] response = Stats.sorted(ok.stream().mapToDouble(InvocationRecord::responseMs).toArray());
      rows.add(new Row(e.getKey(), e.getValue().size(), e.getValue().size() - ok.size(), Stats.geomean(slowdowns),
          Stats.percentile(response, 99), ok.stream().filter(r -> r.coldStart().equals("true")).count()));
    }
    rows.sort(Comparator.comparingDouble((Row r) -> Double.isNaN(r.slowdown()) ? Double.MAX_VALUE : r.slowdown()).reversed());
    StringBuilder t = new StringBuilder("<table><tr><th>function (slowest first")
        .append(rows.size() > 20 ? ", top 20 of " + rows.size() : "")
        .append(")</th><th>invocations</th><th>failures</th><th>slowdown geomean</th><th>p99 ms</th><th>cold starts</th></tr>");
    for (Row r : rows.subList(0, Math.min(20, rows.size()))) {
      t.append("<tr><td><code>").append(Html.escape(r.function())).append("</code></td><td>").append(r.invocations())
          .append("</td><td>").append(r.failures()).append("</td><td>")
          .append(Double.isNaN(r.slowdown()) ? "n/a" : String.format(Locale.ROOT, "%.2f", r.slowdown()))
          .append("</td><td>").append(Double.isNaN(r.p99()) ? "n/a" : String.format(Locale.ROOT, "%.1f", r.p99()))
          .append("</td><td>").append(r.cold()).append("</td></tr>");
    }
    return t.append("</table>").toString();
  }

  private static void failures(StringBuilder h, Map<String, Object> s) {
    if (!(s.get("failuresByStatus") instanceof Map<?, ?> byStatus) || byStatus.isEmpty()) {
      return;
    }
    Map<?, ?> examples = s.get("failureExamples") instanceof Map<?, ?> e ? e : Map.of();
    h.append("<h2>Failures</h2><table><tr><th>status</th><th>count</th><th>example message</th></tr>");
    for (Map.Entry<?, ?> e : byStatus.entrySet()) {
      h.append("<tr><td>").append(Html.escape(String.valueOf(e.getKey()))).append("</td><td>").append(e.getValue())
          .append("</td><td style=\"text-align:left\">").append(Html.escape(String.valueOf(examples.get(e.getKey()))))
          .append("</td></tr>");
    }
    h.append("</table>");
  }

  // ------------------------------------------------------------------------------------ data

  /** Response times (or scheduling latencies, or slowdowns) of the successful invocations. */
  static double[] values(List<InvocationRecord> records, boolean response, boolean slowdown) {
    return records.stream()
        .filter(InvocationRecord::ok)
        .filter(r -> response || !Double.isNaN(r.executionMs()))
        .mapToDouble(r -> slowdown ? Stats.slowdown(r.responseMs(), r.requestedMs())
            : response ? r.responseMs() : Math.max(0.001, r.responseMs() - r.executionMs()))
        .toArray();
  }

  static double[] functionSlowdowns(List<InvocationRecord> records) {
    Map<String, Object> pf = SummaryBuilder.perFunction(records.stream().filter(InvocationRecord::ok).toList());
    Map<?, ?> by = (Map<?, ?>) pf.get("byFunction");
    return by.values().stream().filter(v -> v instanceof Number).mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  /** The empirical CDF as points (value, fraction at or below it), at most about 1,200 of them. */
  static double[][] cdf(double[] values) {
    double[] sorted = Stats.sorted(values);
    int n = sorted.length;
    if (n == 0) {
      return new double[][] {new double[0], new double[0]};
    }
    List<Integer> idx = new ArrayList<>();
    int step = Math.max(1, n / 1000);
    for (int i = 0; i < n; i += step) {
      idx.add(i);
    }
    // the tail in full resolution: the last 0.5% (at most 200 points)
    for (int i = Math.max(0, n - Math.min(200, n / 200 + 1)); i < n; i++) {
      if (idx.get(idx.size() - 1) < i) {
        idx.add(i);
      }
    }
    double[] x = new double[idx.size()];
    double[] y = new double[idx.size()];
    for (int k = 0; k < idx.size(); k++) {
      x[k] = sorted[idx.get(k)];
      y[k] = (idx.get(k) + 1.0) / n;
    }
    return new double[][] {x, y};
  }

  /** Scheduled invocations per second of the replay: {seconds, counts}. */
  static double[][] arrivals(List<InvocationRecord> records) {
    int seconds = 0;
    for (InvocationRecord r : records) {
      seconds = Math.max(seconds, (int) Math.floor(r.scheduledMs() / 1000) + 1);
    }
    double[] counts = new double[seconds];
    for (InvocationRecord r : records) {
      counts[Math.max(0, (int) Math.floor(r.scheduledMs() / 1000))]++;
    }
    // one more point, so that the last second is drawn as wide as the others
    double[] t = new double[seconds + 1];
    double[] y = java.util.Arrays.copyOf(counts, seconds + 1);
    for (int i = 0; i <= seconds; i++) {
      t[i] = i;
    }
    if (seconds > 0) {
      y[seconds] = counts[seconds - 1];
    }
    return new double[][] {t, y};
  }
}
