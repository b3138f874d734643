package io.wavelink.loadgen;

import static io.wavelink.loadgen.TestTraces.options;
import static io.wavelink.loadgen.TestTraces.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.loadgen.LoadgenOptions.Arrivals;
import io.wavelink.loadgen.internal.MinuteSpreader;
import io.wavelink.loadgen.internal.PercentileSampler;
import io.wavelink.loadgen.internal.Synthetic;
import io.wavelink.loadgen.internal.WorkloadLoader;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded, repeatable generation, and the shapes the generators promise. */
class WorkloadGenerationTest {

  static final String AZURE = "synthetic:azure?functions=40&minutes=2&rate=20";
  static final String BURST = "synthetic:burst?shape=spike&base=5&peak=200&period=60&minutes=3&functions=2";

  @Test
  void theSameSeedGivesTheSameWorkload() {
    for (String trace : List.of(AZURE, BURST, "synthetic:burst?shape=ramp", resource("invitro").toString())) {
      Workload a = Workload.load(options(trace, "--seed", "7", "--minutes", "3"));
      Workload b = Workload.load(options(trace, "--seed", "7", "--minutes", "3"));
      assertEquals(a, b, trace);
      Workload c = Workload.load(options(trace, "--seed", "8", "--minutes", "3"));
      assertNotEquals(a.invocations(), c.invocations(), trace);
    }
  }

  @Test
  void fewerFunctionsOrMinutesLeaveTheRestUnchanged() {
    Workload all = Workload.load(options(AZURE));
    Workload firstFive = Workload.load(options(AZURE, "--functions", "5"));
    assertEquals(5, firstFive.functions().size());
    assertEquals(all.functions().subList(0, 5), firstFive.functions());
    assertEquals(all.invocations().stream().filter(i -> i.function() < 5).toList(), firstFive.invocations());

    // functions without invocations in the shorter window are left out, so compare by trace identity
    Workload firstMinute = Workload.load(options(AZURE, "--minutes", "1"));
    assertEquals(calls(all, 60_000), calls(firstMinute, Double.MAX_VALUE));

    String invitro = resource("invitro").toString();
    Workload ten = Workload.load(options(invitro, "--minutes", "10"));
    Workload seven = Workload.load(options(invitro, "--minutes", "7"));
    assertEquals(calls(ten, 7 * 60_000), calls(seven, Double.MAX_VALUE));
  }

  /** (trace id, time, runtime, memory) of every invocation before {@code beforeMs}. */
  static List<String> calls(Workload w, double beforeMs) {
    return w.invocations().stream()
        .filter(i -> i.atMs() < beforeMs)
        .map(i -> w.functions().get(i.function()).traceId() + " " + i.atMs() + " " + i.runtimeMs() + " " + i.memoryMb())
        .toList();
  }

  @Test
  void speedupCompressesTimeButNotDurations() {
    Workload slow = Workload.load(options(AZURE));
    Workload fast = Workload.load(options(AZURE, "--speedup", "4"));
    assertEquals(slow.invocations().size(), fast.invocations().size());
    for (int i = 0; i < slow.invocations().size(); i++) {
      assertEquals(slow.invocations().get(i).atMs() / 4, fast.invocations().get(i).atMs(), 1e-9);
      assertEquals(slow.invocations().get(i).runtimeMs(), fast.invocations().get(i).runtimeMs());
    }
  }

  @Test
  void azurePopulationIsSkewedAndHeavyTailed() {
    Workload w = Workload.load(options("synthetic:azure?functions=50&minutes=10&rate=20"));
    int[] perFunction = new int[50];
    w.invocations().forEach(i -> perFunction[i.function()]++);
    // about 20/s x 600 s in all (Poisson, so not exactly)
    assertTrue(Math.abs(w.invocations().size() - 12_000) < 600, "total " + w.invocations().size());
    // Zipf(1.5): the hottest function alone has more than a third, the 25 coldest under 10% together
    assertTrue(perFunction[0] > w.invocations().size() / 3, "hottest " + perFunction[0]);
    int cold = 0;
    for (int i = 25; i < 50; i++) {
      cold += perFunction[i];
    }
    assertTrue(cold < w.invocations().size() / 10, "coldest half " + cold);
    // per-function median runtimes spread over more than an order of magnitude
    long min = Long.MAX_VALUE;
    long max = 0;
    for (Workload.FunctionProfile f : w.functions()) {
      min = Math.min(min, f.maxRuntimeMs());
      max = Math.max(max, f.maxRuntimeMs());
    }
    assertTrue(max > 10 * min, "runtime spread " + min + ".." + max);
  }

