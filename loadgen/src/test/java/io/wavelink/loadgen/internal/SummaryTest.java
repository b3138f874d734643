package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** summary.json from hand-made records: every promised key, and the figures worked out by hand. */
class SummaryTest {

  static final List<String> REQUIRED_KEYS = List.of(
      "invocations", "failures", "p50Ms", "p99Ms", "slowdownGeomean", "slowdownP99", "regularShare",
      "coldStartsByTrack", "instanceSeconds", "mbSeconds", "throughput", "p90Ms", "p999Ms", "slowdownPerFunction",
      "schedulingLatency", "failuresByStatus", "peakInstances", "generatorLag", "dirigent", "concurrency",
      "regularMbShare", "touchedMbSeconds", "evictions");

  @TempDir Path dir;

  static InvocationRecord ok(String fn, double scheduled, long requested, double response, double execution, String kind, boolean cold) {
    return new InvocationRecord(fn, scheduled, scheduled + 0.2, requested, 8, response, execution, kind, Boolean.toString(cold),
        "200", fn + "-1", "http://gw", "");
  }

  static InvocationRecord failed(String fn, double scheduled, String status) {
    return new InvocationRecord(fn, scheduled, scheduled + 25, 100, 8, 3, Double.NaN, "", "", status, "", "http://gw", status + " says no");
  }

  static SummaryBuilder.RunInfo info() {
    return info(10, 2.0);
  }

  static SummaryBuilder.RunInfo info(double warmupMinutes, double speedup) {
    return new SummaryBuilder.RunInfo("dual", "r1", "2025-01-01T00:00:00Z", "test", 2, 6, 10_000, 42, speedup, null, 1500L,
        List.of("http://gw"), "sleep", warmupMinutes, io.wavelink.loadgen.Workload.Fitting.NONE.toMap());
  }

  static List<InvocationRecord> records() {
    List<InvocationRecord> r = new ArrayList<>();
    // function a: slowdowns 1 and 4 (geomean 2); function b: slowdowns 2, 2 (geomean 2) -> 0.5 with the next
    r.add(ok("a", 0, 100, 100, 95, "emergency", true));
    r.add(ok("a", 1000, 100, 400, 100, "regular", true));
    r.add(ok("b", 2000, 50, 100, 50, "regular", false));
    r.add(ok("b", 3000, 50, 100, 50, "regular", false));
    r.add(failed("b", 4000, "429"));
    r.add(failed("a", 5000, "timeout"));
    return r;
  }

  static ClusterView.Totals totals() {
    return new ClusterView.Totals(2, true, 10.5, 1.5, 1000, 64, 2, 1, 3, 1, 2, 1, 3, 1, 1, 1, 250, 16, 4, 2);
  }

