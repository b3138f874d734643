package io.wavelink.loadgen.internal;

import java.util.Random;

/**
 * Independent random streams derived from the run's seed. Function {@code i} (its position in the
 * trace, whichever functions are replayed) draws its arrivals from {@code arrivals(seed, i)}, its
 * runtimes and memory sizes from {@code samples(seed, i)} and the rounding of a scaled arrival rate
 * from {@code scaling(seed, i)}, each in time order from the trace's first minute, so limiting or
 * sampling the functions, or choosing a window of minutes, does not change the invocations of the
 * functions and minutes that remain. Trial {@code t} of a function sample draws from {@code
 * sampling(seed, t)}.
 */
public final class Seeds {

  private Seeds() {}

  public static Random arrivals(long seed, int function) {
    return new Random(mix(seed + 0x9E3779B97F4A7C15L * (2L * function + 1)));
  }

  public static Random samples(long seed, int function) {
    return new Random(mix(seed + 0x9E3779B97F4A7C15L * (2L * function + 2)));
  }

  public static Random scaling(long seed, int function) {
    return new Random(mix(seed + 0x9E3779B97F4A7C15L * (2L * function + 1) + 0x632BE59BD9B4E019L));
  }

  public static Random sampling(long seed, int trial) {
    return new Random(mix((seed ^ 0x2545F4914F6CDD1DL) + 0x9E3779B97F4A7C15L * (trial + 1)));
  }

  /** For choices about the population as a whole (e.g. the synthetic functions' profiles). */
  public static Random population(long seed) {
    return new Random(mix(seed ^ 0x5DEECE66DL));
  }

  /** SplitMix64's finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
