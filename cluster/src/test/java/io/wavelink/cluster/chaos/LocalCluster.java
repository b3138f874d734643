package io.wavelink.cluster.chaos;

import io.wavelink.persistence.CassandraServer;
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
 * log file under {@code target/chaos/<name>/}. Members can be killed with SIGKILL or stopped with
 * SIGTERM. Everything is stopped by {@link #close()}.
 */
final class LocalCluster implements AutoCloseable {

  /** One member JVM. */
  static final class Member {
    final int index;
    final int artery;
    final int http;
    final String roles;
    final Path log;
    Process process;

    Member(int index, int artery, int http, String roles, Path log) {
      this.index = index;
      this.artery = artery;
      this.http = http;
      this.roles = roles;
      this.log = log;
    }

    String address() {
      return "pekko://wavelink@127.0.0.1:" + artery;
    }

    String url() {
      return "http://127.0.0.1:" + http;
    }

    boolean alive() {
      return process != null && process.isAlive();
    }
  }

  private final Path dir;
  private final CassandraServer.Settings cassandraSettings;
  private CassandraServer cassandra;
  private final List<Member> members = new ArrayList<>();
  private final Map<String, String> systemProperties;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  LocalCluster(String name, Map<String, String> systemProperties) throws IOException {
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
    cassandra = CassandraServer.start(cassandraSettings);
    cassandra.awaitReady(Duration.ofMinutes(3));
    io.wavelink.persistence.Schema.apply(cassandra.contactPoint(), "datacenter1");
  }

  /** Stops Cassandra (SIGTERM); {@link #startCassandra()} brings it back on the same data and ports. */
  void stopCassandra() {
    cassandra.stop();
  }

  String cassandraContactPoint() {
    return cassandra.contactPoint();
  }

  Member addMember(String roles) throws IOException {
    int index = members.size();
    Member m = new Member(index, freePort(), freePort(), roles, dir.resolve("member-" + index + ".log"));
    members.add(m);
    start(m);
    return m;
  }

  List<Member> members() {
    return members;
  }

  private void start(Member m) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx320m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.wavelink.cluster.WaveLinkMember");
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.put("WAVELINK_CLUSTER_PORT", Integer.toString(m.artery));
    env.put("WAVELINK_HTTP_PORT", Integer.toString(m.http));
    env.put("WAVELINK_HTTP_HOST", "127.0.0.1");
    env.put("WAVELINK_ROLES", m.roles);
    env.put("WAVELINK_NODE_ID", "node-" + m.index);
    env.put("WAVELINK_CASSANDRA_CONTACT_POINTS", cassandra.contactPoint());
    if (m.index > 0) {
      env.put("WAVELINK_SEED_NODES", members.get(0).address());
    }
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()));
    m.process = pb.start();
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Member m : members) {
      if (m.alive()) {
        m.process.destroyForcibly();
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
  }
}