  @Test
  void figuresWorkedOutByHand() {
    List<InstanceSample> samples = List.of(new InstanceSample(0, 0, 1, 1, 0), new InstanceSample(1000, 3, 1, 0, 0), new InstanceSample(2000, 2, 0, 0, 0));
    Map<String, Object> s = SummaryBuilder.build(info(), records(), samples, totals(), 8_000);
    assertEquals(6, s.get("invocations"));
    assertEquals(4, s.get("succeeded"));
    assertEquals(2, s.get("failures"));
    assertEquals(Map.of("429", 1L, "timeout", 1L), s.get("failuresByStatus"));
    assertEquals("429 says no", ((Map<?, ?>) s.get("failureExamples")).get("429"));
    // successful response times 100, 100, 100, 400
    assertEquals(100.0, s.get("p50Ms"));
    assertEquals(400.0, s.get("p99Ms"));
    // slowdowns 1, 4, 2, 2: geomean (16)^(1/4) = 2
    assertEquals(2.0, s.get("slowdownGeomean"));
    assertEquals(4.0, s.get("slowdownP99"));
    assertEquals(0.75, s.get("regularShare"));
    assertEquals(Map.of("regular", 1L, "emergency", 1L), s.get("coldStartsByTrack"));
    assertEquals(Map.of("regular", 10.5, "emergency", 1.5, "total", 12.0), s.get("instanceSeconds"));
    assertEquals(Map.of("regular", 1000.0, "emergency", 64.0, "total", 1064.0), s.get("mbSeconds"));
    assertEquals(Math.round(1000.0 / 1064 * 10_000) / 10_000.0, (Double) s.get("regularMbShare"), 1e-3);
    assertEquals(Map.of("regular", 250.0, "emergency", 16.0, "total", 266.0), s.get("touchedMbSeconds"));
    assertEquals(Map.of("regular", 4L, "emergency", 2L, "total", 6L), s.get("evictions"));
    // sampled peak 4 at once beats the per-function peaks (2 regular, 1 emergency)
    assertEquals(Map.of("regular", 3, "emergency", 1, "total", 4), s.get("peakInstances"));
    Map<?, ?> perFunction = (Map<?, ?>) s.get("slowdownPerFunction");
    assertEquals(Map.of("a", 2.0, "b", 2.0), perFunction.get("byFunction"));
    assertEquals(2.0, perFunction.get("p99"));
    // scheduling latency: 5, 300, 50, 50
    Map<?, ?> scheduling = (Map<?, ?>) s.get("schedulingLatency");
    assertEquals(50.0, scheduling.get("p50Ms"));
    assertEquals(300.0, scheduling.get("p99Ms"));
    Map<?, ?> throughput = (Map<?, ?>) s.get("throughput");
    assertEquals(0.75, throughput.get("completedPerS"));
    assertEquals(0.6, throughput.get("offeredPerS"));
    Map<?, ?> lag = (Map<?, ?>) s.get("generatorLag");
    assertEquals(2L, lag.get("lateOver10Ms"), "the two failures were sent 25 ms late");
    assertEquals(Boolean.TRUE, lag.get("lagged"));
    assertEquals(25.0, lag.get("maxMs"));
  }

  @Test
  void dirigentsMetricsWorkedOutByHand() {
    // warm-up 1 trace minute at speedup 2: invocations scheduled before 30 s of replay are left out
    List<InvocationRecord> r = new ArrayList<>();
    r.add(ok("a", 10_000, 100, 900, 100, "regular", true));   // warm-up: left out of the slowdown
    r.add(ok("a", 30_000, 100, 200, 100, "regular", false));  // slowdown 2
    r.add(ok("a", 31_000, 100, 100, 95, "regular", false));   // slowdown 1
    r.add(ok("a", 32_000, 100, 400, 100, "regular", false));  // slowdown 4 -> a: (2 x 1 x 4)^(1/3) = 2
    r.add(ok("b", 40_000, 50, 40, 40, "regular", false));     // slowdown 0.8: below 1, left out
    r.add(ok("b", 41_000, 50, 400, 50, "emergency", true));   // slowdown 8 -> b: 8
    r.add(ok("c", 42_000, 10, 30, 10, "regular", false));     // slowdown 3 -> c: 3
    r.add(failed("c", 43_000, "503"));
    Map<String, Object> s = SummaryBuilder.build(info(1, 2.0), r, List.of(), totals(), 50_000);
    Map<?, ?> d = (Map<?, ?>) s.get("dirigent");
    assertEquals(1.0, d.get("warmupMinutes"));
    assertEquals(7L, d.get("invocationsAfterWarmup"));
    assertEquals(1L, d.get("failuresAfterWarmup"));
    assertEquals(1L, d.get("slowdownBelowOneLeftOut"));
    Map<?, ?> pf = (Map<?, ?>) d.get("perFunctionSlowdown");
    assertEquals(Map.of("a", 2.0, "b", 8.0, "c", 3.0), pf.get("byFunction"));
    assertEquals(3, pf.get("functions"));
    // per-function slowdowns 2, 3, 8: median 3, p80 (rank ceil(2.4) = 3) 8, worst 8
    assertEquals(3.0, pf.get("p50"));
    assertEquals(8.0, pf.get("p80"));
    assertEquals(8.0, pf.get("max"));
    // scheduling latency per function over every successful invocation, warm-up included:
    // a: 800, 100, 5, 300 -> 301.25; b: 0, 350 -> 175; c: 20 -> 20
    Map<?, ?> sched = (Map<?, ?>) d.get("perFunctionSchedulingLatencyMs");
    assertEquals(175.0, sched.get("p50"));
    assertEquals(301.25, sched.get("p80"));
    assertEquals(301.25, sched.get("max"));
    assertEquals(800.0, ((Map<?, ?>) d.get("perInvocationSchedulingLatencyMs")).get("max"));
    // the existing per-function figure keeps every invocation
    assertEquals(3, ((Map<?, ?>) ((Map<?, ?>) s.get("slowdownPerFunction")).get("byFunction")).size());

    Map<String, Object> allWarmup = SummaryBuilder.build(info(10, 1.0), r, List.of(), totals(), 50_000);
    Map<?, ?> none = (Map<?, ?>) allWarmup.get("dirigent");
    assertEquals(0L, none.get("invocationsAfterWarmup"));
    assertNull(((Map<?, ?>) none.get("perFunctionSlowdown")).get("p50"), "undefined, not 0");
  }

