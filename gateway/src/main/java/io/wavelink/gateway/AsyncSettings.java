package io.wavelink.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The settings under {@code wavelink.async} (reference.conf: what each one means).
 */
public record AsyncSettings(
    Duration retention,
    Duration idempotencyWindow,
    int dispatchers,
    Duration pollInterval,
    Duration idlePollInterval,
    Duration lateMargin,
    int maxInFlight,
    int maxInputBytes,
    int maxResultBytes,
    Duration leaseMargin,
    Duration defer,
    Duration backlogRefresh) {

  /** A Cassandra cell stays well under the embedded server's largest mutation (2 MiB). */
  static final long MAX_CELL = 1L << 20;

  public static AsyncSettings create(Config root) {
    Config c = root.getConfig("wavelink.async");
    AsyncSettings s = new AsyncSettings(
        c.getDuration("retention"),
        c.getDuration("idempotency-window"),
        c.getInt("dispatchers"),
        c.getDuration("poll-interval"),
        c.getDuration("idle-poll-interval"),
        c.getDuration("late-margin"),
        c.getInt("max-in-flight"),
        (int) Math.min(MAX_CELL, c.getBytes("max-input-size")),
        (int) Math.min(MAX_CELL, c.getBytes("max-result-size")),
        c.getDuration("lease-margin"),
        c.getDuration("defer"),
        c.getDuration("backlog-refresh"));
    if (s.dispatchers < 1 || s.maxInFlight < 1) {
      throw new IllegalArgumentException("wavelink.async.dispatchers and max-in-flight must be positive");
    }
    if (s.retention.toSeconds() < 1) {
      throw new IllegalArgumentException("wavelink.async.retention must be at least 1s");
    }
    return s;
  }
}
