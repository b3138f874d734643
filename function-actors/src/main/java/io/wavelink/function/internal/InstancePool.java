package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A function's instances with their calls in flight: which one takes the next call, how many of
 * each kind there are, and which ones may go. Plain state and pure choices, no actor; its entity
 * owns it and does the messaging.
 *
 * <p>Worked example: a function with concurrency 2 has regular instance r1 (READY, 2 calls), r2
 * (READY, 0 calls) and emergency instance e1 (READY, 0 calls). {@link #freeSlot()} picks r2: a
 * regular slot is always preferred, an emergency instance takes a call only when no regular slot is
 * free. {@link #scaleDownChoice(int)} of 1 picks r2 (idle); r1 is never chosen while it has calls.
 */
public final class InstancePool {

  private final Map<String, Instance> instances = new LinkedHashMap<>();
  private int inFlight;

  public void add(Instance instance) {
    instances.put(instance.id(), instance);
  }

  public Instance get(String id) {
    return instances.get(id);
  }

  /** Drops an instance; its calls in flight (if any) stop counting. */
  public void remove(Instance instance) {
    if (instances.remove(instance.id()) != null) {
      inFlight -= instance.inFlight();
    }
  }

  public boolean contains(String id) {
    return instances.containsKey(id);
  }

  public Collection<Instance> all() {
    return instances.values();
  }

  /** A copy, for loops that add or remove instances as they go. */
  public List<Instance> snapshot() {
    return List.copyOf(instances.values());
  }

  public boolean isEmpty() {
    return instances.isEmpty();
  }

  /** Invocations in flight on all instances. */
  public int inFlight() {
    return inFlight;
  }

  /** A regular instance with a free slot if there is one, else an emergency one, else null. */
  public Instance freeSlot() {
    Instance emergency = null;
    for (Instance i : instances.values()) {
      if (i.hasFreeSlot()) {
        if (i.regular()) {
          return i;
        }
        if (emergency == null) {
          emergency = i;
        }
      }
    }
    return emergency;
  }

  /** Records a call on {@code instance}. */
  public void dispatched(Instance instance, long invocationId, Instance.Call call) {
    instance.calls().put(invocationId, call);
    inFlight++;
  }

  /**
   * Takes a finished call off its instance; the instance, or null if the call was not (or no
   * longer) counted: its instance is gone, or was given up as lost before its node answered.
   */
  public Instance finished(String instanceId, long invocationId) {
    Instance instance = instances.get(instanceId);
    if (instance == null || !instance.callEnded(invocationId)) {
      return null;
    }
    inFlight--;
    return instance;
  }

  /** Takes every call off {@code instance} (it was lost) and returns them. */
  public List<Instance.Call> takeCalls(Instance instance) {
    List<Instance.Call> calls = new ArrayList<>(instance.calls().values());
    instance.calls().clear();
    if (instances.containsKey(instance.id())) {
      inFlight -= calls.size();
    }
    return calls;
  }

  /** Regular instances that are or will be serving (not draining). */
  public int regularCount() {
    int n = 0;
    for (Instance i : instances.values()) {
      if (i.regular() && i.phase() != Instance.Phase.DRAINING) {
        n++;
      }
    }
    return n;
  }

  public int count(InstanceKind kind, Instance.Phase phase) {
    int n = 0;
    for (Instance i : instances.values()) {
      if (i.kind() == kind && i.phase() == phase) {
        n++;
      }
    }
    return n;
  }

  public boolean anyReady(InstanceKind kind) {
    for (Instance i : instances.values()) {
      if (i.kind() == kind && i.phase() == Instance.Phase.READY) {
        return true;
      }
    }
    return false;
  }

  /** Emergency instances, whatever their phase. */
  /** Memory of the instances of {@code kind} still starting, by node: sent, maybe not yet in the node view. */
  public Map<String, Integer> startingMbByNode(InstanceKind kind) {
    Map<String, Integer> mb = new HashMap<>();
    for (Instance i : instances.values()) {
      if (i.kind() == kind && i.phase() == Instance.Phase.STARTING && i.nodeId() != null) {
        mb.merge(i.nodeId(), i.reservedMb(), Integer::sum);
      }
    }
    return mb;
  }

  public int emergencyCount() {
    int n = 0;
    for (Instance i : instances.values()) {
      if (!i.regular()) {
        n++;
      }
    }
    return n;
  }

  /** Slots of emergency instances that are starting: calls they will take when ready. */
  public int emergencySlotsComing() {
    int n = 0;
    for (Instance i : instances.values()) {
      if (!i.regular() && i.coming()) {
        n += i.concurrency();
      }
    }
    return n;
  }

  /**
   * Up to {@code count} regular instances to scale down: never one with a call in flight, never
   * one already draining; those not yet serving first, then the longest idle.
   */
  public List<Instance> scaleDownChoice(int count) {
    List<Instance> candidates = new ArrayList<>();
    for (Instance i : instances.values()) {
      if (i.regular() && i.phase() != Instance.Phase.DRAINING && i.inFlight() == 0) {
        candidates.add(i);
      }
    }
    candidates.sort(
        Comparator.comparingInt((Instance i) -> i.phase() == Instance.Phase.READY ? 1 : 0)
            .thenComparingLong(Instance::idleSinceMs));
    return candidates.subList(0, Math.min(Math.max(count, 0), candidates.size()));
  }

  /**
   * Whether {@code instance} may be given back to its node for another function: it is ready and
   * idle, and for a regular one the function keeps {@code minScale} without it.
   */
  public boolean mayGiveBack(Instance instance, int minScale) {
    return instance.phase() == Instance.Phase.READY
        && instance.inFlight() == 0
        && (!instance.regular() || regularCount() > minScale);
  }

  /** Instances of {@code kind} held on their nodes at once (for the cost meter's peaks). */
  public int held(InstanceKind kind) {
    int n = 0;
    for (Instance i : instances.values()) {
      if (i.kind() == kind && i.heldSinceMs() >= 0) {
        n++;
      }
    }
    return n;
  }
}
