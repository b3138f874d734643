package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers whether the event journal is reachable now, for the readiness probe and for refusing
 * deploys (503) while Cassandra is down.
 *
 * <p>{@link #check()} runs {@code SELECT release_version FROM system.local} on the driver session
 * that the journal plugin itself uses (the Pekko Connectors session registry's session for {@code
 * pekko.persistence.cassandra}), so a true answer means the journal's own connection pool works. It
 * answers false when Cassandra does not answer within {@code
 * wavelink.persistence.health-check.timeout} (also while the session is still connecting) or
 * answers with an error; it never fails.
 *
 * <p>Changes between reachable and unreachable are logged once each. If the health check creates
 * the shared session before the journal does, the journal reuses it without running its schema
 * initialisation; that initialisation does nothing in WaveLink, where autocreate is off.
 *
 * <p>Thread-safe. Checks asked while one is in progress share its query and its answer, so a burst
 * of probes costs Cassandra one query. Every continuation runs on the actor system's dispatcher,
 * never on {@code CompletableFuture}'s default executor (which on a machine with two cores starts a
 * new thread per task).
 */
public final class JournalHealth {

  /** The plugin section whose session the journal and the snapshot store share. */
  static final String PLUGIN_CONFIG_PATH = "pekko.persistence.cassandra";

  static final String QUERY = "SELECT release_version FROM system.local";

  private static final Logger log = LoggerFactory.getLogger(JournalHealth.class);

  private final CassandraSession session;
  private final Duration timeout;
  private final Executor executor;
  private final AtomicReference<Boolean> lastAnswer = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<Boolean>> inProgress = new AtomicReference<>();
  private final AtomicLong queries = new AtomicLong();

  private JournalHealth(CassandraSession session, Duration timeout, Executor executor) {
    this.session = session;
    this.timeout = timeout;
    this.executor = executor;
  }

  /** A health check on {@code system}'s journal session, with the configured timeout. */
  public static JournalHealth create(ClassicActorSystemProvider system) {
    PersistenceSettings settings =
        PersistenceSettings.create(system.classicSystem().settings().config());
    return new JournalHealth(
        CassandraSessionRegistry.get(system).sessionFor(PLUGIN_CONFIG_PATH),
        settings.healthCheckTimeout(),
        system.classicSystem().dispatcher());
  }

  /**
   * The check that deploys ask: the same query, with {@code
   * wavelink.persistence.health-check.deploy-timeout} (5 s) as its timeout, so that a Cassandra
   * that answers slowly on a busy machine does not turn deploys away; one that is down turns them
   * away after that timeout.
   */
  public static JournalHealth forDeploys(ClassicActorSystemProvider system) {
    com.typesafe.config.Config config = system.classicSystem().settings().config();
    Duration timeout = config.getDuration("wavelink.persistence.health-check.deploy-timeout");
    return new JournalHealth(
        CassandraSessionRegistry.get(system).sessionFor(PLUGIN_CONFIG_PATH), timeout, system.classicSystem().dispatcher());
  }

  /**
   * Completes with whether Cassandra answered a query within the timeout; never fails. Joins the
   * check in progress if there is one.
   */
  public CompletionStage<Boolean> check() {
    while (true) {
      CompletableFuture<Boolean> running = inProgress.get();
      if (running != null) {
        return running;
      }
      CompletableFuture<Boolean> answer = new CompletableFuture<>();
      if (inProgress.compareAndSet(null, answer)) {
        query(answer);
        return answer;
      }
    }
  }

  private void query(CompletableFuture<Boolean> answer) {
    CompletableFuture<Boolean> raw = new CompletableFuture<>();
    queries.incrementAndGet();
    try {
      session
          .selectOne(SimpleStatement.newInstance(QUERY).setTimeout(timeout))
          .whenCompleteAsync(
              (row, error) -> {
                if (error != null) {
                  log.debug("Journal health query failed: {}", error.toString());
                }
                raw.complete(error == null && row.isPresent());
              },
              executor);
    } catch (RuntimeException e) {
      log.debug("Journal health query could not be sent: {}", e.toString());
      raw.complete(false);
    }
    raw.completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync(
            (reachable, error) -> {
              inProgress.compareAndSet(answer, null);
              answer.complete(logChange(error == null && reachable));
            },
            executor);
  }

  /** How many queries this check sent to Cassandra (checks in progress share one). */
  public long queriesSent() {
    return queries.get();
  }

  /** How long {@link #check()} waits for Cassandra. */
  public Duration timeout() {
    return timeout;
  }

  private boolean logChange(boolean reachable) {
    Boolean previous = lastAnswer.getAndSet(reachable);
    if (previous == null || previous != reachable) {
      if (reachable) {
        log.info("Cassandra journal is reachable");
      } else {
        log.warn("Cassandra journal is not reachable (no answer within {})", timeout);
      }
    }
    return reachable;
  }
}
