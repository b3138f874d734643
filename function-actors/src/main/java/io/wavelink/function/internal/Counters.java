package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;

/** A function's event counters since its entity started, by kind where it matters. */
public final class Counters {

  private final long[] invocations = new long[InstanceKind.values().length];
  private final long[] coldStarts = new long[InstanceKind.values().length];
  private long emergencySpawns;
  private long emergencyRetirements;
  private long rejected;

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
