package io.wavelink.loadgen.internal;

import java.util.Random;

/**
 * Independent random streams derived from the run's seed. Function {@code i} draws its arrivals from
 * {@code arrivals(seed, i)} and its runtimes and memory sizes from {@code samples(seed, i)}, each in
 * time order, so limiting the number of functions or of minutes does not change the invocations of
 * the functions and minutes that remain.
 */
public final class Seeds {

  private Seeds() {}

  public static Random arrivals(long seed, int function) {
    return new Random(mix(seed + 0x9E3779B97F4A7C15L * (2L * function + 1)));
  }

  public static Random samples(long seed, int function) {
    return new Random(mix(seed + 0x9E3779B97F4A7C15L * (2L * function + 2)));
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
