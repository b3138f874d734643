package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Chooses {@code n} functions of a larger trace as InVitro's sampler does, reproducibly: {@code
 * trials} samples of {@code n} functions drawn uniformly without replacement from the seed, and the
 * one whose invocations per minute are distributed most like the whole trace's is kept - the mean,
 * over the replayed minutes, of the Wasserstein (earth mover's) distance between the sample's and
 * the trace's per-function invocation counts in that minute. (InVitro's {@code sampler/sample.py}
 * averages that with the same distance on invocations x duration x memory; this sampler uses the
 * invocation counts alone, which needs no durations or memory of the functions left out.)
 *
 * <p>Worked example: a trace of 4 functions invoked 0, 0, 1 and 9 times in its only minute, n = 2.
 * The trace's CDF is 0.5 on [0, 1), 0.75 on [1, 9) and 1 from 9. The sample {0, 9} has the CDF 0.5
 * on [0, 9): distance |0.5 - 0.75| x 8 = 2. The sample {0, 1} (1 from 1 on): |1 - 0.75| x 8 = 2
 * too. The sample {1, 9} (0 on [0, 1), 0.5 on [1, 9)): 0.5 x 1 + 0.25 x 8 = 2.5, and {0, 0} also
 * 2.5. Ties keep the earlier trial.
 */
public final class FunctionSampler {

  /**
   * The chosen functions.
   *
   * @param rows their indices in the trace's order, ascending
   * @param population how many functions the trace has
   * @param trials how many samples were compared
   * @param distance the kept sample's mean per-minute Wasserstein distance (invocations per minute)
   */
  public record Choice(int[] rows, int population, int trials, double distance) {

    public Map<String, Object> describe(long seed) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("functions", rows.length);
      m.put("of", population);
      m.put("seed", seed);
      m.put("trials", trials);
      m.put("distance", SummaryBuilder.num(distance));
      return m;
    }
  }

  /** The distribution of the population's invocation counts in each replayed minute. */
  public static final class Population {
    private final List<TreeMap<Long, Long>> perMinute = new ArrayList<>();
    private long functions;

    public Population(int minutes) {
      for (int m = 0; m < minutes; m++) {
        perMinute.add(new TreeMap<>());
      }
    }

    /** One function's counts, one per replayed minute. */
    public void add(long[] counts) {
      for (int m = 0; m < perMinute.size(); m++) {
        perMinute.get(m).merge(counts[m], 1L, Long::sum);
      }
      functions++;
    }

    public int minutes() {
      return perMinute.size();
    }

    public long functions() {
      return functions;
    }
  }

  private FunctionSampler() {}

  /**
   * Chooses {@code n} of {@code population} functions.
   *
   * @param counts gives the per-minute counts (one per replayed minute) of the requested rows
   * @throws LoadgenException when the trace has fewer than {@code n} functions
   */
  public static Choice choose(int population, int n, int trials, long seed, Population whole,
      Function<int[], Map<Integer, long[]>> counts) {
    if (n > population) {
      throw new LoadgenException("cannot sample " + n + " functions: the trace has only " + population);
    }
    int[][] candidates = candidates(population, n, trials, seed);
    TreeSet<Integer> union = new TreeSet<>();
    for (int[] c : candidates) {
      for (int r : c) {
        union.add(r);
      }
    }
    Map<Integer, long[]> byRow = counts.apply(union.stream().mapToInt(Integer::intValue).toArray());
    int best = 0;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int t = 0; t < candidates.length; t++) {
      double d = distance(candidates[t], byRow, whole);
      if (d < bestDistance) {
        best = t;
        bestDistance = d;
      }
    }
    return new Choice(candidates[best], population, trials, bestDistance);
  }

  /** Trial {@code t}'s sample: {@code n} distinct rows of [0, population), ascending. */
  static int[][] candidates(int population, int n, int trials, long seed) {
    int[][] out = new int[trials][];
    int[] deck = new int[population];
    for (int t = 0; t < trials; t++) {
      for (int i = 0; i < population; i++) {
        deck[i] = i;
      }
      Random random = Seeds.sampling(seed, t);
      for (int i = 0; i < n; i++) {
        int j = i + random.nextInt(population - i);
        int swap = deck[i];
        deck[i] = deck[j];
        deck[j] = swap;
      }
      out[t] = Arrays.copyOf(deck, n);
      Arrays.sort(out[t]);
    }
    return out;
  }

  /** The mean over minutes of the Wasserstein distance between the sample's counts and the whole's. */
  static double distance(int[] rows, Map<Integer, long[]> counts, Population whole) {
    if (whole.minutes() == 0) {
      return 0;
    }
    double sum = 0;
    long[] sample = new long[rows.length];
    for (int m = 0; m < whole.minutes(); m++) {
      for (int i = 0; i < rows.length; i++) {
        sample[i] = counts.get(rows[i])[m];
      }
      sum += wasserstein(sample, whole.perMinute.get(m), whole.functions());
    }
    return sum / whole.minutes();
  }

  /**
   * The 1-Wasserstein distance between the empirical distribution of {@code sample} and that of a
   * population given as value -> how many functions had it ({@code total} in all): the area between
   * the two CDFs.
   */
  static double wasserstein(long[] sample, TreeMap<Long, Long> population, long total) {
    long[] s = sample.clone();
    Arrays.sort(s);
    TreeSet<Long> points = new TreeSet<>(population.keySet());
    for (long v : s) {
      points.add(v);
    }
    double area = 0;
    double cdfSample = 0;
    double cdfPopulation = 0;
    int i = 0;
    Long previous = null;
    for (long x : points) {
      if (previous != null) {
        area += Math.abs(cdfSample - cdfPopulation) * (x - previous);
      }
      while (i < s.length && s[i] == x) {
        cdfSample += 1.0 / s.length;
        i++;
      }
      cdfPopulation += population.getOrDefault(x, 0L) / (double) total;
      previous = x;
    }
    return area;
  }
}
