package io.wavelink.function.internal;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.Wavelet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One instance of a function as its entity sees it: its kind and phase, where it runs, and the
 * calls it has in flight. Plain mutable state owned by one entity (one thread at a time); the
 * decisions over it live in {@link InstancePool}, {@link EmergencyTrack} and {@link RegularTrack}.
 *
 * <p>Phases of a regular instance: {@link Phase#UNPLACED} (wanted, no node yet) -> {@link
 * Phase#RESERVING} (a Wavelet is asked to reserve its memory) -> {@link Phase#PERSISTING} (its
 * node is written to the journal) -> {@link Phase#STARTING} (placed on the node, the module is
 * being prepared) -> {@link Phase#READY} -> {@link Phase#DRAINING}. An emergency instance goes from
 * STARTING to READY to DRAINING and never touches the journal.
 */
public final class Instance {

  /** Where an instance is in its life. */
  public enum Phase {
    /** regular: wanted, waiting for a node (or for the regular-track delay) */
    UNPLACED,
    /** regular: a Wavelet was asked to reserve memory for it */
    RESERVING,
    /** regular: waiting for the journal to record it and its node */
    PERSISTING,
    /** asked a node to start it */
    STARTING,
    READY,
    /** chosen for removal: takes no new invocations, stops when idle */
    DRAINING;

    /** The lower-case name shown by the API. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** An invocation in flight on the instance: who waits for it, and until when. */
  public record Call(ActorRef<InvocationReply> caller, long deadlineNanos) {}

  private final String id;
  private final InstanceKind kind;
  private final int concurrency;
  private final int reservedMb;
  private Phase phase;
  private String nodeId = "";
  private ActorRef<Wavelet.Command> wavelet;
  private long idleSinceMs;
  /** Whether the journal records this (regular) instance; emergency instances never. */
  private boolean journaled;
  private final Set<String> refusedBy = new HashSet<>();
  /** when it began to hold (or asked to hold) node memory; -1 while not yet asked */
  private long heldSinceMs = -1;
  /** when a node was last asked to reserve or start it; one that never answers is given up */
  private long askedAtMs = -1;
  /** the regular-track delay: not placed before this (0: no delay pending or served) */
  private long notBeforeMs;
  private final Map<Long, Call> calls = new LinkedHashMap<>();
  /** the most linear memory one of its calls touched, in MB (what it used, beside what it reserves) */
  private int touchedMb;

  /**
   * @param reservedMb what it holds on its node: the function's memory times its concurrency
   */
  public Instance(String id, InstanceKind kind, int concurrency, int reservedMb, Phase phase, long nowMs) {
    this.id = id;
    this.kind = kind;
    this.concurrency = concurrency;
    this.reservedMb = reservedMb;
    this.phase = phase;
    this.idleSinceMs = nowMs;
  }

  public String id() {
    return id;
  }

  public InstanceKind kind() {
    return kind;
  }

  public boolean regular() {
    return kind == InstanceKind.REGULAR;
  }

  public int concurrency() {
    return concurrency;
  }

  public int reservedMb() {
    return reservedMb;
  }

  public Phase phase() {
    return phase;
  }

  public void phase(Phase phase) {
    this.phase = phase;
  }

  public String nodeId() {
    return nodeId;
  }

  public ActorRef<Wavelet.Command> wavelet() {
    return wavelet;
  }

  /** Where it runs (or is being started); {@code wavelet} may be null until the node answers. */
  public void placeOn(String nodeId, ActorRef<Wavelet.Command> wavelet) {
    this.nodeId = nodeId == null ? "" : nodeId;
    this.wavelet = wavelet;
  }

  /** Off its node: no node, no Wavelet. */
  public void unplace() {
    this.nodeId = "";
    this.wavelet = null;
  }

  public boolean journaled() {
    return journaled;
  }

  public void journaled(boolean journaled) {
    this.journaled = journaled;
  }

  /** Nodes that refused this instance; placement skips them. */
  public Set<String> refusedBy() {
    return refusedBy;
  }

  public int touchedMb() {
    return touchedMb;
  }

  /** One of its calls held {@code peakMemoryBytes} of linear memory. */
  public void touched(long peakMemoryBytes) {
    touchedMb = Math.max(touchedMb, (int) ((peakMemoryBytes + (1 << 20) - 1) >> 20));
  }

  public long idleSinceMs() {
    return idleSinceMs;
  }

  public long heldSinceMs() {
    return heldSinceMs;
  }

  void heldSinceMs(long ms) {
    this.heldSinceMs = ms;
  }

  /** When a node was last asked to reserve or start it; -1 if never. */
  public long askedAtMs() {
    return askedAtMs;
  }

  /** A node was asked to reserve memory for it at {@code nowMs}. */
  public void reserving(long nowMs) {
    this.phase = Phase.RESERVING;
    this.askedAtMs = nowMs;
  }

  /** A node was asked to start it at {@code nowMs}. */
  public void starting(long nowMs) {
    this.phase = Phase.STARTING;
    this.askedAtMs = nowMs;
  }

  public long notBeforeMs() {
    return notBeforeMs;
  }

  public void notBeforeMs(long ms) {
    this.notBeforeMs = ms;
  }

  public void idleSince(long nowMs) {
    this.idleSinceMs = nowMs;
  }

  public int inFlight() {
    return calls.size();
  }

  public Map<Long, Call> calls() {
    return calls;
  }

  public boolean hasFreeSlot() {
    return phase == Phase.READY && calls.size() < concurrency;
  }

  /** Wanted but not serving yet. */
  public boolean coming() {
    return phase == Phase.UNPLACED
        || phase == Phase.RESERVING
        || phase == Phase.PERSISTING
        || phase == Phase.STARTING;
  }

  /** Takes the call that ended off the list; false if it was not on it (counted out before). */
  boolean callEnded(long invocationId) {
    if (invocationId == 0 && !calls.isEmpty()) {
      // from a Wavelet of an earlier version, which does not echo the id: the oldest call
      Iterator<Long> oldest = calls.keySet().iterator();
      oldest.next();
      oldest.remove();
      return true;
    }
    return calls.remove(invocationId) != null;
  }

  @Override
  public String toString() {
    return kind.label() + " " + id + " (" + phase.label() + (nodeId.isEmpty() ? "" : " on " + nodeId) + ", "
        + calls.size() + "/" + concurrency + " in flight)";
  }
}
