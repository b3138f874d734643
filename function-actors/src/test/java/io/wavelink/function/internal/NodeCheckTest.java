package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.NodeDirectory;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeCheckTest {

  private static NodeDirectory.View view(NodeDirectory.Node... nodes) {
    return new NodeDirectory.View(List.of(nodes), true);
  }

  private static NodeDirectory.Node node(String id, String state) {
    return new NodeDirectory.Node(id, null, null, state);
  }

  private static Instance on(String node, Instance.Phase phase) {
    Instance i = instance("i", InstanceKind.REGULAR, 1, phase, 0);
    i.placeOn(node, null);
    return i;
  }

  @Test
  void unreachableOrGoneNodesLoseTheirInstances() {
    NodeDirectory.View v = view(node("a", NodeDirectory.UP), node("b", NodeDirectory.UNREACHABLE), node("c", NodeDirectory.DOWN));
    assertEquals(NodeCheck.Verdict.KEEP, NodeCheck.check(on("a", Instance.Phase.READY), v, 0, 1000));
    assertEquals(NodeCheck.Verdict.LOST, NodeCheck.check(on("b", Instance.Phase.READY), v, 0, 1000));
    assertEquals(NodeCheck.Verdict.LOST, NodeCheck.check(on("c", Instance.Phase.READY), v, 0, 1000));
    assertEquals(NodeCheck.Verdict.KEEP, NodeCheck.check(on("unknown", Instance.Phase.READY), v, 0, 1000));
  }

  @Test
  void aLeavingNodesInstancesAreReplacedOnlyIfAnotherNodeIsUp() {
    Instance i = on("a", Instance.Phase.READY);
    assertEquals(NodeCheck.Verdict.REPLACE,
        NodeCheck.check(i, view(node("a", NodeDirectory.LEAVING), node("b", NodeDirectory.UP)), 0, 1000));
    assertEquals(NodeCheck.Verdict.KEEP,
        NodeCheck.check(i, view(node("a", NodeDirectory.LEAVING)), 0, 1000), "the last node leaving keeps it");
  }

  @Test
  void aStartThatNeverAnsweredIsLost() {
    Instance i = on("a", Instance.Phase.STARTING);
    i.starting(100);
    NodeDirectory.View v = view(node("a", NodeDirectory.UP));
    assertEquals(NodeCheck.Verdict.KEEP, NodeCheck.check(i, v, 1100, 1000));
    assertEquals(NodeCheck.Verdict.LOST, NodeCheck.check(i, v, 1101, 1000));
  }

  @Test
  void instancesWithoutANodeAreLeftAlone() {
    assertEquals(NodeCheck.Verdict.KEEP,
        NodeCheck.check(on("", Instance.Phase.UNPLACED), view(node("a", NodeDirectory.DOWN)), 0, 1000));
  }
}
