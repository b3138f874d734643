package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The emergency track of one function: when queued invocations get emergency instances, how many,
 * on which node, and which emergency instances to retire. Spawns go straight to a node's Wavelet,
 * never through the journal. Decisions are pure ({@link #due}, {@link #toSpawn}, {@link #toRetire});
 * the rest acts through the {@link Outbox}.
 *
 * <p>Worked example (budget 100, queue delay 50 ms, idle TTL 2 s): a cold function (no ready
 * regular instance) with 5 queued invocations and 2 emergency instances starting is {@link #due}
 * at once and gets {@link #toSpawn} 5 - 2 = 3 more, spread over the nodes with room by two random
 * choices that count the instances still starting on each node (or, when none has room, on the node
 * where the most can be reclaimed, where they wait). A warm function
 * whose regular instances are all busy is due only once its oldest queued invocation has waited 50
 * ms, so brief saturation stays on the regular track. An idle emergency instance is retired at once
 * when nothing waits and its function has regular instances (ready or starting), or after 2 s idle
 * when it has none.
 */
public final class EmergencyTrack {

  /** What became of an emergency instance a node could not start. */
  public enum Failed {
    /** another node was asked */
    RETRYING,
    /** no other node: the instance is given up, the queue waits for other capacity */
    GIVEN_UP,
    /** the module could not be prepared: the instance is given up, and so are the queued calls */
    BROKEN
  }

  private final int budget;
  private final long idleTtlMs;
  private final long queueDelayNanos;
  private final long fullNodeBackoffMs;
  /** nodes that refused an emergency instance for lack of room, and until when they are skipped */
  private final Map<String, Long> fullNodesUntilMs = new LinkedHashMap<>();
  private final InstancePool pool;
  private final CostMeter cost;
  private final Counters counters;
  private final FunctionMetrics metrics;
  private final Outbox out;
  private final RandomGenerator random;

  /**
   * @param budget most emergency instances of one function at once
   * @param idleTtlMs an idle emergency instance is retired after this
   * @param queueDelayNanos a warm function's queued invocation waits this long for a regular slot
   * @param fullNodeBackoffMs a node that refused for lack of room is skipped this long
   */
  public EmergencyTrack(
      int budget, long idleTtlMs, long queueDelayNanos, long fullNodeBackoffMs,
      InstancePool pool, CostMeter cost, Counters counters, FunctionMetrics metrics, Outbox out, RandomGenerator random) {
    this.budget = budget;
    this.idleTtlMs = idleTtlMs;
    this.queueDelayNanos = queueDelayNanos;
    this.fullNodeBackoffMs = fullNodeBackoffMs;
    this.pool = pool;
    this.cost = cost;
    this.counters = counters;
    this.metrics = metrics;
    this.out = out;
    this.random = random;
  }

  // ---------------------------------------------------------------- decisions

  /**
   * Whether queued invocations should get emergency instances now: at once for a cold function
   * (no ready regular instance), after the queue delay for a warm one.
   */
  public boolean due(InvocationQueue queue, long nowNanos) {
    if (queue.isEmpty()) {
      return false;
    }
    if (pool.anyReady(InstanceKind.REGULAR)) {
      return queue.oldestWaitNanos(nowNanos) >= queueDelayNanos;
    }
    return true;
  }

  /** How many emergency instances to start now: one per queued invocation not yet covered, within the budget. */
  public int toSpawn(InvocationQueue queue) {
    int wanted = queue.size() - pool.emergencySlotsComing();
    int room = budget - pool.emergencyCount();
    return Math.max(0, Math.min(wanted, room));
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
   * queued, no longer the function's only capacity (it has regular instances, ready or on their
   * way). So an emergency instance lives on idle only while it is all its function has, for the
   * next call of a cold function to find it warm, and at most for the TTL.
   */
  public List<Instance> toRetire(boolean queueEmpty, long nowMs) {
    boolean covered = queueEmpty && pool.regularCount() > 0;
    List<Instance> retire = new ArrayList<>();
    for (Instance i : pool.all()) {
      if (!i.regular() && i.phase() == Instance.Phase.READY && i.inFlight() == 0
          && (covered || nowMs - i.idleSinceMs() >= idleTtlMs)) {
        retire.add(i);
      }
    }
    return retire;
  }

  /**
   * When the idle TTL of the first idle emergency instance runs out ({@link #toRetire} then retires
   * it), or -1 when none is idle: the entity sets one timer for it, so that an instance idle after
   * its only call does not wait for the next tick.
   */
  public long nextRetirementMs() {
    long next = -1;
    for (Instance i : pool.all()) {
      if (!i.regular() && i.phase() == Instance.Phase.READY && i.inFlight() == 0) {
        long at = i.idleSinceMs() + idleTtlMs;
        next = next < 0 ? at : Math.min(next, at);
      }
    }
    return next;
  }

  // ---------------------------------------------------------------- actions

  /** Starts emergency instances for the queued invocations that are not covered; how many started. */
  public int spawn(Definition def, InvocationQueue queue, long waitMs) {
    int started = 0;
    for (int n = toSpawn(queue); n > 0; n--) {
      Instance inst = def.newInstance(InstanceKind.EMERGENCY, Instance.Phase.STARTING, out.nowMs());
      if (!start(def, inst, waitMs)) {
        break; // no node could ever hold it now: the queue waits for the regular track
      }
      pool.add(inst);
      counters.emergencySpawned();
      metrics.emergencySpawned();
      started++;
    }
    return started;
  }

  /** Asks a node to start {@code inst}: it may reclaim idle instances and wait {@code waitMs} for room. */
  private boolean start(Definition def, Instance inst, long waitMs) {
    long now = out.nowMs();
    NodeDirectory.View view = out.nodes();
    // spread over the nodes with room, counting what this function sent that the view may not show
    Map<String, Integer> sent = pool.startingMbByNode(InstanceKind.EMERGENCY);
    Optional<String> node =
        Placement.forWaitingCallers(
            (nodes, mb, exclude, r) -> Placement.spreading(nodes, mb, exclude, sent, r),
            view.nodes(), inst.reservedMb(), skipped(inst, now), random);
    if (node.isEmpty()) {
      return false;
    }
    NodeDirectory.Node n = view.node(node.get());
    inst.placeOn(n.nodeId(), n.wavelet());
    inst.starting(now);
    out.toWavelet(n.wavelet(), def.startCommand(inst, out.owner(), waitMs, true));
    return true;
  }

  /** The node runs it: it holds memory from its admission, when it began to prepare. */
  public void ready(Instance inst, Wavelet.InstanceReady ready) {
    cost.hold(inst, pool, out.nowMs() - ready.startMicros() / 1000);
  }

  /** A node did not start it: the next node is asked, or it is given up (the caller forgets it). */
  public Failed failed(Definition def, Instance inst, Wavelet.InstanceFailed failed, long waitMs) {
    inst.refusedBy().add(failed.nodeId());
    if (failed.refused()) {
      fullNodesUntilMs.put(failed.nodeId(), out.nowMs() + fullNodeBackoffMs);
      if (inst.phase() == Instance.Phase.STARTING && def != null && start(def, inst, waitMs)) {
        return Failed.RETRYING;
      }
      return Failed.GIVEN_UP;
    }
    return Failed.BROKEN;
  }

  /** It stopped (retired, or given back to its node). */
  public void stopped(Instance inst) {
    counters.emergencyRetired();
    metrics.emergencyRetired();
  }

  /**
   * Renews the leases of the emergency instances on every node (one message per node): a node stops
   * an emergency instance whose lease lapses, so that one this function lost track of (its node was
   * unreachable for a while, or this entity moved or stopped) does not hold memory for good.
   */
  public void renewLeases() {
    Map<ActorRef<Wavelet.Command>, List<String>> byNode = new LinkedHashMap<>();
    for (Instance i : pool.all()) {
      if (!i.regular() && i.wavelet() != null) {
        byNode.computeIfAbsent(i.wavelet(), w -> new ArrayList<>()).add(i.id());
      }
    }
    byNode.forEach((wavelet, ids) -> out.toWavelet(wavelet, new Wavelet.RenewLeases(List.copyOf(ids))));
  }

  /** This function's entity stops: its emergency instances are stopped with it (regular ones stay, in the journal). */
  public void releaseAll() {
    for (Instance i : pool.all()) {
      if (!i.regular() && i.wavelet() != null) {
        out.toWavelet(i.wavelet(), new Wavelet.StopInstance(i.id()));
      }
    }
  }
}
