package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenOptions.Arrivals;
import java.util.Random;

/**
 * Spreads the invocations a per-minute trace gives for one minute over that minute, as InVitro does.
 *
 * <p>Worked example: 3 invocations in minute 2 (120,000-180,000 ms), exponential: four gaps drawn
 * from Exp(1), say 0.5, 1.0, 0.25, 0.25 (sum 2.0); the invocations come at 120,000 + 60,000 x
 * 0.5/2, 1.5/2 and 1.75/2, i.e. 135,000, 165,000 and 172,500 ms. Scaling the gaps to the minute keeps
 * the trace's per-minute counts exact while the arrivals inside the minute are those of a Poisson
 * process. Uniform draws the gaps from U(0, 1) instead (more regular); equidistant puts them at
 * 130,000, 150,000 and 170,000.
 */
public final class MinuteSpreader {

  private MinuteSpreader() {}

  /** {@code n} increasing times within [{@code startMs}, {@code startMs + lengthMs}). */
  public static double[] spread(int n, double startMs, double lengthMs, Arrivals arrivals, Random random) {
    double[] at = new double[n];
    if (n == 0) {
      return at;
    }
    if (arrivals == Arrivals.EQUIDISTANT) {
      for (int i = 0; i < n; i++) {
        at[i] = startMs + (i + 0.5) * lengthMs / n;
      }
      return at;
    }
    double[] gaps = new double[n + 1];
    double total = 0;
    for (int i = 0; i <= n; i++) {
      double u = random.nextDouble();
      gaps[i] = arrivals == Arrivals.EXPONENTIAL ? -Math.log(1 - u) : u + 1e-9;
      total += gaps[i];
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += gaps[i];
      at[i] = startMs + lengthMs * sum / total;
    }
    return at;
  }
}
