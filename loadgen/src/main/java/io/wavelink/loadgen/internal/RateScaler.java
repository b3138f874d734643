package io.wavelink.loadgen.internal;

import java.util.Arrays;
import java.util.Random;

/**
 * Scales a trace's arrival rate by a factor, keeping each function's rate proportional and its
 * invocations where they were: the expected number of invocations is exactly {@code scale} times the
 * trace's, rounded up or down at random (seeded) where it is not whole.
 *
 * <p>Worked example, scale 0.25: a function invoked 6 times in a trace minute gets 1.5, i.e. 1 or 2
 * invocations (2 with probability 0.5) in that minute, spread over it as usual; a function invoked
 * once a minute keeps about one minute in four. Scale 2.5 on a per-invocation trace: each
 * invocation is kept, with 1 or 2 copies (2 with probability 0.5) at uniformly random times in the
 * same trace minute.
 */
public final class RateScaler {

  private RateScaler() {}

  /** {@code n x scale}, rounded down or up at random so that its expectation is exact. */
  public static long scaleCount(long n, double scale, Random random) {
    double x = n * scale;
    long whole = (long) Math.floor(x);
    double fraction = x - whole;
    return fraction > 0 && random.nextDouble() < fraction ? whole + 1 : whole;
  }

  /**
   * Scales a per-invocation function: each invocation appears {@link #scaleCount scaleCount(1,
   * scale)} times, the first at its own time, the others at random times in the same trace minute.
   * Invocations are taken in the order given; the result is in that order with copies following.
   */
  public static FunctionArrivals scale(FunctionArrivals f, double scale, Random random) {
    if (scale == 1) {
      return f;
    }
    int capacity = (int) Math.min(Integer.MAX_VALUE - 8, (long) Math.ceil(f.size() * scale) + 16);
    double[] at = new double[capacity];
    double[] rt = new double[capacity];
    double[] mb = new double[capacity];
    int k = 0;
    for (int i = 0; i < f.size(); i++) {
      long copies = scaleCount(1, scale, random);
      for (long c = 0; c < copies; c++) {
        if (k == at.length) {
          at = Arrays.copyOf(at, at.length * 2);
          rt = Arrays.copyOf(rt, rt.length * 2);
          mb = Arrays.copyOf(mb, mb.length * 2);
        }
        double minute = Math.floor(f.atMs()[i] / 60_000) * 60_000;
        at[k] = c == 0 ? f.atMs()[i] : minute + random.nextDouble() * 60_000;
        rt[k] = f.runtimeMs()[i];
        mb[k] = f.memoryMb()[i];
        k++;
      }
    }
    return new FunctionArrivals(f.id(), Arrays.copyOf(at, k), Arrays.copyOf(rt, k), Arrays.copyOf(mb, k), f.maxMemoryMb());
  }
}
