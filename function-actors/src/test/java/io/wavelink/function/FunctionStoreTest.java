package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The durable half of a function: replies, events and state of every command, and recovery. The
 * test kit also round-trips every command, event and state through the protobuf serializers.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class FunctionStoreTest {

  @JUnit5TestKit
  public ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()))
          .build();

  private EventSourcedBehaviorTestKit<FunctionStore.Command, FunctionStore.Event, FunctionStore.State> store;

  @BeforeEach
  void setUp() {
    store = EventSourcedBehaviorTestKit.create(testKit.system(), FunctionStore.create("echo"));
  }

  private static FunctionSpec spec(int concurrency) {
    return new FunctionSpec(
        "echo", "wasm", io.wavelink.node.ModuleRef.stored("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 4), 64, 1000, concurrency, 0, 5, Map.of("A", "b"), "", -1, Map.of());
  }

  @Test
  void aFirstDeployCreatesVersionOne() {
    var result = store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    FunctionStore.Deployed deployed = result.replyOfType(FunctionStore.Deployed.class);
    assertEquals(1, deployed.version());
    assertTrue(deployed.created());
    assertInstanceOf(FunctionStore.FunctionDeployed.class, result.event());
    assertEquals(1, result.state().version());
    assertEquals(1, result.state().spec().orElseThrow().concurrency());
  }

  @Test
  void anUpdateBumpsTheVersionAndAStaleOneConflicts() {
    store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    var update = store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(4), 1, r));
    FunctionStore.Deployed deployed = update.replyOfType(FunctionStore.Deployed.class);
    assertEquals(2, deployed.version());
    assertFalse(deployed.created());

    var stale = store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(8), 1, r));
    assertInstanceOf(FunctionStore.DeployConflict.class, stale.reply());
    assertTrue(stale.hasNoEvents());
    assertEquals(4, stale.state().spec().orElseThrow().concurrency());
  }

  @Test
  void deleteFreesTheNameButVersionsKeepCounting() {
    store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    var deleted = store.<FunctionStore.DeleteResult>runCommand(FunctionStore.Delete::new);
    assertTrue(deleted.reply().found());
    assertInstanceOf(FunctionStore.FunctionDeleted.class, deleted.event());
    assertFalse(deleted.state().exists());

    var again = store.<FunctionStore.DeleteResult>runCommand(FunctionStore.Delete::new);
    assertFalse(again.reply().found());
    assertTrue(again.hasNoEvents());

    var recreated = store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    FunctionStore.Deployed d = recreated.replyOfType(FunctionStore.Deployed.class);
    assertTrue(d.created());
    assertEquals(2, d.version(), "a version number is never reused");
  }

  @Test
  void regularInstancesAreDesiredStateWithTheirNodes() {
    store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    var added = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AddRegular("echo-r-1", r));
    assertEquals(new FunctionStore.RegularInstanceAdded("echo-r-1", 1), added.event());
    var assigned = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AssignRegular("echo-r-1", "node-a", r));
    assertEquals(new FunctionStore.RegularInstanceAssigned("echo-r-1", "node-a"), assigned.event());
    assertEquals("node-a", assigned.state().regular().get("echo-r-1").nodeId());

    var sameNode = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AssignRegular("echo-r-1", "node-a", r));
    assertTrue(sameNode.hasNoEvents(), "idempotent");
    var twice = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AddRegular("echo-r-1", r));
    assertTrue(twice.hasNoEvents(), "idempotent");

    store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AddRegular("echo-r-2", r));
    var removed = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.RemoveRegular("echo-r-1", r));
    assertEquals(new FunctionStore.RegularInstanceRemoved("echo-r-1"), removed.event());
    assertEquals(Set.of("echo-r-2"), removed.state().regular().keySet());
    var unknown = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.RemoveRegular("nope", r));
    assertTrue(unknown.hasNoEvents());
  }

  @Test
  void noRegularInstanceIsAddedToAFunctionThatDoesNotExist() {
    var added = store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AddRegular("echo-r-1", r));
    assertTrue(added.hasNoEvents());
    assertTrue(added.state().regular().isEmpty());
  }

  @Test
  void everythingIsRecoveredFromTheJournal() {
    store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(1), 0, r));
    store.<FunctionStore.DeployResult>runCommand(r -> new FunctionStore.Deploy(spec(3), 0, r));
    store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AddRegular("echo-r-1", r));
    store.<FunctionStore.Done>runCommand(r -> new FunctionStore.AssignRegular("echo-r-1", "node-a", r));
    FunctionStore.State before = store.getState();

    FunctionStore.State after = store.restart().state();
    assertEquals(before.version(), after.version());
    assertEquals(3, after.spec().orElseThrow().concurrency());
    assertEquals(before.regular(), after.regular());
    assertEquals(2, after.lastVersion());
  }
}
