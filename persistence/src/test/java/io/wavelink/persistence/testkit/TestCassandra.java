package io.wavelink.persistence.testkit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.wavelink.persistence.CassandraServer;
import io.wavelink.persistence.Schema;
import io.wavelink.persistence.internal.CassandraLayout;
import io.wavelink.persistence.internal.DriverSessions;
import io.wavelink.persistence.internal.LogTail;
import io.wavelink.persistence.internal.StaleCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real Cassandra per test JVM, shared by every test that asks for it.
 *
 * <p>The first call to {@link #contactPoint()} or {@link #config()} starts Cassandra 5.0 in a child
 * JVM on free ports under {@code target/test-cassandra/<test JVM pid>/} (wiped first, together with
 * the directories of earlier test JVMs that no longer run, whose Cassandra is killed if it was left
 * behind), waits until it answers CQL (about 10-15 s) and applies {@link Schema}. A JVM shutdown
 * hook kills it when the test JVM exits. If the environment variable {@value #EXTERNAL_ENV} (or the
 * system property {@value #EXTERNAL_PROPERTY}) is {@code host:port}, that server is used instead
 * and only the schema is applied.
 *
 * <p>Usage in a test of another module (test-scoped dependency on {@code wavelink-persistence}'s
 * {@code test-jar}):
 *
 * <pre>{@code
 * Config config = TestCassandra.config().withFallback(ConfigFactory.load());
 * ActorTestKit testKit = ActorTestKit.create("my-test", config);
 * }</pre>
 *
 * <p>Tests share the keyspaces, so each test uses its own persistence ids. Thread-safe: concurrent
 * first calls start one server. A failed start is remembered and rethrown, not retried.
 */
public final class TestCassandra {

  /** Environment variable naming an already running Cassandra ({@code host:port}) to use. */
  public static final String EXTERNAL_ENV = "WAVELINK_TEST_CASSANDRA";

  /** System property with the same meaning as {@link #EXTERNAL_ENV}; wins over it. */
  public static final String EXTERNAL_PROPERTY = "wavelink.test-cassandra";

  /** System property overriding the directory {@code target/test-cassandra}. */
  public static final String DIR_PROPERTY = "wavelink.test-cassandra.dir";

  private static final Logger log = LoggerFactory.getLogger(TestCassandra.class);
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
  private static final int START_ATTEMPTS = 3;

  private static final Object lock = new Object();
  private static String contactPoint;
  private static RuntimeException startFailure;

  private TestCassandra() {}

  /** The test Cassandra's CQL endpoint as {@code host:port}, starting it on first use. */
  public static String contactPoint() {
    synchronized (lock) {
      if (contactPoint == null && startFailure == null) {
        try {
          contactPoint = startOrConnect();
        } catch (RuntimeException e) {
          startFailure = e;
        }
      }
      if (startFailure != null) {
        throw new IllegalStateException("The test Cassandra is not available", startFailure);
      }
      return contactPoint;
    }
  }

  /** The data center to give the driver. */
  public static String localDatacenter() {
    return CassandraServer.DATACENTER;
  }

  /**
   * The configuration a test ActorSystem needs on top of {@code ConfigFactory.load()}: WaveLink's
   * and the driver's contact points and data center, the Cassandra journal and snapshot plugins,
   * and request timeouts generous enough for a busy build machine. Starts Cassandra on first use.
   */
  public static Config config() {
    String contactPoints =
        ConfigValueFactory.fromIterable(List.of(contactPoint()))
            .render(ConfigRenderOptions.concise());
    String datacenter = ConfigValueFactory.fromAnyRef(localDatacenter()).render();
    return ConfigFactory.parseString(
        String.join(
            "\n",
            "wavelink.persistence.cassandra.contact-points = " + contactPoints,
            "wavelink.persistence.cassandra.local-datacenter = " + datacenter,
            "datastax-java-driver.basic.contact-points = " + contactPoints,
            "datastax-java-driver.basic.load-balancing-policy.local-datacenter = " + datacenter,
            "datastax-java-driver.basic.request.timeout = 10s",
            "pekko.persistence.journal.plugin = \"pekko.persistence.cassandra.journal\"",
            "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.cassandra.snapshot\""),
        ConfigParseOptions.defaults().setOriginDescription("TestCassandra"));
  }

  /** A new driver session to the test Cassandra, for assertions on stored rows; close it. */
  public static CqlSession newSession() {
    return DriverSessions.open(List.of(contactPoint()), localDatacenter(), Duration.ofSeconds(10));
  }

  private static String startOrConnect() {
    String external = System.getProperty(EXTERNAL_PROPERTY, System.getenv(EXTERNAL_ENV));
    if (external != null && !external.isBlank()) {
      log.info("Using the test Cassandra at {} ({})", external, EXTERNAL_ENV);
      Schema.apply(external.trim(), localDatacenter());
      return external.trim();
    }
    Path root =
        Path.of(System.getProperty(DIR_PROPERTY, Path.of("target", "test-cassandra").toString()))
            .toAbsolutePath();
    removeLeftovers(root);
    Path baseDir = root.resolve(Long.toString(ProcessHandle.current().pid()));
    for (int attempt = 1; ; attempt++) {
      deleteRecursively(baseDir);
      CassandraServer server = launch(baseDir);
      try {
        server.awaitReady(READY_TIMEOUT);
        Schema.apply(server.contactPoint(), localDatacenter());
        return server.contactPoint();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        server.stop(Duration.ZERO);
        throw new IllegalStateException("Interrupted while starting the test Cassandra", e);
      } catch (RuntimeException e) {
        server.stop(Duration.ZERO);
        if (attempt >= START_ATTEMPTS || !lostPortRace(server)) {
          throw e;
        }
        log.warn("Test Cassandra lost a port to another process; retrying on other ports");
      }
    }
  }

  private static CassandraServer launch(Path baseDir) {
    CassandraServer.Settings settings = CassandraServer.Settings.defaults(baseDir).withFreePorts();
    try {
      CassandraServer server = CassandraServer.start(settings);
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> server.stop(Duration.ZERO), "test-cassandra-stop"));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the test Cassandra in " + baseDir, e);
    }
  }

  private static boolean lostPortRace(CassandraServer server) {
    String tail = LogTail.of(server.logFile(), 200);
    return tail.contains("Address already in use") || tail.contains("BindException");
  }

  /** Deletes the directories of test JVMs that have exited, killing a Cassandra left in one. */
  private static void removeLeftovers(Path root) {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.toList()) {
        boolean ownerAlive =
            dir.getFileName().toString().matches("[0-9]+")
                && ProcessHandle.of(Long.parseLong(dir.getFileName().toString()))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        if (!ownerAlive) {
          StaleCassandra.kill(new CassandraLayout(dir), Duration.ofSeconds(30));
          deleteRecursively(dir);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot clean " + root, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir, e);
    }
  }
}
