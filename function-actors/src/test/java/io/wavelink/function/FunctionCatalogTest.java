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
  void namesAreRecoveredFromTheJournal() {
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("x", r));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Register("y", r));
    catalog.<FunctionCatalog.Ack>runCommand(r -> new FunctionCatalog.Unregister("x", r));
    assertEquals(List.of("y"), List.copyOf(catalog.restart().state().names()));
  }
}
