package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;

/** A function's event counters since its entity started, by kind where it matters. */
public final class Counters {

  private final long[] invocations = new long[InstanceKind.values().length];
  private final long[] coldStarts = new long[InstanceKind.values().length];
  private long emergencySpawns;
  private long emergencyRetirements;
  private long rejected;
  private final long[] evicted = new long[InstanceKind.values().length];
  private long expired;
  private long noCapacity;

  public void invoked(InstanceKind kind, boolean coldStart) {
    invocations[kind.ordinal()]++;
    if (coldStart) {
      coldStarts[kind.ordinal()]++;
    }
  }

  public void emergencySpawned() {
    emergencySpawns++;
  }

  public void emergencyRetired() {
    emergencyRetirements++;
  }

  public void reject() {
    rejected++;
  }

  /** An idle instance of {@code kind} was given back to make room for another function. */
  public void evicted(InstanceKind kind) {
    evicted[kind.ordinal()]++;
  }

  /** An invocation's deadline passed while it waited for an instance. */
  public void expired() {
    expired++;
  }

  /** An invocation was refused because no node could ever hold an instance. */
  public void noCapacity() {
    noCapacity++;
  }

  public long evictions(InstanceKind kind) {
    return evicted[kind.ordinal()];
  }

  public long expirations() {
    return expired;
  }

  public long noCapacityRefusals() {
    return noCapacity;
  }

  public long invocations(InstanceKind kind) {
    return invocations[kind.ordinal()];
  }

  public long coldStarts(InstanceKind kind) {
    return coldStarts[kind.ordinal()];
  }

  public long emergencySpawns() {
    return emergencySpawns;
  }

  public long emergencyRetirements() {
    return emergencyRetirements;
  }

  public long rejected() {
    return rejected;
  }
}
