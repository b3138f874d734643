package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;

/**
 * What a function's instances cost: for each kind, the time instances held their node's memory
 * (from their admission to their stop, idle time included), that time weighted by the memory they
 * reserved, the same weighted by the memory their calls actually touched (reserved is not used:
 * scaling policies reserve several times what functions touch), and the most instances held at
 * once. An instance counts from {@link #hold} to {@link #release}; {@link #snapshot} adds the
 * instances still held.
 */
public final class CostMeter {

  /** Totals per kind, indexed by {@link InstanceKind#ordinal()}. */
  public record Snapshot(long[] heldMs, long[] heldMbMs, long[] touchedMbMs, int[] peak) {

    public long touchedMbMs(InstanceKind kind) {
      return touchedMbMs[kind.ordinal()];
    }


    public long heldMs(InstanceKind kind) {
      return heldMs[kind.ordinal()];
    }

    public long heldMbMs(InstanceKind kind) {
      return heldMbMs[kind.ordinal()];
    }

    public int peak(InstanceKind kind) {
      return peak[kind.ordinal()];
    }
  }

  private final long[] heldMs = new long[InstanceKind.values().length];
  private final long[] heldMbMs = new long[InstanceKind.values().length];
  private final long[] touchedMbMs = new long[InstanceKind.values().length];
  private final int[] peak = new int[InstanceKind.values().length];

  /** {@code instance} starts holding node memory at {@code nowMs}; {@code heldOfKind} counts the others held. */
  public void hold(Instance instance, InstancePool pool, long nowMs) {
    if (instance.heldSinceMs() >= 0) {
      return;
    }
    instance.heldSinceMs(nowMs);
    int k = instance.kind().ordinal();
    int held = pool.held(instance.kind()) + (pool.contains(instance.id()) ? 0 : 1);
    peak[k] = Math.max(peak[k], held);
  }

  /** {@code instance} no longer holds node memory: its time is booked. */
  public void release(Instance instance, long nowMs) {
    if (instance.heldSinceMs() < 0) {
      return;
    }
    long ms = nowMs - instance.heldSinceMs();
    heldMs[instance.kind().ordinal()] += ms;
    heldMbMs[instance.kind().ordinal()] += ms * instance.reservedMb();
    touchedMbMs[instance.kind().ordinal()] += ms * instance.touchedMb();
    instance.heldSinceMs(-1);
  }

  /** The totals so far, including what the instances of {@code pool} still hold. */
  public Snapshot snapshot(InstancePool pool, long nowMs) {
    long[] ms = heldMs.clone();
    long[] mbMs = heldMbMs.clone();
    long[] touched = touchedMbMs.clone();
    for (Instance i : pool.all()) {
      if (i.heldSinceMs() >= 0) {
        ms[i.kind().ordinal()] += nowMs - i.heldSinceMs();
        mbMs[i.kind().ordinal()] += (nowMs - i.heldSinceMs()) * i.reservedMb();
        touched[i.kind().ordinal()] += (nowMs - i.heldSinceMs()) * i.touchedMb();
      }
    }
    return new Snapshot(ms, mbMs, touched, peak.clone());
  }
}
