package io.wavelink.loadgen.internal;

/**
 * The stretch of a trace that is replayed: trace minutes [{@code fromMinute}, {@code fromMinute +
 * minutes}), counted from the trace's first minute (0). Its invocations are exactly those of that
 * stretch in a replay of the whole trace (same seed), moved so that the window starts at 0.
 *
 * @param fromMinute the first trace minute replayed (0: the trace's start)
 * @param minutes how many minutes; infinite: to the trace's end
 */
public record Window(double fromMinute, double minutes) {

  /** The whole trace. */
  public static final Window ALL = new Window(0, Double.POSITIVE_INFINITY);

  public Window {
    if (!(fromMinute >= 0) || Double.isInfinite(fromMinute)) {
      throw new IllegalArgumentException("fromMinute must be finite and at least 0, was " + fromMinute);
    }
    if (!(minutes > 0)) {
      throw new IllegalArgumentException("minutes must be greater than 0, was " + minutes);
    }
  }

  /** Where the window starts, in trace milliseconds. */
  public double fromMs() {
    return fromMinute * 60_000;
  }

  /** Where it ends (exclusive), in trace milliseconds; infinite for a window to the trace's end. */
  public double endMs() {
    return (fromMinute + minutes) * 60_000;
  }

  /** The trace minute after the window (infinite for a window to the trace's end). */
  public double endMinute() {
    return fromMinute + minutes;
  }

  public boolean contains(double traceMs) {
    return traceMs >= fromMs() && traceMs < endMs();
  }

  /** Whole trace minutes the window touches, starting with {@link #fromMinute} rounded down. */
  public int wholeMinutes(int traceMinutes) {
    double end = Math.min(traceMinutes, Math.ceil(endMinute()));
    return (int) Math.max(0, end - Math.floor(fromMinute));
  }

  /** e.g. {@code "trace minutes 0-30"} or {@code "trace minutes 600 to the end"}. */
  public String describe() {
    return Double.isInfinite(minutes)
        ? "trace minutes " + number(fromMinute) + " to the end"
        : "trace minutes " + number(fromMinute) + "-" + number(endMinute());
  }

  static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
