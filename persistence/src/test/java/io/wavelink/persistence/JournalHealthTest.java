package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  /**
   * Deploys wait longer for Cassandra than readiness does (a busy machine answers slower than 1 s,
   * and the deploy would still be made durable), and still answer false, within that longer
   * timeout, when no Cassandra is there.
   */
  @Test
  void theDeployCheckWaitsLongerAndStillAnswersWhenNoCassandraIsThere() throws Exception {
    String nowhere = "127.0.0.1:" + LocalPorts.free("127.0.0.1", 1).get(0);
    Config config =
        ConfigFactory.parseString(
                "wavelink.persistence.cassandra.contact-points = \""
                    + nowhere
                    + "\"\nwavelink.persistence.health-check.deploy-timeout = 3s")
            .withFallback(ConfigFactory.load());
    ActorTestKit testKit = ActorTestKit.create("health-deploys", config);
    try {
      assertEquals(java.time.Duration.ofSeconds(1), JournalHealth.create(testKit.system()).timeout());
      JournalHealth deploys = JournalHealth.forDeploys(testKit.system());
      assertEquals(java.time.Duration.ofSeconds(3), deploys.timeout());
      long started = System.nanoTime();
      assertFalse(deploys.check().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertTrue(
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 15_000,
          "answers within about its timeout");
    } finally {
      testKit.shutdownTestKit();
    }
  }

  /**
   * Readiness is probed often, by many probes at once: checks in progress share one query, and no
   * check leaves a thread behind (a CompletableFuture continued without an executor runs on a new
   * thread per task when the common pool has one core, as on a 2-core machine).
   */
  @Test
  void manyProbesShareQueriesAndStartNoThreads() throws Exception {
    String nowhere = "127.0.0.1:" + LocalPorts.free("127.0.0.1", 1).get(0);
    Config config =
        ConfigFactory.parseString(
                "wavelink.persistence.cassandra.contact-points = \""
                    + nowhere
                    + "\"\nwavelink.persistence.health-check.timeout = 300ms")
            .withFallback(ConfigFactory.load());
    ActorTestKit testKit = ActorTestKit.create("health-many", config);
    try {
      JournalHealth health = JournalHealth.create(testKit.system());
      assertFalse(health.check().toCompletableFuture().get(10, TimeUnit.SECONDS)); // session, pools up
      int before = Thread.activeCount();
      int peak = before;
      java.util.List<java.util.concurrent.CompletableFuture<Boolean>> answers = new java.util.ArrayList<>();
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 200; i++) {
          answers.add(health.check().toCompletableFuture());
          peak = Math.max(peak, Thread.activeCount());
        }
        for (java.util.concurrent.CompletableFuture<Boolean> a : answers) {
          assertFalse(a.get(10, TimeUnit.SECONDS));
          peak = Math.max(peak, Thread.activeCount());
        }
        answers.clear();
      }
      assertTrue(
          peak - before <= 8,
          "1000 checks started " + (peak - before) + " threads (" + before + " before)");
      assertTrue(
          health.queriesSent() <= 1 + 5 * 3,
          "checks in progress share a query: " + health.queriesSent() + " queries for 1000 checks");
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
