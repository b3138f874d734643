package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.tag.TagSet;

/**
 * Kamon instruments of one function, looked up once per entity. Names (Prometheus adds
 * {@code _total} and units): {@code wavelink_cold_starts} by track, {@code wavelink_queue_wait}, {@code wavelink_instances} by kind,
 * {@code wavelink_emergency_spawns}, {@code wavelink_emergency_retirements}, {@code
 * wavelink_evictions} by kind (idle instances given back for another function), and {@code
 * wavelink_invocations_refused} by reason: {@code queue_full} (429), {@code expired} (deadline
 * passed while waiting for an instance, 504), {@code no_capacity} (no node could ever hold an
 * instance, 503).
 */
public final class FunctionMetrics {

  private final String function;
  private Counter regularColdStarts;
  private Counter emergencyColdStarts;
  private Histogram queueWait;
  private Gauge regularInstances;
  private Gauge emergencyInstances;
  private Counter emergencySpawns;
  private Counter emergencyRetirements;
  private Counter regularEvictions;
  private Counter emergencyEvictions;
  private Counter queueFull;
  private Counter expired;
  private Counter noCapacity;
  private boolean registered;

  /** Instruments are registered on first use: a name that is never deployed makes no series. */
  public FunctionMetrics(String function) {
    this.function = function;
  }

  /**
   * The function's tag and one more, in one step: {@code withTag(..).withTag(..)} would register an
   * instrument for the first tag alone too, an extra series that nothing updates.
   */
  private TagSet tags(String key, String value) {
    return TagSet.of("function", function).withTag(key, value);
  }

  private void register() {
    if (registered) {
      return;
    }
    registered = true;
    regularColdStarts =
        Kamon.counter("wavelink.cold-starts").withTags(tags("track", "regular"));
    emergencyColdStarts =
        Kamon.counter("wavelink.cold-starts").withTags(tags("track", "emergency"));
    queueWait =
        Kamon.histogram("wavelink.queue-wait", MeasurementUnit.time().nanoseconds())
            .withTag("function", function);
    regularInstances =
        Kamon.gauge("wavelink.instances").withTags(tags("kind", "regular"));
    emergencyInstances =
        Kamon.gauge("wavelink.instances").withTags(tags("kind", "emergency"));
    emergencySpawns = Kamon.counter("wavelink.emergency-spawns").withTag("function", function);
    emergencyRetirements = Kamon.counter("wavelink.emergency-retirements").withTag("function", function);
    regularEvictions = Kamon.counter("wavelink.evictions").withTags(tags("kind", "regular"));
    emergencyEvictions = Kamon.counter("wavelink.evictions").withTags(tags("kind", "emergency"));
    queueFull = Kamon.counter("wavelink.invocations-refused").withTags(tags("reason", "queue_full"));
    expired = Kamon.counter("wavelink.invocations-refused").withTags(tags("reason", "expired"));
    noCapacity = Kamon.counter("wavelink.invocations-refused").withTags(tags("reason", "no_capacity"));
  }

  public void evicted(InstanceKind kind) {
    register();
    (kind == InstanceKind.REGULAR ? regularEvictions : emergencyEvictions).increment();
  }

  public void queueFull() {
    register();
    queueFull.increment();
  }

  public void expired(int n) {
    register();
    expired.increment(n);
  }

  public void noCapacity(int n) {
    register();
    noCapacity.increment(n);
  }

  public void coldStart(InstanceKind kind) {
    register();
    (kind == InstanceKind.REGULAR ? regularColdStarts : emergencyColdStarts).increment();
  }

  public void queueWait(long nanos) {
    register();
    queueWait.record(nanos);
  }

  /**
   * The function's instances now. A function that has had none since its entity started makes no
   * series for it: a deployed function that is never called costs Kamon nothing (its gauges appear
   * with its first instance, or its first other event).
   */
  public void instances(int regular, int emergency) {
    if (!registered && regular == 0 && emergency == 0) {
      return;
    }
    register();
    regularInstances.update(regular);
    emergencyInstances.update(emergency);
  }

  public void emergencySpawned() {
    register();
    emergencySpawns.increment();
  }

  /**
   * The entity stopped (passivated, handed over): its series leave Kamon, so that an idle function
   * costs no instruments and no snapshot work on the member. Prometheus sees the counters start
   * again when the function comes back (a counter reset, which rate() and increase() handle).
   */
  public void close() {
    if (!registered) {
      return;
    }
    registered = false;
    regularColdStarts.remove();
    emergencyColdStarts.remove();
    queueWait.remove();
    regularInstances.remove();
    emergencyInstances.remove();
    emergencySpawns.remove();
    emergencyRetirements.remove();
    regularEvictions.remove();
    emergencyEvictions.remove();
    queueFull.remove();
    expired.remove();
    noCapacity.remove();
  }

  public void emergencyRetired() {
    register();
    emergencyRetirements.increment();
  }
}
