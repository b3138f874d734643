package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.wavelink.persistence.internal.DriverSessions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WaveLink's Cassandra schema: the keyspaces and tables pekko-persistence-cassandra 1.1.0 uses, and
 * those of the {@link ModuleStore}, checked in as {@value #RESOURCE}.
 *
 * <p>Every statement is {@code CREATE ... IF NOT EXISTS}, so applying the schema again is harmless.
 * Apply it from one place before the WaveLink nodes start (the launcher, a deploy step, {@code
 * TestCassandra}), not from every node at once: Cassandra handles concurrent schema changes badly.
 * The keyspaces use SimpleStrategy with one replica; see the resource for what production changes.
 */
public final class Schema {

  /** The classpath resource holding the CQL. */
  public static final String RESOURCE = "/io/wavelink/persistence/schema.cql";

  /** The journal's keyspace (pekko.persistence.cassandra.journal.keyspace). */
  public static final String JOURNAL_KEYSPACE = "wavelink";

  /** The snapshot store's keyspace (pekko.persistence.cassandra.snapshot.keyspace). */
  public static final String SNAPSHOT_KEYSPACE = "wavelink_snapshot";

  /** The journal keyspace's tables, in schema order. */
  public static final List<String> JOURNAL_TABLES =
      List.of(
          "messages",
          "tag_views",
          "tag_write_progress",
          "tag_scanning",
          "metadata",
          "all_persistence_ids",
          "modules",
          "module_chunks",
          "api_keys",
          "api_key_ids",
          "async_invocations",
          "async_queue",
          "async_backlog",
          "async_by_function",
          "async_dead_letters",
          "async_schedules",
          "async_idempotency");

  /** The tables of the {@link ModuleStore}, in the journal's keyspace (not the plugin's). */
  public static final List<String> MODULE_TABLES = List.of("modules", "module_chunks");

  /** The tables of the {@link ApiKeyStore}, in the journal's keyspace. */
  public static final List<String> KEY_TABLES = List.of("api_keys", "api_key_ids");

  /** The tables of the {@link AsyncStore}, in the journal's keyspace. */
  public static final List<String> ASYNC_TABLES =
      List.of("async_invocations", "async_queue", "async_backlog", "async_by_function", "async_dead_letters",
          "async_schedules", "async_idempotency");

  /** WaveLink's own tables in the journal's keyspace (beside the journal plugin's). */
  public static final List<String> OWN_TABLES =
      java.util.stream.Stream.of(MODULE_TABLES, KEY_TABLES, ASYNC_TABLES).flatMap(List::stream).toList();

  /** The snapshot keyspace's tables. */
  public static final List<String> SNAPSHOT_TABLES = List.of("snapshots");

  private static final Logger log = LoggerFactory.getLogger(Schema.class);
  private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> STATEMENTS = parse(readResource());

  private Schema() {}

  /**
   * The CQL statements of {@value #RESOURCE}, in order, without comments or trailing semicolons.
   */
  public static List<String> statements() {
    return STATEMENTS;
  }

  /**
   * Executes every statement on {@code session}, one after the other, each with a 30 s timeout.
   *
   * @throws com.datastax.oss.driver.api.core.DriverException if a statement fails
   */
  public static void apply(CqlSession session) {
    long started = System.nanoTime();
    for (String cql : STATEMENTS) {
      session.execute(SimpleStatement.newInstance(cql).setTimeout(STATEMENT_TIMEOUT));
    }
    if (!session.checkSchemaAgreement()) {
      log.warn("Cassandra nodes do not agree on the schema yet after applying it");
    }
    log.info(
        "Applied the schema ({} statements) in {} ms",
        STATEMENTS.size(),
        Duration.ofNanos(System.nanoTime() - started).toMillis());
  }

  /**
   * Connects to {@code contactPoint} ({@code host:port}) in {@code datacenter}, applies the schema
   * and disconnects.
   */
  public static void apply(String contactPoint, String datacenter) {
    try (CqlSession session =
        DriverSessions.open(List.of(contactPoint), datacenter, Duration.ofSeconds(10))) {
      apply(session);
    }
  }

  /** Applies the schema to the Cassandra cluster that {@code settings} point to. */
  public static void apply(PersistenceSettings settings) {
    try (CqlSession session =
        DriverSessions.open(
            settings.contactPoints(), settings.localDatacenter(), Duration.ofSeconds(10))) {
      apply(session);
    }
  }

  /**
   * Applies the schema to the Cassandra cluster of {@code wavelink.persistence} ({@code
   * WAVELINK_CASSANDRA_CONTACT_POINTS}, {@code WAVELINK_CASSANDRA_LOCAL_DATACENTER}) and exits 0; a
   * deploy's one-shot schema step (the compose file's {@code cassandra-schema} service runs it from
   * the member image, so the schema always matches the members' version). Tries again every 5 s for
   * {@code --wait SECONDS} (default 180) while Cassandra is not reachable yet; exits 1 after that.
   */
  public static void main(String[] args) {
    long waitSeconds = 180;
    for (int i = 0; i < args.length; i++) {
      if ("--wait".equals(args[i]) && i + 1 < args.length) {
        waitSeconds = Long.parseLong(args[++i]);
      } else {
        System.err.println("usage: Schema [--wait SECONDS]   (Cassandra from WAVELINK_CASSANDRA_CONTACT_POINTS)");
        System.exit(2);
      }
    }
    PersistenceSettings settings = PersistenceSettings.create(com.typesafe.config.ConfigFactory.load());
    long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
    boolean applied = attempt(settings, deadline, 1).join();
    System.exit(applied ? 0 : 1);
  }

  /** One attempt; a failed one before the deadline schedules the next 5 s later. */
  private static java.util.concurrent.CompletableFuture<Boolean> attempt(PersistenceSettings settings, long deadline, int n) {
    try {
      apply(settings);
      System.out.println("schema applied to " + settings.contactPoints());
      return java.util.concurrent.CompletableFuture.completedFuture(true);
    } catch (RuntimeException e) {
      if (System.nanoTime() > deadline) {
        System.err.println("ERROR: the schema was not applied to " + settings.contactPoints() + ": " + e.getMessage());
        return java.util.concurrent.CompletableFuture.completedFuture(false);
      }
      System.err.println("attempt " + n + ": Cassandra at " + settings.contactPoints() + " not ready ("
          + e.getClass().getSimpleName() + "); trying again in 5 s");
      return java.util.concurrent.CompletableFuture.supplyAsync(
              () -> attempt(settings, deadline, n + 1),
              java.util.concurrent.CompletableFuture.delayedExecutor(5, java.util.concurrent.TimeUnit.SECONDS))
          .thenCompose(next -> next);
    }
  }

  /** Splits a CQL script into statements: drops {@code --} comment lines, splits on {@code ;}. */
  static List<String> parse(String script) {
    String withoutComments =
        script
            .lines()
            .filter(line -> !line.stripLeading().startsWith("--"))
            .collect(Collectors.joining("\n"));
    return Arrays.stream(withoutComments.split(";"))
        .map(String::strip)
        .filter(statement -> !statement.isEmpty())
        .toList();
  }

  private static String readResource() {
    try (InputStream in = Schema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("Missing classpath resource " + RESOURCE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + RESOURCE, e);
    }
  }
}
