package io.wavelink.function.internal;

/**
 * A function's concurrency (invocations in flight plus queued) integrated over time, for the
 * autoscaler: {@link #changed} before every change of the level, {@link #sample} once per tick for
 * the average since the previous tick.
 *
 * <p>Worked example: level 2 from t=0 to t=250 ms, then 6 until the tick at t=1000: the sample is
 * (2 x 250 + 6 x 750) / 1000 = 5.0.
 */
public final class LoadMeter {

  private long levelSinceMs;
  private double area;
  private long lastSampleMs;

  public LoadMeter(long nowMs) {
    this.levelSinceMs = nowMs;
    this.lastSampleMs = nowMs;
  }

  /** The level was {@code level} until {@code nowMs} and is about to change. */
  public void changed(long nowMs, int level) {
    area += (double) level * (nowMs - levelSinceMs);
    levelSinceMs = nowMs;
  }

  /** The average level since the previous sample; {@code level} when no time has passed. */
  public double sample(long nowMs, int level) {
    changed(nowMs, level);
    double observed = nowMs > lastSampleMs ? area / (nowMs - lastSampleMs) : level;
    area = 0;
    lastSampleMs = nowMs;
    return observed;
  }
}
