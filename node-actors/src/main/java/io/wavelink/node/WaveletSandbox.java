package io.wavelink.node;

import io.wavelink.node.WaveletProtocol.InstanceEvent;
import io.wavelink.node.WaveletProtocol.InstanceInfo;
import io.wavelink.node.WaveletProtocol.StartInstance;
import io.wavelink.node.internal.Admission;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.PreparedModule;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * An instance holding memory on a {@link Wavelet}'s node: reserved only, or a sandbox (preparing or
 * ready). The Wavelet's state, changed only by the Wavelet, except {@link #module}, which sandbox
 * threads read.
 */
final class WaveletSandbox {
  private static final long MIB = 1L << 20;

  final String instanceId;
  final String function;
  final InstanceKind kind;
  final int reservedMb;
  final ActorRef<InstanceEvent> owner;
  /** null while only reserved */
  StartInstance spec;
  /** what its calls run: null while preparing; read by sandbox threads ({@link #compiledNow}) */
  volatile PreparedModule module;
  /** the compiled module, arrived before the interpreted one was ready: swapped in when it is */
  PreparedModule compiled;
  /** the uses of its module it took from the node's module cache, given back when it is removed */
  boolean holdsInterpreted;
  boolean holdsCompiled;
  int inFlight;
  boolean stopping;
  long reservedUntilNanos;
  long idleSinceNanos;
  /** when its owner was asked to give it back; -1 if not */
  long reclaimingSinceNanos = -1;
  /** not asked back again before this (its owner kept it) */
  long declinedUntilNanos;
  /** the most linear memory one of its calls held */
  long peakMemoryBytes;
  /** emergency instances: stopped when this passes without a renewal from the owner */
  long leaseUntilNanos = Long.MAX_VALUE;

  WaveletSandbox(String instanceId, String function, InstanceKind kind, int reservedMb, ActorRef<InstanceEvent> owner, long nowNanos) {
    this.instanceId = instanceId;
    this.function = function;
    this.kind = kind;
    this.reservedMb = reservedMb;
    this.owner = owner;
    this.idleSinceNanos = nowNanos;
  }

  boolean ready() {
    return module != null;
  }

  /** Its compiled module if it runs compiled now, else null: any thread. */
  PreparedModule compiledNow() {
    PreparedModule m = module;
    return m != null && m.mode() == ExecutionMode.COMPILED ? m : null;
  }

  /** Whether it runs interpreted while its module is being compiled (its calls may wait for the compile). */
  boolean awaitsCompile() {
    return module.mode() == ExecutionMode.INTERPRETED && holdsCompiled;
  }

  boolean reclaimable(long nowNanos) {
    return ready() && !stopping && inFlight == 0 && reclaimingSinceNanos < 0 && nowNanos >= declinedUntilNanos;
  }

  /** What admission weighs of it. */
  Admission.Holding holding(long nowNanos) {
    return new Admission.Holding(
        instanceId, function, kind, reservedMb, reclaimable(nowNanos), reclaimingSinceNanos >= 0, idleSinceNanos);
  }

  /** What the node's status shows of it. */
  InstanceInfo info(long nowNanos) {
    boolean idle = ready() && !stopping && inFlight == 0;
    return new InstanceInfo(
        instanceId,
        function,
        spec == null ? 0 : spec.version(),
        kind,
        reservedMb,
        inFlight,
        ready() && !stopping,
        idle ? (nowNanos - idleSinceNanos) / 1_000_000 : -1,
        (int) ((peakMemoryBytes + MIB - 1) / MIB));
  }
}
