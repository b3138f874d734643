package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class FunctionCatalogTest {

  @JUnit5TestKit
  public ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()))
          .build();

  private EventSourcedBehaviorTestKit<FunctionCatalog.Command, FunctionCatalog.Event, FunctionCatalog.State> catalog;

  @BeforeEach
  void setUp() {
    catalog = EventSourcedBehaviorTestKit.create(testKit.system(), FunctionCatalog.create(null));
  }

  @Test
  void registersListsAndUnregistersNamesOnce() {
    var first = catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("b", r));
    assertEquals(new FunctionCatalog.FunctionRegistered("b"), first.event());
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("a", r));
    var again = catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("a", r));
    assertTrue(again.hasNoEvents());
    assertEquals(FunctionCatalog.Ack.INSTANCE, again.reply());

    var names = catalog.<FunctionCatalog.Names>runCommand(FunctionCatalog.ListNames::new);
    assertEquals(List.of("a", "b"), names.reply().names());

    var removed = catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Unregister("a", r));
    assertEquals(new FunctionCatalog.FunctionUnregistered("a"), removed.event());
    assertTrue(catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Unregister("a", r)).hasNoEvents());
  }

  @Test
  void anApplyWritesItsChangesInOrderInOneWriteLeavingOutWhatChangesNothing() {
    // Apply never leaves its member (the writer and the catalog are parent and child): not serialized
    var catalog = EventSourcedBehaviorTestKit.<FunctionCatalog.Command, FunctionCatalog.Event, FunctionCatalog.State>create(
        testKit.system(), FunctionCatalog.create(null),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("kept", r));
    var ignored = testKit.<FunctionCatalog.Ack>createTestProbe().ref();
    var applied = catalog.<FunctionCatalog.Applied>runCommand(r -> new FunctionCatalog.Apply(List.of(
        new FunctionCatalog.Register("kept", ignored), // already there: nothing
        new FunctionCatalog.Register("a", ignored),
        new FunctionCatalog.Register("a", true, ignored), // now asleep
        new FunctionCatalog.Register("gone", ignored),
        new FunctionCatalog.Unregister("gone", ignored),
        new FunctionCatalog.Unregister("never", ignored)), r));
    assertEquals(new FunctionCatalog.Applied(4), applied.reply());
    assertEquals(List.of(
            new FunctionCatalog.FunctionRegistered("a", false),
            new FunctionCatalog.FunctionRegistered("a", true),
            new FunctionCatalog.FunctionRegistered("gone", false),
            new FunctionCatalog.FunctionUnregistered("gone")),
        applied.events());
    assertEquals(List.of("a", "kept"), applied.state().names());
    assertEquals(List.of("kept"), applied.state().awakeNames());
    var nothing = catalog.<FunctionCatalog.Applied>runCommand(r -> new FunctionCatalog.Apply(
        List.of(new FunctionCatalog.Register("kept", ignored)), r));
    assertTrue(nothing.hasNoEvents());
    assertEquals(new FunctionCatalog.Applied(0), nothing.reply());
    assertEquals(List.of("a", "kept"), catalog.restart().state().names());
  }

  @Test
  void namesAreRecoveredFromTheJournal() {
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("x", r));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("y", r));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Unregister("x", r));
    assertEquals(List.of("y"), catalog.restart().state().names());
  }

  @Test
  void pagesWalkEveryNameOnceInOrder() {
    for (String n : List.of("delta", "alpha", "echo", "charlie", "bravo")) {
      catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register(n, r));
    }
    List<String> seen = new java.util.ArrayList<>();
    String after = "";
    int pages = 0;
    FunctionCatalog.Names page;
    do {
      String from = after;
      page = catalog.<FunctionCatalog.Names>runCommand(r -> new FunctionCatalog.ListNames(from, 2, r)).reply();
      seen.addAll(page.names());
      after = page.names().isEmpty() ? after : page.names().get(page.names().size() - 1);
      pages++;
    } while (page.more());
    assertEquals(List.of("alpha", "bravo", "charlie", "delta", "echo"), seen);
    assertEquals(3, pages);
    // the cursor need not exist any more ("bz" was deleted between two pages)
    assertEquals(List.of("charlie", "delta"),
        catalog.<FunctionCatalog.Names>runCommand(r -> new FunctionCatalog.ListNames("bz", 2, r)).reply().names());
    var last = catalog.<FunctionCatalog.Names>runCommand(r -> new FunctionCatalog.ListNames("charlie", 2, r)).reply();
    assertEquals(List.of("delta", "echo"), last.names());
    assertTrue(!last.more());
  }

  @Test
  void aHundredThousandNamesCostLittlePerChange() {
    FunctionCatalog.State state = FunctionCatalog.State.of(List.of());
    FunctionCatalog.State before = state;
    for (int i = 0; i < 100_000; i++) {
      state = state.with(String.format("f-%06d", i), i % 100 != 0);
    }
    assertEquals(0, before.size(), "a change makes a new state; the old one is untouched");
    assertEquals(100_000, state.size());
    assertEquals(List.of("f-050000", "f-050001"), state.page("f-049999", 2).names());
    assertEquals(99_999, state.without("f-000000").size());
    assertEquals(1_000, state.awake().size(), "one in a hundred keeps instances: woken after a restart");
    assertEquals(List.of("f-000100", "f-000200"), state.awakePage("f-000000", 2).names());
  }

  @Test
  void onlyFunctionsWithMinScaleAreWokenAfterARestartAndAChangeOfMinScaleIsRecorded() {
    var asleep = catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("idle", true, r));
    assertEquals(new FunctionCatalog.FunctionRegistered("idle", true), asleep.event());
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("warm", false, r));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("later", true, r));
    assertTrue(catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("idle", true, r)).hasNoEvents());
    // redeployed with minScale 1: woken from now on
    var woken = catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("later", false, r));
    assertEquals(new FunctionCatalog.FunctionRegistered("later", false), woken.event());

    FunctionCatalog.State recovered = catalog.restart().state();
    assertEquals(List.of("idle", "later", "warm"), recovered.names(), "every name is listed");
    assertEquals(List.of("later", "warm"), recovered.awakeNames(), "only these are woken");
    assertEquals(List.of("warm"), recovered.awakePage("later", 10).names());

    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Unregister("warm", r));
    assertEquals(List.of("later"), catalog.restart().state().awakeNames());
  }
}
