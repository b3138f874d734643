package io.wavelink.benchmarks;

import io.wavelink.node.NodeDirectory;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of choosing a node for a new instance from the member's node view: {@link
 * Placement#leastAllocatedOfTwo} (the regular track's default) and {@link Placement#mostFree} (the
 * emergency track's), over 10, 100 and 1000 nodes.
 *
 * <p>The view is what {@code NodeDirectory} hands out: {@code Node} records of UP nodes with their
 * last {@code Wavelet.NodeStatus}. Each node offers 4096 MB, of which a seeded random multiple of 64
 * MB is allocated; every tenth node is full. The instance asks for 128 MB and no node has refused it
 * yet (an empty exclusion set), as on a first attempt.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PlacementBenchmark {

  static final int CAPACITY_MB = 4096;
  static final int INSTANCE_MB = 128;

  @Param({"10", "100", "1000"})
  public int nodes;

  List<NodeDirectory.Node> view;
  SplittableRandom random;

  @Setup
  public void setUp() {
    view = nodes(nodes, new SplittableRandom(7));
    random = new SplittableRandom(42);
  }

  static List<NodeDirectory.Node> nodes(int count, SplittableRandom random) {
    List<NodeDirectory.Node> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String id = "node-10-0-" + (i / 250) + "-" + (i % 250) + "-2551";
      int allocated = i % 10 == 9 ? CAPACITY_MB : 64 * random.nextInt(CAPACITY_MB / 64);
      Wavelet.NodeStatus status =
          new Wavelet.NodeStatus(
              id, "pekko://wavelink@10.0." + (i / 250) + "." + (i % 250) + ":2551",
              CAPACITY_MB, allocated, allocated / 64, List.of(), false);
      list.add(new NodeDirectory.Node(id, null, status, NodeDirectory.UP));
    }
    return List.copyOf(list);
  }

  @Benchmark
  public Optional<String> leastAllocatedOfTwo() {
    return Placement.leastAllocatedOfTwo(view, INSTANCE_MB, Set.of(), random);
  }

  @Benchmark
  public Optional<String> mostFree() {
    return Placement.mostFree(view, INSTANCE_MB, Set.of(), random);
  }
}
