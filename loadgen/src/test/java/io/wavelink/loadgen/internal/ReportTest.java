package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** report.html is self-contained and shows the three charts; compare's ratios. */
class ReportTest {

  static HtmlReport.RunData run(String mode, double factor) {
    List<InvocationRecord> records = SummaryTest.records().stream()
        .map(r -> new InvocationRecord(r.function(), r.scheduledMs(), r.startMs(), r.requestedMs(), r.requestedMb(),
            r.responseMs() * factor, r.executionMs(), r.instanceKind(), r.coldStart(), r.status(), r.instance(), r.target(), r.error()))
        .toList();
    List<InstanceSample> samples = List.of(new InstanceSample(0, 0, 1, 1, 0), new InstanceSample(1000, 2, 1, 1, 0), new InstanceSample(2000, 2, 0, 0, 0));
    ClusterView.Totals totals = new ClusterView.Totals(2, true, 10 * factor, 1, 100, 10, 2, 1, 2, 1, 1, 1, 3, 1, 1, 0, 30, 2, 1, 0);
    Map<String, Object> summary = SummaryBuilder.build(SummaryTest.info(), records, samples, totals, 6000);
    summary.put("mode", mode);
    return new HtmlReport.RunData(mode, summary, records, samples);
  }

  static void assertSelfContained(String html) {
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertTrue(html.trim().endsWith("</html>"));
    assertFalse(html.contains("<script src"), "no external scripts");
    assertFalse(html.contains("<link"), "no external styles");
    assertFalse(html.contains("https://"), "nothing fetched");
    assertFalse(html.contains("NaN"), "no NaN coordinates");
  }

  @Test
  void singleRunReport() {
    String html = HtmlReport.single(run("dual", 1));
    assertSelfContained(html);
    assertTrue(html.contains("Latency CDF"));
    assertTrue(html.contains("Instances by kind"));
    assertTrue(html.contains("arrivals/s"));
    assertTrue(html.contains("Per-function slowdown CDF"));
    assertTrue(html.split("<svg", -1).length - 1 >= 3, "three charts");
    assertTrue(html.contains("<td>429</td>"), "failures table");
    assertTrue(html.contains("Dirigent's metrics") && html.contains("per-function slowdown p80 (Dirigent)"));
    assertTrue(html.contains("Fitted to the machine: the whole trace; all functions"), "the fitting is stated");
  }

  @Test
  void compareReportAndRatios() {
    Map<String, Map<String, Object>> summaries = new LinkedHashMap<>();
    List<HtmlReport.RunData> runs = List.of(run("sync", 3), run("async", 2), run("dual", 1));
    runs.forEach(r -> summaries.put(r.mode(), r.summary()));
    Map<String, Object> ratios = CompareTable.ratios(summaries);
    Map<?, ?> syncToDual = (Map<?, ?>) ratios.get("sync/dual");
    Map<?, ?> asyncToDual = (Map<?, ?>) ratios.get("async/dual");
    assertEquals(3.0, syncToDual.get("p99Ms"));
    assertEquals(2.0, asyncToDual.get("p99Ms"));
    assertEquals(3.0, syncToDual.get("slowdownP99"));
    assertEquals(1.0, syncToDual.get("regularShare"));
    // instance-seconds: (30 + 1) / (10 + 1)
    assertEquals(2.818, syncToDual.get("instanceSeconds.total"));
    assertEquals(1.0, syncToDual.get("failures"));
    assertNull(CompareTable.ratios(Map.of("sync", summaries.get("sync"))).get("sync/dual"), "no dual, no ratios");

    String table = CompareTable.console(summaries);
    String[] lines = table.split("\n");
    assertTrue(lines[0].matches("metric\\s+sync\\s+async\\s+dual\\s+sync/dual\\s+async/dual"), lines[0]);
    assertTrue(table.lines().anyMatch(l -> l.matches("p99 slowdown\\s+12\\.00\\s+8\\.00\\s+4\\.00\\s+3\\.00x\\s+2\\.00x")), table);
    assertTrue(table.lines().anyMatch(l -> l.startsWith("regular share")));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("instance-seconds")));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("p99 latency ms")));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("Dirigent slowdown p50")));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("Dirigent slowdown p80")));
    assertTrue(table.lines().anyMatch(l -> l.startsWith("Dirigent sched. ms worst")));
    assertTrue(ratios.get("sync/dual") instanceof Map<?, ?> m && m.containsKey("dirigent.perFunctionSlowdown.p80"));

    String html = HtmlReport.compare(runs);
    assertSelfContained(html);
    assertTrue(html.contains("Response-time CDF by mode"));
    assertTrue(html.contains("Instances by kind, mode sync") && html.contains("Instances by kind, mode dual"));
    assertTrue(html.contains("3.00x"));
    assertTrue(html.contains("Per-function slowdown CDF by mode (Dirigent, after the warm-up)"));
    assertTrue(html.contains("<th>sync p80</th>") && html.contains("<th>dual worst</th>"));
  }

  @Test
  void emptyRunsStillRender() {
    Map<String, Object> summary = SummaryBuilder.build(SummaryTest.info(), List.of(), List.of(), ClusterView.Totals.NONE, 0);
    String html = HtmlReport.single(new HtmlReport.RunData("dual", summary, List.of(), List.of()));
    assertSelfContained(html);
    assertTrue(html.contains("no data"));
  }

  @Test
  void chartAxes() {
    assertEquals("1000", SvgChart.label(1000));
    assertEquals("20k", SvgChart.label(20_000));
    assertEquals("0.5", SvgChart.label(0.5));
    assertEquals("2M", SvgChart.label(2_000_000));
    double[][] cdf = HtmlReport.cdf(new double[] {3, 1, 2});
    assertEquals(List.of(1.0, 2.0, 3.0), List.of(cdf[0][0], cdf[0][1], cdf[0][2]));
    assertEquals(1.0, cdf[1][2]);
  }
}
