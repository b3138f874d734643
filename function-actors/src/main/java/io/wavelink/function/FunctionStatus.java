package io.wavelink.function;

import io.wavelink.function.internal.CostMeter;
import io.wavelink.function.internal.Counters;
import io.wavelink.function.internal.Definition;
import io.wavelink.function.internal.Instance;
import io.wavelink.function.internal.InstancePool;
import io.wavelink.node.InstanceKind;
import java.util.ArrayList;
import java.util.List;

/**
 * A function as {@code GET /v1/functions/{name}} shows it, the answer to {@link FunctionEntity.Get}:
 * its spec (without code), its instances and the counters since its entity started.
 *
 * @param member the cluster member whose entity answered
 * @param uptimeMs how long that entity has run: a gateway compares it with a member's removal to
 *     tell whether the function's entity moved (its calls in flight then were lost) or survived
 */
public record FunctionStatus(
    boolean found,
    FunctionSpec spec,
    long version,
    String mode,
    List<InstanceStatus> instances,
    int inFlight,
    int queued,
    Stats stats,
    String member,
    long uptimeMs) {

  /** The answer for a name that is not deployed, from an entity that has run {@code uptimeMs}. */
  public static FunctionStatus notFound(String member, long uptimeMs) {
    return new FunctionStatus(false, null, 0, "", List.of(), 0, 0, null, member, uptimeMs);
  }

  /** One instance: its kind, its phase ({@code state}) and node, and its calls in flight. */
  public record InstanceStatus(
      String instanceId, InstanceKind kind, String state, String nodeId, int inFlight, int concurrency) {}

  /**
   * Counters since the entity started. Cost: {@code *InstanceMs} is the time instances of each kind
   * held their node's memory (from their admission to their stop, idle time included), and {@code
   * *MbMs} the same weighted by the memory they reserved; peaks count instances held at once.
   * {@code touched*MbMs}: the same time weighted by the linear memory their calls actually touched
   * (the most one call held). {@code evicted*}: idle instances given back to make room for other
   * functions; {@code expired}:
   * invocations whose deadline passed while they waited for an instance (504); {@code noCapacity}:
   * invocations refused because no node could hold an instance (503); {@code rejected}: unknown
   * function or queue full (404, 429).
   */
  public record Stats(
      long regularInvocations,
      long emergencyInvocations,
      long regularColdStarts,
      long emergencyColdStarts,
      long emergencySpawns,
      long emergencyRetirements,
      long rejected,
      boolean panic,
      int desiredRegular,
      long regularInstanceMs,
      long emergencyInstanceMs,
      long regularMbMs,
      long emergencyMbMs,
      int peakRegular,
      int peakEmergency,
      long evictedRegular,
      long evictedEmergency,
      long expired,
      long noCapacity,
      long touchedRegularMbMs,
      long touchedEmergencyMbMs) {}

  static FunctionStatus of(
      Definition def, InstancePool pool, int queued, Counters counters, CostMeter.Snapshot held, boolean panic,
      int desiredRegular, String member, long uptimeMs) {
    List<InstanceStatus> instances = new ArrayList<>();
    for (Instance i : pool.all()) {
      instances.add(new InstanceStatus(i.id(), i.kind(), i.phase().label(), i.nodeId(), i.inFlight(), i.concurrency()));
    }
    Stats stats =
        new Stats(
            counters.invocations(InstanceKind.REGULAR),
            counters.invocations(InstanceKind.EMERGENCY),
            counters.coldStarts(InstanceKind.REGULAR),
            counters.coldStarts(InstanceKind.EMERGENCY),
            counters.emergencySpawns(),
            counters.emergencyRetirements(),
            counters.rejected(),
            panic,
            desiredRegular,
            held.heldMs(InstanceKind.REGULAR),
            held.heldMs(InstanceKind.EMERGENCY),
            held.heldMbMs(InstanceKind.REGULAR),
            held.heldMbMs(InstanceKind.EMERGENCY),
            held.peak(InstanceKind.REGULAR),
            held.peak(InstanceKind.EMERGENCY),
            counters.evictions(InstanceKind.REGULAR),
            counters.evictions(InstanceKind.EMERGENCY),
            counters.expirations(),
            counters.noCapacityRefusals(),
            held.touchedMbMs(InstanceKind.REGULAR),
            held.touchedMbMs(InstanceKind.EMERGENCY));
    return new FunctionStatus(
        true, def.spec().withoutCode(), def.version(), def.mode(), instances, pool.inFlight(), queued, stats, member,
        uptimeMs);
  }
}
