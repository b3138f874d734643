package io.wavelink.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Medians and percentiles for the benchmark summaries. */
final class Stats {

  private Stats() {}

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /**
   * The nearest-rank percentile of the first {@code count} values, which this sorts in place.
   *
   * @param p in (0, 100]
   */
  static long percentile(long[] values, int count, double p) {
    if (count == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * count);
    return values[Math.min(count, Math.max(rank, 1)) - 1];
  }

  static void sort(long[] values, int count) {
    Arrays.sort(values, 0, count);
  }

  static String format(List<Double> values, String each) {
    List<String> parts = new ArrayList<>();
    for (double v : values) {
      parts.add(String.format(Locale.ROOT, each, v));
    }
    return String.join(" ", parts);
  }
}
