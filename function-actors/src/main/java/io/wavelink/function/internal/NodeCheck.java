package io.wavelink.function.internal;

import io.wavelink.node.NodeDirectory;

/**
 * What becomes of an instance given the member's current view of the nodes. Pure.
 *
 * <ul>
 *   <li>{@link Verdict#LOST}: its node is unreachable or gone, or its reservation or start has not
 *       answered within the start timeout. Its calls will not be answered by that node.
 *   <li>{@link Verdict#REPLACE}: its node is leaving (draining for a graceful leave) and another node
 *       is up: it is retired (it finishes what it runs) and replaced elsewhere. When the last node
 *       leaves (a single member stopping) it stays, so that it comes back with the member.
 *   <li>{@link Verdict#KEEP}: everything else, including nodes the view does not know yet (the
 *       NodeEntity refuses a placement on a node without a live Wavelet).
 * </ul>
 */
public final class NodeCheck {

  public enum Verdict {
    KEEP,
    REPLACE,
    LOST
  }

  private NodeCheck() {}

  public static Verdict check(Instance i, NodeDirectory.View view, long nowMs, long startTimeoutMs) {
    if (i.nodeId().isEmpty() || i.phase() == Instance.Phase.UNPLACED || i.phase() == Instance.Phase.PERSISTING) {
      return Verdict.KEEP;
    }
    if ((i.phase() == Instance.Phase.STARTING || i.phase() == Instance.Phase.RESERVING)
        && i.askedAtMs() >= 0
        && nowMs - i.askedAtMs() > startTimeoutMs) {
      return Verdict.LOST;
    }
    NodeDirectory.Node node = view.initialized() ? view.node(i.nodeId()) : null;
    if (node == null || node.up()) {
      return Verdict.KEEP;
    }
    if (node.state().equals(NodeDirectory.LEAVING)) {
      if (i.phase() == Instance.Phase.DRAINING) {
        return Verdict.KEEP;
      }
      for (NodeDirectory.Node n : view.nodes()) {
        if (n.up() && !n.nodeId().equals(i.nodeId())) {
          return Verdict.REPLACE;
        }
      }
      return Verdict.KEEP;
    }
    return Verdict.LOST;
  }
}
