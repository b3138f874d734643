package io.wavelink.gateway.internal;

import io.wavelink.node.InvocationReply;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.tag.TagSet;

/**
 * The gateway's per-function series, {@code wavelink_invocations_total{function,kind,status}} and
 * {@code wavelink_invocation_latency_seconds{function}}, with each instrument looked up in Kamon's
 * registry once (the first call of a function with that kind and status), not on every request.
 * Calls of names that are not deployed share one series, {@code _not_deployed}, so that probes of
 * random names make none. Thread-safe.
 */
public final class GatewayMetrics {

  /** The function under which calls of names that are not deployed are counted. */
  public static final String NOT_DEPLOYED = "_not_deployed";

  private static final String[] KINDS = {"regular", "emergency", "none"};
  private static final InvocationReply.Status[] STATUSES = InvocationReply.Status.values();

  /** One function's instruments; a counter is filled in on its first use. */
  private static final class PerFunction {
    final String function;
    final Histogram latency;
    final AtomicReferenceArray<Counter> counters = new AtomicReferenceArray<>(KINDS.length * STATUSES.length);

    PerFunction(String function) {
      this.function = function;
      this.latency =
          Kamon.histogram("wavelink.invocation-latency", MeasurementUnit.time().nanoseconds())
              .withTag("function", function);
    }

    Counter counter(int kind, InvocationReply.Status status) {
      int i = kind * STATUSES.length + status.ordinal();
      Counter c = counters.get(i);
      if (c == null) {
        // the tags in one step: chained withTag calls would register a series at each step (two
        // threads may both look it up: Kamon gives both the same instrument)
        c = Kamon.counter("wavelink.invocations")
            .withTags(
                TagSet.of("function", function)
                    .withTag("kind", KINDS[kind])
                    .withTag("status", status.name().toLowerCase(Locale.ROOT)));
        counters.set(i, c);
      }
      return c;
    }
  }

  private final ConcurrentHashMap<String, PerFunction> byFunction = new ConcurrentHashMap<>();

  /** Counts one answered invocation of {@code function} and the time it took ({@code nanos}). */
  public void answered(String function, String kind, InvocationReply.Status status, long nanos) {
    String series = status == InvocationReply.Status.NOT_FOUND ? NOT_DEPLOYED : function;
    PerFunction f = byFunction.get(series);
    if (f == null) {
      f = byFunction.computeIfAbsent(series, PerFunction::new);
    }
    f.counter(kindIndex(kind), status).increment();
    f.latency.record(nanos);
  }

  private static int kindIndex(String kind) {
    return switch (kind) {
      case "regular" -> 0;
      case "emergency" -> 1;
      default -> 2;
    };
  }

  /** Functions with instruments here (for tests). */
  int functions() {
    return byFunction.size();
  }
}
