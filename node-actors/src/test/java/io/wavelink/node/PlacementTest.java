package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PlacementTest {

  private static NodeDirectory.Node node(String id, int capacity, int allocated) {
    return new NodeDirectory.Node(
        id, null, new Wavelet.NodeStatus(id, "m", capacity, allocated, 0, List.of(), false), NodeDirectory.UP);
  }

  @Test
  void onlyNodesWithRoomAreChosen() {
    List<NodeDirectory.Node> nodes = List.of(node("a", 1000, 900), node("b", 1000, 100), node("c", 1000, 1000));
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 50; i++) {
      assertEquals(Optional.of("b"), Placement.leastAllocatedOfTwo(nodes, 128, Set.of(), random));
    }
  }

  @Test
  void excludedAndFullNodesGiveNothing() {
    List<NodeDirectory.Node> nodes = List.of(node("a", 1000, 950), node("b", 1000, 100));
    assertTrue(Placement.leastAllocatedOfTwo(nodes, 128, Set.of("b"), new SplittableRandom(1)).isEmpty());
    assertTrue(Placement.mostFree(nodes, 2000, Set.of(), new SplittableRandom(1)).isEmpty());
  }

  @Test
  void twoChoicesPreferTheLessAllocatedNode() {
    List<NodeDirectory.Node> nodes = List.of(node("a", 1000, 500), node("b", 1000, 0));
    SplittableRandom random = new SplittableRandom(7);
    int b = 0;
    for (int i = 0; i < 1000; i++) {
      if (Placement.leastAllocatedOfTwo(nodes, 128, Set.of(), random).orElseThrow().equals("b")) {
        b++;
      }
    }
    // a wins only when both draws land on it: about a quarter of the time
    assertTrue(b > 650 && b < 850, "b chosen " + b + " times of 1000");
  }

  @Test
  void mostFreeTakesTheEmptiestNode() {
    List<NodeDirectory.Node> nodes = List.of(node("a", 1000, 500), node("b", 1000, 0), node("c", 2000, 900));
    assertEquals(Optional.of("c"), Placement.mostFree(nodes, 128, Set.of(), new SplittableRandom(3)));
  }

  @Test
  void aBurstSpreadsOverTheNodesWithRoomWhenWhatWasSentIsCounted() {
    List<NodeDirectory.Node> nodes = List.of(node("a", 4096, 0), node("b", 4096, 0), node("c", 4096, 0), node("d", 4096, 3900));
    SplittableRandom random = new SplittableRandom(11);
    java.util.Map<String, Integer> sent = new java.util.HashMap<>();
    for (int i = 0; i < 30; i++) { // the node view does not change during the burst
      String n = Placement.spreading(nodes, 128, Set.of(), sent, random).orElseThrow();
      sent.merge(n, 128, Integer::sum);
    }
    assertEquals(Set.of("a", "b", "c", "d"), sent.keySet(), "every node with room gets some: " + sent);
    assertTrue(sent.get("d") <= 128, "d had room for one only: " + sent);
    for (String n : List.of("a", "b", "c")) {
      assertTrue(sent.get(n) >= 8 * 128 && sent.get(n) <= 12 * 128, "about a third each: " + sent);
    }
    // what was sent counts against a node's room, as the node will count it
    java.util.Map<String, Integer> full = java.util.Map.of("a", 4096, "b", 4096, "c", 4000);
    assertEquals(Optional.empty(), Placement.spreading(nodes, 128, Set.of("d"), full, random));
  }
}
