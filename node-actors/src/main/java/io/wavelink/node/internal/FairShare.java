package io.wavelink.node.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Max-min fair shares of a node's memory among the functions that want it. Pure.
 *
 * <p>Water-filling: the capacity is split equally among the functions; a function that wants less
 * than its equal part gets what it wants, and what it leaves is split again among the others.
 *
 * <p>Worked example: 1,000 MB and demands a = 100, b = 600, c = 800. An equal part is 333: a wants
 * less and gets its 100. The remaining 900 MB split between b and c is 450 each, and both want more:
 * shares a = 100, b = 450, c = 450. With demands a = 100, b = 200 the node is not contended and each
 * share is the demand.
 */
public final class FairShare {

  private FairShare() {}

  /**
   * @param demandsMb what each function holds plus what it waits for, in MB (non-negative)
   * @return each function's share, in MB; the shares of a contended node add up to its capacity
   */
  public static Map<String, Integer> maxMin(Map<String, Integer> demandsMb, int capacityMb) {
    List<Map.Entry<String, Integer>> byDemand = new ArrayList<>(demandsMb.entrySet());
    byDemand.sort(Map.Entry.comparingByValue());
    Map<String, Integer> shares = new HashMap<>();
    long left = Math.max(0, capacityMb);
    int remaining = byDemand.size();
    for (Map.Entry<String, Integer> e : byDemand) {
      long equal = left / remaining;
      int share = (int) Math.min(Math.max(0, e.getValue()), equal);
      shares.put(e.getKey(), share);
      left -= share;
      remaining--;
    }
    return shares;
  }
}
