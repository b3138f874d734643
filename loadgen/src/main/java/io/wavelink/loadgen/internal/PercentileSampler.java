package io.wavelink.loadgen.internal;

import java.util.Arrays;
import java.util.Random;

/**
 * Draws values the way the InVitro loader does from a trace row's percentiles: pick a percentile
 * uniformly in [0, 100), then a value uniformly between the two adjacent percentile values.
 *
 * <p>Worked example: percentiles {@code 0, 1, 25, 50, 75, 99, 100} with values {@code 99, 99, 99,
 * 100, 101, 101, 101} (InVitro's 100 ms example function). A draw of 60 falls between the 50th
 * (100) and the 75th (101) percentile, at 40% of the way: 100.4 ms. Below the first percentile
 * (memory rows start at the 1st) the first value is used.
 */
public final class PercentileSampler implements Sampler {

  private final double[] percents;
  private final double[] values;
  private final double max;

  /**
   * @param percents increasing, within [0, 100], the last one 100
   * @param values the value at each percentile
   */
  public PercentileSampler(double[] percents, double[] values) {
    if (percents.length == 0 || percents.length != values.length) {
      throw new IllegalArgumentException("one value per percentile");
    }
    for (int i = 1; i < percents.length; i++) {
      if (!(percents[i] > percents[i - 1])) {
        throw new IllegalArgumentException("percentiles must increase: " + Arrays.toString(percents));
      }
    }
    this.percents = percents.clone();
    this.values = values.clone();
    this.max = Arrays.stream(values).max().orElse(0);
  }

  @Override
  public double sample(Random random) {
    return at(random.nextDouble() * 100);
  }

  /** The value at percentile {@code p} (interpolated linearly between adjacent percentiles). */
  public double at(double p) {
    if (p <= percents[0]) {
      return values[0];
    }
    for (int i = 1; i < percents.length; i++) {
      if (p < percents[i]) {
        double f = (p - percents[i - 1]) / (percents[i] - percents[i - 1]);
        return values[i - 1] + f * (values[i] - values[i - 1]);
      }
    }
    return values[values.length - 1];
  }

  @Override
  public double max() {
    return max;
  }
}
