package io.wavelink.cluster.chaos;

import com.datastax.oss.driver.api.core.CqlSession;
import io.wavelink.persistence.CassandraServer;
import io.wavelink.persistence.internal.CassandraClasspath;
import io.wavelink.persistence.internal.CassandraLaunch;
import io.wavelink.persistence.internal.CassandraLayout;
import io.wavelink.persistence.internal.DriverSessions;
import io.wavelink.persistence.internal.LocalPorts;
import io.wavelink.persistence.testkit.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real WaveLink cluster on loopback for chaos tests: its own Cassandra (a child JVM it can stop
 * and start again) and member JVMs started from the test classpath, each with its own ports and
 * log file under {@code target/chaos/<name>/}. Members can be killed with SIGKILL, stopped with
 * SIGTERM, paused (SIGSTOP) and resumed, and started again on the same address. Everything is
 * stopped by {@link #close()}.
 *
 * <p>{@link #networked} puts Cassandra and every member in a network namespace of its own, each
 * on an address of its own on a private switch ({@link NetNamespaces}; needs root), so that the
 * network between them can be cut: {@link #network()}.
 */
final class LocalCluster implements AutoCloseable {

  /** One member JVM. */
  static final class Member {
    final int index;
    final int artery;
    final int http;
    final String roles;
    final Path log;
    /** the member's address: 127.0.0.1, or its namespace's */
    final String ip;
    /** its network namespace, null on loopback */
    final NetNamespaces.Host host;
    Process process;
    /** when the current process was started (System.nanoTime) */
    long startedNanos;

    Member(int index, int artery, int http, String roles, Path log, NetNamespaces.Host host) {
      this.index = index;
      this.artery = artery;
      this.http = http;
      this.roles = roles;
      this.log = log;
      this.host = host;
      this.ip = host == null ? "127.0.0.1" : host.ip();
    }

    String address() {
      return "pekko://wavelink@" + ip + ":" + artery;
    }

    String url() {
      return "http://" + ip + ":" + http;
    }

    /** Its worker node's id (WAVELINK_NODE_ID). */
    String nodeId() {
      return "node-" + index;
    }

    @Override
    public String toString() {
      return "m" + index + " (" + address() + ")";
    }

    boolean alive() {
      return process != null && process.isAlive();
    }
  }

  private final Path dir;
  private final CassandraServer.Settings cassandraSettings;
  private CassandraServer cassandra;
  /** null on loopback */
  private final NetNamespaces net;
  /** Cassandra in its namespace (networked only): the Cassandra JVM itself */
  private Process netCassandra;
  private final List<Member> members = new ArrayList<>();
  private final Map<String, String> systemProperties;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  LocalCluster(String name, Map<String, String> systemProperties) throws IOException {
    this(name, systemProperties, null);
  }

  /**
   * A cluster whose Cassandra and members each run in a network namespace of their own ({@link
   * NetNamespaces}, created here and deleted by {@link #close()}). Needs root, ip and nft: fails
   * with a message saying so otherwise.
   */
  static LocalCluster networked(String name, Map<String, String> systemProperties)
      throws IOException, InterruptedException {
    NetNamespaces net = NetNamespaces.create();
    try {
      return new LocalCluster(name, systemProperties, net);
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private LocalCluster(String name, Map<String, String> systemProperties, NetNamespaces net) throws IOException {
    this.net = net;
    this.dir = Path.of("target", "chaos", name).toAbsolutePath();
    if (Files.exists(dir)) {
      // a fresh cluster: no data or logs from an earlier run
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
    this.systemProperties = systemProperties;
    this.cassandraSettings = CassandraServer.Settings.defaults(dir.resolve("cassandra")).withFreePorts();
  }

  void startCassandra() throws Exception {
    if (net != null) {
      startNetworkedCassandra();
      return;
    }
    cassandra = CassandraServer.start(cassandraSettings);
    cassandra.awaitReady(Duration.ofMinutes(3));
    io.wavelink.persistence.Schema.apply(cassandra.contactPoint(), "datacenter1");
  }

  /**
   * Cassandra in a namespace of its own, on its own address and the default ports: the same files
   * and command line as {@link CassandraServer} writes, run through {@code ip netns exec}.
   */
  private void startNetworkedCassandra() throws Exception {
    NetNamespaces.Host host = net.host("cassandra");
    CassandraServer.Settings settings =
        CassandraServer.Settings.defaults(dir.resolve("cassandra")).withHost(host.ip());
    CassandraLayout layout = new CassandraLayout(settings.baseDir());
    CassandraLaunch.writeFiles(settings, layout, CassandraClasspath.read(settings.classpathFile()));
    netCassandra =
        new ProcessBuilder(net.inside(host, CassandraLaunch.command(layout)))
            .directory(layout.baseDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.logFile().toFile()))
            .start();
    String contactPoint = cassandraContactPoint();
    await("Cassandra answering on " + contactPoint, Duration.ofMinutes(3), () -> {
      if (!netCassandra.isAlive()) {
        return true; // reported below
      }
      if (!LocalPorts.accepts(host.ip(), CassandraServer.Settings.DEFAULT_NATIVE_PORT, Duration.ofMillis(250))) {
        return false;
      }
      try (CqlSession s = DriverSessions.open(List.of(contactPoint), "datacenter1", Duration.ofSeconds(5))) {
        return s.execute("SELECT release_version FROM system.local").one() != null;
      }
    });
    if (!netCassandra.isAlive()) {
      throw new IllegalStateException(
          "Cassandra exited with " + netCassandra.exitValue() + " before it was ready; see " + layout.logFile());
    }
    io.wavelink.persistence.Schema.apply(contactPoint, "datacenter1");
  }

  /** Stops Cassandra (SIGTERM); {@link #startCassandra()} brings it back on the same data and ports. */
  void stopCassandra() {
    if (net != null) {
      stopProcess(netCassandra, Duration.ofSeconds(30));
      return;
    }
    cassandra.stop();
  }

  String cassandraContactPoint() {
    if (net != null) {
      return hostIp("cassandra") + ":" + CassandraServer.Settings.DEFAULT_NATIVE_PORT;
    }
    return cassandra.contactPoint();
  }

  private String hostIp(String name) {
    try {
      return net.host(name).ip();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The private network (networked clusters only). */
  NetNamespaces network() {
    if (net == null) {
      throw new IllegalStateException("not a networked cluster");
    }
    return net;
  }

  Member addMember(String roles) throws IOException {
    int index = members.size();
    Member m;
    if (net != null) {
      NetNamespaces.Host host;
      try {
        host = net.host("m" + index);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      m = new Member(index, 2551, 8080, roles, dir.resolve("member-" + index + ".log"), host);
    } else {
      m = new Member(index, freePort(), freePort(), roles, dir.resolve("member-" + index + ".log"), null);
    }
    members.add(m);
    start(m);
    return m;
  }

  /**
   * Starts a member that has exited (downed, killed, stopped) again, on the same address, as its
   * supervisor would: it joins through the other members.
   */
  void restart(Member m) throws IOException {
    if (m.alive()) {
      throw new IllegalStateException(m + " still runs");
    }
    start(m);
  }

  /** SIGSTOP: the member's JVM stops dead, as in a long GC pause, and keeps its sockets. */
  void pause(Member m) throws IOException, InterruptedException {
    signal(m, "STOP");
  }

  /** SIGCONT after {@link #pause}. */
  void resume(Member m) throws IOException, InterruptedException {
    signal(m, "CONT");
  }

  private static void signal(Member m, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(m.process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + m.process.pid() + " failed");
    }
  }

  List<Member> members() {
    return members;
  }

  private void start(Member m) throws IOException {
    boolean restart = m.process != null;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx320m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.wavelink.cluster.WaveLinkMember");
    ProcessBuilder pb = new ProcessBuilder(net == null ? command : net.inside(m.host, command));
    Map<String, String> env = pb.environment();
    env.put("WAVELINK_CLUSTER_HOST", m.ip);
    env.put("WAVELINK_CLUSTER_PORT", Integer.toString(m.artery));
    env.put("WAVELINK_HTTP_PORT", Integer.toString(m.http));
    env.put("WAVELINK_HTTP_HOST", m.ip);
    env.put("WAVELINK_ROLES", m.roles);
    env.put("WAVELINK_NODE_ID", "node-" + m.index);
    env.put("WAVELINK_AUTH", "off"); // what these tests check is not authentication (AuthEndToEndTest does)
    env.put("WAVELINK_CASSANDRA_CONTACT_POINTS", cassandraContactPoint());
    if (restart) {
      // joins the running cluster through the others; never the first seed of its own list, so it
      // cannot form a cluster of its own
      List<String> seeds = new ArrayList<>();
      members.stream().filter(o -> o != m).forEach(o -> seeds.add(o.address()));
      env.put("WAVELINK_SEED_NODES", String.join(",", seeds));
    } else if (m.index > 0) {
      env.put("WAVELINK_SEED_NODES", members.get(0).address());
    }
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()));
    m.process = pb.start();
    m.startedNanos = System.nanoTime();
  }

  /**
   * Waits until every member runs and answers ready, and each sees exactly {@code workers} nodes
   * up: the cluster is whole again.
   */
  void awaitConverged(int workers, Duration deadline) {
    await("every member up, ready and seeing " + workers + " nodes up", deadline, () -> {
      for (Member m : members) {
        if (!m.alive() || status(m, "/health/ready") != 200) {
          return false;
        }
        String nodes = get(m, "/v1/nodes");
        if (nodes.split("\"status\":\"up\"", -1).length - 1 != workers) {
          return false;
        }
      }
      return true;
    });
  }

  /** Waits until every live member answers ready, and the cluster has {@code workers} Up nodes. */
  void awaitReady(int workers, Duration deadline) {
    await("members ready and " + workers + " nodes up", deadline, () -> {
      for (Member m : members) {
        if (m.alive() && status(m, "/health/ready") != 200) {
          return false;
        }
      }
      Member gateway = members.get(0);
      String nodes = get(gateway, "/v1/nodes");
      int up = nodes.split("\"status\":\"up\"", -1).length - 1;
      return up == workers;
    });
  }

  void kill(Member m) {
    m.process.destroyForcibly(); // SIGKILL
  }

  void terminate(Member m) throws InterruptedException {
    m.process.destroy(); // SIGTERM: graceful leave
    m.process.waitFor(60, TimeUnit.SECONDS);
  }

  int status(Member m, String path) {
    try {
      return client.send(request(m, path).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  String get(Member m, String path) {
    try {
      return client.send(request(m, path).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  private HttpRequest.Builder request(Member m, String path) {
    return HttpRequest.newBuilder(URI.create(m.url() + path)).timeout(Duration.ofSeconds(5));
  }

  static void await(String what, Duration deadline, Await.Check check) {
    Await.until(what, deadline, check);
  }

  /** A free port below the kernel's ephemeral range: no outgoing connection takes it before the member binds it. */
  private static int freePort() {
    return io.wavelink.persistence.internal.LocalPorts.free("127.0.0.1", 1).get(0);
  }

  private static void stopProcess(Process p, Duration grace) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    for (Member m : members) {
      if (m.alive()) {
        m.process.destroyForcibly(); // SIGKILL ends a paused (SIGSTOP) JVM too
      }
    }
    for (Member m : members) {
      if (m.process != null) {
        try {
          m.process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (cassandra != null) {
      cassandra.stop();
    }
    stopProcess(netCassandra, Duration.ofSeconds(5));
    if (net != null) {
      net.close();
    }
  }
}
