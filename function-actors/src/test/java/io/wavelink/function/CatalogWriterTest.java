package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The writer in front of the catalog: the changes that arrive during a write go in the next one. */
@ExtendWith(TestKitJUnit5Extension.class)
class CatalogWriterTest {

  @JUnit5TestKit
  public ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()))
          .build();

  /** A catalog that hands every command to {@code probe} (the test answers the Applys). */
  private static Behavior<FunctionCatalog.Command> relayTo(ActorRef<FunctionCatalog.Command> probe) {
    return Behaviors.receiveMessage(c -> {
      probe.tell(c);
      return Behaviors.same();
    });
  }

  private static List<String> names(FunctionCatalog.Apply apply) {
    List<String> out = new ArrayList<>();
    for (FunctionCatalog.Command c : apply.changes()) {
      out.add(c instanceof FunctionCatalog.Register r ? "+" + r.name() : "-" + ((FunctionCatalog.Unregister) c).name());
    }
    return out;
  }

  @Test
  void changesArrivingDuringAWriteGoTogetherInTheNextAndEachIsAcknowledgedWhenItsWriteIs() {
    TestProbe<FunctionCatalog.Command> store = testKit.createTestProbe();
    var writer = testKit.spawn(CatalogWriter.create(relayTo(store.ref()), 2, Duration.ofSeconds(30)));
    TestProbe<FunctionCatalog.Ack> a = testKit.createTestProbe();
    TestProbe<FunctionCatalog.Ack> b = testKit.createTestProbe();
    TestProbe<FunctionCatalog.Ack> c = testKit.createTestProbe();
    TestProbe<FunctionCatalog.Ack> d = testKit.createTestProbe();

    writer.tell(new FunctionCatalog.Register("a", a.ref()));
    FunctionCatalog.Apply first = store.expectMessageClass(FunctionCatalog.Apply.class);
    assertEquals(List.of("+a"), names(first));
    writer.tell(new FunctionCatalog.Register("b", b.ref()));
    writer.tell(new FunctionCatalog.Unregister("c", c.ref()));
    writer.tell(new FunctionCatalog.Register("d", d.ref()));
    TestProbe<FunctionCatalog.Names> lister = testKit.createTestProbe();
    writer.tell(new FunctionCatalog.ListNames(lister.ref()));
    // a listing is not held back by the write: it goes to the catalog at once
    store.expectMessageClass(FunctionCatalog.ListNames.class);

    first.replyTo().tell(new FunctionCatalog.Applied(1));
    a.expectMessage(FunctionCatalog.Ack.INSTANCE);
    FunctionCatalog.Apply second = store.expectMessageClass(FunctionCatalog.Apply.class);
    assertEquals(List.of("+b", "-c"), names(second), "in arrival order, at most the batch bound");
    second.replyTo().tell(new FunctionCatalog.Applied(2));
    b.expectMessage(FunctionCatalog.Ack.INSTANCE);
    c.expectMessage(FunctionCatalog.Ack.INSTANCE);
    FunctionCatalog.Apply third = store.expectMessageClass(FunctionCatalog.Apply.class);
    assertEquals(List.of("+d"), names(third));
    d.expectNoMessage(Duration.ZERO);
    third.replyTo().tell(new FunctionCatalog.Applied(1));
    d.expectMessage(FunctionCatalog.Ack.INSTANCE);
  }

  @Test
  void aWriteNotConfirmedInTimeIsNotAcknowledgedAndTheNextGoesOn() {
    TestProbe<FunctionCatalog.Command> store = testKit.createTestProbe();
    var writer = testKit.spawn(CatalogWriter.create(relayTo(store.ref()), 10, Duration.ofMillis(200)));
    TestProbe<FunctionCatalog.Ack> lost = testKit.createTestProbe();
    TestProbe<FunctionCatalog.Ack> next = testKit.createTestProbe();
    writer.tell(new FunctionCatalog.Register("lost", lost.ref()));
    store.expectMessageClass(FunctionCatalog.Apply.class); // never answered
    writer.tell(new FunctionCatalog.Register("next", next.ref()));
    FunctionCatalog.Apply after = store.expectMessageClass(FunctionCatalog.Apply.class, Duration.ofSeconds(10));
    assertEquals(List.of("+next"), names(after));
    after.replyTo().tell(new FunctionCatalog.Applied(1));
    next.expectMessage(FunctionCatalog.Ack.INSTANCE);
    lost.expectNoMessage(Duration.ZERO);
  }

  @Test
  void overTheRealCatalogEveryChangeIsRecordedAndListed() {
    var writer = testKit.spawn(CatalogWriter.create(FunctionCatalog.create(null), 50, Duration.ofSeconds(30)));
    List<TestProbe<FunctionCatalog.Ack>> acks = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      TestProbe<FunctionCatalog.Ack> ack = testKit.createTestProbe();
      acks.add(ack);
      writer.tell(i % 3 == 2
          ? new FunctionCatalog.Unregister(String.format("f%03d", i - 1), ack.ref())
          : new FunctionCatalog.Register(String.format("f%03d", i), ack.ref()));
    }
    for (TestProbe<FunctionCatalog.Ack> ack : acks) {
      ack.expectMessage(Duration.ofSeconds(30), FunctionCatalog.Ack.INSTANCE);
    }
    TestProbe<FunctionCatalog.Names> lister = testKit.createTestProbe();
    writer.tell(new FunctionCatalog.ListNames(lister.ref()));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 300; i += 3) {
      expected.add(String.format("f%03d", i));
    }
    assertEquals(expected, lister.receiveMessage(Duration.ofSeconds(30)).names());
  }
}
