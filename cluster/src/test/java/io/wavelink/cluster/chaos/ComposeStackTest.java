package io.wavelink.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.node.sandbox.ExampleFunctions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The documented Docker deployment, run for real: the images built offline ({@code
 * deploy/image/build-images.sh}, what {@code bin/wavelink images} runs), then {@code docker-compose
 * -f deploy/docker-compose/docker-compose.yml} with Cassandra, the schema job, the seed and workers,
 * reached through the seed's published port with the admin key the seed wrote to its volume. One
 * story, in the order a user lives it: start, deploy and invoke, scale the workers, {@code docker
 * kill} a worker under load, {@code docker stop} another, {@code docker-compose restart cassandra},
 * {@code down} and {@code up} again.
 *
 * <p>Needs a Docker engine and docker-compose (1.29 or newer). {@code .ci/run} starts one when none
 * runs and sets {@code WAVELINK_REQUIRE_DOCKER=1}, so in CI a missing engine fails this test; elsewhere
 * it is skipped with a message. The stack runs as compose project {@value #PROJECT} on a free host
 * port, and is removed with its volumes at the end (and before, should an earlier run have left it).
 */
class ComposeStackTest {

  private static final String PROJECT = "wavelink-stacktest";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Integer> WEIGHTS = Map.of("f0", 3, "f1", 2, "f2", 1);
  private static final int RATE = 20;

  private static Path repo;
  private static Path composeFile;
  private static Map<String, String> composeEnv;
  private static String url;
  private static Map<String, String> auth = Map.of();
  private static final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void engine() throws Exception {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    assertNotNull(dir, "no directory holding mvnw above " + Path.of("").toAbsolutePath());
    repo = dir;
    composeFile = repo.resolve("deploy/docker-compose/docker-compose.yml");
    boolean engine = Shell.run(repo, Map.of(), Duration.ofSeconds(30), "docker", "info").code() == 0;
    if (!engine && "1".equals(System.getenv("WAVELINK_REQUIRE_DOCKER"))) {
      throw new AssertionError("WAVELINK_REQUIRE_DOCKER=1 but no Docker engine answers `docker info`");
    }
    Assumptions.assumeTrue(engine, "no Docker engine runs here (.ci/run starts one); the compose stack test is skipped");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (composeEnv != null) {
      Shell.Result logs = compose(Duration.ofMinutes(1), "logs", "--no-color", "--tail", "200");
      Files.writeString(repo.resolve("cluster/target/compose-stack.log"), logs.out() + logs.err());
      Shell.Result down = compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
      System.out.println("COMPOSE down -v: exit " + down.code());
    }
  }

  @Test
  void theDocumentedDeploymentStartsScalesSurvivesKillsStopsAndRestarts() throws Exception {
    // 1. the images, built offline, from the distribution the build made before the tests (cluster/pom.xml)
    boolean jar;
    try (java.util.stream.Stream<Path> files = Files.list(repo.resolve("cluster/target"))) {
      jar = files.anyMatch(p -> p.getFileName().toString().matches("wavelink-cluster-.*\\.jar"));
    }
    assertTrue(Files.isDirectory(repo.resolve("cluster/target/lib")) && jar,
        "no distribution in cluster/target (the build makes it at process-test-classes)");
    long t = System.nanoTime();
    Shell.Result images = Shell.run(repo, Map.of(), Duration.ofMinutes(15), "bash", repo.resolve("deploy/image/build-images.sh").toString());
    assertEquals(0, images.code(), "build-images.sh failed:\n" + images.out() + images.err());
    Map<String, String> built = new HashMap<>();
    for (String line : Files.readAllLines(repo.resolve("deploy/docker-compose/.env"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        built.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    step("images built (" + built + ")", t);

    // 2. up, with keys on (the default), on a free host port
    int port = io.wavelink.persistence.internal.LocalPorts.free("127.0.0.1", 1).get(0);
    composeEnv = new LinkedHashMap<>(built);
    composeEnv.put("COMPOSE_PROJECT_NAME", PROJECT);
    composeEnv.put("WAVELINK_HTTP_HOST_PORT", String.valueOf(port));
    compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans"); // what an aborted earlier run left
    url = "http://127.0.0.1:" + port;
    t = System.nanoTime();
    Shell.Result started = compose(Duration.ofMinutes(10), "up", "-d", "--scale", "worker=1");
    assertEquals(0, started.code(), "docker-compose up failed:\n" + started.out() + started.err());
    LocalCluster.await("GET /health/ready answers 200", Duration.ofMinutes(5), () -> get("/health/ready").statusCode() == 200);
    step("stack up: /health/ready 200", t);
    String key = compose(Duration.ofSeconds(30), "exec", "-T", "seed", "cat", "/data/admin.key").out().strip();
    assertTrue(key.length() >= 20 && !key.contains(" "), "the seed wrote its admin key to /data/admin.key: " + key);
    auth = Map.of("Authorization", "Bearer " + key);
    assertEquals(401, client.send(HttpRequest.newBuilder(URI.create(url + "/v1/functions")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode(), "keys are on by default");

    // 3. the walkthrough: deploy, invoke
    assertEquals(201, deploy("echo", "echo", 0).statusCode());
    HttpResponse<String> hello = invoke("echo", "hello");
    assertEquals(200, hello.statusCode(), hello.body());
    assertEquals("hello", hello.body());
    for (String f : WEIGHTS.keySet()) {
      HttpResponse<String> r = deploy(f, "busy", f.equals("f2") ? 0 : 1);
      assertEquals(201, r.statusCode(), r.body());
    }
    LocalCluster.await("the seed's node and one worker's up", Duration.ofMinutes(3), () -> nodes("up").size() == 2);

    // 4. scale to three workers: they appear up, and placement uses them
    t = System.nanoTime();
    Shell.Result scaled = compose(Duration.ofMinutes(5), "up", "-d", "--scale", "worker=3");
    assertEquals(0, scaled.code(), scaled.out() + scaled.err());
    LocalCluster.await("four nodes up", Duration.ofMinutes(4), () -> nodes("up").size() == 4);
    step("scaled to 3 workers: 4 nodes up", t);
    // 24 regular instances of 32 MB (768 MB) do not fit on the seed's node (256 MB) and one worker's
    // (384 MB): the new workers take some
    // (a deploy right after members joined may meet shards being rebalanced: 504, and the client
    // sends the same PUT again, as a client of an idempotent PUT does)
    List<Integer> wideDeploys = new ArrayList<>();
    LocalCluster.await("wide deployed", Duration.ofMinutes(2), () -> {
      int status = deploy("wide", "busy", 24, 32).statusCode();
      wideDeploys.add(status);
      return status / 100 == 2;
    });
    System.out.println("COMPOSE deploys of wide after the scale-up: " + wideDeploys);
    LocalCluster.await("instances of wide on at least three nodes", Duration.ofMinutes(3),
        () -> nodesHosting("wide").size() >= 3);
    assertEquals(200, delete("wide").statusCode());

    // 5. docker kill the worker holding most of the loaded functions' instances, under load
    Map<String, String> workers = workerContainersByNode();
    String victimNode = busiestOf(workers.keySet());
    String victim = workers.get(victimNode);
    List<SteadyLoad.Result> killed = loadWhile(() -> {
      System.out.printf("COMPOSE docker kill %s (node %s)%n", victim, victimNode);
      assertEquals(0, Shell.run(repo, Map.of(), Duration.ofMinutes(1), "docker", "kill", victim).code());
    });
    report("docker kill a worker", killed);
    assertTrue(SteadyLoad.successRate(killed) >= 0.995, "at least 99.5% succeed: " + SteadyLoad.byStatus(killed));
    LocalCluster.await("the killed worker's node shown down", Duration.ofMinutes(2), () -> nodes("down").contains(victimNode));

    // 6. docker stop another worker: it drains and leaves, no call fails
    Map<String, String> left = workerContainersByNode();
    left.remove(victimNode);
    String leavingNode = busiestOf(left.keySet());
    String leaving = left.get(leavingNode);
    long[] stopSeconds = new long[1];
    List<SteadyLoad.Result> stopped = loadWhile(() -> {
      long s = System.nanoTime();
      Shell.Result stop = Shell.run(repo, Map.of(), Duration.ofMinutes(2), "docker", "stop", leaving);
      stopSeconds[0] = (System.nanoTime() - s) / 1_000_000_000;
      assertEquals(0, stop.code(), stop.err());
    });
    report("docker stop a worker", stopped);
    String leaveLog = Shell.run(repo, Map.of(), Duration.ofSeconds(30), "docker", "logs", leaving).all();
    assertTrue(leaveLog.contains("draining") && leaveLog.contains("drained"), "the stopped worker drained:\n" + tail(leaveLog));
    String exit = Shell.run(repo, Map.of(), Duration.ofSeconds(30), "docker", "inspect", "-f", "{{.State.ExitCode}}", leaving).out().strip();
    System.out.printf("COMPOSE docker stop took %d s, exit code %s%n", stopSeconds[0], exit);
    assertTrue(stopSeconds[0] < 45, "it left within the stop grace period (45 s), without SIGKILL: " + stopSeconds[0] + " s");
    assertTrue(exit.equals("0") || exit.equals("143"), "it exited by itself: " + exit);
    assertTrue(SteadyLoad.successRate(stopped) >= 0.995, "at least 99.5% succeed: " + SteadyLoad.byStatus(stopped));
    LocalCluster.await("the stopped worker's node no longer up", Duration.ofMinutes(1), () -> !nodes("up").contains(leavingNode));

    // 7. docker-compose restart cassandra: warm calls keep working, deploys answer 503, then recover
    List<Integer> deploys = new ArrayList<>();
    List<SteadyLoad.Result> restarted = loadWhile(() -> {
      CompletableFuture<Shell.Result> restart = CompletableFuture.supplyAsync(() -> {
        try {
          return compose(Duration.ofMinutes(4), "restart", "cassandra");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      LocalCluster.await("a deploy refused with 503 while Cassandra restarts", Duration.ofSeconds(60), () -> {
        int status = deploy("during-restart", "echo", 0).statusCode();
        deploys.add(status);
        return status == 503;
      });
      assertEquals(0, restart.get(4, TimeUnit.MINUTES).code());
    });
    report("docker-compose restart cassandra", restarted);
    System.out.println("COMPOSE deploys during the restart: " + deploys);
    assertTrue(SteadyLoad.successRate(restarted) >= 0.99, "warm calls keep working: " + SteadyLoad.byStatus(restarted));
    LocalCluster.await("deploys work again", Duration.ofMinutes(3), () -> deploy("during-restart", "echo", 0).statusCode() / 100 == 2);

    // 8. down and up again: every deployed function is still there (Cassandra's volume)
    t = System.nanoTime();
    Shell.Result down = compose(Duration.ofMinutes(5), "down");
    assertEquals(0, down.code(), down.out() + down.err());
    Shell.Result again = compose(Duration.ofMinutes(10), "up", "-d", "--scale", "worker=1");
    assertEquals(0, again.code(), again.out() + again.err());
    LocalCluster.await("GET /health/ready answers 200 again", Duration.ofMinutes(5), () -> get("/health/ready").statusCode() == 200);
    step("down and up again", t);
    Set<String> listed = new HashSet<>();
    JSON.readTree(get("/v1/functions").body()).path("functions").forEach(f -> listed.add(f.path("name").asText()));
    assertTrue(listed.containsAll(List.of("echo", "f0", "f1", "f2", "during-restart")), "every function kept: " + listed);
    LocalCluster.await("echo answers after down and up", Duration.ofMinutes(2), () -> {
      HttpResponse<String> r = invoke("echo", "again");
      return r.statusCode() == 200 && r.body().equals("again");
    });
  }

  // ---------------------------------------------------------------- the stack

  private static Shell.Result compose(Duration deadline, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", composeFile.toString()));
    command.addAll(List.of(args));
    return Shell.run(repo, composeEnv, deadline, command.toArray(String[]::new));
  }

  /** The worker containers (id) by the node id their Wavelet reports (node-<ip with dashes>-2551). */
  private static Map<String, String> workerContainersByNode() throws Exception {
    Map<String, String> byNode = new LinkedHashMap<>();
    for (String id : compose(Duration.ofSeconds(30), "ps", "-q", "worker").out().strip().split("\\s+")) {
      String ip = Shell.run(repo, Map.of(), Duration.ofSeconds(30), "docker", "inspect", "-f",
          "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id).out().strip();
      String running = Shell.run(repo, Map.of(), Duration.ofSeconds(30), "docker", "inspect", "-f", "{{.State.Running}}", id).out().strip();
      if (!ip.isEmpty() && running.equals("true")) {
        byNode.put("node-" + ip.replace('.', '-') + "-2551", id);
      }
    }
    return byNode;
  }

  /** Of these nodes, the one with the most instances of the loaded functions (the first on a tie). */
  private static String busiestOf(Set<String> candidates) throws Exception {
    assertTrue(!candidates.isEmpty(), "no running worker");
    Map<String, Integer> count = new HashMap<>();
    for (JsonNode n : JSON.readTree(get("/v1/nodes").body()).path("nodes")) {
      for (JsonNode i : n.path("instances")) {
        if (WEIGHTS.containsKey(i.path("function").asText())) {
          count.merge(n.path("id").asText(), 1, Integer::sum);
        }
      }
    }
    String busiest = null;
    for (String c : candidates) {
      if (busiest == null || count.getOrDefault(c, 0) > count.getOrDefault(busiest, 0)) {
        busiest = c;
      }
    }
    return busiest;
  }

  private static Set<String> nodes(String status) throws Exception {
    Set<String> found = new HashSet<>();
    for (JsonNode n : JSON.readTree(get("/v1/nodes").body()).path("nodes")) {
      if (n.path("status").asText().equals(status)) {
        found.add(n.path("id").asText());
      }
    }
    return found;
  }

  private static Set<String> nodesHosting(String function) throws Exception {
    Set<String> found = new HashSet<>();
    for (JsonNode n : JSON.readTree(get("/v1/nodes").body()).path("nodes")) {
      for (JsonNode i : n.path("instances")) {
        if (i.path("function").asText().equals(function)) {
          found.add(n.path("id").asText());
        }
      }
    }
    return found;
  }

  // ---------------------------------------------------------------- load and HTTP

  interface Break {
    void run() throws Exception;
  }

  /** 30 s of load at {@value #RATE} calls a second; {@code breakIt} runs 8 s in. */
  private static List<SteadyLoad.Result> loadWhile(Break breakIt) throws Exception {
    CompletableFuture<List<SteadyLoad.Result>> load = CompletableFuture.supplyAsync(() -> {
      try {
        return SteadyLoad.run(url, auth, WEIGHTS, RATE, Duration.ofSeconds(30), "10");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long start = System.nanoTime();
    LocalCluster.await("the break point", Duration.ofSeconds(15), () -> System.nanoTime() - start >= 8_000_000_000L);
    breakIt.run();
    return load.get(5, TimeUnit.MINUTES);
  }

  private static void report(String what, List<SteadyLoad.Result> results) {
    results.stream().filter(r -> r.status() != 200).limit(10).forEach(r -> System.out.printf("  failed: %s%n", r));
    System.out.printf("COMPOSE %s: %d calls, success %.2f%%, by status %s%n",
        what, results.size(), 100 * SteadyLoad.successRate(results), SteadyLoad.byStatus(results));
  }

  private static void step(String what, long sinceNanos) {
    System.out.printf("COMPOSE %s in %d s%n", what, (System.nanoTime() - sinceNanos) / 1_000_000_000);
  }

  private static HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    auth.forEach(b::header);
    return b;
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> delete(String name) throws Exception {
    return client.send(request("/v1/functions/" + name).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> invoke(String name, String input) throws Exception {
    return client.send(request("/v1/functions/" + name + "/invoke").POST(HttpRequest.BodyPublishers.ofString(input)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> deploy(String name, String module, int minScale) throws Exception {
    return deploy(name, module, minScale, 32);
  }

  private static HttpResponse<String> deploy(String name, String module, int minScale, int memoryMb) throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("code", Base64.getEncoder().encodeToString(ExampleFunctions.load(module)));
    spec.put("memoryMb", memoryMb);
    spec.put("timeoutMs", 10_000);
    spec.put("minScale", minScale);
    spec.put("maxScale", Math.max(4, minScale));
    return client.send(
        request("/v1/functions/" + name).header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(spec))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String tail(String log) {
    String[] lines = log.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
  }

  /** Runs a command with a deadline; output through files, so a full pipe never blocks it. */
  static final class Shell {
    record Result(int code, String out, String err) {
      String all() {
        return out + err;
      }
    }

    static Result run(Path dir, Map<String, String> env, Duration deadline, String... command) throws Exception {
      Path out = Files.createTempFile("compose-stack", ".out");
      Path err = Files.createTempFile("compose-stack", ".err");
      try {
        ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        if (env == composeEnv) {
          // the compose file's defaults, not the test JVM's settings (surefire turns keys off for members)
          b.environment().keySet().removeIf(k -> k.startsWith("WAVELINK_") || k.startsWith("CASSANDRA_"));
        }
        b.environment().putAll(env);
        Process p = b.start();
        if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new AssertionError(String.join(" ", command) + " did not finish within " + deadline.toSeconds() + " s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    }
  }
}