  @Test
  void burstsComeOnTopOfTheBase() {
    Synthetic.BurstShape spike = new Synthetic.BurstShape("spike", 5, 200, 60, 2);
    assertEquals(5, spike.rateAt(10));
    assertEquals(200, spike.rateAt(30.5));
    assertEquals(5, spike.rateAt(32.5));
    assertEquals(200, spike.rateAt(91));
    Synthetic.BurstShape ramp = new Synthetic.BurstShape("ramp", 0, 100, 60, 30);
    assertEquals(50, ramp.rateAt(30), 1e-9);

    Workload w = Workload.load(options(BURST));
    // per 60 s period: 58 s at 5/s and 2 s at 200/s -> about 690 invocations, 400 of them in the spike
    int inSpikes = 0;
    for (Workload.Invocation i : w.invocations()) {
      double phase = (i.atMs() / 1000) % 60;
      if (phase >= 30 && phase < 32) {
        inSpikes++;
      }
    }
    assertTrue(Math.abs(w.invocations().size() - 3 * 690) < 200, "total " + w.invocations().size());
    assertTrue(inSpikes > w.invocations().size() / 2, "spikes " + inSpikes + " of " + w.invocations().size());
    Workload square = Workload.load(options("synthetic:burst?shape=square&base=0&peak=10&minutes=1"));
    assertTrue(square.invocations().stream().allMatch(i -> i.atMs() >= 30_000), "no base, burst in the second half");
  }

  @Test
  void minuteSpreaderFitsTheMinute() {
    for (Arrivals a : Arrivals.values()) {
      double[] at = MinuteSpreader.spread(7, 120_000, 60_000, a, new Random(1));
      assertEquals(7, at.length);
      for (int i = 0; i < at.length; i++) {
        assertTrue(at[i] >= 120_000 && at[i] < 180_000, a + " " + at[i]);
        assertTrue(i == 0 || at[i] > at[i - 1], a + " increasing");
      }
    }
    double[] even = MinuteSpreader.spread(3, 120_000, 60_000, Arrivals.EQUIDISTANT, new Random(1));
    assertEquals(List.of(130_000.0, 150_000.0, 170_000.0), List.of(even[0], even[1], even[2]));
  }

  @Test
  void percentileSamplerMatchesItsWorkedExample() {
    PercentileSampler s = new PercentileSampler(new double[] {0, 1, 25, 50, 75, 99, 100}, new double[] {99, 99, 99, 100, 101, 101, 101});
    assertEquals(100.4, s.at(60), 1e-9);
    assertEquals(99, s.at(0), 1e-9);
    assertEquals(101, s.at(100), 1e-9);
    PercentileSampler memory = new PercentileSampler(new double[] {1, 5, 25, 50, 75, 95, 99, 100}, new double[] {85, 96, 171, 186, 191, 205, 317, 382});
    assertEquals(85, memory.at(0.5), 1e-9, "below the first percentile: its value");
    Random r = new Random(3);
    for (int i = 0; i < 1000; i++) {
      double v = memory.sample(r);
      assertTrue(v >= 85 && v <= 382, "sample " + v);
    }
    assertEquals(382, memory.max());
  }

  @Test
  void functionsAreSizedAboveWhatTheyTouch() {
    assertEquals(32, WorkloadLoader.memoryFor(0, 512));
    assertEquals(128, WorkloadLoader.memoryFor(120, 512));
    assertEquals(144, WorkloadLoader.memoryFor(121, 512));
    assertEquals(512, WorkloadLoader.memoryFor(3000, 512));
    Workload w = Workload.load(options(resource("invitro").toString(), "--max-memory-mb", "64", "--minutes", "10"));
    for (Workload.Invocation i : w.invocations()) {
      assertEquals(64, w.functions().get(i.function()).memoryMb());
      assertTrue(i.memoryMb() <= 64 - WorkloadLoader.HEADROOM_MB);
    }
    assertEquals("50 12", new Workload.Invocation(0, 0, 50, 12).body());
  }
}
