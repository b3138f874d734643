package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** InVitro-style sampling: the distance of its worked example, and seeded candidates. */
class FunctionSamplerTest {

  @Test
  void theWorkedExample() {
    TreeMap<Long, Long> trace = new TreeMap<>(Map.of(0L, 2L, 1L, 1L, 9L, 1L));
    assertEquals(2.0, FunctionSampler.wasserstein(new long[] {0, 9}, trace, 4), 1e-12);
    assertEquals(2.0, FunctionSampler.wasserstein(new long[] {0, 1}, trace, 4), 1e-12);
    assertEquals(2.5, FunctionSampler.wasserstein(new long[] {1, 9}, trace, 4), 1e-12);
    assertEquals(2.5, FunctionSampler.wasserstein(new long[] {0, 0}, trace, 4), 1e-12);
    assertEquals(0.0, FunctionSampler.wasserstein(new long[] {9, 0, 1, 0}, trace, 4), 1e-12, "the whole trace itself");
  }

  @Test
  void theBestTrialIsKept() {
    long[][] counts = {{0}, {0}, {1}, {9}};
    FunctionSampler.Population whole = new FunctionSampler.Population(1);
    Map<Integer, long[]> byRow = new HashMap<>();
    for (int i = 0; i < counts.length; i++) {
      whole.add(counts[i]);
      byRow.put(i, counts[i]);
    }
    FunctionSampler.Choice c = FunctionSampler.choose(4, 2, 30, 1, whole, rows -> byRow);
    assertEquals(2.0, c.distance(), 1e-12, "30 trials find one of the two best samples");
    assertTrue(Arrays.equals(c.rows(), new int[] {0, 3}) || Arrays.equals(c.rows(), new int[] {1, 3})
        || Arrays.equals(c.rows(), new int[] {0, 2}) || Arrays.equals(c.rows(), new int[] {1, 2}), Arrays.toString(c.rows()));
  }

  @Test
  void candidatesAreSeededDistinctAndAscending() {
    int[][] a = FunctionSampler.candidates(1000, 100, 3, 42);
    assertArrayEquals(a[1], FunctionSampler.candidates(1000, 100, 3, 42)[1]);
    for (int[] c : a) {
      assertEquals(100, Arrays.stream(c).distinct().count());
      for (int i = 1; i < c.length; i++) {
        assertTrue(c[i] > c[i - 1]);
      }
      assertTrue(c[0] >= 0 && c[c.length - 1] < 1000);
    }
    assertTrue(!Arrays.equals(a[0], a[1]), "each trial draws its own sample");
  }
}
