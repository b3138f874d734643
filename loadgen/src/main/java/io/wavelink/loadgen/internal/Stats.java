package io.wavelink.loadgen.internal;

import java.util.Arrays;

/**
 * The statistics of a run, as plain functions over arrays.
 *
 * <p>Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank
 * ceil(p/100 x n). Of 1, 2, ..., 100 the 99th is 99 and the 50th is 50; of 1, 2, 3, 4 the 50th is 2.
 * The result is always one of the values (a latency that was observed). Slowdown is response time
 * over requested duration (Dirigent's and InVitro's metric), so 1 is perfect; the geometric mean is
 * the right average of ratios: {1/2, 2} averages to 1.
 */
public final class Stats {

  private Stats() {}

  /** The nearest-rank {@code p}-th percentile (0 < p <= 100) of {@code sorted}; NaN if empty. */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    // (the small epsilon keeps 99.9% of 1000 at rank 999 despite floating point)
    int rank = (int) Math.ceil(p / 100.0 * sorted.length - 1e-9);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** A sorted copy. */
  public static double[] sorted(double[] values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }

  /** exp(mean(ln x)) of positive values; NaN if empty. */
  public static double geomean(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (double v : values) {
      if (!(v > 0)) {
        throw new IllegalArgumentException("the geometric mean needs positive values, got " + v);
      }
      sum += Math.log(v);
    }
    return Math.exp(sum / values.length);
  }

  public static double mean(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  /**
   * Response time over requested duration. The requested duration counts as at least 1 ms, and the
   * response as at least 1 us, so the ratio is always positive and finite.
   */
  public static double slowdown(double responseMs, double requestedMs) {
    return Math.max(responseMs, 0.001) / Math.max(requestedMs, 1);
  }
}
