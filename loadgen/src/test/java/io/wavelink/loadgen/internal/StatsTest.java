package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void percentilesAreNearestRank() {
    double[] hundred = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
    assertEquals(50, Stats.percentile(hundred, 50));
    assertEquals(90, Stats.percentile(hundred, 90));
    assertEquals(99, Stats.percentile(hundred, 99));
    assertEquals(100, Stats.percentile(hundred, 99.9));
    assertEquals(100, Stats.percentile(hundred, 100));
    assertEquals(2, Stats.percentile(new double[] {1, 2, 3, 4}, 50));
    assertEquals(7, Stats.percentile(new double[] {7}, 99));
    assertTrue(Double.isNaN(Stats.percentile(new double[0], 50)));
    double[] thousand = IntStream.rangeClosed(1, 1000).asDoubleStream().toArray();
    assertEquals(999, Stats.percentile(thousand, 99.9));
  }

  @Test
  void geometricMeanOfRatios() {
    assertEquals(1, Stats.geomean(new double[] {0.5, 2}), 1e-12);
    assertEquals(4, Stats.geomean(new double[] {2, 8}), 1e-12);
    assertEquals(3, Stats.geomean(new double[] {3, 3, 3}), 1e-12);
    assertTrue(Double.isNaN(Stats.geomean(new double[0])));
    assertThrows(IllegalArgumentException.class, () -> Stats.geomean(new double[] {1, 0}));
  }

  @Test
  void slowdownIsResponseOverRequested() {
    assertEquals(1.5, Stats.slowdown(150, 100), 1e-12);
    assertEquals(12, Stats.slowdown(12, 0), 1e-12, "requested counts as at least 1 ms");
    assertTrue(Stats.slowdown(0, 10) > 0, "never zero, so the geometric mean is defined");
  }

  @Test
  void meanAndSorted() {
    assertEquals(2, Stats.mean(new double[] {1, 2, 3}), 1e-12);
    double[] v = {3, 1, 2};
    assertEquals(1, Stats.sorted(v)[0]);
    assertEquals(3, v[0], "the input is untouched");
    assertNull(SummaryBuilder.num(Double.NaN));
    assertEquals(1.235, SummaryBuilder.num(1.23456));
  }
}
