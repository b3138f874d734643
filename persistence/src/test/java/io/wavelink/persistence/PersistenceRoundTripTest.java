package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.persistence.testkit.TestCassandra;
import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.Test;

/**
 * Events and snapshots written through pekko-persistence-cassandra to the real Cassandra are
 * recovered by a new ActorSystem.
 */
class PersistenceRoundTripTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /**
   * A test entity whose state is the entries appended so far, joined with commas. Events and
   * snapshots are Strings, serialized by Pekko's built-in String serializer (Java serialization is
   * off). Snapshots every 2 events.
   */
  static final class Ledger extends EventSourcedBehavior<Ledger.Command, String, String> {

    sealed interface Command {}

    record Append(String entry, ActorRef<Done> replyTo) implements Command {}

    record Get(ActorRef<String> replyTo) implements Command {}

    static Behavior<Command> create(String id) {
      return new Ledger(PersistenceId.ofUniqueId(id));
    }

    private Ledger(PersistenceId persistenceId) {
      super(persistenceId);
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Command, String, String> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Append.class,
              (state, append) ->
                  Effect()
                      .persist(append.entry())
                      .thenReply(append.replyTo(), s -> Done.getInstance()))
          .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
          .build();
    }

    @Override
    public EventHandler<String, String> eventHandler() {
      return newEventHandlerBuilder()
          .forAnyState()
          .onEvent(String.class, (state, entry) -> state.isEmpty() ? entry : state + "," + entry)
          .build();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(2, 2);
    }
  }

  @Test
  void aNewActorSystemRecoversPersistedEvents() {
    String id = "round-trip-" + UUID.randomUUID();
    Config config = TestCassandra.config().withFallback(ConfigFactory.load());

    ActorTestKit first = ActorTestKit.create("round-trip-1", config);
    try {
      ActorRef<Ledger.Command> ledger = first.spawn(Ledger.create(id));
      TestProbe<Done> done = first.createTestProbe();
      for (String entry : new String[] {"a", "b", "c"}) {
        ledger.tell(new Ledger.Append(entry, done.getRef()));
        done.expectMessage(TIMEOUT, Done.getInstance());
      }
    } finally {
      first.shutdownTestKit();
    }

    try (CqlSession session = TestCassandra.newSession()) {
      assertEquals(
          3,
          session
              .execute(
                  "SELECT sequence_nr FROM wavelink.messages"
                      + " WHERE persistence_id = ? AND partition_nr = 0",
                  id)
              .all()
              .size());
      assertFalse(
          session
              .execute(
                  "SELECT sequence_nr FROM wavelink_snapshot.snapshots WHERE persistence_id = ?",
                  id)
              .all()
              .isEmpty());
    }

    ActorTestKit second = ActorTestKit.create("round-trip-2", config);
    try {
      ActorRef<Ledger.Command> ledger = second.spawn(Ledger.create(id));
      TestProbe<String> state = second.createTestProbe();
      ledger.tell(new Ledger.Get(state.getRef()));
      assertEquals("a,b,c", state.expectMessageClass(String.class, TIMEOUT));

      TestProbe<Done> done = second.createTestProbe();
      ledger.tell(new Ledger.Append("d", done.getRef()));
      done.expectMessage(TIMEOUT, Done.getInstance());
      ledger.tell(new Ledger.Get(state.getRef()));
      assertEquals("a,b,c,d", state.expectMessageClass(String.class, TIMEOUT));

      assertTrue(
          JournalHealth.create(second.system()).check().toCompletableFuture().join(),
          "the journal's own session answers");
    } finally {
      second.shutdownTestKit();
    }
  }
}
