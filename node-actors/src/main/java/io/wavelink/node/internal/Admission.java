package io.wavelink.node.internal;

import io.wavelink.node.InstanceKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a node takes a new instance now: the one capacity model of a node, for both tracks. Every
 * instance on the node holds memory in it from its admission to its stop, whatever its kind or
 * phase (reserved for the regular track's journal writes, starting, ready, or being reclaimed).
 * Pure: the Wavelet owns the state and acts on the decision.
 *
 * <p>Decisions, in order:
 *
 * <ol>
 *   <li>{@link Refuse} when the instance is larger than the node.
 *   <li>{@link Admit} when the memory that is free, after the claims of requests already waiting,
 *       covers it; unless other functions wait and this one would then hold more than its max-min
 *       fair share: then it waits behind them. (A function's first instance on the node is always
 *       within its share, so that no function is starved by the size of its instances.)
 *   <li>A request of {@link Scope#NONE} is {@link Refuse}d: it never takes memory from anyone.
 *   <li>A function already at its fair share {@link Wait}s: it takes only memory nobody else wants.
 *   <li>Otherwise idle instances are reclaimed ({@link Reclaim}, order of {@link Eviction}; only
 *       emergency ones for {@link Scope#EMERGENCY}) for what is missing, counting memory already on
 *       its way back; the request waits for them. With nothing to reclaim, a request of {@link
 *       Scope#ANY} {@link Wait}s for memory to come free (an instance finishing its last call becomes
 *       a candidate); one of {@link Scope#EMERGENCY} is refused.
 * </ol>
 *
 * <p>Worked example: capacity 1,024 MB, holdings: g's idle emergency instance (256 MB), h's two
 * idle regular instances (256 MB each) and one busy (256 MB): free 0. f asks for 256 MB, may
 * reclaim: shares of demands f = 256, g = 256, h = 768 are 256, 256, 512; f is under its share, so
 * g's emergency instance is reclaimed first ({@code Reclaim[g-e]}) and f waits for it.
 */
public final class Admission {

  /** An instance holding memory on the node. */
  public record Holding(
      String instanceId, String function, InstanceKind kind, int mb, boolean reclaimable, boolean reclaiming, long idleSinceNanos) {}

  /** What a request may take from other instances when the node has no free room. */
  public enum Scope {
    /** only free memory (and it does not wait) */
    NONE,
    /**
     * idle emergency instances, which are preemptible by design (the regular track scaling ahead of
     * demand); it waits only for those it asked back
     */
    EMERGENCY,
    /** any idle instance (invocations wait for this one); it may wait for memory to come free */
    ANY
  }

  /** A request for memory: a new instance of {@code function}. */
  public record Request(String instanceId, String function, InstanceKind kind, int mb, Scope scope) {}

  public sealed interface Decision {}

  public record Admit() implements Decision {}

  /** Ask these instances' owners to give them back, and wait. */
  public record Reclaim(List<Eviction.Candidate> victims) implements Decision {}

  /** Wait for memory to come free. */
  public record Wait(String reason) implements Decision {}

  public record Refuse(String reason) implements Decision {}

  private Admission() {}

  /**
   * @param waitingAhead requests that wait and come before this one (they have the first claim on
   *     memory that comes free)
   */
  public static Decision decide(int capacityMb, List<Holding> holdings, List<Request> waitingAhead, Request request) {
    if (request.mb() > capacityMb) {
      return new Refuse(
          "the instance needs " + request.mb() + " MB, more than the node's " + capacityMb + " MB");
    }
    int allocated = 0;
    int reclaiming = 0;
    Map<String, Integer> holding = new HashMap<>();
    for (Holding h : holdings) {
      allocated += h.mb();
      if (h.reclaiming()) {
        reclaiming += h.mb();
      }
      holding.merge(h.function(), h.mb(), Integer::sum);
    }
    int claimed = 0;
    boolean othersWait = false;
    Map<String, Integer> demand = new HashMap<>(holding);
    for (Request w : waitingAhead) {
      claimed += w.mb();
      othersWait |= !w.function().equals(request.function());
      demand.merge(w.function(), w.mb(), Integer::sum);
    }
    demand.merge(request.function(), request.mb(), Integer::sum);
    Map<String, Integer> shares = FairShare.maxMin(demand, capacityMb);
    int mine = holding.getOrDefault(request.function(), 0);
    int ownIdleEmergency = 0;
    for (Holding h : holdings) {
      if (h.function().equals(request.function()) && h.kind() == InstanceKind.EMERGENCY && h.reclaimable() && !h.reclaiming()) {
        ownIdleEmergency += h.mb();
      }
    }
    // within its share with this instance; or its first instance here (never starved by the size of
    // its instances); or a regular instance taking the place of its own idle emergency instances
    boolean withinShare =
        mine == 0
            || mine + request.mb() <= shares.getOrDefault(request.function(), 0)
            || (request.kind() == InstanceKind.REGULAR && ownIdleEmergency >= request.mb());
    int free = capacityMb - allocated - claimed;
    if (free >= request.mb()) {
      if (!othersWait || withinShare) {
        return new Admit();
      }
      return new Wait("other functions wait and " + request.function() + " is at its fair share");
    }
    String full = "the node is full (" + allocated + " of " + capacityMb + " MB held)";
    if (request.scope() == Scope.NONE) {
      return new Refuse(full);
    }
    if (!withinShare) {
      return request.scope() == Scope.ANY
          ? new Wait(request.function() + " holds its fair share of the node (" + mine + " MB)")
          : new Refuse(full + " and " + request.function() + " holds its fair share");
    }
    int missing = request.mb() - free - reclaiming;
    if (missing <= 0) {
      return new Wait("memory is being reclaimed");
    }
    List<Eviction.Candidate> idle = new ArrayList<>();
    for (Holding h : holdings) {
      if (h.reclaimable() && !h.reclaiming()
          && (request.scope() == Scope.ANY || h.kind() == InstanceKind.EMERGENCY)) {
        idle.add(new Eviction.Candidate(h.instanceId(), h.function(), h.kind(), h.mb(), h.idleSinceNanos()));
      }
    }
    List<Eviction.Candidate> victims =
        Eviction.choose(idle, missing, holding, shares, request.function(), request.kind());
    if (victims.isEmpty()) {
      return request.scope() == Scope.ANY
          ? new Wait("every instance on the node is busy or being reclaimed")
          : new Refuse(full + " with no idle emergency instance to retire");
    }
    return new Reclaim(victims);
  }
}
