package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A node's persisted placements, its refusals, and what it tells its Wavelet. */
@ExtendWith(TestKitJUnit5Extension.class)
class NodeEntityTest {

  @JUnit5TestKit
  public ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()))
          .build();

  private EventSourcedBehaviorTestKit<NodeEntity.Command, NodeEntity.Event, NodeEntity.State> node;
  private TestProbe<Wavelet.Command> wavelet;
  private TestProbe<Wavelet.InstanceEvent> owner;

  @BeforeEach
  void setUp() {
    node = EventSourcedBehaviorTestKit.create(testKit.system(), NodeEntity.create("node-a"));
    wavelet = testKit.createTestProbe();
    owner = testKit.createTestProbe();
  }

  private Wavelet.StartInstance start(String id, int memoryMb) {
    return new Wavelet.StartInstance(
        id, "f", 1, InstanceKind.REGULAR, ModuleRef.inline(new byte[] {1}), memoryMb, 1, Map.of(), owner.getRef());
  }

  private void register(int capacity) {
    node.runCommand(new NodeEntity.Register("pekko://wavelink@h:1", capacity, wavelet.getRef()));
    wavelet.expectMessageClass(Wavelet.Reconcile.class);
  }

  @Test
  void registrationPersistsCapacityOnceAndReconciles() {
    var first = node.runCommand(new NodeEntity.Register("pekko://wavelink@h:1", 1024, wavelet.getRef()));
    assertEquals(new NodeEntity.NodeRegistered("pekko://wavelink@h:1", 1024), first.event());
    assertEquals(Set.of(), wavelet.expectMessageClass(Wavelet.Reconcile.class).assignedRegular());
    var again = node.runCommand(new NodeEntity.Register("pekko://wavelink@h:1", 1024, wavelet.getRef()));
    assertTrue(again.hasNoEvents(), "a heartbeat is not an event");
    wavelet.expectMessageClass(Wavelet.Reconcile.class);
  }

  @Test
  void aPlacementIsPersistedBeforeTheWaveletStartsIt() {
    register(1024);
    var placed = node.runCommand(new NodeEntity.Place(start("f-r-1", 256)));
    assertEquals(new NodeEntity.InstancePlaced("f-r-1", "f", 256), placed.event());
    assertEquals("f-r-1", wavelet.expectMessageClass(Wavelet.StartInstance.class).instanceId());
    assertEquals(256, placed.state().placedMb());

    var idempotent = node.runCommand(new NodeEntity.Place(start("f-r-1", 256)));
    assertTrue(idempotent.hasNoEvents());
    wavelet.expectMessageClass(Wavelet.StartInstance.class);
  }

  @Test
  void aNodeWithoutAWaveletRefuses() {
    node.runCommand(new NodeEntity.Place(start("f-r-1", 256)));
    Wavelet.InstanceFailed noWavelet = (Wavelet.InstanceFailed) owner.receiveMessage();
    assertTrue(noWavelet.refused());
  }

  @Test
  void capacityIsTheWaveletsToAdmitTheEntityKeepsTheDurableRecord() {
    // the node's one capacity ledger is its Wavelet's (both tracks); the owner reserved there first
    register(300);
    node.runCommand(new NodeEntity.Place(start("f-r-2", 256)));
    wavelet.expectMessageClass(Wavelet.StartInstance.class);
    var beyond = node.runCommand(new NodeEntity.Place(start("f-r-3", 256)));
    assertEquals(new NodeEntity.InstancePlaced("f-r-3", "f", 256), beyond.event());
    assertEquals("f-r-3", wavelet.expectMessageClass(Wavelet.StartInstance.class).instanceId());
  }

  @Test
  void anInstanceReservesItsMemoryTimesItsConcurrency() {
    register(1024);
    var placed =
        node.runCommand(
            new NodeEntity.Place(
                new Wavelet.StartInstance(
                    "f-r-9", "f", 1, InstanceKind.REGULAR, ModuleRef.inline(new byte[] {1}), 128, 4, Map.of(), owner.getRef())));
    assertEquals(512, placed.state().placedMb());
  }

  @Test
  void releaseIsPersistedAndStopsTheSandbox() {
    register(1024);
    node.runCommand(new NodeEntity.Place(start("f-r-1", 128)));
    wavelet.expectMessageClass(Wavelet.StartInstance.class);
    var released = node.runCommand(new NodeEntity.Release("f-r-1"));
    assertEquals(new NodeEntity.InstanceReleased("f-r-1"), released.event());
    assertEquals("f-r-1", wavelet.expectMessageClass(Wavelet.StopInstance.class).instanceId());
    assertTrue(node.runCommand(new NodeEntity.Release("f-r-1")).hasNoEvents());
  }

  @Test
  void aPlacementItsFunctionNoLongerWantsIsReleased() {
    register(1024);
    node.runCommand(new NodeEntity.Place(start("f-r-1", 128)));
    node.runCommand(new NodeEntity.Place(start("f-r-2", 128)));
    wavelet.expectMessageClass(Wavelet.StartInstance.class);
    wavelet.expectMessageClass(Wavelet.StartInstance.class);
    assertTrue(node.runCommand(new NodeEntity.PlacementChecked("f-r-1", true)).hasNoEvents());
    var released = node.runCommand(new NodeEntity.PlacementChecked("f-r-2", false));
    assertEquals(new NodeEntity.InstanceReleased("f-r-2"), released.event(), "a release that was lost on its way");
    assertEquals("f-r-2", wavelet.expectMessageClass(Wavelet.StopInstance.class).instanceId());
    assertEquals(Set.of("f-r-1"), released.state().placements().keySet());
    assertTrue(node.runCommand(new NodeEntity.PlacementChecked("f-r-2", false)).hasNoEvents());
  }

  /**
   * After a restart, the Wavelet's first registration checks every placement with its function, which
   * wakes the function: a batch at a time, so that thousands of functions are not all loaded at once.
   */
  @Test
  void afterARestartPlacementsAreCheckedWithTheirFunctionsABatchAtATime() {
    java.util.List<String> asked = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.List<Long> askedAt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    var paced = EventSourcedBehaviorTestKit.<NodeEntity.Command, NodeEntity.Event, NodeEntity.State>create(
        testKit.system(),
        NodeEntity.create("node-paced", (function, instanceId, nodeId, replyTo) -> {
          asked.add(instanceId);
          askedAt.add(System.nanoTime());
        }, java.time.Duration.ZERO));
    paced.runCommand(new NodeEntity.Register("pekko://wavelink@h:1", 100_000, wavelet.getRef()));
    wavelet.expectMessageClass(Wavelet.Reconcile.class);
    int n = 2 * NodeEntity.CHECK_BATCH + 20;
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = String.format("f-r-%03d", i);
      ids.add(id);
      paced.runCommand(new NodeEntity.Place(start(id, 1)));
      wavelet.expectMessageClass(Wavelet.StartInstance.class);
    }
    assertTrue(asked.isEmpty(), "no check while the Wavelet stays registered");

    paced.restart();
    paced.runCommand(new NodeEntity.Register("pekko://wavelink@h:1", 100_000, wavelet.getRef()));
    wavelet.expectMessageClass(Wavelet.Reconcile.class);
    owner.awaitAssert(java.time.Duration.ofSeconds(30), () -> {
      assertTrue(asked.size() >= n, "every placement checked: " + asked.size() + " of " + n);
      return null;
    });
    assertEquals(ids, java.util.List.copyOf(asked), "each placement once, in id order");
    long batchGap = askedAt.get(NodeEntity.CHECK_BATCH) - askedAt.get(0);
    long secondGap = askedAt.get(2 * NodeEntity.CHECK_BATCH) - askedAt.get(NodeEntity.CHECK_BATCH);
    assertTrue(batchGap >= NodeEntity.CHECK_PACE.toNanos() * 4 / 5 && secondGap >= NodeEntity.CHECK_PACE.toNanos() * 4 / 5,
        "a batch every " + NodeEntity.CHECK_PACE + ": " + batchGap / 1_000_000 + " and " + secondGap / 1_000_000 + " ms");
  }

  @Test
  void placementsAreRecoveredAndTheWaveletMustRegisterAgain() {
    register(1024);
    node.runCommand(new NodeEntity.Place(start("f-r-1", 128)));
    node.runCommand(new NodeEntity.Place(start("f-r-2", 128)));
    var state = node.restart().state();
    assertEquals(Set.of("f-r-1", "f-r-2"), state.placements().keySet());
    assertEquals(1024, state.capacityMb());
    // liveness is not persisted: until the Wavelet registers again, placements are refused
    node.runCommand(new NodeEntity.Place(start("f-r-3", 128)));
    assertTrue(owner.receiveMessage() instanceof Wavelet.InstanceFailed);
  }
}
