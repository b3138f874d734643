package io.wavelink.loadgen.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sampling, rate scaling and the window for traces held in memory (Azure 2021, synthetic
 * workloads), in that order: the functions are sampled by their invocations in the window as the
 * trace has them, then each chosen function's rate is scaled ({@link RateScaler#scale}, from its
 * own seed), then the window is cut out and moved to start at 0. (Per-minute traces do the same
 * while they read, in {@link InVitroTrace}.)
 */
public final class Shaping {

  /**
   * The shaped functions, and how they were sampled (null when they were not).
   */
  public record Result(List<FunctionArrivals> functions, FunctionSampler.Choice sample) {}

  private Shaping() {}

  /**
   * @param trace every function of the trace in the trace's order (a function's index is its seed
   *     index), on the trace's clock
   */
  public static Result apply(List<FunctionArrivals> trace, Selection selection, Window window, double rateScale, long seed) {
    int[] rows;
    FunctionSampler.Choice choice = null;
    if (selection.sampling()) {
      double endMs = 0;
      for (FunctionArrivals f : trace) {
        for (double t : f.atMs()) {
          endMs = Math.max(endMs, t);
        }
      }
      int minutes = window.wholeMinutes((int) Math.floor(endMs / 60_000) + 1);
      FunctionSampler.Population whole = new FunctionSampler.Population(minutes);
      Map<Integer, long[]> counts = new HashMap<>();
      for (int i = 0; i < trace.size(); i++) {
        long[] c = minuteCounts(trace.get(i), window, minutes);
        counts.put(i, c);
        whole.add(c);
      }
      choice = FunctionSampler.choose(trace.size(), selection.count(), selection.trials(), seed, whole, r -> counts);
      rows = choice.rows();
    } else {
      rows = new int[Math.min(trace.size(), selection.limit())];
      Arrays.setAll(rows, i -> i);
    }
    List<FunctionArrivals> out = new ArrayList<>();
    for (int r : rows) {
      FunctionArrivals f = trace.get(r);
      if (rateScale != 1) {
        f = RateScaler.scale(f, rateScale, Seeds.scaling(seed, r));
      }
      out.add(cut(f, window));
    }
    return new Result(out, choice);
  }

  /** The function's invocations in the window, moved so that the window starts at 0. */
  static FunctionArrivals cut(FunctionArrivals f, Window window) {
    if (window.fromMinute() == 0 && Double.isInfinite(window.minutes())) {
      return f;
    }
    double[] at = new double[f.size()];
    double[] rt = new double[f.size()];
    double[] mb = new double[f.size()];
    int k = 0;
    for (int i = 0; i < f.size(); i++) {
      if (window.contains(f.atMs()[i])) {
        at[k] = f.atMs()[i] - window.fromMs();
        rt[k] = f.runtimeMs()[i];
        mb[k] = f.memoryMb()[i];
        k++;
      }
    }
    return new FunctionArrivals(f.id(), Arrays.copyOf(at, k), Arrays.copyOf(rt, k), Arrays.copyOf(mb, k), f.maxMemoryMb());
  }

  /** Invocations in each whole minute of the window, from its first. */
  static long[] minuteCounts(FunctionArrivals f, Window window, int minutes) {
    long[] counts = new long[minutes];
    double first = Math.floor(window.fromMinute());
    for (double t : f.atMs()) {
      int m = (int) (Math.floor(t / 60_000) - first);
      if (m >= 0 && m < minutes) {
        counts[m]++;
      }
    }
    return counts;
  }
}
