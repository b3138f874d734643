package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The regular track's reconciler for one function: it brings the function's regular instances to
 * the count the autoscaler decides, through the journal, off the invocation path.
 *
 * <p>A new instance: {@code UNPLACED} (after the regular-track delay, which emulates a conventional
 * cluster manager) -> {@code RESERVING}: a node's Wavelet sets its memory aside, reclaiming idle
 * instances of other functions when invocations wait for it -> {@code PERSISTING}: the instance and
 * its node are written to the journal in one write -> {@code STARTING}: the NodeEntity records the
 * placement and the Wavelet compiles it -> {@code READY}. Nothing is written before a node has room,
 * so a full cluster costs no journal writes. An instance restored from the journal goes straight
 * to its recorded node.
 *
 * <p>Anti-entropy: the journal's desired instances and this track's instances are compared ({@link
 * #reconcile}) every {@code reconcileEveryMs}, and at the next tick after any journal write that was
 * not confirmed: an instance the journal keeps but the function let go of is removed from it. So no
 * list of failed writes grows while Cassandra is down, and the journal converges once it is back.
 */
public final class RegularTrack {

  /**
   * What invocations need from the regular track now: {@code callersWaiting} when invocations wait
   * or emergency instances serve them (regular instances are wanted for real, not ahead of demand);
   * {@code waitMs}, how long a node may take to make room.
   */
  public record Demand(boolean callersWaiting, long waitMs) {}

  private final InstancePool pool;
  private final CostMeter cost;
  private final Outbox out;
  private final Placement placement;
  private final RandomGenerator random;
  /** how long a reservation ahead of demand may wait for idle emergency instances to be retired */
  private final long aheadWaitMs;
  private int desired;
  /** a journal write was not confirmed: reconcile at the next tick */
  private boolean dirty;
  private long lastReconcileMs = Long.MIN_VALUE / 2;

  public RegularTrack(InstancePool pool, CostMeter cost, Outbox out, Placement placement, RandomGenerator random, long aheadWaitMs) {
    this.pool = pool;
    this.cost = cost;
    this.out = out;
    this.placement = placement;
    this.random = random;
    this.aheadWaitMs = aheadWaitMs;
  }

  // ---------------------------------------------------------------- decisions

  public int desired() {
    return desired;
  }

  /**
   * The target at a tick: the autoscaler's decision, but never fewer instances than the invocations
   * waiting and running need ({@code ceil((inFlight + queued) / concurrency)}, within maxScale).
   */
  public static int tickTarget(int decided, int inFlight, int queued, int concurrency, int maxScale) {
    if (queued == 0) {
      return decided;
    }
    return Math.max(decided, Math.min(maxScale, needed(inFlight, queued, concurrency)));
  }

  /** Instances needed to serve {@code inFlight + queued} invocations at once. */
  public static int needed(int inFlight, int queued, int concurrency) {
    return (int) Math.ceil((double) (inFlight + queued) / Math.max(1, concurrency));
  }

  /** Whether a journal write was not confirmed and the next reconciliation has not run yet. */
  public boolean unsettled() {
    return dirty;
  }

  // ---------------------------------------------------------------- actions

  /**
   * Brings the regular instances (coming or ready) to {@code target}: new ones are placed, and the
   * surplus is returned for the caller to retire (idle ones only, not-yet-serving first).
   */
  public List<Instance> scale(Definition def, int target, Demand demand) {
    desired = target;
    int current = pool.regularCount();
    for (int n = current; n < target; n++) {
      Instance inst = def.newInstance(InstanceKind.REGULAR, Instance.Phase.UNPLACED, out.nowMs());
      pool.add(inst);
      place(def, inst, demand);
    }
    return current > target ? pool.scaleDownChoice(current - target) : List.of();
  }

  /** A regular instance recorded in the journal, on {@code nodeId} (empty: not placed yet). */
  public Instance restored(Definition def, String instanceId, String nodeId) {
    Instance inst = def.newInstance(instanceId, InstanceKind.REGULAR, Instance.Phase.UNPLACED, out.nowMs());
    inst.journaled(true);
    inst.placeOn(nodeId, null);
    pool.add(inst);
    return inst;
  }

  /** Retries the placement of every unplaced instance (at each tick). */
  public void placeUnplaced(Definition def, Demand demand) {
    for (Instance i : pool.snapshot()) {
      if (i.regular() && i.phase() == Instance.Phase.UNPLACED) {
        place(def, i, demand);
      }
    }
  }

  /**
   * Places an unplaced instance: after the regular-track delay for a new one, at once on its
   * recorded node for one restored from the journal.
   */
  public void place(Definition def, Instance inst, Demand demand) {
    if (inst.phase() != Instance.Phase.UNPLACED) {
      return;
    }
    if (inst.nodeId().isEmpty()) {
      long now = out.nowMs();
      if (def.regularTrackDelayMs() > 0 && inst.notBeforeMs() == 0) {
        inst.notBeforeMs(now + def.regularTrackDelayMs());
        out.placeAfter(inst.id(), def.regularTrackDelayMs());
        return;
      }
      if (now < inst.notBeforeMs()) {
        return; // its timer comes
      }
    }
    placeNow(def, inst, demand);
  }

  /**
   * Asks a node's Wavelet to reserve memory for the instance. One that invocations wait for (or
   * that the function's minScale needs) may have the node reclaim idle instances of other functions
   * and wait for them; one the autoscaler wants ahead of demand takes free memory or retires idle
   * emergency instances, nothing else.
   */
  public void placeNow(Definition def, Instance inst, Demand demand) {
    if (inst.phase() != Instance.Phase.UNPLACED) {
      return;
    }
    if (!inst.nodeId().isEmpty()) {
      start(def, inst); // restored on the node the journal records
      return;
    }
    boolean needed = demand.callersWaiting() || pool.count(InstanceKind.REGULAR, Instance.Phase.READY) < def.spec().minScale();
    NodeDirectory.View view = out.nodes();
    Optional<String> node =
        Placement.forWaitingCallers(placement, view.nodes(), inst.reservedMb(), inst.refusedBy(), random);
    if (node.isEmpty()) {
      inst.refusedBy().clear(); // every node again at the next tick
      return;
    }
    NodeDirectory.Node n = view.node(node.get());
    inst.placeOn(n.nodeId(), n.wavelet());
    inst.reserving(out.nowMs());
    out.toWavelet(
        n.wavelet(),
        new Wavelet.Reserve(
            inst.id(), def.name(), InstanceKind.REGULAR, def.spec().memoryMb(), inst.concurrency(), out.owner(),
            needed ? demand.waitMs() : aheadWaitMs, needed));
  }

  /** The node has room: the instance and its node go to the journal in one write. */
  public void reserved(Wavelet.Reserved reserved) {
    Instance inst = pool.get(reserved.instanceId());
    if (inst == null || inst.phase() != Instance.Phase.RESERVING || !inst.nodeId().equals(reserved.nodeId())) {
      if (inst == null || inst.phase() == Instance.Phase.DRAINING || !inst.nodeId().equals(reserved.nodeId())) {
        out.toWavelet(reserved.wavelet(), new Wavelet.StopInstance(reserved.instanceId())); // not wanted there
      }
      return;
    }
    cost.hold(inst, pool, out.nowMs());
    inst.phase(Instance.Phase.PERSISTING);
    out.journal(
        inst.journaled()
            ? new Outbox.Assign(inst.id(), reserved.nodeId())
            : new Outbox.Add(inst.id(), reserved.nodeId()));
  }

  /** The journal's answer to {@link Outbox.Add} or {@link Outbox.Assign}. */
  public void persisted(Definition def, String instanceId, String nodeId, boolean ok) {
    Instance inst = pool.get(instanceId);
    if (inst == null || inst.phase() != Instance.Phase.PERSISTING || !inst.nodeId().equals(nodeId)) {
      return;
    }
    if (ok) {
      inst.journaled(true);
      start(def, inst);
      return;
    }
    // the journal did not confirm in time: the reservation goes back; a new instance is forgotten
    // (the autoscaler asks again) and removed in case the write landed after all
    if (inst.wavelet() != null) {
      out.toWavelet(inst.wavelet(), new Wavelet.StopInstance(inst.id()));
    }
    cost.release(inst, out.nowMs());
    dirty = true; // the write may have landed after all: the next reconciliation tells
    if (inst.journaled()) {
      inst.phase(Instance.Phase.UNPLACED);
      inst.unplace();
    } else {
      pool.remove(inst);
    }
  }

  private void start(Definition def, Instance inst) {
    long now = out.nowMs();
    inst.starting(now);
    cost.hold(inst, pool, now);
    out.toNode(inst.nodeId(), new NodeEntity.Place(def.startCommand(inst, out.owner(), 0, false)));
  }

  /**
   * A node did not reserve or start it: off that node (its placement released if it was made), and
   * the next node is tried. False when the module itself failed (the caller fails the queue).
   */
  public boolean failed(Definition def, Instance inst, Wavelet.InstanceFailed failed, Demand demand) {
    if (inst.phase() != Instance.Phase.RESERVING && !failed.nodeId().isEmpty()) {
      out.toNode(failed.nodeId(), new NodeEntity.Release(inst.id()));
    }
    cost.release(inst, out.nowMs());
    inst.refusedBy().add(failed.nodeId());
    inst.phase(Instance.Phase.UNPLACED);
    inst.unplace();
    if (def != null) {
      place(def, inst, demand);
    }
    return failed.refused();
  }

  /** It stopped: out of the journal's desired state and off the node's durable record. */
  public void stopped(Instance inst) {
    if (inst.journaled()) {
      remove(inst.id());
    }
    if (!inst.nodeId().isEmpty()) {
      out.toNode(inst.nodeId(), new NodeEntity.Release(inst.id()));
    }
  }

  /** Writes a removal to the journal; if it is not confirmed, the next reconciliation removes it. */
  public void remove(String instanceId) {
    out.journal(new Outbox.Remove(instanceId));
  }

  /** The journal's answer to {@link Outbox.Remove}. */
  public void removed(String instanceId, boolean ok) {
    if (!ok) {
      dirty = true;
    }
  }

  /** Whether to compare with the journal now (a write was not confirmed, or the interval passed). */
  public boolean reconcileDue(long nowMs, long everyMs) {
    if (dirty || nowMs - lastReconcileMs >= everyMs) {
      lastReconcileMs = nowMs;
      return true;
    }
    return false;
  }

  /**
   * Anti-entropy against the journal's desired instances ({@code journaled}: instance id to node):
   * those the function no longer has are removed from the journal; those it has as journaled but
   * the journal lacks are no longer counted as journaled. How many removals were sent.
   */
  public int reconcile(Map<String, String> journaled) {
    dirty = false;
    int removals = 0;
    for (String id : journaled.keySet()) {
      if (!pool.contains(id)) {
        remove(id);
        removals++;
      }
    }
    for (Instance i : pool.all()) {
      if (i.regular() && i.journaled() && !journaled.containsKey(i.id()) && i.phase() != Instance.Phase.PERSISTING) {
        i.journaled(false);
      }
    }
    return removals;
  }
}
