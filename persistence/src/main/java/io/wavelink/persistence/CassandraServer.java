package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.Row;
import io.wavelink.persistence.internal.CassandraClasspath;
import io.wavelink.persistence.internal.CassandraLaunch;
import io.wavelink.persistence.internal.CassandraLayout;
import io.wavelink.persistence.internal.DriverSessions;
import io.wavelink.persistence.internal.LauncherArguments;
import io.wavelink.persistence.internal.LocalPorts;
import io.wavelink.persistence.internal.LogTail;
import io.wavelink.persistence.internal.StaleCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Cassandra 5.0 node, run from its Maven Central jars in a child JVM.
 *
 * <p>Cassandra never shares WaveLink's classpath: {@link #start} launches {@code java} with the
 * jars listed in the classpath file that {@code persistence/cassandra-server} writes (see {@link
 * Settings#classpathFile()}), a generated single-node {@code cassandra.yaml}, and the Java 17 flags
 * Cassandra needs. Everything the node writes stays under {@link Settings#baseDir()}; its stdout
 * and stderr go to {@code baseDir/logs/cassandra.log}.
 *
 * <p>Life cycle: {@link #start} returns as soon as the child runs; {@link #awaitReady} blocks until
 * the CQL port answers a query (about 10 s) and fails early, with the end of the log, if the child
 * dies; {@link #stop} sends SIGTERM and kills the child if it has not exited after a grace period.
 * The caller owns the child: register a shutdown hook if the JVM may exit while it runs. Usage:
 *
 * <pre>{@code
 * CassandraServer server = CassandraServer.start(CassandraServer.Settings.defaults(Path.of("data/cassandra")));
 * server.awaitReady(Duration.ofMinutes(2));
 * Schema.apply(server.contactPoint(), CassandraServer.DATACENTER);
 * ...
 * server.stop();
 * }</pre>
 *
 * <p>{@link #main} runs it in the foreground for scripts: {@code java -cp ...
 * io.wavelink.persistence.CassandraServer --dir data/cassandra --port 9042} starts the node,
 * applies {@link Schema}, prints {@code CASSANDRA READY host:port} and stops the node on SIGTERM or
 * Ctrl-C.
 *
 * <p>Thread-safe.
 */
public final class CassandraServer implements AutoCloseable {

  /** The data center of the single node (the SimpleSnitch's). */
  public static final String DATACENTER = "datacenter1";

  /** The line {@link #main} prints once the node is ready, followed by {@code host:port}. */
  public static final String READY_LINE_PREFIX = "CASSANDRA READY ";

  private static final Logger log = LoggerFactory.getLogger(CassandraServer.class);
  private static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(30);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
  private static final int LOG_TAIL_LINES = 40;

  /**
   * Where and how to run the node.
   *
   * @param classpathFile the file listing Cassandra's jars (from {@code
   *     persistence/cassandra-server})
   * @param baseDir the directory for configuration, data, commit log and logs; created if absent
   * @param host the address Cassandra listens on (CQL and internode)
   * @param nativePort the CQL port clients connect to
   * @param storagePort the internode (gossip) port
   * @param jmxPort the local JMX port ({@code nodetool})
   * @param heap the child's heap, e.g. {@code "384m"} (used as -Xms and -Xmx)
   */
  public record Settings(
      Path classpathFile,
      Path baseDir,
      String host,
      int nativePort,
      int storagePort,
      int jmxPort,
      String heap) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_NATIVE_PORT = 9042;
    public static final int DEFAULT_STORAGE_PORT = 7000;
    public static final int DEFAULT_JMX_PORT = 7199;
    public static final String DEFAULT_HEAP = "384m";

    public Settings {
      classpathFile = classpathFile.toAbsolutePath().normalize();
      baseDir = baseDir.toAbsolutePath().normalize();
      Objects.requireNonNull(host, "host");
      requirePort(nativePort, "nativePort");
      requirePort(storagePort, "storagePort");
      requirePort(jmxPort, "jmxPort");
      if (nativePort == storagePort || nativePort == jmxPort || storagePort == jmxPort) {
        throw new IllegalArgumentException(
            "Cassandra's ports must differ: native "
                + nativePort
                + ", storage "
                + storagePort
                + ", jmx "
                + jmxPort);
      }
      if (!heap.matches("[1-9][0-9]*[kKmMgG]")) {
        throw new IllegalArgumentException("heap '" + heap + "' is not like 384m or 1g");
      }
    }

    /**
     * The default ports (9042, 7000, 7199) on 127.0.0.1 with a 384 MiB heap, and the classpath file
     * found by {@link #locateClasspathFile()}.
     *
     * @throws IllegalStateException if the classpath file cannot be found
     */
    public static Settings defaults(Path baseDir) {
      return new Settings(
          locateClasspathFile(),
          baseDir,
          DEFAULT_HOST,
          DEFAULT_NATIVE_PORT,
          DEFAULT_STORAGE_PORT,
          DEFAULT_JMX_PORT,
          DEFAULT_HEAP);
    }

    /** These settings with three ports that are free on {@link #host()} right now. */
    public Settings withFreePorts() {
      List<Integer> ports = LocalPorts.free(host, 3);
      return new Settings(
          classpathFile, baseDir, host, ports.get(0), ports.get(1), ports.get(2), heap);
    }

    public Settings withNativePort(int port) {
      return new Settings(classpathFile, baseDir, host, port, storagePort, jmxPort, heap);
    }

    public Settings withStoragePort(int port) {
      return new Settings(classpathFile, baseDir, host, nativePort, port, jmxPort, heap);
    }

    public Settings withJmxPort(int port) {
      return new Settings(classpathFile, baseDir, host, nativePort, storagePort, port, heap);
    }

    public Settings withHost(String newHost) {
      return new Settings(classpathFile, baseDir, newHost, nativePort, storagePort, jmxPort, heap);
    }

    public Settings withHeap(String newHeap) {
      return new Settings(classpathFile, baseDir, host, nativePort, storagePort, jmxPort, newHeap);
    }

    public Settings withClasspathFile(Path file) {
      return new Settings(file, baseDir, host, nativePort, storagePort, jmxPort, heap);
    }

    private static void requirePort(int port, String name) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(name + " " + port + " is not a TCP port");
      }
    }
  }

  private final Settings settings;
  private final CassandraLayout layout;
  private final Process process;
  private final Instant launchedAt;
  private final AtomicBoolean stopRequested = new AtomicBoolean();

  private CassandraServer(
      Settings settings, CassandraLayout layout, Process process, Instant launchedAt) {
    this.settings = settings;
    this.layout = layout;
    this.process = process;
    this.launchedAt = launchedAt;
  }

  /**
   * Finds Cassandra's classpath file: the system property {@code
   * wavelink.cassandra.classpath-file}, else the environment variable {@code
   * WAVELINK_CASSANDRA_CLASSPATH}, else {@code
   * persistence/cassandra-server/target/cassandra.classpath} under the working directory or one of
   * its parents.
   *
   * @throws IllegalStateException saying how to build the file, if there is none
   */
  public static Path locateClasspathFile() {
    return CassandraClasspath.locate();
  }

  /**
   * Launches the node and returns without waiting for it to be ready (see {@link #awaitReady}).
   *
   * @throws IllegalStateException if a port is taken, a Cassandra (e.g. left by an earlier run)
   *     still runs on the base directory, or the classpath file is missing or stale
   * @throws IOException if the base directory cannot be written or the JVM cannot be launched
   */
  public static CassandraServer start(Settings settings) throws IOException {
    CassandraLayout layout = new CassandraLayout(settings.baseDir());
    StaleCassandra.find(layout)
        .ifPresent(
            p -> {
              throw new IllegalStateException(
                  "A Cassandra already runs on "
                      + layout.baseDir()
                      + " (pid "
                      + p.pid()
                      + ", perhaps left by an earlier run); stop it first: kill "
                      + p.pid());
            });
    checkPortsFree(settings);
    CassandraClasspath classpath = CassandraClasspath.read(settings.classpathFile());
    CassandraLaunch.writeFiles(settings, layout, classpath);
    keepPreviousLog(layout);

    log.info(
        "Starting Cassandra on {}:{} (storage port {}, JMX port {}, heap {}) in {}",
        settings.host(),
        settings.nativePort(),
        settings.storagePort(),
        settings.jmxPort(),
        settings.heap(),
        layout.baseDir());
    Instant launchedAt = Instant.now();
    Process process =
        new ProcessBuilder(CassandraLaunch.command(layout))
            .directory(layout.baseDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(layout.logFile().toFile())
            .start();
    Files.writeString(layout.pidFile(), Long.toString(process.pid()), StandardCharsets.UTF_8);
    log.info("Cassandra runs as pid {}, logging to {}", process.pid(), layout.logFile());
    return new CassandraServer(settings, layout, process, launchedAt);
  }

  /**
   * Blocks until the CQL port answers {@code SELECT release_version FROM system.local} through the
   * DataStax driver.
   *
   * @throws IllegalStateException with the end of Cassandra's log if the child exits first or the
   *     node is not ready within {@code timeout}
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitReady(Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    DriverException lastError = null;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Cassandra (pid "
                + process.pid()
                + ") exited with code "
                + process.exitValue()
                + " before it was ready; end of "
                + layout.logFile()
                + ":\n"
                + logTail());
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            "Cassandra was not ready within "
                + timeout
                + (lastError == null ? "" : " (last error: " + lastError.getMessage() + ")")
                + "; end of "
                + layout.logFile()
                + ":\n"
                + logTail());
      }
      if (LocalPorts.accepts(settings.host(), settings.nativePort(), POLL_INTERVAL)) {
        try (CqlSession session =
            DriverSessions.open(List.of(contactPoint()), DATACENTER, Duration.ofSeconds(5))) {
          Row row = session.execute("SELECT release_version FROM system.local").one();
          log.info(
              "Cassandra {} is ready on {} after {} ms",
              row == null ? "?" : row.getString("release_version"),
              contactPoint(),
              Duration.between(launchedAt, Instant.now()).toMillis());
          return;
        } catch (DriverException e) {
          lastError = e;
          log.debug("Cassandra on {} does not answer CQL yet: {}", contactPoint(), e.getMessage());
        }
      }
      awaitExit(POLL_INTERVAL);
    }
  }

  /** Stops the node: SIGTERM, then SIGKILL if it still runs after 30 s. Idempotent. */
  public void stop() {
    stop(DEFAULT_STOP_GRACE);
  }

  /**
   * Stops the node: SIGTERM, then SIGKILL if it still runs after {@code gracePeriod}; a zero grace
   * period kills it at once (fine for throw-away test data). Returns once the child has exited.
   * Idempotent.
   */
  public void stop(Duration gracePeriod) {
    if (!stopRequested.compareAndSet(false, true)) {
      awaitExitQuietly(gracePeriod.plusSeconds(10));
      return;
    }
    Instant stopping = Instant.now();
    if (process.isAlive()) {
      log.info("Stopping Cassandra (pid {}) on {}", process.pid(), contactPoint());
      if (gracePeriod.isZero() || gracePeriod.isNegative()) {
        process.destroyForcibly();
      } else {
        process.destroy();
        if (!awaitExitQuietly(gracePeriod)) {
          log.warn(
              "Cassandra (pid {}) did not stop within {}; killing it", process.pid(), gracePeriod);
          process.destroyForcibly();
        }
      }
      awaitExitQuietly(Duration.ofSeconds(10));
    }
    try {
      Files.deleteIfExists(layout.pidFile());
    } catch (IOException e) {
      log.warn("Cannot delete {}: {}", layout.pidFile(), e.toString());
    }
    log.info(
        "Cassandra (pid {}) stopped in {} ms{}",
        process.pid(),
        Duration.between(stopping, Instant.now()).toMillis(),
        process.isAlive() ? " (still alive!)" : ", exit code " + process.exitValue());
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /** Whether the child JVM still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The child JVM's process id. */
  public long pid() {
    return process.pid();
  }

  /** The CQL port. */
  public int nativePort() {
    return settings.nativePort();
  }

  /** The CQL endpoint as {@code host:port}, as the driver's contact points take it. */
  public String contactPoint() {
    return settings.host() + ":" + settings.nativePort();
  }

  /** The file receiving the child's stdout and stderr. */
  public Path logFile() {
    return layout.logFile();
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Runs a node in the foreground until SIGTERM or Ctrl-C: {@code --dir DIR} (default {@code
   * data/cassandra}), {@code --port N} (CQL, default 9042), {@code --storage-port N}, {@code
   * --jmx-port N}, {@code --host H}, {@code --heap SIZE}, {@code --classpath-file FILE}. Prints
   * {@value #READY_LINE_PREFIX}{@code host:port} on stdout once the schema is applied; exits with 1
   * if the node cannot start or dies.
   */
  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(LauncherArguments.USAGE);
      return;
    }
    Settings settings;
    try {
      settings = LauncherArguments.parse(args, CassandraServer::locateClasspathFile);
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("ERROR: " + e.getMessage());
      System.err.println(LauncherArguments.USAGE);
      System.exit(2);
      return;
    }
    CassandraServer server;
    try {
      server = start(settings);
    } catch (IllegalStateException | IOException e) {
      System.err.println("ERROR: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "cassandra-stop"));
    try {
      server.awaitReady(Duration.ofMinutes(3));
      Schema.apply(server.contactPoint(), DATACENTER);
    } catch (RuntimeException e) {
      System.err.println("ERROR: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println(READY_LINE_PREFIX + server.contactPoint());
    System.out.flush();
    int exitCode = server.process.onExit().get().exitValue();
    if (!server.stopRequested.get()) {
      System.err.println(
          "ERROR: Cassandra exited unexpectedly with code "
              + exitCode
              + "; end of "
              + server.logFile()
              + ":\n"
              + server.logTail());
      System.exit(1);
    }
  }

  private String logTail() {
    return LogTail.of(layout.logFile(), LOG_TAIL_LINES);
  }

  private void awaitExit(Duration timeout) throws InterruptedException {
    try {
      process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // still running: the caller polls again
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot watch Cassandra's process", e.getCause());
    }
  }

  private boolean awaitExitQuietly(Duration timeout) {
    try {
      awaitExit(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !process.isAlive();
  }

  private static void checkPortsFree(Settings settings) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("CQL native port", settings.nativePort());
    ports.put("storage port", settings.storagePort());
    ports.put("JMX port", settings.jmxPort());
    String taken =
        ports.entrySet().stream()
            .filter(e -> LocalPorts.inUse(settings.host(), e.getValue()))
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", "));
    if (!taken.isEmpty()) {
      throw new IllegalStateException(
          "Cannot start Cassandra: "
              + taken
              + " on "
              + settings.host()
              + " already in use, probably by a Cassandra from an earlier run"
              + " (stop it, or choose other ports)");
    }
  }

  private static void keepPreviousLog(CassandraLayout layout) {
    if (Files.exists(layout.logFile())) {
      try {
        Files.move(
            layout.logFile(),
            layout.logDir().resolve("cassandra.previous.log"),
            StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot rotate " + layout.logFile(), e);
      }
    }
  }
}
