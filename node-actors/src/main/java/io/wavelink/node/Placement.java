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
