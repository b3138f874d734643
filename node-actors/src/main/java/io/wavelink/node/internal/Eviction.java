package io.wavelink.node.internal;

import io.wavelink.node.InstanceKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Which idle instances on a node give their memory back when a function needs an instance and the
 * node has no room: keep-alive is a cache, not a reservation. Pure.
 *
 * <p>Only idle instances are candidates (never one with a call in flight; whether one is still
 * needed for its function's minScale is its owner's call, asked before it goes). Order:
 *
 * <ol>
 *   <li>emergency instances: preemptible by design;
 *   <li>regular instances of functions holding more than their max-min fair share ({@link
 *       FairShare});
 *   <li>other regular instances;
 * </ol>
 *
 * least recently used first within each group. The requesting function's own instances are never
 * taken, except its idle emergency instances when it asks for a regular one (they would retire as
 * soon as it is ready): those go first, before anyone else's.
 *
 * <p>Worked example: 100 MB needed; idle: emergency e1 of g (64 MB, idle 5 s), regular r1 of h (128
 * MB, idle 30 s, h within its share), regular r2 of k (128 MB, idle 2 s, k over its share). The
 * order is e1, r2, r1; e1 frees 64, r2 another 128: e1 and r2 are chosen.
 */
public final class Eviction {

  /** An idle instance that could give its memory back. */
  public record Candidate(String instanceId, String function, InstanceKind kind, int mb, long idleSinceNanos) {}

  private Eviction() {}

  /**
   * @param neededMb memory to free
   * @param holdingMb what each function holds on the node
   * @param sharesMb each function's fair share ({@link FairShare#maxMin})
   * @return the candidates to ask, in order; fewer than needed when there are not enough
   */
  public static List<Candidate> choose(
      List<Candidate> idle,
      int neededMb,
      Map<String, Integer> holdingMb,
      Map<String, Integer> sharesMb,
      String requester,
      InstanceKind requesterKind) {
    List<Candidate> eligible = new ArrayList<>();
    for (Candidate c : idle) {
      boolean own = c.function().equals(requester);
      if (!own || (requesterKind == InstanceKind.REGULAR && c.kind() == InstanceKind.EMERGENCY)) {
        eligible.add(c);
      }
    }
    eligible.sort(
        Comparator.comparingInt((Candidate c) -> c.function().equals(requester) ? -1 : group(c, holdingMb, sharesMb))
            .thenComparingLong(Candidate::idleSinceNanos));
    List<Candidate> chosen = new ArrayList<>();
    int freed = 0;
    for (Candidate c : eligible) {
      if (freed >= neededMb) {
        break;
      }
      chosen.add(c);
      freed += c.mb();
    }
    return chosen;
  }

  private static int group(Candidate c, Map<String, Integer> holdingMb, Map<String, Integer> sharesMb) {
    if (c.kind() == InstanceKind.EMERGENCY) {
      return 0;
    }
    int holding = holdingMb.getOrDefault(c.function(), 0);
    int share = sharesMb.getOrDefault(c.function(), Integer.MAX_VALUE);
    return holding > share ? 1 : 2;
  }
}
