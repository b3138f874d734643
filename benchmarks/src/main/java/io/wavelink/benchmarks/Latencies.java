package io.wavelink.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Latencies in nanoseconds, recorded from any thread into a preallocated array (no allocation, no
 * lock on the recording path); values past the capacity are counted but not kept.
 */
final class Latencies {

  private final long[] values;
  private final AtomicInteger next = new AtomicInteger();

  Latencies(int capacity) {
    this.values = new long[capacity];
  }

  void record(long nanos) {
    int i = next.getAndIncrement();
    if (i < values.length) {
      values[i] = nanos;
    }
  }

  int count() {
    return next.get();
  }

  /**
   * p50, p90, p99, p99.9 and max in milliseconds, and the count. Call once recording has stopped
   * (it sorts the values).
   */
  Map<String, Object> summaryMs() {
    int n = Math.min(next.get(), values.length);
    Stats.sort(values, n);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", next.get());
    m.put("p50Ms", ms(Stats.percentile(values, n, 50)));
    m.put("p90Ms", ms(Stats.percentile(values, n, 90)));
    m.put("p99Ms", ms(Stats.percentile(values, n, 99)));
    m.put("p999Ms", ms(Stats.percentile(values, n, 99.9)));
    m.put("maxMs", ms(n == 0 ? -1 : values[n - 1]));
    return m;
  }

  private static double ms(long nanos) {
    return nanos < 0 ? Double.NaN : Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
