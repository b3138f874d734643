package io.wavelink.loadgen;

import static io.wavelink.loadgen.TestTraces.options;
import static io.wavelink.loadgen.TestTraces.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fitting a trace to the machine: a window of minutes, a seeded sample of functions, the arrival
 * rate and the durations scaled, and all of it stated in the workload's {@link Workload.Fitting}.
 */
class FittingTest {

  @TempDir Path dir;

  static final String AZURE = "synthetic:azure?functions=40&minutes=6&rate=20";

  /** (trace id, time, runtime, memory) of every invocation in [fromMs, toMs), times moved by -fromMs. */
  static List<String> calls(Workload w, double fromMs, double toMs) {
    return w.invocations().stream()
        .filter(i -> i.atMs() >= fromMs && i.atMs() < toMs)
        .map(i -> w.functions().get(i.function()).traceId() + " " + (i.atMs() - fromMs) + " " + i.runtimeMs() + " " + i.memoryMb())
        .toList();
  }

  @Test
  void aWindowIsThatStretchOfTheWholeReplay() throws IOException {
    Path azure2021 = dir.resolve("calls.csv");
    StringBuilder b = new StringBuilder("app,func,end_timestamp,duration\n");
    for (int i = 0; i < 600; i++) {
      b.append("a,f").append(i % 7).append(',').append(i * 1.3 + 0.5).append(",0.25\n");
    }
    Files.writeString(azure2021, b.toString());
    for (String trace : List.of(resource("invitro").toString(), AZURE, azure2021.toString())) {
      Workload whole = Workload.load(options(trace));
      Workload window = Workload.load(options(trace, "--from-minute", "3", "--minutes", "2"));
      assertTrue(window.invocations().size() >= 10, trace + ": " + window.invocations().size());
      assertEquals(calls(whole, 3 * 60_000, 5 * 60_000), calls(window, 0, Double.MAX_VALUE), trace);
      assertTrue(window.fitting().statement().startsWith("trace minutes 3-5;"), window.fitting().statement());
    }
    assertEquals(calls(Workload.load(options(AZURE)), 4.5 * 60_000, Double.MAX_VALUE),
        calls(Workload.load(options(AZURE, "--from-minute", "4.5")), 0, Double.MAX_VALUE), "to the end");
  }

  @Test
  void aWindowPastTheTraceIsAnError() {
    LoadgenException e = assertThrows(LoadgenException.class,
        () -> Workload.load(options(resource("invitro").toString(), "--from-minute", "20")));
    assertTrue(e.getMessage().contains("--from-minute 20 is past the end of the trace") && e.getMessage().contains("20 minute columns"),
        e.getMessage());
    assertTrue(assertThrows(LoadgenException.class, () -> Workload.load(options(AZURE, "--from-minute", "6")))
        .getMessage().contains("past the end of " + AZURE));
  }

  @Test
  void aSampleIsSeededAndKeepsTheChosenFunctionsInvocations() {
    Workload all = Workload.load(options(AZURE, "--seed", "3"));
    Workload a = Workload.load(options(AZURE, "--sample", "10", "--seed", "3"));
    Workload b = Workload.load(options(AZURE, "--sample", "10", "--seed", "3"));
    assertEquals(a, b, "the same seed chooses the same functions");
    assertEquals(10, a.functions().size());
    Set<String> chosen = new HashSet<>(a.functions().stream().map(Workload.FunctionProfile::traceId).toList());
    // every chosen function keeps exactly the invocations it has in the whole trace
    assertEquals(calls(all, 0, Double.MAX_VALUE).stream().filter(c -> chosen.contains(c.split(" ")[0])).toList(),
        calls(a, 0, Double.MAX_VALUE));
    Set<Set<String>> samples = new HashSet<>();
    for (int seed = 0; seed < 5; seed++) {
      Workload s = Workload.load(options(AZURE, "--sample", "10", "--seed", Integer.toString(seed)));
      samples.add(new HashSet<>(s.functions().stream().map(Workload.FunctionProfile::traceId).toList()));
    }
    assertTrue(samples.size() > 1, "other seeds, other samples");
    var sample = a.fitting().sample();
    assertEquals(10, sample.get("functions"));
    assertEquals(40, sample.get("of"));
    assertEquals(10, sample.get("trials"));
    assertTrue(a.fitting().statement().contains("10 of 40 functions sampled (seed 3, best of 10 trials, distance "),
        a.fitting().statement());
    assertNull(all.fitting().sample());
  }

  @Test
  void moreTrialsFindASampleAtLeastAsCloseToTheTrace() {
    double one = ((Number) Workload.load(options(AZURE, "--sample", "8", "--sample-trials", "1")).fitting().sample().get("distance"))
        .doubleValue();
    double many = ((Number) Workload.load(options(AZURE, "--sample", "8", "--sample-trials", "40")).fitting().sample().get("distance"))
        .doubleValue();
    // trial 0 is among the 40, so the best of 40 is never worse
    assertTrue(many <= one, many + " vs " + one);
  }

