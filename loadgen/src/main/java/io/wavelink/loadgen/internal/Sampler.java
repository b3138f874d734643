package io.wavelink.loadgen.internal;

import java.util.Random;

/** Draws one value per invocation (a runtime in ms, a memory size in MiB) from a seeded RNG. */
public interface Sampler {

  double sample(Random random);

  /** No sample is ever larger. */
  double max();

  /** Always {@code value}. */
  static Sampler constant(double value) {
    return uniform(value, value);
  }

  /** Uniform between {@code low} and {@code high}. */
  static Sampler uniform(double low, double high) {
    return new Sampler() {
      @Override
      public double sample(Random random) {
        return low + random.nextDouble() * (high - low);
      }

      @Override
      public double max() {
        return Math.max(low, high);
      }
    };
  }

  /**
   * Log-normal with the given median and shape, capped at {@code cap}: heavy-tailed like
   * serverless runtimes.
   */
  static Sampler logNormal(double median, double sigma, double cap) {
    return new Sampler() {
      @Override
      public double sample(Random random) {
        return Math.min(cap, median * Math.exp(sigma * random.nextGaussian()));
      }

      @Override
      public double max() {
        return cap;
      }
    };
  }
}
