package io.wavelink.loadgen.internal;

/**
 * Which functions of a trace are replayed: all of them, the first {@code count} (in the trace's
 * order), or a seeded sample of {@code count} chosen as InVitro's sampler does ({@link
 * FunctionSampler}: the best of {@code trials} random samples).
 */
public record Selection(Kind kind, int count, int trials) {

  public enum Kind {
    ALL,
    FIRST,
    SAMPLE
  }

  public static final Selection ALL = new Selection(Kind.ALL, Integer.MAX_VALUE, 0);

  public static Selection first(int n) {
    return new Selection(Kind.FIRST, n, 0);
  }

  public static Selection sample(int n, int trials) {
    return new Selection(Kind.SAMPLE, n, trials);
  }

  public Selection {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    if (kind == Kind.SAMPLE && trials < 1) {
      throw new IllegalArgumentException("a sample needs at least one trial, was " + trials);
    }
  }

  /** How many functions of the trace's order to read at most ({@link Kind#FIRST}), else all. */
  public int limit() {
    return kind == Kind.FIRST ? count : Integer.MAX_VALUE;
  }

  public boolean sampling() {
    return kind == Kind.SAMPLE;
  }
}
