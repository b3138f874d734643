package io.wavelink.loadgen;

import static io.wavelink.loadgen.TestTraces.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code loadgen make-trace}: a seeded trace in the Azure 2019 layout, shaped like the published
 * statistics, that loadgen itself reads back.
 */
class MakeTraceTest {

  @TempDir Path dir;

  record Result(int status, String out, String err) {}

  static Result main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  Path make(String name, String... more) {
    Path out = dir.resolve(name);
    List<String> args = new java.util.ArrayList<>(List.of("make-trace", "--out", out.toString()));
    args.addAll(List.of(more));
    Result r = main(args.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("wrote " + out + ": 100 functions"), r.out());
    return out;
  }

  @Test
  void theSameSeedWritesTheSameFiles() throws IOException {
    Path a = make("a", "--seed", "7");
    Path b = make("b", "--seed", "7");
    Path c = make("c", "--seed", "8");
    for (String f : List.of("invocations.csv", "durations.csv", "memory.csv", "make-trace.json")) {
      assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
    }
    assertNotEquals(Files.readString(a.resolve("invocations.csv")), Files.readString(c.resolve("invocations.csv")));
  }

  @Test
  void theLayoutIsAzure2019sAsPublished() throws IOException {
    Path t = make("t");
    List<String> invocations = Files.readAllLines(t.resolve("invocations.csv"));
    assertTrue(invocations.get(0).startsWith("HashOwner,HashApp,HashFunction,Trigger,1,2,3,"));
    assertTrue(invocations.get(0).endsWith(",1439,1440"));
    assertEquals(101, invocations.size());
    assertTrue(Files.readAllLines(t.resolve("durations.csv")).get(0).startsWith("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
        + "percentile_Average_0,"));
    List<String> memory = Files.readAllLines(t.resolve("memory.csv"));
    assertTrue(memory.get(0).startsWith("HashApp,HashOwner,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"), "per application");
    Set<String> apps = new HashSet<>();
    invocations.stream().skip(1).forEach(l -> apps.add(l.split(",")[1]));
    assertEquals(apps.size() + 1, memory.size(), "one memory row per application");
    assertTrue(apps.size() < 100, "some applications have several functions: " + apps.size());
    assertTrue(invocations.get(1).split(",")[2].matches("[0-9a-f]{64}"), "hashes like the trace's");
  }

  @Test
  void itsShapeFollowsThePublishedStatistics() throws IOException {
    Path t = make("shape");
    JsonNode s = new ObjectMapper().readTree(t.resolve("make-trace.json").toFile());
    // most functions are rare (published: 45% at most hourly, 81% at most once a minute) ...
    double hourly = s.path("shareOfFunctionsAtMostHourly").asDouble();
    double minutely = s.path("shareOfFunctionsAtMostMinutely").asDouble();
    assertTrue(hourly > 0.3 && hourly < 0.6, "at most hourly: " + hourly);
    assertTrue(minutely > 0.65 && minutely < 0.95, "at most once a minute: " + minutely);
    // ... and a few take nearly everything
    assertTrue(s.path("shareOfInvocationsOfTheBusiest10Percent").asDouble() > 0.8, s.toString());
    // heavy-tailed durations: the median function averages well under 10 s, the slowest minutes
    double median = s.path("averageDurationMs").path("p50").asDouble();
    assertTrue(median > 100 && median < 10_000, "median average duration " + median);
    assertTrue(s.path("averageDurationMs").path("max").asDouble() > 100 * median, s.path("averageDurationMs").toString());
    // memory per application around the published median (~140 MiB)
    double memory = s.path("applicationMemoryMb").path("p50").asDouble();
    assertTrue(memory > 80 && memory < 250, "median application memory " + memory);
    assertTrue(s.path("applicationsWithOneFunction").asInt() * 2 > s.path("applications").asInt(), s.toString());
  }

  @Test
  void loadgenReadsItBackWithMemoryPerApplication() throws IOException {
    Path t = make("back");
    Workload w = Workload.load(options(t.toString(), "--minutes", "30"));
    assertTrue(w.functions().size() > 10 && w.functions().size() <= 100, w.source());
    // the trace's own counts for the first 30 minutes
    long expected = 0;
    for (String line : Files.readAllLines(t.resolve("invocations.csv")).subList(1, 101)) {
      String[] c = line.split(",");
      for (int m = 4; m < 34; m++) {
        expected += Long.parseLong(c[m]);
      }
    }
    assertEquals(expected, w.invocations().size());
    Workload sample = Workload.load(options(t.toString(), "--sample", "20", "--minutes", "30", "--rate-scale", "0.5"));
    assertTrue(sample.fitting().statement().contains("20 of 100 functions sampled"), sample.fitting().statement());
  }

  @Test
  void badOptionsAreUsageErrors() throws IOException {
    Result missing = main("make-trace", "--functions", "10");
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("--out is required") && missing.err().contains("usage: wavelink loadgen make-trace"), missing.err());
    assertEquals(2, main("make-trace", "--out", dir.toString(), "--functions", "0").status());
    assertEquals(2, main("make-trace", "--out", dir.toString(), "--colour", "red").status());
    assertEquals(0, main("make-trace", "--help").status());
    Path t = make("twice");
    Result again = main("make-trace", "--out", t.toString());
    assertEquals(1, again.status());
    assertTrue(again.err().contains("already holds invocations.csv"), again.err());
    assertFalse(again.err().contains("Exception"), again.err());
    assertTrue(Arrays.asList(t.toFile().list()).contains("make-trace.json"));
  }
}
