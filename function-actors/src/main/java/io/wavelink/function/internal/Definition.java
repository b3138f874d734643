package io.wavelink.function.internal;

import io.wavelink.function.FunctionSpec;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.Wavelet;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A deployed function as its plain classes need it: the spec and version, the control-plane mode and
 * regular-track delay in effect (the spec's, or the member's defaults). {@code spec} is null only for
 * a deleted function whose leftover instances are being retired.
 */
public record Definition(String name, FunctionSpec spec, long version, String mode, long regularTrackDelayMs) {

  public boolean dual() {
    return mode.equals("dual");
  }

  public int concurrency() {
    return spec.concurrency();
  }

  /** What an instance of {@code kind} holds on its node: memory times the calls it serves at once. */
  public int reservedMb(InstanceKind kind) {
    return spec == null ? 0 : spec.memoryMb() * concurrency(kind);
  }

  /** Emergency instances serve one call at a time; regular ones the function's concurrency. */
  public int concurrency(InstanceKind kind) {
    return kind == InstanceKind.REGULAR && spec != null ? spec.concurrency() : 1;
  }

  /** The smallest instance this function can have in its mode, in MB. */
  public int smallestInstanceMb() {
    return dual() ? spec.memoryMb() : reservedMb(InstanceKind.REGULAR);
  }

  public Instance newInstance(InstanceKind kind, Instance.Phase phase, long nowMs) {
    return newInstance(name + (kind == InstanceKind.REGULAR ? "-r-" : "-e-") + UUID.randomUUID().toString().substring(0, 8), kind, phase, nowMs);
  }

  public Instance newInstance(String id, InstanceKind kind, Instance.Phase phase, long nowMs) {
    return new Instance(id, kind, concurrency(kind), reservedMb(kind), phase, nowMs);
  }

  public Wavelet.StartInstance startCommand(
      Instance inst, ActorRef<Wavelet.InstanceEvent> owner, long waitMs, boolean callersWaiting) {
    return new Wavelet.StartInstance(
        inst.id(), name, version, inst.kind(), spec.module(), spec.memoryMb(), inst.concurrency(), spec.env(),
        owner, waitMs, callersWaiting);
  }
}
