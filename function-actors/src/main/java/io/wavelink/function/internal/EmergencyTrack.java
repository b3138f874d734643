package io.wavelink.function.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The emergency track's decisions for one function: when queued invocations get emergency
 * instances, how many, which nodes to skip, and which emergency instances to retire. No actor and
 * no clock of its own: every time is passed in.
 *
 * <p>Worked example (budget 100, queue delay 50 ms, idle TTL 2 s): a cold function (no ready
 * regular instance) with 5 queued invocations and 2 emergency instances starting is {@link #due}
 * at once and gets {@link #toSpawn} 5 - 2 = 3 more. A warm function whose regular instances are all
 * busy is due only once its oldest queued invocation has waited 50 ms, so brief saturation stays on
 * the regular track. An emergency instance idle for 2 s, or idle while a regular slot is free and
 * nothing waits, is retired.
 *
 * @param budget most emergency instances of one function at once
 * @param idleTtlMs an idle emergency instance is retired after this
 * @param queueDelayNanos a warm function's queued invocation waits this long for a regular slot
 * @param fullNodeBackoffMs a node that refused for lack of room is skipped this long
 */
public final class EmergencyTrack {

  private final int budget;
  private final long idleTtlMs;
  private final long queueDelayNanos;
  private final long fullNodeBackoffMs;
  /** nodes that refused an emergency instance for lack of room, and until when they are skipped */
  private final Map<String, Long> fullNodesUntilMs = new LinkedHashMap<>();

  public EmergencyTrack(int budget, long idleTtlMs, long queueDelayNanos, long fullNodeBackoffMs) {
    this.budget = budget;
    this.idleTtlMs = idleTtlMs;
    this.queueDelayNanos = queueDelayNanos;
    this.fullNodeBackoffMs = fullNodeBackoffMs;
  }

  /**
   * Whether queued invocations should get emergency instances now: at once for a cold function
   * (no ready regular instance), after the queue delay for a warm one.
   */
  public boolean due(InstancePool pool, InvocationQueue<?> queue, long nowNanos) {
    if (queue.isEmpty()) {
      return false;
    }
    if (pool.anyReady(io.wavelink.node.InstanceKind.REGULAR)) {
      return queue.oldestWaitNanos(nowNanos) >= queueDelayNanos;
    }
    return true;
  }

  /** How many emergency instances to start now: one per queued invocation not yet covered, within the budget. */
  public int toSpawn(InstancePool pool, InvocationQueue<?> queue) {
    int wanted = queue.size() - pool.emergencySlotsComing();
    int room = budget - pool.emergencyCount();
    return Math.max(0, Math.min(wanted, room));
  }

  /** A node refused an emergency instance for lack of room at {@code nowMs}. */
  public void nodeFull(String nodeId, long nowMs) {
    fullNodesUntilMs.put(nodeId, nowMs + fullNodeBackoffMs);
  }

  /** Nodes to skip for {@code instance}: those that refused it, and those recently full. */
  public Set<String> skipped(Instance instance, long nowMs) {
    fullNodesUntilMs.values().removeIf(until -> until <= nowMs);
    if (fullNodesUntilMs.isEmpty()) {
      return instance.refusedBy();
    }
    Set<String> skip = new HashSet<>(instance.refusedBy());
    skip.addAll(fullNodesUntilMs.keySet());
    return skip;
  }

  /**
   * Emergency instances to retire now: ready, idle, and either idle for the TTL or, with nothing
   * queued, covered by a free regular slot.
   */
  public List<Instance> toRetire(InstancePool pool, boolean queueEmpty, long nowMs) {
    boolean covered = queueEmpty && pool.regularHasFreeSlot();
    List<Instance> retire = new ArrayList<>();
    for (Instance i : pool.all()) {
      if (!i.regular() && i.phase() == Instance.Phase.READY && i.inFlight() == 0
          && (covered || nowMs - i.idleSinceMs() >= idleTtlMs)) {
        retire.add(i);
      }
    }
    return retire;
  }
}
