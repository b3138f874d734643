package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.persistence.internal.LocalPorts;
import io.wavelink.persistence.testkit.TestCassandra;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

class JournalHealthTest {

  @Test
  void reachableWhenCassandraAnswers() throws Exception {
    ActorTestKit testKit =
        ActorTestKit.create("health-up", TestCassandra.config().withFallback(ConfigFactory.load()));
    try {
      JournalHealth health = JournalHealth.create(testKit.system());
      // the first checks also open the driver session; on a busy machine that can take longer
      // than one check's timeout (1 s), so the answer turns true within a deadline
      io.wavelink.persistence.testkit.Await.until(
          "the journal answers", java.time.Duration.ofSeconds(60),
          () -> health.check().toCompletableFuture().get(30, TimeUnit.SECONDS));
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void unreachableWhenNothingListens() throws Exception {
    String nowhere = "127.0.0.1:" + LocalPorts.free("127.0.0.1", 1).get(0);
    Config config =
        ConfigFactory.parseString(
                "wavelink.persistence.cassandra.contact-points = \""
                    + nowhere
                    + "\"\nwavelink.persistence.health-check.timeout = 500ms")
            .withFallback(ConfigFactory.load());
    ActorTestKit testKit = ActorTestKit.create("health-down", config);
    try {
      JournalHealth health = JournalHealth.create(testKit.system());
      long started = System.nanoTime();
      assertFalse(health.check().toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 5_000,
          "answers within about the configured timeout");
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