  @Test
  void samplingAPerMinuteTraceReadsOnlyTheChosenFunctions() {
    String invitro = resource("invitro").toString();
    Workload all = Workload.load(options(invitro, "--minutes", "10", "--seed", "9"));
    Workload two = Workload.load(options(invitro, "--minutes", "10", "--sample", "2", "--seed", "9"));
    assertEquals(2, two.functions().size());
    Set<String> chosen = new HashSet<>(two.functions().stream().map(Workload.FunctionProfile::traceId).toList());
    assertEquals(calls(all, 0, Double.MAX_VALUE).stream().filter(c -> chosen.contains(c.split(" ")[0])).toList(),
        calls(two, 0, Double.MAX_VALUE), "a sampled function's invocations do not depend on the others");
    assertTrue(assertThrows(LoadgenException.class, () -> Workload.load(options(invitro, "--sample", "5")))
        .getMessage().contains("cannot sample 5 functions: the trace has only 4"));
  }

  @Test
  void theRateScaleIsExactInExpectationAndPerMinute() {
    String invitro = resource("invitro").toString();
    // the example's functions are invoked 5 times a minute: x2 is exactly 10, x0.5 is 2 or 3
    Workload doubled = Workload.load(options(invitro, "--rate-scale", "2", "--minutes", "10"));
    Workload base = Workload.load(options(invitro, "--minutes", "10"));
    assertEquals(2 * base.invocations().size(), doubled.invocations().size());
    Workload half = Workload.load(options(invitro, "--rate-scale", "0.5", "--minutes", "20"));
    int[] perMinute = new int[20];
    half.invocations().stream().filter(i -> i.function() == 0).forEach(i -> perMinute[(int) (i.atMs() / 60_000)]++);
    for (int n : perMinute) {
      assertTrue(n == 2 || n == 3, "5 x 0.5 rounds to 2 or 3, was " + n);
    }
    int total = java.util.Arrays.stream(perMinute).sum();
    assertTrue(total > 40 && total < 60, "about 50: " + total);
    assertEquals(half, Workload.load(options(invitro, "--rate-scale", "0.5", "--minutes", "20")), "seeded");

    Workload synthetic = Workload.load(options(AZURE));
    Workload quarter = Workload.load(options(AZURE, "--rate-scale", "0.25"));
    double ratio = quarter.invocations().size() / (double) synthetic.invocations().size();
    assertTrue(Math.abs(ratio - 0.25) < 0.03, "thinned to a quarter: " + ratio);
    Workload tripled = Workload.load(options(AZURE, "--rate-scale", "3"));
    assertEquals(3 * synthetic.invocations().size(), tripled.invocations().size(), "whole copies only");
    assertTrue(tripled.fitting().statement().contains("arrival rate x3"), tripled.fitting().statement());
    assertTrue(synthetic.fitting().statement().contains("arrival rate as traced"), synthetic.fitting().statement());
  }

  @Test
  void theDurationScaleScalesEveryRequestedDuration() {
    String invitro = resource("invitro").toString();
    Workload base = Workload.load(options(invitro, "--minutes", "10"));
    Workload longer = Workload.load(options(invitro, "--minutes", "10", "--duration-scale", "20"));
    assertEquals(base.invocations().size(), longer.invocations().size());
    for (int i = 0; i < base.invocations().size(); i++) {
      assertEquals(base.invocations().get(i).atMs(), longer.invocations().get(i).atMs());
      assertEquals(base.invocations().get(i).runtimeMs() * 20.0, longer.invocations().get(i).runtimeMs(), 20.0);
    }
    assertTrue(longer.fitting().statement().contains("durations x20"), longer.fitting().statement());
    assertEquals(20.0, longer.fitting().toMap().get("durationScale"));
  }

  @Test
  void theMemoryCapIsStated() {
    Workload capped = Workload.load(options(resource("invitro").toString(), "--minutes", "10", "--max-memory-mb", "64"));
    assertEquals(4, capped.fitting().functionsAtMemoryCap());
    assertEquals(capped.invocations().size(), capped.fitting().invocationsMemoryCapped(), "every example call wants 85 MiB or more");
    assertTrue(capped.fitting().statement().contains("memory capped at 64 MiB per function (4 functions;"), capped.fitting().statement());
    Workload free = Workload.load(options(resource("invitro").toString(), "--minutes", "10"));
    assertEquals(0, free.fitting().functionsAtMemoryCap());
    assertNotEquals(capped.fitting(), free.fitting());
  }

  @Test
  void samplingOptionsAreCheckedOnTheCommandLine() {
    assertTrue(assertThrows(UsageException.class, () -> options(AZURE, "--sample", "3", "--functions", "3"))
        .getMessage().contains("alternatives"));
    assertTrue(assertThrows(UsageException.class, () -> options(AZURE, "--sample-trials", "3")).getMessage().contains("needs --sample"));
    assertTrue(assertThrows(UsageException.class, () -> options(AZURE, "--rate-scale", "0")).getMessage().contains("greater than 0"));
    assertTrue(assertThrows(UsageException.class, () -> options(AZURE, "--from-minute", "-1")).getMessage().contains("at least 0"));
  }
}