  @Test
  void concurrencyPeaks() {
    List<InvocationRecord> r = new ArrayList<>();
    // sent at 0, 10, 20 ms, answered after 100 ms each: 3 in flight at once; a fourth sent at 110 meets only two
    for (int i = 0; i < 3; i++) {
      r.add(new InvocationRecord("a", i * 10, i * 10, 50, 8, 100, 50, "regular", "false", "200", "i", "http://gw", ""));
    }
    r.add(new InvocationRecord("a", 110, 110, 50, 8, 100, 50, "regular", "false", "200", "i", "http://gw", ""));
    Map<?, ?> c = (Map<?, ?>) SummaryBuilder.build(info(), r, List.of(), totals(), 300).get("concurrency");
    assertEquals(3, c.get("peakInFlight"));
    assertEquals(0, SummaryBuilder.peak(List.of()));
    assertEquals(1, SummaryBuilder.peak(List.of(new double[] {0, 10}, new double[] {10, 20})), "back to back is not overlap");
  }

  @Test
  void summaryJsonHasEveryKeyAndNoNaN() throws Exception {
    Map<String, Object> s = SummaryBuilder.build(info(), records(), List.of(), totals(), 8_000);
    OutputFiles.json(dir.resolve("summary.json"), s);
    JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("summary.json")));
    for (String key : REQUIRED_KEYS) {
      assertTrue(json.has(key), "summary.json has " + key);
    }
    assertEquals(1500, json.path("settings").path("regularTrackDelayMs").asLong());
    assertEquals("sleep", json.path("settings").path("work").asText());
    assertEquals(10.0, json.path("settings").path("warmupMinutes").asDouble());
    assertTrue(json.path("workload").path("fitting").path("statement").asText().contains("arrival rate as traced"));

    // nothing succeeded and no cost reported: nulls, still valid JSON with every key
    Map<String, Object> empty = SummaryBuilder.build(info(), List.of(failed("a", 0, "503")), List.of(), ClusterView.Totals.NONE, 0);
    OutputFiles.json(dir.resolve("empty.json"), empty);
    JsonNode e = new ObjectMapper().readTree(Files.readString(dir.resolve("empty.json")));
    for (String key : REQUIRED_KEYS) {
      assertTrue(e.has(key), "empty summary has " + key);
    }
    assertTrue(e.get("p50Ms").isNull());
    assertTrue(e.path("instanceSeconds").path("total").isNull());
    assertFalse(Files.readString(dir.resolve("empty.json")).contains("NaN"));
  }

  @Test
  void invocationsCsvHasOneRowPerRecord() throws Exception {
    OutputFiles.invocations(dir.resolve("invocations.csv"), records());
    List<String> lines = Files.readAllLines(dir.resolve("invocations.csv"));
    assertEquals(OutputFiles.INVOCATIONS_HEADER, lines.get(0));
    assertEquals(7, lines.size());
    assertTrue(lines.get(0).startsWith("function,scheduledMs,startMs,requestedMs,responseMs,executionMs,instanceKind,coldStart,status"));
    assertEquals("a,0.000,0.200,100,100.000,95.000,emergency,true,200,8,a-1,http://gw", lines.get(1));
    assertTrue(lines.get(5).contains(",,,,429,"), "no execution time, kind or cold start on a failure: " + lines.get(5));
  }
}
