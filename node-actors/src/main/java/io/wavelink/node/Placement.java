package io.wavelink.node;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Chooses the node for a new instance from the in-memory node view. Pure: no actor, no I/O; the
 * policy is picked by configuration ({@code wavelink.function.placement}).
 */
public interface Placement {

  /**
   * @param nodes live nodes as last seen
   * @param memoryMb what the instance reserves
   * @param exclude nodes that already refused this instance
   * @return the chosen node id, or empty when no node has room
   */
  Optional<String> choose(List<NodeDirectory.Node> nodes, int memoryMb, Set<String> exclude, RandomGenerator random);

  static Placement byName(String name) {
    return switch (name) {
      case "least-allocated-of-two" -> Placement::leastAllocatedOfTwo;
      case "most-free" -> Placement::mostFree;
      default -> throw new IllegalArgumentException("unknown placement policy " + name);
    };
  }

  /**
   * Power of two choices: two random nodes with room, the one with more free memory wins.
   *
   * <p>Worked example: nodes a (free 100 MB), b (free 900 MB), c (free 0 MB) and a 128 MB instance.
   * c has no room; of a and b only b has room for 128 MB, so b is chosen. With a at 500 MB free,
   * both qualify: two draws among {a, b} pick b unless both draws land on a.
   */
  static Optional<String> leastAllocatedOfTwo(
      List<NodeDirectory.Node> nodes, int memoryMb, Set<String> exclude, RandomGenerator random) {
    List<NodeDirectory.Node> candidates =
        nodes.stream()
            .filter(n -> !exclude.contains(n.nodeId()) && n.freeMb() >= memoryMb)
            .toList();
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    NodeDirectory.Node first = candidates.get(random.nextInt(candidates.size()));
    NodeDirectory.Node second = candidates.get(random.nextInt(candidates.size()));
    return Optional.of((second.freeMb() > first.freeMb() ? second : first).nodeId());
  }

  /**
   * A node for an instance that callers are waiting for, so that room may be made for it by
   * reclaiming idle instances of other functions: the node chosen by {@code policy} among those
   * with enough free memory; else the node with the most room ({@link NodeDirectory.Node#roomMb()}:
   * free plus reclaimable, less what others wait for), even if that is not enough yet: the request
   * then waits there for memory to come free. Empty only when no node that is up could ever hold it.
   *
   * <p>Worked example: a 256 MB instance; node a has 100 MB free and 512 MB of idle instances, b
   * 200 MB free and nothing idle. Neither has 256 MB free, so a (room 612) is chosen, and it asks
   * idle instances back.
   */
  static Optional<String> forWaitingCallers(
      Placement policy, List<NodeDirectory.Node> nodes, int memoryMb, Set<String> exclude, RandomGenerator random) {
    Optional<String> free = policy.choose(nodes, memoryMb, exclude, random);
    if (free.isPresent()) {
      return free;
    }
    return nodes.stream()
        .filter(n -> !exclude.contains(n.nodeId()) && n.capacityMb() >= memoryMb)
        .max(
            java.util.Comparator.comparingInt(NodeDirectory.Node::roomMb)
                .thenComparing(NodeDirectory.Node::nodeId, java.util.Comparator.reverseOrder()))
        .map(NodeDirectory.Node::nodeId);
  }

  /**
   * Whether no node could ever hold an instance of {@code memoryMb}: nodes that are up are known,
   * and every one is smaller. No node known yet (a cluster still forming) is not "never".
   */
  static boolean neverFits(List<NodeDirectory.Node> nodes, int memoryMb) {
    return nodes.stream().anyMatch(n -> n.capacityMb() > 0)
        && nodes.stream().noneMatch(n -> n.capacityMb() >= memoryMb);
  }

  /**
   * Spreads the instances of a burst: power of two choices among the nodes with room, counting the
   * memory of instances this caller already sent to each node that its view may not show yet
   * ({@code pendingMb}, by node id; the view is refreshed about once a second). Without that count,
   * every spawn of a burst would go to the node that looked emptiest a second ago.
   *
   * <p>Worked example: nodes a and b with 1,000 MB free each, a burst of six 128 MB instances. The
   * first goes to a or b; once a holds 384 MB sent (free 616) and b nothing, b wins whenever it is
   * drawn, so the burst ends about even between them.
   */
  static Optional<String> spreading(
      List<NodeDirectory.Node> nodes, int memoryMb, Set<String> exclude,
      java.util.Map<String, Integer> pendingMb, RandomGenerator random) {
    List<NodeDirectory.Node> candidates =
        nodes.stream()
            .filter(n -> !exclude.contains(n.nodeId()) && free(n, pendingMb) >= memoryMb)
            .toList();
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    NodeDirectory.Node first = candidates.get(random.nextInt(candidates.size()));
    NodeDirectory.Node second = candidates.get(random.nextInt(candidates.size()));
    return Optional.of((free(second, pendingMb) > free(first, pendingMb) ? second : first).nodeId());
  }

  private static int free(NodeDirectory.Node n, java.util.Map<String, Integer> pendingMb) {
    return n.freeMb() - pendingMb.getOrDefault(n.nodeId(), 0);
  }

  /** The node with the most free memory; ties broken by node id. */
  static Optional<String> mostFree(
      List<NodeDirectory.Node> nodes, int memoryMb, Set<String> exclude, RandomGenerator random) {
    return nodes.stream()
        .filter(n -> !exclude.contains(n.nodeId()) && n.freeMb() >= memoryMb)
        .max(
            java.util.Comparator.comparingInt(NodeDirectory.Node::freeMb)
                .thenComparing(NodeDirectory.Node::nodeId, java.util.Comparator.reverseOrder()))
        .map(NodeDirectory.Node::nodeId);
  }
}
